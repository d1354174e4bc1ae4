#pragma once
// typeflow::structure_hash (store/structure_hash.hpp): included by that header in header-only
// mode, compiled once into typeflow::store (src/store.cpp) in compiled mode.

#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/store/detail/hash.hpp>
#include <typeflow/store/detail/structure.hpp>
#include <typeflow/store/structure_hash.hpp>

namespace typeflow {

TYPEFLOW_INLINE std::string structure_hash(const detail::definition& d) {
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

TYPEFLOW_INLINE std::string structure_hash(const pipeline& p) {
  return structure_hash(*p.definition());
}

}  // namespace typeflow
