#pragma once
// The plan of a run: a pure function of a pipeline's definition and the run options. Successor
// lists in compressed form, how many predecessors each step waits for and how many reads its
// output has, which inputs may be moved from, priorities, resource needs and the selection of a
// partial run. It holds no threads and runs no step; the executor runs it, tests inspect it.

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/graph/dependencies.hpp>

namespace typeflow {

/// How much of one counted resource a step holds while it runs (run_options::capacity).
struct resource_need {
  std::uint32_t resource;  ///< index into run_plan::resource_names
  double amount;
};

/// What make_plan decided for one run of a pipeline. Node ids are the definition's.
struct run_plan {
  /// Predecessors each node waits for: one per dependency that is not a finally edge (a node
  /// that reads one output twice waits for it twice). Finally handlers wait for nothing: the
  /// executor runs them once every other node has resolved.
  detail::big_vector<std::uint32_t> in_degree;
  /// The successors of node u are succ[succ_begin[u] .. succ_begin[u + 1]).
  detail::big_vector<std::uint32_t> succ_begin;
  detail::big_vector<detail::node_id> succ;
  /// Per successor edge: 1 when the successor accepts the output being absent (a maybe<T>
  /// read as std::optional<T>). Empty when no edge of the pipeline does.
  detail::big_vector<char> succ_tolerant;
  /// Per node: how many dependencies read its value (data, items, gates, guards, skip_if).
  detail::big_vector<std::uint32_t> readers;
  /// Per data input (the definition's inputs): 1 when the consumer may move from it: nothing
  /// else reads the port, a part of it or a value containing it, and the output is not kept.
  detail::big_vector<char> movable;
  /// Per node: 1 when its output is kept for the run's result (sinks, .keep(), opts.keep()).
  detail::big_vector<char> kept;
  /// The nodes whose kept is 1 and that have an output (not void steps), in id order.
  std::vector<detail::node_id> kept_nodes;
  /// Per node: the longest remaining path by cost (.cost(x), else 1 per step), itself included.
  detail::big_vector<double> priority;
  /// True when every step has the same cost (no .cost(), or one value for all): the executor
  /// then takes queued steps newest first (depth-first), not by priority (exec_detail's
  /// work_queues explains why).
  bool uniform_cost = true;
  std::vector<detail::node_id> finally_handlers;  ///< in declaration order
  std::vector<detail::node_id> parameters;        ///< the parameter nodes
  bool has_maps = false;
  /// The resources of run_options::capacity, by name, and what each step needs of them
  /// (needs is empty when no step declares .resources()).
  std::vector<std::string> resource_names;
  std::vector<double> capacity;
  std::vector<std::vector<resource_need>> needs;
  /// Per node: true when the partial run runs it; empty when every step runs.
  std::vector<bool> selection;

  [[nodiscard]] std::size_t size() const noexcept { return in_degree.size(); }
  [[nodiscard]] std::span<const detail::node_id> successors(detail::node_id u) const noexcept {
    return {succ.data() + succ_begin[u], succ.data() + succ_begin[u + 1]};
  }
  [[nodiscard]] bool selected(detail::node_id u) const noexcept {
    return selection.empty() || selection[u];
  }
};

namespace exec_detail {
inline std::string format_amount(double x) {
  std::string s = std::to_string(x);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace exec_detail

/// The plan of a run of `d` with `opts`. Throws run_error when the options do not fit the
/// pipeline: a resource a step needs that the run has no capacity for (or too little), or a
/// selection of the wrong size.
[[nodiscard]] inline run_plan make_plan(const detail::definition& d, const run_options& opts) {
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
