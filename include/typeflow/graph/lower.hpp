#pragma once
// The pipeline as a Boost.Graph: one vertex per node (step, parameter, map, finally handler,
// condition, gate, selector), one edge per dependency of the one walk (graph/dependencies.hpp):
// data, map items, gate inputs, guards, skip_if reads, .after() order and finally handlers.
// For analysis with Boost.Graph's algorithms; the executor plans from the same walk, and the
// DOT export and topological_order (graph/dot.hpp, graph/order.hpp) need no Boost.Graph.
// Not included by <typeflow/typeflow.hpp> or <typeflow/graph.hpp>: include it to use it.

#include <utility>

#include <boost/graph/adjacency_list.hpp>

#include <typeflow/core/definition.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/info.hpp>
#include <typeflow/graph/order.hpp>

namespace typeflow {

using pipeline_graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, vertex_info, edge_info>;

/// Lowers a definition to a Boost.Graph; vertex i is node i, and the edges are every
/// dependency of for_each_dependency, in its order (finally handlers included).
inline pipeline_graph lower(const detail::definition& d) {
  pipeline_graph g(d.nodes.size());
  for (std::size_t u = 0; u < d.nodes.size(); ++u) {
    g[u] = vertex_info_of(d, static_cast<detail::node_id>(u));
  }
  for_each_dependency(d, [&](const dependency& dep) {
    boost::add_edge(dep.from, dep.to, edge_info_of(d, dep), g);
  });
  return g;
}

/// Lowers the pipeline's definition to a Boost.Graph; vertex i is node i.
inline pipeline_graph lower(const pipeline& p) { return lower(*p.definition()); }

}  // namespace typeflow
