#pragma once
// The plan of a run: a pure function of a pipeline's definition and the run options. Successor
// lists in compressed form, how many predecessors each step waits for and how many reads its
// output has, which inputs may be moved from, priorities, resource needs and the selection of a
// partial run. It holds no threads and runs no step; the executor runs it, tests inspect it.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/exec/options.hpp>

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

/// The plan of a run of `d` with `opts`. Throws run_error when the options do not fit the
/// pipeline: a resource a step needs that the run has no capacity for (or too little), or a
/// selection of the wrong size.
[[nodiscard]] TYPEFLOW_INLINE run_plan make_plan(const detail::definition& d,
                                                 const run_options& opts);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/exec/impl/plan.hpp>
#endif
