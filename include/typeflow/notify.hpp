#pragma once
// Notifications: an observer that runs a shell command when a run finishes or waits for a
// delayed parameter, and writes the event to the command's stdin as one line of JSON. Nothing
// else includes this header (it spawns processes): whoever wants notifications adds one to
// the run's observers, as the command line's `--notify-cmd` does.
//
//     auto n = std::make_shared<typeflow::command_notifier>("mail -s typeflow me@example.org");
//     typeflow::run(p, typeflow::run_options{}.observe(n));   // in process, no store
//     st.run(p, typeflow::store_options{}.observe(n));        // through the run store
//
// POSIX only (posix_spawn, pipes, waitpid).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include <typeflow/config.hpp>
#include <typeflow/exec/event.hpp>

namespace typeflow {

/// Runs `/bin/sh -c COMMAND` on two events and writes the event to its stdin as one JSON
/// object and a newline, then closes stdin:
///
///   - `run_finished` (whatever the status):
///     `{"event":"run_finished","run_id":"...","pipeline":"...","status":"failed",
///       "time":"2026-11-28T18:00:00Z","duration_s":1.5,"message":"..."}`
///     where message is the first step failure of the run ("step 'train' failed: ...") or "";
///   - `param_requested` (the run waits for a delayed parameter):
///     `{"event":"param_requested","run_id":"...","pipeline":"...","param":"NAME","time":"..."}`.
///
/// The command also finds TYPEFLOW_EVENT, TYPEFLOW_RUN_ID, TYPEFLOW_PIPELINE and
/// TYPEFLOW_STATUS (run_finished) or TYPEFLOW_PARAM (param_requested) in its environment.
///
/// Blocking: on run_finished the calling thread (the run is over) waits for the command, and
/// for the run's param_requested commands still running, each at most `timeout`. On
/// param_requested the command is started and given its line, but not waited for: the step
/// that needs the parameter is delayed only by the spawn; the command is reaped later (at the
/// next param_requested, at its run's run_finished, or when the notifier is destroyed). A
/// command still running at its timeout is killed with its process group. No lock is held
/// while waiting, so one run's notifier never holds up another run sharing the notifier.
///
/// A notifier that fails (exits non-zero, is killed, cannot be started, times out) is
/// reported on stderr, one line per failure, and counted in failures(); it never throws out
/// of on_event and never changes the run's outcome.
class command_notifier : public observer {
 public:
  explicit command_notifier(std::string command,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : command_(std::move(command)), timeout_(timeout) {}
  command_notifier(const command_notifier&) = delete;
  command_notifier& operator=(const command_notifier&) = delete;
  ~command_notifier() override { wait_for({}); }

  TYPEFLOW_INLINE void on_event(const event& e) override;

  /// Notifier runs that failed: exited non-zero, were killed, could not start, timed out.
  [[nodiscard]] std::size_t failures() const noexcept { return failures_.load(); }
  [[nodiscard]] const std::string& command() const noexcept { return command_; }

 private:
  struct child {
    pid_t pid;
    std::chrono::steady_clock::time_point deadline;
    std::string_view event;  // a to_string(event_kind) literal
    std::string run_id;
  };

  std::string command_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::size_t> failures_{0};
  std::mutex mutex_;  // running_; never held while waiting
  std::vector<child> running_;
  std::mutex errors_mutex_;
  std::map<std::string, std::string, std::less<>> first_error_;  // run id -> first step failure

  TYPEFLOW_INLINE void fail(std::string_view event, const std::string& what) noexcept;

  /// Starts the command and writes `line` to its stdin (bounded by the timeout).
  TYPEFLOW_INLINE void start(std::string_view event, const std::string& run_id,
                             const std::string& line, const std::vector<std::string>& extra);

  /// Collects the finished commands (of run `only`, or all when null) and kills those past
  /// their deadline. The caller holds mutex_. Returns how many of them still run.
  TYPEFLOW_INLINE std::size_t reap_now(const std::string* only) noexcept;

  /// Waits until the commands of `run_id` (all, when empty) have ended or been killed at
  /// their deadline, without holding the lock between looks.
  TYPEFLOW_INLINE void wait_for(const std::string& run_id) noexcept;
};

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/notify/impl/notify.hpp>
#endif
