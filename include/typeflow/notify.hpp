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

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <typeflow/core/duration_text.hpp>
#include <typeflow/detail/time_text.hpp>
#include <typeflow/exec/event.hpp>

extern char** environ;  // NOLINT: POSIX declares it nowhere in a header

namespace typeflow {

namespace detail {

/// "2026-11-28T18:00:00Z".
inline std::string notify_utc_text(std::chrono::system_clock::time_point t) {
  return time_text(t, "%Y-%m-%dT%H:%M:%SZ", time_zone::utc);
}

/// Writes all of `data` to the non-blocking `fd` before `deadline`, with SIGPIPE blocked in
/// this thread (a child that exits without reading its stdin must not kill the process; a
/// SIGPIPE raised by the write is thread-directed, so blocking it here is enough, and one
/// left pending by us is consumed before the old mask comes back). Returns 0, or an errno
/// (ETIMEDOUT past the deadline).
inline int notify_write_all(int fd, std::string_view data,
                            std::chrono::steady_clock::time_point deadline) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;

  int error = 0;
  while (!data.empty()) {
    const auto n = ::write(fd, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error = errno;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      error = ETIMEDOUT;
      break;
    }
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1000)));
  }

  if (error == EPIPE && !was_pending) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == -1 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return error;
}

}  // namespace detail

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

  void on_event(const event& e) override {
    switch (e.kind) {
      case event_kind::step_failed:
      case event_kind::step_timed_out: {
        try {
          std::string text = "step '" + std::string(e.step) + "' " +
                             (e.kind == event_kind::step_failed ? "failed: " : "timed out: ") +
                             std::string(e.message);
          std::lock_guard lock(errors_mutex_);
          first_error_.try_emplace(std::string(e.run_id), std::move(text));
        } catch (...) {  // out of memory: the message is only a courtesy
        }
        return;
      }
      case event_kind::run_finished:
      case event_kind::param_requested: break;
      default: return;
    }
    const auto kind = to_string(e.kind);
    std::string run_id;
    try {
      run_id = std::string(e.run_id);
      nlohmann::ordered_json j;
      j["event"] = kind;
      j["run_id"] = e.run_id;
      j["pipeline"] = e.pipeline;
      std::vector<std::string> env{"TYPEFLOW_EVENT=" + std::string(kind),
                                   "TYPEFLOW_RUN_ID=" + run_id,
                                   "TYPEFLOW_PIPELINE=" + std::string(e.pipeline)};
      if (e.kind == event_kind::run_finished) {
        std::string message(e.message);
        {
          std::lock_guard lock(errors_mutex_);
          if (auto it = first_error_.find(run_id); it != first_error_.end()) {
            if (message.empty()) message = std::move(it->second);
            first_error_.erase(it);
          }
        }
        j["status"] = to_string(e.status);
        j["time"] = detail::notify_utc_text(e.time);
        j["duration_s"] = std::chrono::duration<double>(e.duration).count();
        j["message"] = message;
        env.push_back("TYPEFLOW_STATUS=" + std::string(to_string(e.status)));
      } else {
        j["param"] = e.step;
        j["time"] = detail::notify_utc_text(e.time);
        env.push_back("TYPEFLOW_PARAM=" + std::string(e.step));
      }
      // Invalid UTF-8 in a step's message is replaced rather than thrown about.
      std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      start(kind, run_id, line, env);
    } catch (const std::exception& ex) {
      fail(kind, std::string("failed: ") + ex.what());
    } catch (...) {
      fail(kind, "failed");
    }
    if (e.kind == event_kind::run_finished) {
      wait_for(run_id);  // this run's notifiers, param_requested ones included
    } else {
      std::lock_guard lock(mutex_);
      reap_now(nullptr);
    }
  }

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

  void fail(std::string_view event, const std::string& what) noexcept {
    failures_.fetch_add(1);
    try {
      const std::string line = "typeflow: notify command '" + command_ + "' " + what + " on " +
                               std::string(event) + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    } catch (...) {
    }
  }

  /// Starts the command and writes `line` to its stdin (bounded by the timeout).
  void start(std::string_view event, const std::string& run_id, const std::string& line,
             const std::vector<std::string>& extra) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      fail(event, std::string("could not be started: pipe: ") + std::strerror(errno));
      return;
    }
    // The environment: ours, less the variables set here, plus them.
    std::vector<std::string> env_text;
    for (char** p = environ; p != nullptr && *p != nullptr; ++p) {
      std::string_view var{*p};
      if (var.starts_with("TYPEFLOW_EVENT=") || var.starts_with("TYPEFLOW_RUN_ID=") ||
          var.starts_with("TYPEFLOW_PIPELINE=") || var.starts_with("TYPEFLOW_STATUS=") ||
          var.starts_with("TYPEFLOW_PARAM=")) {
        continue;
      }
      env_text.emplace_back(var);
    }
    env_text.insert(env_text.end(), extra.begin(), extra.end());
    std::vector<char*> envp;
    for (auto& v : env_text) envp.push_back(v.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
    // Its own process group, so that a timeout kills what the shell started too; default
    // signal handling and an empty mask whatever the calling worker thread has.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(
        &attr,
        static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
    std::string sh = "/bin/sh", dash_c = "-c", cmd = command_;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[0]);
    if (rc != 0) {
      ::close(fds[1]);
      fail(event, std::string("could not be started: ") + std::strerror(rc));
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    try {
      std::lock_guard lock(mutex_);
      running_.push_back({pid, deadline, event, run_id});
    } catch (...) {  // cannot track it: wait for it here, as reap_now would
      ::close(fds[1]);
      int status = 0;
      while (::waitpid(pid, &status, 0) == -1 && errno == EINTR) {
      }
      throw;
    }
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    // EPIPE: the command exited without reading its stdin; its exit status tells the rest.
    // ETIMEDOUT: reap_now() kills it at the same deadline.
    (void)detail::notify_write_all(fds[1], line, deadline);
    ::close(fds[1]);
  }

  /// Collects the finished commands (of run `only`, or all when null) and kills those past
  /// their deadline. The caller holds mutex_. Returns how many of them still run.
  std::size_t reap_now(const std::string* only) noexcept {
    const auto now = std::chrono::steady_clock::now();
    std::size_t left = 0;
    for (std::size_t i = 0; i < running_.size();) {
      auto& c = running_[i];
      if (only != nullptr && c.run_id != *only) {
        ++i;
        continue;
      }
      int status = 0;
      pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      while (r == -1 && errno == EINTR) r = ::waitpid(c.pid, &status, WNOHANG);
      if (r == 0 && now >= c.deadline) {
        ::kill(-c.pid, SIGKILL);
        do {
          r = ::waitpid(c.pid, &status, 0);
        } while (r == -1 && errno == EINTR);
        fail(c.event, "timed out after " + format_duration(timeout_) + " (killed)");
      } else if (r == c.pid) {
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
          fail(c.event, "exited with " + std::to_string(WEXITSTATUS(status)));
        } else if (WIFSIGNALED(status)) {
          fail(c.event, "was killed by signal " + std::to_string(WTERMSIG(status)));
        }
      } else if (r == 0) {
        ++left;
        ++i;
        continue;
      }
      // r == -1 (ECHILD: someone else reaped it, e.g. SIGCHLD ignored): nothing to report.
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return left;
  }

  /// Waits until the commands of `run_id` (all, when empty) have ended or been killed at
  /// their deadline, without holding the lock between looks.
  void wait_for(const std::string& run_id) noexcept {
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (reap_now(run_id.empty() ? nullptr : &run_id) == 0) return;
      }
      std::this_thread::sleep_for(pause);
      if (pause < std::chrono::milliseconds(20)) pause *= 2;
    }
  }
};

}  // namespace typeflow
