#pragma once
// A test program run as a real child process (the command-line tests: tests/unit/cli/): its
// arguments, its environment (ours without TYPEFLOW_* and CLICHILD_*, plus the store and what
// the test adds), its stdin (/dev/null, a pipe with some input, or a pseudo-terminal), its
// stdout and stderr (files, or the terminal), and as another user when the test asks.

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

// TYPEFLOW_TEST_SIGNALS: whether tests may signal a child (Ctrl-C, SIGTERM). Under
// ThreadSanitizer a signal sent to the (instrumented) child can land on the sanitizer's own
// background thread, which never hands it on: those tests would hang there. They run in every
// other build.
#if defined(__SANITIZE_THREAD__)
#define TYPEFLOW_TEST_SIGNALS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TYPEFLOW_TEST_SIGNALS 0
#endif
#endif
#ifndef TYPEFLOW_TEST_SIGNALS
#define TYPEFLOW_TEST_SIGNALS 1
#endif

namespace typeflow::test {

/// The whole of a file, as bytes.
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// How a child ended and what it printed.
struct outcome {
  int code;
  std::string out, err;
};

/// How to start a child (see process).
struct process_options {
  /// TYPEFLOW_STORE, when given.
  std::optional<std::filesystem::path> store;
  /// Added to the environment.
  std::vector<std::string> env;
  /// Stdin: a pipe holding this text, then its end; /dev/null when not given.
  std::optional<std::string> input;
  /// Stdin, stdout and stderr the slave side of a pseudo-terminal (the test reads and types
  /// on the master side) instead of the above and files.
  bool terminal = false;
  /// Runs as this user (and group of the same number), without supplementary groups.
  std::optional<uid_t> uid;
};

/// Options for a child using the store `dir`/store, with `env` added to its environment, stdin
/// `input` (see process_options) or a terminal.
inline process_options store_options(const std::filesystem::path& dir,
                                     std::vector<std::string> env = {},
                                     std::optional<std::string> input = std::nullopt,
                                     bool terminal = false) {
  process_options o;
  o.store = dir / "store";
  o.env = std::move(env);
  o.input = std::move(input);
  o.terminal = terminal;
  return o;
}

/// A child process running `program` with `args`, its stdout and stderr to fresh files in `io`
/// (or a terminal, see process_options). The destructor kills it when it still runs.
class process {
 public:
  process(const std::filesystem::path& io, const std::string& program,
          const std::vector<std::string>& args, const process_options& options = {}) {
    static int counter = 0;
    const auto n = std::to_string(counter++);
    out_ = io / ("out-" + n + ".txt");
    err_ = io / ("err-" + n + ".txt");
    std::vector<std::string> all{program};
    all.insert(all.end(), args.begin(), args.end());
    auto argv = pointers(all);
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view v(*e);
      if (v.rfind("TYPEFLOW_", 0) != 0 && v.rfind("CLICHILD_", 0) != 0) env_text.emplace_back(v);
    }
    if (options.store) env_text.push_back("TYPEFLOW_STORE=" + options.store->string());
    env_text.insert(env_text.end(), options.env.begin(), options.env.end());
    auto envp = pointers(env_text);
    std::string slave;
    if (options.terminal) {
      master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
      REQUIRE(master_ >= 0);
      REQUIRE(::grantpt(master_) == 0);
      REQUIRE(::unlockpt(master_) == 0);
      slave = ::ptsname(master_);
    }
    int in[2] = {-1, -1};
    if (options.input) REQUIRE(::pipe(in) == 0);
    if (options.uid) {
      start_as(*options.uid, argv, envp, in[0], in[1]);
    } else {
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      if (options.terminal) {
        for (int fd : {0, 1, 2}) {
          posix_spawn_file_actions_addopen(&actions, fd, slave.c_str(), O_RDWR | O_NOCTTY, 0);
        }
        posix_spawn_file_actions_addclose(&actions, master_);
      } else {
        if (options.input) {
          posix_spawn_file_actions_adddup2(&actions, in[0], 0);
          posix_spawn_file_actions_addclose(&actions, in[0]);
          posix_spawn_file_actions_addclose(&actions, in[1]);
        } else {
          posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        }
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
      }
      const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
      posix_spawn_file_actions_destroy(&actions);
      if (rc != 0) pid_ = -1;
    }
    if (options.input) {
      ::close(in[0]);
      const auto& text = *options.input;
      if (!text.empty() && pid_ > 0)
        REQUIRE(::write(in[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
      ::close(in[1]);  // end of input after `input`
    }
    REQUIRE(pid_ > 0);
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)reap();
    }
    if (master_ >= 0) ::close(master_);
  }
  /// The exit status, or 128 + the signal that ended it. A terminal is read to its end first.
  int wait() {
    const auto code = reap();
    REQUIRE(code);
    return *code;
  }
  /// Waits for the end: the exit status and what the child printed.
  outcome finish() {
    const int code = wait();
    return {code, out(), err()};
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  /// What the child printed on stdout, or the whole terminal.
  [[nodiscard]] std::string out() const { return master_ >= 0 ? screen_ : slurp(out_); }
  /// What the child printed on stderr, or the whole terminal.
  [[nodiscard]] std::string err() const { return master_ >= 0 ? screen_ : slurp(err_); }
  /// Waits (30 s at most) until stdout, or the terminal, shows `text` `times` times.
  bool wait_for_out(const std::string& text, std::size_t times = 1) {
    return wait_for(text, times, false);
  }
  /// Waits (30 s at most) until stderr, or the terminal, shows `text` `times` times.
  bool wait_for_err(const std::string& text, std::size_t times = 1) {
    return wait_for(text, times, true);
  }
  /// Types `text` on the terminal.
  void type(const std::string& text) const {
    REQUIRE(::write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

 private:
  /// wait() without failing the test: nullopt when waitpid fails.
  std::optional<int> reap() {
    if (master_ >= 0) {
      while (read_terminal(1000)) {
      }
    }
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, 0);
    const bool ok = done == pid_;
    pid_ = -1;
    if (!ok) return std::nullopt;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  static std::vector<char*> pointers(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  }
  static std::size_t count(const std::string& in, const std::string& text) {
    std::size_t n = 0;
    for (auto at = in.find(text); at != std::string::npos; at = in.find(text, at + 1)) ++n;
    return n;
  }
  /// fork and exec, dropping to `uid` in between (posix_spawn cannot): stdin from /dev/null or
  /// the pipe `in_read`, stdout and stderr to the files. Exit 126: a file did not open; 125: the
  /// user could not be taken; 127: exec failed.
  void start_as(uid_t uid, std::vector<char*>& argv, std::vector<char*>& envp, int in_read,
                int in_write) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ != 0) return;
    if (in_write >= 0) ::close(in_write);
    int in = in_read >= 0 ? in_read : ::open("/dev/null", O_RDONLY);
    int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0 || ::dup2(in, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0)
      ::_exit(126);
    if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0) ::_exit(125);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  bool wait_for(const std::string& text, std::size_t times, bool on_stderr) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      if (master_ >= 0) {
        if (count(screen_, text) >= times) return true;
        (void)read_terminal(10);
      } else {
        if (count(on_stderr ? err() : out(), text) >= times) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return false;
  }
  /// Reads what the terminal shows, waiting up to `ms`; false at its end (the child closed it).
  bool read_terminal(int ms) {
    pollfd fd{master_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, ms);
    if (ready < 0) return errno == EINTR;
    if (ready == 0) return true;
    char buf[4096];
    const auto n = ::read(master_, buf, sizeof buf);
    if (n <= 0) return n < 0 && errno == EINTR;  // EIO: every slave side is closed
    screen_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
  std::filesystem::path out_, err_;
};

}  // namespace typeflow::test
