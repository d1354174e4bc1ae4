#pragma once
// The definition of topological_order (graph/order.hpp).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/order.hpp>

namespace typeflow {

TYPEFLOW_INLINE std::vector<std::string> topological_order(const pipeline& p) {
  const auto& d = *p.definition();
  const auto n = d.nodes.size();
  // Boost.Graph's topological_sort on lower(p): a depth-first search from every unvisited node
  // in id order, out-edges in walk order; a node is listed when it is finished, and the list
  // is reversed. Done here the same way, so that the order is the same.
  std::vector<std::vector<detail::node_id>> out(n);
  for_each_dependency(d, [&](const dependency& dep) { out[dep.from].push_back(dep.to); });
  enum : char { white, grey, black };
  std::vector<char> colour(n, white);
  std::vector<detail::node_id> finished;
  finished.reserve(n);
  std::vector<std::pair<detail::node_id, std::size_t>> stack;  // node, next out-edge
  for (std::size_t s = 0; s < n; ++s) {
    if (colour[s] != white) continue;
    colour[s] = grey;
    stack.emplace_back(static_cast<detail::node_id>(s), 0);
    while (!stack.empty()) {
      auto& [u, next] = stack.back();
      if (next < out[u].size()) {
        const auto v = out[u][next++];
        if (colour[v] == white) {
          colour[v] = grey;
          stack.emplace_back(v, 0);
        } else if (colour[v] == grey) {
          throw definition_error("typeflow: pipeline '" + d.name + "' has a cycle through '" +
                                 std::string(d.nodes[v].name) + "'");
        }
        continue;
      }
      colour[u] = black;
      finished.push_back(u);
      stack.pop_back();
    }
  }
  std::vector<std::string> names;
  names.reserve(n);
  for (auto it = finished.rbegin(); it != finished.rend(); ++it) {
    names.emplace_back(d.nodes[*it].name);
  }
  return names;
}

}  // namespace typeflow
