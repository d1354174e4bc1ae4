// Delayed parameters from the command line, through real processes: tests/helpers/cli_child.cpp
// with $CLICHILD_DELAYED has a step `ship` that reads the delayed parameter `cutoff` (a double
// from 0 to 1). Off a terminal the run waits, shows `waiting`, fires --notify-cmd's
// param_requested, and another process's `answer RUN cutoff=VALUE` gives the value; on a
// terminal (a pseudo-terminal here) the run prompts for it, and `answer` works meanwhile too.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <typeflow/cli.hpp>
#include <store_testing.hpp>

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

namespace tyf = typeflow;
using tyf::test::eventually;
using tyf::test::temp_dir;
using json = nlohmann::json;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The environment of a child: ours without TYPEFLOW_*, the store in `dir`, the delayed
/// parameter on, and `extra`.
std::vector<std::string> child_env(const temp_dir& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (v.rfind("TYPEFLOW_", 0) != 0 && v.rfind("CLICHILD_", 0) != 0) env.emplace_back(v);
  }
  env.push_back("TYPEFLOW_STORE=" + (dir.path() / "store").string());
  env.emplace_back("CLICHILD_DELAYED=1");
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// The pipeline program as a child: stdin from /dev/null (not a terminal), or from a
/// pseudo-terminal's slave side (`terminal`: stdin, stdout and stderr are the terminal; the
/// test reads and types on the master side).
class proc {
 public:
  proc(const temp_dir& dir, const std::vector<std::string>& args, bool terminal = false,
       const std::vector<std::string>& extra_env = {}) {
    static int counter = 0;
    const auto n = std::to_string(counter++);
    out_ = dir.path() / ("out-" + n + ".txt");
    err_ = dir.path() / ("err-" + n + ".txt");
    std::vector<std::string> all{TYPEFLOW_CLI_CHILD};
    all.insert(all.end(), args.begin(), args.end());
    auto argv = pointers(all);
    auto env_text = child_env(dir, extra_env);
    auto envp = pointers(env_text);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string slave;
    if (terminal) {
      master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
      REQUIRE(master_ >= 0);
      REQUIRE(::grantpt(master_) == 0);
      REQUIRE(::unlockpt(master_) == 0);
      slave = ::ptsname(master_);
      for (int fd : {0, 1, 2}) {
        posix_spawn_file_actions_addopen(&actions, fd, slave.c_str(), O_RDWR | O_NOCTTY, 0);
      }
      posix_spawn_file_actions_addclose(&actions, master_);
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
      posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
      posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    }
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
  }
  proc(const proc&) = delete;
  proc& operator=(const proc&) = delete;
  ~proc() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
    if (master_ >= 0) ::close(master_);
  }
  /// The exit status, or 128 + the signal that ended it. A terminal is read to its end first.
  int wait() {
    if (master_ >= 0) {
      while (read_terminal(1000)) {
      }
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  [[nodiscard]] std::string out() const { return master_ >= 0 ? screen_ : slurp(out_); }
  [[nodiscard]] std::string err() const { return master_ >= 0 ? screen_ : slurp(err_); }
  /// Waits (30 s at most) until stderr, or the terminal, shows `text` `times` times.
  bool wait_for(const std::string& text, std::size_t times = 1) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      if (count(master_ >= 0 ? screen_ : err(), text) >= times) return true;
      if (master_ >= 0) {
        (void)read_terminal(10);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return false;
  }
  /// Types `text` on the terminal.
  void type(const std::string& text) const {
    REQUIRE(::write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

 private:
  static std::size_t count(const std::string& in, const std::string& text) {
    std::size_t n = 0;
    for (auto at = in.find(text); at != std::string::npos; at = in.find(text, at + 1)) ++n;
    return n;
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

struct outcome {
  int code;
  std::string out, err;
};

outcome cli(const temp_dir& dir, const std::vector<std::string>& args) {
  proc p{dir, args};
  int code = p.wait();
  return {code, p.out(), p.err()};
}

/// Waits until the newest run of the store waits for `param`, as the store shows it.
bool waiting_in_store(const temp_dir& dir, const std::string& param) {
  return eventually(
      [&] {
        tyf::store st{dir.path() / "store"};
        auto runs = st.runs();
        return !runs.empty() && runs.front().waiting_for == std::vector<std::string>{param};
      },
      std::chrono::seconds(30));
}

tyf::run_details details(const temp_dir& dir, const std::string& run = "latest") {
  tyf::store st{dir.path() / "store"};
  return st.show(run);
}

std::string status_of(const tyf::run_details& d, const std::string& step) {
  const auto* s = d.step(step);
  return s == nullptr ? "(none)" : std::string(tyf::to_string(s->status));
}

}  // namespace

TEST_CASE("cli: off a terminal a run waits for a delayed parameter until `answer` gives it") {
  // Before: no parameter provider was installed, so `cutoff` failed at once and `ship` was
  // skipped ("the run has no parameter provider"); the run ended failed (exit 1).
  temp_dir dir;
  const auto events = dir.path() / "events.jsonl";
  proc running{dir, {"run", "--notify-cmd", "cat >> '" + events.string() + "'"}};
  REQUIRE(running.wait_for("answer with '"));
  INFO("child stderr:\n" << running.err());
  const auto id = details(dir).run.id;
  CHECK(running.err().find("typeflow: run " + id +
                           " waits for parameter 'cutoff' (double; a value from 0 to 1): answer "
                           "with 'typeflow-cli-child answer " +
                           id + " cutoff=VALUE'") != std::string::npos);
  REQUIRE(waiting_in_store(dir, "cutoff"));

  // runs, show and their JSON show that it waits, and for what.
  auto runs = cli(dir, {"runs"});
  CHECK(runs.out.find(id + "  waiting for cutoff") != std::string::npos);
  auto show = cli(dir, {"show", id});
  CHECK(show.out.find("run " + id + " of 'clichild': waiting for cutoff\n") != std::string::npos);
  auto show_json = json::parse(cli(dir, {"show", id, "--json"}).out);
  CHECK(show_json["status"] == "running");
  CHECK(show_json["waiting_for"] == json::array({"cutoff"}));
  CHECK(json::parse(cli(dir, {"runs", "--json"}).out)["runs"][0]["waiting_for"] ==
        json::array({"cutoff"}));

  // --notify-cmd fired param_requested.
  REQUIRE(eventually([&] { return slurp(events).find("param_requested") != std::string::npos; },
                     std::chrono::seconds(30)));
  auto requested = json::parse(slurp(events).substr(0, slurp(events).find('\n')));
  CHECK(requested["event"] == "param_requested");
  CHECK(requested["run_id"] == id);
  CHECK(requested["param"] == "cutoff");

  SECTION("bad answers exit 2 naming the problem; the run goes on waiting") {
    auto expect = [&](const std::vector<std::string>& args, const std::string& message) {
      auto r = cli(dir, args);
      INFO(r.err);
      CHECK(r.code == 2);
      CHECK(r.err.find(message) != std::string::npos);
    };
    expect({"answer", id, "cutoff=2"},
           "parameter 'cutoff' (double) got '2', expected a value from 0 to 1 (set by answer)");
    expect({"answer", id, "cutoff=high"}, "parameter 'cutoff' (double) got 'high'");
    expect({"answer", id, "cutof=0.5"}, "unknown parameter 'cutof'");
    expect({"answer", id, "cutof=0.5"}, "did you mean 'cutoff'?");
    expect({"answer", id, "rows=5"}, "parameter 'rows' is not delayed");
    expect({"answer", id, "cutoff"}, "'cutoff' is not NAME=VALUE");
    expect({"answer", "zzzzzz", "cutoff=0.5"}, "no run 'zzzzzz'");
    expect({"answer", id}, "NAME=VALUE is required");
    CHECK(waiting_in_store(dir, "cutoff"));
    auto good = cli(dir, {"answer", id.substr(0, 6), "cutoff=0.25"});
    INFO(good.err);
    CHECK(good.code == 0);
    CHECK(good.out == "answered parameter 'cutoff' of run " + id + ": 0.25\n");
    CHECK(running.wait() == 0);
    expect({"answer", id, "cutoff=0.5"}, "run " + id + " is not running (it is succeeded)");
  }
  SECTION("a good answer: the run goes on with the value and records it") {
    auto good = cli(dir, {"answer", "latest", "cutoff=0.25"});
    INFO(good.err);
    REQUIRE(good.code == 0);
    CHECK(running.wait() == 0);
    INFO("child stdout:\n" << running.out());
    CHECK(running.out().find("] waiting for parameter cutoff\n") != std::string::npos);
    auto d = details(dir, id);
    CHECK(d.run.status == tyf::run_status::succeeded);
    CHECK(d.run.params.at("cutoff") == "0.25");
    CHECK(d.run.waiting_for.empty());
    CHECK(status_of(d, "ship") == "succeeded");
    tyf::store st{dir.path() / "store"};
    auto asked = st.param_requests(id);
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].name == "cutoff");
    CHECK(asked[0].type == "double");
    CHECK(asked[0].requested.has_value());
    CHECK(asked[0].answer == "0.25");
    CHECK(asked[0].answered >= asked[0].requested);
  }
  SECTION("a second answer is refused: the first one counts") {
    REQUIRE(cli(dir, {"answer", id, "cutoff=0.5"}).code == 0);
    auto again = cli(dir, {"answer", id, "cutoff=0.75"});
    // Refused whether the run has read the first answer yet or not.
    CHECK(again.code == 2);
    CHECK((again.err.find("was answered already ('0.5')") != std::string::npos ||
           again.err.find("is not running") != std::string::npos));
    CHECK(running.wait() == 0);
    CHECK(details(dir, id).run.params.at("cutoff") == "0.5");
  }
}

TEST_CASE("cli: a --notify-cmd that answers at once: the run goes on with its answer") {
  // The notifier may answer before the run has recorded its request: the answer is kept.
  temp_dir dir;
  const std::string answer = std::string("'") + TYPEFLOW_CLI_CHILD +
                             "' answer \"$TYPEFLOW_RUN_ID\" \"$TYPEFLOW_PARAM=0.125\"";
  proc running{dir, {"run", "--notify-cmd", answer}};
  CHECK(running.wait() == 0);
  INFO("child stdout:\n" << running.out() << "\nchild stderr:\n" << running.err());
  auto d = details(dir);
  CHECK(d.run.status == tyf::run_status::succeeded);
  CHECK(d.run.params.at("cutoff") == "0.125");
}

TEST_CASE("cli: a run waiting for a parameter stops on `stop` and on Ctrl-C (exit 3)") {
  temp_dir dir;
  proc running{dir, {"run"}};
  REQUIRE(running.wait_for("answer with '"));
  REQUIRE(waiting_in_store(dir, "cutoff"));
  const auto id = details(dir).run.id;
  SECTION("stop RUN from another process") { REQUIRE(cli(dir, {"stop", id}).code == 0); }
#if TYPEFLOW_TEST_SIGNALS
  SECTION("SIGINT") { running.signal(SIGINT); }
  SECTION("SIGTERM") { running.signal(SIGTERM); }
#endif
  CHECK(running.wait() == 3);
  INFO("child stderr:\n" << running.err());
  auto d = details(dir, id);
  CHECK(d.run.status == tyf::run_status::stopped);
  CHECK(d.run.waiting_for.empty());
  CHECK(status_of(d, "ship") == "cancelled");
  auto late = cli(dir, {"answer", id, "cutoff=0.5"});
  CHECK(late.code == 2);
  CHECK(late.err.find("is not running (it is stopped)") != std::string::npos);
}

TEST_CASE("cli: on a terminal the run prompts for a delayed parameter, asking until valid") {
  temp_dir dir;
  proc running{dir, {"run"}, true};
  REQUIRE(running.wait_for("cutoff = "));
  INFO("terminal:\n" << running.out());
  CHECK(running.out().find("needs parameter 'cutoff' (double; a value from 0 to 1)") !=
        std::string::npos);
  CHECK(running.out().find("the lowest score that ships") != std::string::npos);
  running.type("1.5\n");
  REQUIRE(running.wait_for("expected a value from 0 to 1 (set by the prompt)"));
  REQUIRE(running.wait_for("cutoff = ", 2));
  running.type("\n");  // no default: asked again
  REQUIRE(running.wait_for("a value is needed"));
  REQUIRE(running.wait_for("cutoff = ", 3));
  running.type("0.3\n");
  CHECK(running.wait() == 0);
  auto d = details(dir);
  CHECK(d.run.status == tyf::run_status::succeeded);
  CHECK(d.run.params.at("cutoff") == "0.3");
  CHECK(status_of(d, "ship") == "succeeded");
  tyf::store st{dir.path() / "store"};
  auto asked = st.param_requests(d.run.id);  // recorded too, with the typed answer
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].answer == "0.3");
}

TEST_CASE("cli: while the terminal prompts, `answer` from another process may give the value") {
  temp_dir dir;
  proc running{dir, {"run"}, true};
  REQUIRE(running.wait_for("cutoff = "));
  REQUIRE(waiting_in_store(dir, "cutoff"));
  auto runs = cli(dir, {"runs"});
  CHECK(runs.out.find("waiting for cutoff") != std::string::npos);
  auto a = cli(dir, {"answer", "latest", "cutoff=0.5"});
  INFO(a.err);
  REQUIRE(a.code == 0);
  REQUIRE(running.wait_for("answered by 'typeflow-cli-child answer': 0.5"));
  CHECK(running.wait() == 0);
  INFO("terminal:\n" << running.out());
  auto d = details(dir);
  CHECK(d.run.params.at("cutoff") == "0.5");
  CHECK(status_of(d, "ship") == "succeeded");
}

TEST_CASE("progress_view: the live view shows a line while the run waits for a parameter") {
  std::ostringstream out;
  tyf::progress_view view{out, tyf::progress_mode::live, 3};
  view.waiting("cutoff", "answer with 'prog answer abc cutoff=VALUE'");
  view.redraw();
  CHECK(out.str().find("  cutoff  waiting ") != std::string::npos);
  CHECK(out.str().find("  answer with 'prog answer abc cutoff=VALUE'\n") != std::string::npos);
  out.str("");
  view.waiting("cutoff", {});
  view.redraw();
  CHECK(out.str().find("cutoff") == std::string::npos);
  out.str("");
  view.suspend();  // clears the frame for a prompt
  CHECK(out.str().find("\x1b[2K") != std::string::npos);
  view.resume();
}
