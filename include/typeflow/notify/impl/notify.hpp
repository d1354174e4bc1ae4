#pragma once
// command_notifier's member functions (notify.hpp): included by that header in header-only
// mode, compiled once into typeflow::store (src/store.cpp) in compiled mode (the notifier is
// an observer of any run, with or without the store, so it lives in the lowest compiled
// library above exec that the command line and store users link).

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

#include <typeflow/config.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/detail/time_text.hpp>
#include <typeflow/exec/event.hpp>

#include <typeflow/notify.hpp>

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

TYPEFLOW_INLINE void command_notifier::on_event(const event& e) {
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
    std::vector<std::string> env{"TYPEFLOW_EVENT=" + std::string(kind), "TYPEFLOW_RUN_ID=" + run_id,
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
    std::string line = detail::json_text(j) + "\n";
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

TYPEFLOW_INLINE void command_notifier::fail(std::string_view event,
                                            const std::string& what) noexcept {
  failures_.fetch_add(1);
  try {
    const std::string line =
        "typeflow: notify command '" + command_ + "' " + what + " on " + std::string(event) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  } catch (...) {
  }
}

TYPEFLOW_INLINE void command_notifier::start(std::string_view event, const std::string& run_id,
                                             const std::string& line,
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

TYPEFLOW_INLINE std::size_t command_notifier::reap_now(const std::string* only) noexcept {
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

TYPEFLOW_INLINE void command_notifier::wait_for(const std::string& run_id) noexcept {
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

}  // namespace typeflow
