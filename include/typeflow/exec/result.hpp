#pragma once
// run_result: what a finished run tells its caller: the run's status, every step's record,
// the metrics logged, and the outputs that were kept. It owns the run's data (run_view.hpp)
// and nothing of the scheduler that ran it.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/exec/record.hpp>
#include <typeflow/exec/run_view.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow {

class run_result {
 public:
  /// The result of a finished run, from its data (the executor makes it).
  explicit run_result(std::shared_ptr<run_data> data) : data_(std::move(data)) {}

  [[nodiscard]] run_status status() const noexcept { return data_->status.load(); }
  [[nodiscard]] bool ok() const noexcept { return status() == run_status::succeeded; }
  [[nodiscard]] const std::string& run_id() const noexcept { return data_->run_id; }
  [[nodiscard]] std::string_view pipeline() const noexcept { return data_->definition->name; }
  [[nodiscard]] std::chrono::system_clock::time_point started() const noexcept {
    return data_->started;
  }
  [[nodiscard]] std::chrono::system_clock::time_point finished() const noexcept {
    return data_->finished;
  }
  [[nodiscard]] std::chrono::nanoseconds duration() const noexcept {
    return finished() - started();
  }

  /// The value of a kept output (sinks are kept by default; others with .keep() or
  /// opts.keep(h)). Throws run_error naming the step when it has no value to give.
  template <class T>
  [[nodiscard]] const T& get(const handle<T>& h) const {
    return *static_cast<const T*>(locate(h));
  }
  /// Moves a kept output out of the result.
  template <class T>
  [[nodiscard]] T take(const handle<T>& h) {
    return std::move(*static_cast<T*>(locate(h)));
  }

  /// The record of one step; throws run_error for an unknown name.
  [[nodiscard]] TYPEFLOW_INLINE const step_record& step(std::string_view name) const;
  template <class T>
  [[nodiscard]] const step_record& step(const handle<T>& h) const {
    return step(h.name());
  }

  /// Every step's record, in declaration order, each map step followed by its elements
  /// (parameters are not steps).
  [[nodiscard]] TYPEFLOW_INLINE std::vector<const step_record*> steps() const;
  /// The steps that ended in `s`.
  [[nodiscard]] TYPEFLOW_INLINE std::vector<const step_record*> steps(step_status s) const;

  /// name -> text of the value each parameter had in this run (a delayed parameter only once
  /// it was given one), for run records and reports.
  [[nodiscard]] TYPEFLOW_INLINE std::map<std::string, std::string> params() const;

  /// Every metric point logged through context::log_metric, in the order logged.
  [[nodiscard]] const std::vector<metric_record>& metrics() const noexcept {
    return data_->metrics;
  }

  /// How many observer calls threw (they never break the run), and the first error.
  [[nodiscard]] std::size_t observer_errors() const noexcept {
    return data_->observer_errors.load();
  }
  [[nodiscard]] const std::string& first_observer_error() const noexcept {
    return data_->first_observer_error;
  }

  /// A one-paragraph account: status, then each step that did not succeed and why.
  [[nodiscard]] TYPEFLOW_INLINE std::string summary() const;

  /// The run as a read-only view, as observers' hooks and the run store see it.
  [[nodiscard]] run_view view() const noexcept { return run_view{*data_}; }

 private:
  [[nodiscard]] const detail::definition& def() const noexcept { return *data_->definition; }

  template <class T>
  void* locate(const handle<T>& h) const {
    return locate(detail::handle_access::def(h), detail::handle_access::node(h),
                  detail::handle_access::port(h), h.name());
  }
  /// The kept value of port `port` of node `u` of definition `d` (a handle's); throws
  /// run_error naming the step when there is none.
  [[nodiscard]] TYPEFLOW_INLINE void* locate(const detail::definition* d, detail::node_id u,
                                             detail::port_id port, std::string_view name) const;

  std::shared_ptr<run_data> data_;
};

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/exec/impl/result.hpp>
#endif
