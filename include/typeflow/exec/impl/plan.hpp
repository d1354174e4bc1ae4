#pragma once
// The definition of make_plan (exec/plan.hpp).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/plan.hpp>
#include <typeflow/graph/dependencies.hpp>

namespace typeflow {

namespace exec_detail {
TYPEFLOW_INLINE std::string format_amount(double x) {
  std::string s = std::to_string(x);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace exec_detail

TYPEFLOW_INLINE run_plan make_plan(const detail::definition& d, const run_options& opts) {
  using detail::node_id;
  using detail::none;
  const auto n = static_cast<node_id>(d.nodes.size());
  run_plan plan;
  if (!opts.selection().empty() && opts.selection().size() != n) {
    throw run_error("typeflow: the run's selection has " + std::to_string(opts.selection().size()) +
                    " entries but pipeline '" + d.name + "' has " + std::to_string(n) + " nodes");
  }
  plan.selection = opts.selection();
  plan.parameters = d.parameters;

  // One pass over the nodes (a node is ~100 bytes: every pass over a million of them streams
  // 100 MB) gathers the edges, from the one walk over the dependencies, into a compact list,
  // with the counts, the readers of each port and each node's own cost and keep().
  plan.in_degree.assign(n, 0);
  plan.readers.assign(n, 0);
  plan.kept.assign(n, 0);
  plan.priority.assign(n, 0.0);
  detail::big_vector<std::uint32_t> out_degree(n, 0);
  detail::big_vector<std::uint32_t> own(d.ports.size(), 0);  // reads of each port
  detail::big_vector<char> has_output(n, 0);  // not a void step: kept_nodes lists only these
  struct edge {
    node_id from, to;
  };
  detail::big_vector<edge> edges;
  edges.reserve(d.inputs.size());
  const bool any_tolerant = !d.input_tolerant.empty();
  detail::big_vector<char> edge_tolerant;
  bool any_resources = false;
  for (node_id v = 0; v < n; ++v) {
    const auto& nd = d.nodes[v];
    // The walk yields nothing for a node without inputs or conditions (a step ordered only by
    // .after(), a parameter): no call for those.
    if (nd.input_count != 0 || nd.control)
      for_each_read(d, v, [&](const dependency& e) {
        edges.push_back({e.from, v});
        if (any_tolerant) edge_tolerant.push_back(e.may_be_absent ? 1 : 0);
        ++out_degree[e.from];
        ++plan.readers[e.from];
        ++own[e.port];
        ++plan.in_degree[v];
      });
    if (nd.kind == detail::node_kind::finally_handler) plan.finally_handlers.push_back(v);
    if (nd.kind == detail::node_kind::map) plan.has_maps = true;
    // For now: 1 keep(), 2 a parameter; decided below.
    plan.kept[v] = static_cast<char>((nd.policy && nd.policy->keep_output ? 1 : 0) |
                                     (nd.kind == detail::node_kind::parameter ? 2 : 0));
    plan.priority[v] = nd.policy ? nd.policy->cost : 1.0;
    if (plan.priority[v] != plan.priority[0]) plan.uniform_cost = false;
    if (nd.policy && !nd.policy->resources.empty()) any_resources = true;
    has_output[v] = nd.whole != none ? 1 : 0;
  }
  // The .after() edges are read from the definition twice rather than copied into `edges`.
  for (const auto& o : d.order) {
    ++out_degree[o.before];
    ++plan.in_degree[o.after];
  }

  // Successor lists (compressed rows), in the walk's order per node.
  plan.succ_begin.resize(n + 1);
  plan.succ_begin[0] = 0;
  {
    auto& next_slot = out_degree;  // reused: the next free slot of each node's row
    for (node_id u = 0; u < n; ++u) {
      const auto first = plan.succ_begin[u];
      plan.succ_begin[u + 1] = first + out_degree[u];
      next_slot[u] = first;
    }
    plan.succ.resize(plan.succ_begin[n]);
    if (any_tolerant) plan.succ_tolerant.assign(plan.succ_begin[n], 0);
    for (std::size_t i = 0; i < edges.size(); ++i) {
      const auto slot = next_slot[edges[i].from]++;
      plan.succ[slot] = edges[i].to;
      if (any_tolerant) plan.succ_tolerant[slot] = edge_tolerant[i];
    }
    for (const auto& o : d.order) plan.succ[next_slot[o.before]++] = o.after;  // never tolerant
  }

  // Outputs kept for the result: sinks, steps marked keep(), handles the options name.
  for (node_id u : opts.kept()) {
    if (u < n) plan.kept[u] |= 1;
  }
  const bool keep_all = opts.keeps_all();
  for (node_id u = 0; u < n; ++u) {
    const auto k = plan.kept[u];
    plan.kept[u] = (keep_all || (plan.readers[u] == 0 && (k & 2) == 0) || (k & 1) != 0) ? 1 : 0;
    if (plan.kept[u] && has_output[u]) plan.kept_nodes.push_back(u);
  }

  // An input may be moved from when its port has no other reader, no reader of a port that
  // contains it or lies inside it, and the output is not kept for the result.
  detail::big_vector<std::uint32_t> subtree(own);
  for (auto port = static_cast<std::int64_t>(d.ports.size()) - 1; port >= 0; --port) {
    auto parent = d.ports[static_cast<std::size_t>(port)].parent;
    if (parent != none) subtree[parent] += subtree[static_cast<std::size_t>(port)];
  }
  plan.movable.assign(d.inputs.size(), 0);
  for (std::size_t i = 0; i < d.inputs.size(); ++i) {
    auto port = d.inputs[i];
    if (subtree[port] != 1 || plan.kept[d.ports[port].node]) continue;
    bool alone = true;
    for (auto a = d.ports[port].parent; a != none; a = d.ports[a].parent) {
      if (own[a] != 0) alone = false;
    }
    plan.movable[i] = alone ? 1 : 0;
  }

  // Priorities: the longest remaining path by cost (ids are a topological order).
  for (node_id u = n; u-- > 0;) {
    double best = 0;
    for (auto i = plan.succ_begin[u]; i < plan.succ_begin[u + 1]; ++i) {
      best = std::max(best, plan.priority[plan.succ[i]]);
    }
    plan.priority[u] += best;
  }

  if (!any_resources) return plan;
  for (const auto& [name, amount] : opts.capacities()) {
    plan.resource_names.push_back(name);
    plan.capacity.push_back(amount);
  }
  plan.needs.assign(n, {});
  for (node_id u = 0; u < n; ++u) {
    const auto& nd = d.nodes[u];
    if (!nd.policy) continue;
    for (const auto& [res, amount] : nd.policy->resources) {
      auto it = std::find(plan.resource_names.begin(), plan.resource_names.end(), res);
      if (it == plan.resource_names.end()) {
        throw run_error("typeflow: step '" + std::string(nd.name) + "' asks for resource '" + res +
                        "', which the run has no capacity for; set opts.capacity(\"" + res +
                        "\", amount)");
      }
      auto r = static_cast<std::uint32_t>(it - plan.resource_names.begin());
      if (amount > plan.capacity[r] + 1e-9) {
        throw run_error("typeflow: step '" + std::string(nd.name) + "' asks for " +
                        exec_detail::format_amount(amount) + " of resource '" + res +
                        "' but the run's capacity is " +
                        exec_detail::format_amount(plan.capacity[r]));
      }
      plan.needs[u].push_back({r, amount});
    }
  }
  return plan;
}

}  // namespace typeflow
