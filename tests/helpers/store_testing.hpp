#pragma once
// Shared by the run store's tests and their child-process helper: temporary store
// directories, the pipelines both sides build, and starting a child process.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <csignal>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <typeflow/store.hpp>
#include <typeflow/typeflow.hpp>

extern char** environ;

namespace typeflow::test {

/// A fresh directory under the system's temporary directory, removed at the end.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("typeflow-store-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// Counts how often each step of a test pipeline ran.
struct step_counts {
  std::atomic<int> load{0}, split{0}, train{0}, evaluate{0};
};

/// load -> split -> train -> evaluate, with a parameter; `train` hangs when the environment
/// has TYPEFLOW_TEST_HANG (so a child process can be killed in the middle of a run).
inline pipeline crash_pipeline(step_counts& n) {
  pipeline p{"crash"};
  auto rows = p.param<int>("rows", 100);
  auto data = p.step(
      "load",
      [&n](int r) {
        ++n.load;
        std::vector<double> v(static_cast<std::size_t>(r));
        for (int i = 0; i < r; ++i) v[static_cast<std::size_t>(i)] = i * 0.5;
        return v;
      },
      rows);
  auto parts = p.step(
      "split",
      [&n](const std::vector<double>& v) {
        ++n.split;
        auto half = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
        return std::pair<std::vector<double>, std::vector<double>>{{v.begin(), half},
                                                                   {half, v.end()}};
      },
      data);
  auto model = p.step(
      "train",
      [&n](const std::vector<double>& train) {
        ++n.train;
        if (std::getenv("TYPEFLOW_TEST_HANG") != nullptr) {
          for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        double sum = 0;
        for (double x : train) sum += x;
        return sum;
      },
      parts.get<0>());
  p.step(
      "evaluate",
      [&n](double m, const std::vector<double>& test, context& ctx) {
        ++n.evaluate;
        ctx.log_metric("score", m / static_cast<double>(test.size() + 1));
        return m > 0;
      },
      model, parts.get<1>());
  return p;
}

/// a -> b -> c over ints, for many small runs.
inline pipeline small_pipeline() {
  pipeline p{"small"};
  auto seed = p.param<int>("seed", 1);
  auto a = p.step(
      "a", [](int s) { return s * 2; }, seed);
  auto b = p.step(
      "b",
      [](int x, context& ctx) {
        ctx.log_metric("x", x);
        return std::to_string(x);
      },
      a);
  p.step(
      "c", [](const std::string& s) { return s.size(); }, b);
  return p;
}

/// One step that waits until the run is stopped (or a minute passes).
inline pipeline stoppable_pipeline() {
  pipeline p{"stoppable"};
  p.step("wait", [](context& ctx) {
    auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (!ctx.stop_requested() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return ctx.stop_requested() ? 1 : 0;
  });
  return p;
}

/// wait -> after: `wait` waits (up to a minute) until the file `go` exists, then logs a metric.
inline pipeline file_waiting_pipeline(std::string go) {
  pipeline p{"file-waiting"};
  auto w = p.step("wait", [go](context& ctx) {
    auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (!std::filesystem::exists(go) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ctx.log_metric("waited", 1.0);
    return std::filesystem::exists(go) ? 1 : 0;
  });
  p.step(
      "after", [](int x) { return x + 1; }, w);
  return p;
}

/// A child process running `args`, its stderr sent to a file.
class child {
 public:
  child(const std::vector<std::string>& args, const std::string& stderr_file,
        const std::vector<std::string>& extra_env = {}) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
    env_text.insert(env_text.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  /// The exit status (or 128 + signal).
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  /// The exit status, or nullopt when the child is still running after `limit` (it is then
  /// left running: the destructor kills it).
  std::optional<int> wait_for(std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() >= until) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void kill_hard() { ::kill(pid_, SIGKILL); }
  void signal(int sig) { ::kill(pid_, sig); }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Polls `cond` every 20 ms for up to `limit`; true when it held.
template <class F>
bool eventually(F cond, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

/// Waits (up to a minute) until `st` holds `runs` runs and the newest one's step `step` is
/// running, as the store shows it: the run's rows are committed by the store's writer thread
/// after the step's events (and its printed lines).
inline bool newest_step_running(store& st, std::string_view step, std::size_t runs = 1) {
  return eventually([&] {
    auto listed = st.runs();
    if (listed.size() != runs) return false;
    auto d = st.show(listed.front().id);
    return d.step(step) != nullptr && d.step(step)->status == step_status::running;
  });
}

}  // namespace typeflow::test
