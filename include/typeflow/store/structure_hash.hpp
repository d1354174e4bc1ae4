#pragma once
// The structure hash of a pipeline: 16 hex digits that change whenever its shape changes (a
// node, a type, a step's version, or any dependency of the one walk: data, items, gate, guard
// with its value, skip_if, order, finally). The run store records it with every run (nothing
// compares it yet; cache keys are made from each step's own inputs, not from it).

#include <cstdint>
#include <string>
#include <string_view>

#include <typeflow/core/codec.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/store/detail/hash.hpp>
#include <typeflow/store/detail/type_names.hpp>

namespace typeflow {

namespace store_detail {

/// A node's output type as the store names it: its codec's name where it has one.
inline std::string type_of(const detail::node& nd) {
  if (nd.codec != nullptr) return nd.codec->type_name();
  return type_name_cached(*nd.output_type);
}

/// Where a port sits inside its node's output, the same in every process: "" for the whole
/// output, else one "type:projection-bytes" per level.
inline std::string port_path(const detail::definition& d, detail::port_id p) {
  const auto& pt = d.ports[p];
  if (pt.parent == detail::none) return {};
  std::string out = port_path(d, pt.parent) + "/" + type_name_cached(*pt.type) + ":";
  for (unsigned char c : pt.proj.data) {
    static constexpr char hex[] = "0123456789abcdef";
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

/// Appends a field that may hold any character, prefixed by its length, so that no two
/// different sequences of fields give the same text.
inline void append_field(std::string& s, std::string_view field) {
  s += std::to_string(field.size());
  s += ':';
  s += field;
  s += ' ';
}

}  // namespace store_detail

/// The structure hash of a definition, as 16 hex digits: its name, every node (kind, role,
/// name, output type, version) and every dependency of for_each_dependency (kind, the node
/// and part of its output read, the argument, the guard value, whether the value may be
/// absent). Two pipelines that differ only in which condition guards a step, or in when vs
/// otherwise, hash apart; the same declarations hash alike in every process.
[[nodiscard]] inline std::string structure_hash(const detail::definition& d) {
  using store_detail::append_field;
  std::string s = "typeflow-structure-2\n";
  append_field(s, d.name);
  s += '\n';
  for (const auto& nd : d.nodes) {
    s += "node " + std::to_string(static_cast<int>(nd.kind)) + " " +
         std::to_string(static_cast<int>(nd.role)) + " ";
    append_field(s, nd.name);
    append_field(s, store_detail::type_of(nd));
    append_field(s, nd.policy ? std::string_view(nd.policy->version) : std::string_view{});
    s += '\n';
  }
  for_each_dependency(d, [&](const dependency& e) {
    s += "edge " + std::to_string(static_cast<int>(e.kind)) + " ";
    append_field(s, d.nodes[e.from].name);
    append_field(s, e.port == detail::none ? std::string{} : store_detail::port_path(d, e.port));
    append_field(s, d.nodes[e.to].name);
    s += std::to_string(e.argument) + (e.guard_value ? " 1" : " 0") +
         (e.may_be_absent ? " 1" : " 0") + "\n";
  });
  return store_detail::hash64(s);
}

/// The structure hash of the pipeline (see above): what the run store records with each run.
///
///     if (typeflow::structure_hash(p) != run.structure_hash) { /* the pipeline changed */ }
[[nodiscard]] inline std::string structure_hash(const pipeline& p) {
  return structure_hash(*p.definition());
}

}  // namespace typeflow
