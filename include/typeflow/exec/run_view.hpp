#pragma once
// The run as data, and the read-only view of it that everything outside the executor sees:
// observers' hooks, the run store, the command line. The executor fills a run_data while the
// run goes on; a finished run_result owns it, without any of the scheduler's state.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/detail/box.hpp>
#include <typeflow/exec/record.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow {

/// The records of a map step's elements, `name[0]`, `name[1]`, ..., in element order.
struct element_records {
  std::vector<std::string> names;
  std::vector<step_record> records;
};

/// One output kept for the run's result (see run_plan::kept).
struct kept_output {
  detail::node_id node = detail::none;
  detail::box value;
};

/// Everything one run is, as data. Written by the executor while the run goes on (records by
/// the thread that runs the step, before its successors become ready); read through run_view.
struct run_data {
  std::shared_ptr<detail::definition> definition;
  std::string run_id;
  std::vector<bool> selection;  ///< per node; empty: every step runs
  detail::param_values params;  ///< per node: the parameters' values (null: not given yet)
  detail::big_vector<step_record> records;  ///< per node of the definition when the run began
  std::vector<std::unique_ptr<element_records>> elements;  ///< per node; empty without maps
  std::atomic<run_status> status{run_status::pending};
  std::chrono::system_clock::time_point started{};
  std::chrono::system_clock::time_point finished{};
  mutable std::mutex mutex;  ///< guards metrics and first_observer_error
  std::vector<metric_record> metrics;
  std::atomic<std::size_t> observer_errors{0};
  std::string first_observer_error;
  std::vector<kept_output> kept;  ///< in node order; filled when the run ends
};

/// A read-only view of one run: all that observers' hooks, the run store and the command line
/// ever see of it. Cheap to copy; valid while the run (or its result) lives.
///
///     void prepare(const typeflow::run_view& run) override {
///       for (std::uint32_t u = 0; u < run.size(); ++u) log(run.record(u).name);
///     }
class run_view {
 public:
  explicit run_view(const run_data& data) noexcept : d_(&data) {}

  [[nodiscard]] const std::string& run_id() const noexcept { return d_->run_id; }
  [[nodiscard]] std::string_view pipeline() const noexcept { return d_->definition->name; }
  /// The pipeline's definition. Nodes declared after the run began are not part of it: the
  /// run covers node ids below size().
  [[nodiscard]] const detail::definition& definition() const noexcept { return *d_->definition; }
  /// How many nodes (steps and parameters) the run covers.
  [[nodiscard]] std::size_t size() const noexcept { return d_->records.size(); }

  /// Per node, whether this (partial) run runs it; empty when it runs every step.
  [[nodiscard]] const std::vector<bool>& selection() const noexcept { return d_->selection; }
  [[nodiscard]] bool selected(detail::node_id u) const noexcept {
    return d_->selection.empty() || d_->selection[u];
  }

  /// The value parameter node `u` has in this run (its type is the parameter's); null for a
  /// delayed parameter not given yet, and for nodes that are not parameters.
  [[nodiscard]] const void* param_value(detail::node_id u) const noexcept {
    return u < d_->params.size() ? d_->params[u].get() : nullptr;
  }
  /// name -> text of each parameter value this run has (a delayed one once it was given).
  [[nodiscard]] TYPEFLOW_INLINE std::map<std::string, std::string> params() const;

  /// The record of node `u` (a parameter's too: it resolves like a step). Its name is set when
  /// the node is first scheduled (the definition has every node's name from the start).
  [[nodiscard]] const step_record& record(detail::node_id u) const noexcept {
    return d_->records[u];
  }
  /// The records of map step `u`'s elements, or null (not a map, or not expanded yet).
  [[nodiscard]] const element_records* elements(detail::node_id u) const noexcept {
    return u < d_->elements.size() ? d_->elements[u].get() : nullptr;
  }

  /// Every metric point logged so far, in the order logged (a copy: the run may go on).
  [[nodiscard]] std::vector<metric_record> metrics() const {
    std::lock_guard lock(d_->mutex);
    return d_->metrics;
  }

  /// pending, running, or the final status.
  [[nodiscard]] run_status status() const noexcept { return d_->status.load(); }
  [[nodiscard]] std::chrono::system_clock::time_point started() const noexcept {
    return d_->started;
  }
  [[nodiscard]] std::chrono::system_clock::time_point finished() const noexcept {
    return d_->finished;
  }

 private:
  const run_data* d_;
};

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/exec/impl/run_view.hpp>
#endif
