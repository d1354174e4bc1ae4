#pragma once
// The definitions of core/definition.hpp's members that are not templates and not on the hot
// path of a lookup.

#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/name.hpp>

namespace typeflow::detail {

TYPEFLOW_INLINE definition::~definition() = default;

TYPEFLOW_INLINE void definition::throw_running(std::string_view verb,
                                               std::string_view subject) const {
  throw definition_error("typeflow: cannot " + std::string(verb) +
                         (subject.empty() ? std::string{} : " '" + std::string(subject) + "'") +
                         " in pipeline '" + name + "' while a run of it is in progress");
}

TYPEFLOW_INLINE std::string definition::auto_name(std::string_view prefix) {
  auto& counter = auto_names[std::string(prefix)];
  for (;;) {
    std::string candidate = std::string(prefix) + "-" + std::to_string(++counter);
    if (find(candidate) == none) return candidate;
  }
}

TYPEFLOW_INLINE node_id definition::add_node(std::string_view kind_word, std::string_view node_name,
                                             node_kind kind, const std::type_info& output) {
  if (active_runs.load(std::memory_order_acquire) != 0) {
    check_not_running("add " + std::string(kind_word), node_name);
  }
  check_name(kind_word, node_name);
  if (nodes.size() >= none - 1)
    throw definition_error("typeflow: too many nodes in pipeline '" + name + "'");
  node n;
  n.name = names.store(node_name);
  n.kind = kind;
  n.output_type = &output;
  nodes.push_back(std::move(n));
  auto id = static_cast<node_id>(nodes.size() - 1);
  if (node_id other = index.insert(node_name, id, [this](node_id i) { return nodes[i].name; });
      other != id) {
    nodes.pop_back();
    throw_duplicate(kind_word, node_name, other);
  }
  return id;
}

TYPEFLOW_INLINE void definition::check_free_name(std::string_view kind_word,
                                                 std::string_view node_name) const {
  check_name(kind_word, node_name);
  if (node_id other = find(node_name); other != none) throw_duplicate(kind_word, node_name, other);
}

TYPEFLOW_INLINE void definition::throw_duplicate(std::string_view kind_word,
                                                 std::string_view node_name, node_id other) const {
  const auto& o = nodes[other];
  const char* used_by = o.kind == node_kind::parameter   ? "a parameter"
                        : o.role == node_role::gate      ? "a gate"
                        : o.role == node_role::condition ? "a condition"
                                                         : "a step";
  throw definition_error("typeflow: duplicate name '" + std::string(node_name) + "' in pipeline '" +
                         name + "' for a " + std::string(kind_word) + ": it is already used by " +
                         used_by + "; step, gate, condition and parameter names must be unique");
}
}  // namespace typeflow::detail
