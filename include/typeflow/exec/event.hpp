#pragma once
// What the executor tells the world while a run goes on. Observers (the run store, the command
// line's live view, user code) receive events; they never see scheduler internals.

#include <chrono>
#include <cstdint>
#include <string_view>

#include <typeflow/exec/status.hpp>

namespace typeflow {

enum class event_kind : std::uint8_t {
  run_started,
  run_finished,
  step_started,
  step_succeeded,
  step_failed,
  step_timed_out,
  step_retried,
  step_skipped,
  step_cancelled,
  metric,
  progress,
  param_requested,  ///< a delayed parameter's value is being asked for (step: its name)
  step_log,         ///< a line the step wrote with context::log (message: the line)
};

[[nodiscard]] constexpr std::string_view to_string(event_kind k) noexcept {
  switch (k) {
    case event_kind::run_started: return "run_started";
    case event_kind::run_finished: return "run_finished";
    case event_kind::step_started: return "step_started";
    case event_kind::step_succeeded: return "step_succeeded";
    case event_kind::step_failed: return "step_failed";
    case event_kind::step_timed_out: return "step_timed_out";
    case event_kind::step_retried: return "step_retried";
    case event_kind::step_skipped: return "step_skipped";
    case event_kind::step_cancelled: return "step_cancelled";
    case event_kind::metric: return "metric";
    case event_kind::progress: return "progress";
    case event_kind::param_requested: return "param_requested";
    case event_kind::step_log: return "step_log";
  }
  return "unknown";
}

/// One event. Views point into the run's state and are valid during the observer call only.
struct event {
  event_kind kind{};
  std::string_view run_id;
  std::string_view pipeline;
  std::string_view step;     ///< empty for run events; a map element's own name, `train[3]`
  std::uint32_t node = ~0u;  ///< the step's node id
  unsigned attempt = 0;      ///< 1-based, for step events
  std::chrono::system_clock::time_point time;
  std::string_view message;  ///< error text, skip or retry reason; step_log: the line
  run_status status = run_status::running;  ///< for run_finished
  std::string_view metric;                  ///< metric name
  double value = 0;                         ///< metric value
  std::int64_t index = 0;                   ///< metric index (epoch, batch, ...)
  std::uint64_t done = 0, total = 0;        ///< progress
  std::chrono::nanoseconds duration{};      ///< for finished steps and runs
};

/// Receives a run's events. Called from worker threads, concurrently, without scheduler locks
/// held: an observer must be thread-safe. An exception it throws is caught and counted in the
/// run result (observer_errors); it never breaks the run.
class observer {
 public:
  observer() = default;
  observer(const observer&) = default;
  observer& operator=(const observer&) = default;
  virtual ~observer() = default;
  virtual void on_event(const event& e) = 0;
};

}  // namespace typeflow
