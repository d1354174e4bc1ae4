#pragma once
// The pipeline as a Boost.Graph: one vertex per step or parameter, one edge per data input
// (labelled with the C++ type it carries) or ordering constraint. For analysis and export;
// the executor plans from the definition directly (see the README's architecture notes).

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>

#include <typeflow/core/pipeline.hpp>
#include <typeflow/detail/type_name.hpp>

namespace typeflow {

struct vertex_info {
  std::string name;
  bool is_parameter = false;
  std::string output_type;  ///< demangled; "void" for steps without output
};

struct edge_info {
  bool carries_data = true;   ///< false for .after() ordering
  std::uint32_t argument = 0; ///< 1-based input position at the consumer (data edges)
  std::string type;           ///< demangled type carried (data edges)
};

using pipeline_graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                             vertex_info, edge_info>;

/// Lowers the pipeline's definition to a Boost.Graph; vertex i is node i.
inline pipeline_graph lower(const pipeline& p) {
  const auto& d = *p.definition();
  pipeline_graph g(d.nodes.size());
  for (std::size_t u = 0; u < d.nodes.size(); ++u) {
    const auto& nd = d.nodes[u];
    g[u].name = std::string(nd.name);
    g[u].is_parameter = nd.kind == detail::node_kind::parameter;
    g[u].output_type = detail::demangle(*nd.output_type);
  }
  for (std::size_t v = 0; v < d.nodes.size(); ++v) {
    const auto& nd = d.nodes[v];
    for (std::uint32_t i = 0; i < nd.input_count; ++i) {
      const auto& port = d.ports[d.inputs[nd.first_input + i]];
      edge_info e{true, i + 1, detail::demangle(*port.type)};
      boost::add_edge(port.node, v, e, g);
    }
  }
  for (const auto& o : d.order) boost::add_edge(o.before, o.after, edge_info{false, 0, {}}, g);
  return g;
}

/// Step and parameter names in an order where every node comes after all it depends on
/// (computed by Boost.Graph's topological_sort).
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
