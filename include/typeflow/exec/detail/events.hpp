#pragma once
// The events of one run, sent to its observers outside every scheduler lock. An observer that
// throws never breaks the run: the run counts it and keeps the first message.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/exec/detail/node_state.hpp>
#include <typeflow/exec/detail/step_clock.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/exec/run_view.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow::exec_detail {

/// The event that reports a step ending in `s`.
[[nodiscard]] constexpr event_kind step_event(step_status s) noexcept {
  switch (s) {
    case step_status::failed: return event_kind::step_failed;
    case step_status::timed_out: return event_kind::step_timed_out;
    case step_status::skipped: return event_kind::step_skipped;
    case step_status::cancelled: return event_kind::step_cancelled;
    default: return event_kind::step_succeeded;
  }
}

class run_events {
 public:
  run_events(run_data& data, const std::vector<observer*>& observers) noexcept
      : data_(data), observers_(observers) {}

  [[nodiscard]] bool any() const noexcept { return !observers_.empty(); }

  /// A step time: never before the run's start, whichever thread's clock anchor it comes from.
  [[nodiscard]] std::chrono::system_clock::time_point stamp() const noexcept {
    return std::max(std::chrono::system_clock::time_point(step_clock::now()), data_.started);
  }

  /// An event about node u (none: about the run), its fields but kind and node left empty.
  [[nodiscard]] event about(event_kind kind, node_id u) const {
    event e;
    e.kind = kind;
    e.run_id = data_.run_id;
    e.pipeline = data_.definition->name;
    if (u != none) {
      e.step = data_.definition->nodes[u].name;
      e.node = u;
    }
    return e;
  }

  /// A step event, stamped now (never before the run's start). Nothing, not even the clock,
  /// is read when the run has no observers.
  void step(event_kind kind, node_id u, std::string_view name, unsigned attempt,
            std::string_view message, std::chrono::nanoseconds duration = {}) {
    if (!any()) return;
    event e = about(kind, u);
    e.step = name;
    e.attempt = attempt;
    e.time = stamp();
    e.message = message;
    e.duration = duration;
    send(e);
  }

  void run(event_kind kind) {
    if (!any()) return;
    event e = about(kind, none);
    e.status = data_.status.load();
    e.time = kind == event_kind::run_started ? data_.started : data_.finished;
    if (kind == event_kind::run_finished) e.duration = data_.finished - data_.started;
    send(e);
  }

  void send(const event& e) noexcept {
    for (auto* o : observers_) {
      try {
        o->on_event(e);
      } catch (...) {
        if (data_.observer_errors.fetch_add(1) == 0) {
          std::string text = describe(std::current_exception());
          std::lock_guard lock(data_.mutex);
          data_.first_observer_error = std::string(to_string(e.kind)) + ": " + text;
        }
      }
    }
  }

 private:
  run_data& data_;
  const std::vector<observer*>& observers_;
};

}  // namespace typeflow::exec_detail
