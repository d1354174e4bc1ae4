#pragma once
// What `run` shows while a run goes on: on a terminal a live view redrawn in place (one line
// per running step, counts, at most ~10 redraws a second); off a terminal one plain line per
// event; with --quiet nothing until the summary; with --json one JSON line per event.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <typeflow/config.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

/// How a progress_view shows a run.
enum class progress_mode : std::uint8_t {
  live,   ///< a terminal: redrawn in place
  plain,  ///< one line per event
  quiet,  ///< nothing while the run goes on
  json,   ///< one JSON document per line per event
};

/// The summary table of a finished run: step, status, attempts, duration, cache, and when a
/// step failed or was skipped with a message, a last column `reason` with it; then a closing
/// line with the run's status and duration, and for a failed run its first failure's step and
/// message (`run ID failed in 2s: gate failed: quality gate failed: accuracy >= 0.8`).
TYPEFLOW_INLINE std::string summary_table(const run_details& d);

/// An observer that shows a run as it goes. Thread-safe: events arrive from worker threads;
/// each call only updates state under a mutex and (plain/json modes) writes one line.
class progress_view : public observer {
 public:
  /// `steps`: the number of steps the run has (for the pending count).
  progress_view(std::ostream& out, progress_mode mode, std::size_t steps)
      : out_(out), mode_(mode), total_(steps) {}
  progress_view(const progress_view&) = delete;
  progress_view& operator=(const progress_view&) = delete;
  ~progress_view() override { stop(); }

  /// Starts the render thread (live mode only): redraws at most every `period`.
  TYPEFLOW_INLINE void start(std::chrono::milliseconds period = std::chrono::milliseconds(100));
  /// Stops the render thread after one last redraw, then clears the live lines.
  TYPEFLOW_INLINE void stop();

  /// Redraws the live view now (the render thread does this; tests call it directly).
  TYPEFLOW_INLINE void redraw();

  /// Live mode: clears the live lines and draws nothing until resume(), so that a prompt can
  /// use the terminal meanwhile. Events still count.
  TYPEFLOW_INLINE void suspend();
  TYPEFLOW_INLINE void resume();

  /// Live mode: shows a line "  NAME  waiting  NOTE" while the run waits for the delayed
  /// parameter NAME; an empty `note` removes it.
  TYPEFLOW_INLINE void waiting(const std::string& name, std::string note);

  TYPEFLOW_INLINE void on_event(const event& e) override;

  /// One event as plain text, or nothing for events a plain log leaves out (progress).
  [[nodiscard]] TYPEFLOW_INLINE static std::optional<std::string> plain_line(const event& e);

  /// One event as JSON: {"event", "time" (ms since the epoch), "run", and per kind "step",
  /// "attempt", "message", "status", "duration_s", "metric", "value", "index", "done", "total"}.
  /// A metric value that is not finite is the string "nan", "inf" or "-inf". Names and
  /// messages may hold invalid UTF-8: write it with dump(-1, ' ', false,
  /// nlohmann::json::error_handler_t::replace), as the JSON mode does.
  [[nodiscard]] TYPEFLOW_INLINE static nlohmann::json json_line(const event& e);

 private:
  enum class phase : std::uint8_t { pending, running, done };
  struct step_state {
    phase at = phase::pending;
    std::chrono::system_clock::time_point started{};
    std::uint64_t done = 0, total = 0;
    std::string metric;
  };

  TYPEFLOW_INLINE void clear_locked();

  TYPEFLOW_INLINE void draw_locked();

  std::ostream& out_;
  const progress_mode mode_;
  const std::size_t total_;
  std::mutex m_;
  std::condition_variable cv_;
  std::thread renderer_;
  bool done_ = false, dirty_ = false;
  std::map<std::string, step_state> steps_;
  std::vector<std::string> order_;  ///< running steps, in the order they started
  std::map<std::string, std::pair<std::chrono::system_clock::time_point, std::string>>
      waiting_;  ///< delayed parameters waited for: since when, and how to answer
  bool suspended_ = false;
  std::size_t running_ = 0, succeeded_ = 0, failed_ = 0, cached_ = 0, skipped_ = 0;
  std::size_t drawn_ = 0;  ///< lines of the last frame
};

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/cli/impl/progress.hpp>
#endif
