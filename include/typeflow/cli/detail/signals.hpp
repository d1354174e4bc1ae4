#pragma once
// Ctrl-C (SIGINT) or SIGTERM (what Slurm, Kubernetes and systemd send) while a run goes on:
// the signal handler only writes a byte to a pipe; a watcher thread reads it and asks the run
// to stop the first time, and ends the process at once (_exit(128 + the signal: 130 for
// SIGINT, 143 for SIGTERM)) the second time. The run store finds such a run `interrupted`
// later.

#include <atomic>
#include <cerrno>
#include <csignal>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <typeflow/detail/threads.hpp>

namespace typeflow::cli_detail {

inline std::atomic<int> sigint_pipe{-1};

extern "C" inline void on_sigint(int sig) {
  const int saved = errno;
  const int fd = sigint_pipe.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const char c = sig == SIGTERM ? 't' : 'i';
    [[maybe_unused]] auto n = ::write(fd, &c, 1);
  }
  errno = saved;
}

/// While alive, SIGINT or SIGTERM calls `first` (from the watcher thread) once, printing
/// "typeflow: stopping WHAT (Ctrl-C again to quit at once)" (`what`: "the run", "the server and
/// its runs"), and a second one ends the process with status 128 + that signal (130 for SIGINT,
/// 143 for SIGTERM). Create it before the threads of the run (and of the store) start; it
/// restores the previous handler and signal mask when destroyed, on the same thread.
class sigint_watch {
 public:
  explicit sigint_watch(std::function<void()> first, bool enabled = true,
                        std::string what = "the run")
      : first_(std::move(first)) {
    if (!enabled || ::pipe(fds_) != 0) return;
    ::fcntl(fds_[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds_[1], F_SETFD, FD_CLOEXEC);
    sigint_pipe.store(fds_[1]);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    // SIGINT and SIGTERM go to the watcher thread only: this thread blocks it, and so do the threads it
    // starts later (the run's workers, the store's); the watcher unblocks it for itself. So
    // the handler never interrupts a worker's system call (and sanitizers deliver it at once).
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
    ::sigaction(SIGINT, &sa, &old_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    installed_ = true;
    try {
      // Written by the watcher thread, not the handler: a std::string is fine here.
      watcher_ =
          detail::start_thread("the Ctrl-C watcher thread", [this, block, what = std::move(what)] {
            ::pthread_sigmask(SIG_UNBLOCK, &block, nullptr);
            int count = 0;
            char c = 0;
            for (;;) {
              auto n = ::read(fds_[0], &c, 1);
              if (n < 0 && errno == EINTR) continue;
              if (n <= 0 || c == 'q') return;
              if (++count == 1) {
                const std::string msg =
                    c == 't' ? "\ntypeflow: SIGTERM: stopping " + what +
                                   " (SIGTERM again to quit at once)\n"
                             : "\ntypeflow: stopping " + what + " (Ctrl-C again to quit at once)\n";
                [[maybe_unused]] auto w = ::write(STDERR_FILENO, msg.data(), msg.size());
                if (first_) first_();
              } else {
                static constexpr char msg[] = "\ntypeflow: quitting at once\n";
                [[maybe_unused]] auto w = ::write(STDERR_FILENO, msg, sizeof msg - 1);
                ::_exit(c == 't' ? 128 + SIGTERM : 128 + SIGINT);
              }
            }
          });
    } catch (...) {
      restore();
      throw;
    }
  }
  sigint_watch(const sigint_watch&) = delete;
  sigint_watch& operator=(const sigint_watch&) = delete;
  ~sigint_watch() {
    if (!installed_) return;
    const char c = 'q';
    [[maybe_unused]] auto n = ::write(fds_[1], &c, 1);
    watcher_.join();
    restore();
  }

 private:
  void restore() {
    installed_ = false;
    ::sigaction(SIGINT, &old_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    sigint_pipe.store(-1);
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

  std::function<void()> first_;
  int fds_[2] = {-1, -1};
  struct sigaction old_ {};
  struct sigaction old_term_ {};
  sigset_t old_mask_{};
  bool installed_ = false;
  std::thread watcher_;
};

}  // namespace typeflow::cli_detail
