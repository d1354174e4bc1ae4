#pragma once
// What the graph exports say of each node and each dependency: a node's name, role and output
// type, an edge's kind and the type it carries. Boost.Graph's lowering (graph/lower.hpp), the
// DOT export (graph/dot.hpp) and the command line describe the pipeline with these.

#include <cstdint>
#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/graph/dependencies.hpp>

namespace typeflow {

struct vertex_info {
  std::string name;
  bool is_parameter = false;
  std::string output_type;  ///< demangled; "void" for steps without output
  /// What the node is: "step", "parameter", "map", "finally", "condition" (p.when), "gate"
  /// (p.require) or "selector" (p.first_of).
  std::string role;
};

struct edge_info {
  bool carries_data = true;  ///< the consumer reads the value (every kind but order, finally)
  /// 1-based position of the input at the consumer (data, items, gate) or among the skip_if
  /// predicate's inputs (skip_if); 0 for guard, order and finally.
  std::uint32_t argument = 0;
  std::string type;  ///< demangled type of the port read (every kind that reads)
  dependency_kind kind = dependency_kind::data;
  bool guard_value = true;  ///< guard: the condition's value that lets the consumer run
};

namespace detail {
/// The word for a node's role, as vertex_info::role and the exports give it.
inline std::string_view role_word(const node& nd) noexcept {
  switch (nd.role) {
    case node_role::condition: return "condition";
    case node_role::gate: return "gate";
    case node_role::selector: return "selector";
    case node_role::plain: break;
  }
  switch (nd.kind) {
    case node_kind::parameter: return "parameter";
    case node_kind::map: return "map";
    case node_kind::finally_handler: return "finally";
    case node_kind::step: break;
  }
  return "step";
}
}  // namespace detail

/// An edge in words, as `describe` and `graph` print it: the type for a data edge, else the
/// kind first ("items: std::vector<int>", "guard: if false", "skip_if: bool", "after", ...).
TYPEFLOW_INLINE std::string edge_text(const edge_info& e);

/// Node `u` of `d` as the exports describe it.
TYPEFLOW_INLINE vertex_info vertex_info_of(const detail::definition& d, detail::node_id u);
/// Dependency `dep` of `d` as the exports describe it.
TYPEFLOW_INLINE edge_info edge_info_of(const detail::definition& d, const dependency& dep);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/graph/impl/info.hpp>
#endif
