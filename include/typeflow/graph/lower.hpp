#pragma once
// The pipeline as a Boost.Graph: one vertex per node (step, parameter, map, finally handler,
// condition, gate, selector), one edge per dependency of the one walk (graph/dependencies.hpp):
// data, map items, gate inputs, guards, skip_if reads, .after() order and finally handlers.
// For analysis and export; the executor plans from the same walk.

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>

#include <typeflow/core/definition.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/detail/type_name.hpp>
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

using pipeline_graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, vertex_info, edge_info>;

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
inline std::string edge_text(const edge_info& e) {
  switch (e.kind) {
    case dependency_kind::data: return e.type;
    case dependency_kind::guard: return e.guard_value ? "guard: if true" : "guard: if false";
    case dependency_kind::order: return "after";
    case dependency_kind::finally: return "finally";
    case dependency_kind::items:
    case dependency_kind::gate:
    case dependency_kind::skip_if: break;
  }
  return std::string(to_string(e.kind)) + ": " + e.type;
}

/// Lowers a definition to a Boost.Graph; vertex i is node i, and the edges are every
/// dependency of for_each_dependency, in its order (finally handlers included).
inline pipeline_graph lower(const detail::definition& d) {
  pipeline_graph g(d.nodes.size());
  for (std::size_t u = 0; u < d.nodes.size(); ++u) {
    const auto& nd = d.nodes[u];
    g[u].name = std::string(nd.name);
    g[u].is_parameter = nd.kind == detail::node_kind::parameter;
    g[u].output_type = detail::demangle(*nd.output_type);
    g[u].role = std::string(detail::role_word(nd));
  }
  for_each_dependency(d, [&](const dependency& dep) {
    edge_info e;
    e.kind = dep.kind;
    e.carries_data = dep.reads_value();
    e.guard_value = dep.guard_value;
    if (e.carries_data) {
      e.type = detail::demangle(*d.ports[dep.port].type);
      if (dep.kind != dependency_kind::guard) e.argument = dep.argument + 1;
    }
    boost::add_edge(dep.from, dep.to, std::move(e), g);
  });
  return g;
}

/// Lowers the pipeline's definition to a Boost.Graph; vertex i is node i.
inline pipeline_graph lower(const pipeline& p) { return lower(*p.definition()); }

/// Step and parameter names in an order where every node comes after all it depends on,
/// finally handlers after every other node (computed by Boost.Graph's topological_sort).
inline std::vector<std::string> topological_order(const pipeline& p) {
  auto g = lower(p);
  std::vector<pipeline_graph::vertex_descriptor> reversed;
  boost::topological_sort(g, std::back_inserter(reversed));
  std::vector<std::string> names;
  names.reserve(reversed.size());
  for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) names.push_back(g[*it].name);
  return names;
}

}  // namespace typeflow
