// Notifications: real runs through a real store, with real notifier commands (/bin/sh) whose
// stdin is written to files: the JSON of run_finished (succeeded and failed) and of
// param_requested, failing and hanging notifiers (counted, reported, never failing the run),
// and a notifier that does not read its stdin (no SIGPIPE).
#include <typeflow/notify.hpp>
#include <typeflow/store.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;
using namespace std::chrono_literals;

namespace {
tyf::pipeline small_pipeline(bool fail, std::string error = "boom") {
  tyf::pipeline p{"notified"};
  auto n = p.param<int>("n", 3);
  auto data = p.step(
      "load", [](int k) { return std::vector<int>(static_cast<std::size_t>(k), 1); }, n);
  p.step(
      "train",
      [fail, error](const std::vector<int>& v) {
        if (fail) throw std::runtime_error(error);
        return static_cast<int>(v.size());
      },
      data);
  return p;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<nlohmann::json> json_lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

/// Captures what is written to file descriptor 2 while it lives.
class stderr_capture {
 public:
  explicit stderr_capture(std::filesystem::path file) : file_(std::move(file)) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;
  ~stderr_capture() { restore(); }
  std::string text() {
    restore();
    return read_file(file_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::filesystem::path file_;
  int saved_ = -1;
};

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// A notifier to add to a run's observers, as the command line's --notify-cmd does.
std::shared_ptr<tyf::command_notifier> notifier(std::string command) {
  return std::make_shared<tyf::command_notifier>(std::move(command));
}

const std::regex iso_time{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"};
}  // namespace

TEST_CASE("notify: a succeeded run sends run_finished as one JSON line with the store's run id") {
  temp_dir dir;
  auto out = dir.path() / "event.json";
  tyf::store st{dir.path() / "store"};
  auto p = small_pipeline(false);
  auto r = st.run(p, tyf::store_options{}.observe(notifier("cat > " + quoted(out))));
  REQUIRE(r.ok());

  const auto text = read_file(out);
  REQUIRE(std::count(text.begin(), text.end(), '\n') == 1);
  REQUIRE(text.back() == '\n');
  auto j = nlohmann::json::parse(text);
  REQUIRE(j["event"] == "run_finished");
  REQUIRE(j["run_id"] == r.run_id());
  REQUIRE(st.show(j["run_id"].get<std::string>()).run.status == tyf::run_status::succeeded);
  REQUIRE(j["pipeline"] == "notified");
  REQUIRE(j["status"] == "succeeded");
  REQUIRE(std::regex_match(j["time"].get<std::string>(), iso_time));
  REQUIRE(j["duration_s"].is_number());
  REQUIRE(j["duration_s"].get<double>() >= 0);
  REQUIRE(j["message"] == "");
  // The documented order of the fields.
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  REQUIRE(text.rfind("{\"event\":\"run_finished\",\"run_id\":", 0) == 0);
  REQUIRE(keys.size() == 7);
}

TEST_CASE("notify: a failed run says failed, with the first step failure as the message") {
  temp_dir dir;
  auto out = dir.path() / "event.json";
  tyf::store st{dir.path() / "store"};
  auto p = small_pipeline(true, "loss is \"NaN\"");
  auto r = st.run(p, tyf::store_options{}.observe(notifier("cat > " + quoted(out))));
  REQUIRE(r.status() == tyf::run_status::failed);
  auto lines = json_lines(out);
  REQUIRE(lines.size() == 1);
  REQUIRE(lines[0]["event"] == "run_finished");
  REQUIRE(lines[0]["run_id"] == r.run_id());
  REQUIRE(lines[0]["status"] == "failed");
  REQUIRE(lines[0]["message"] == "step 'train' failed: loss is \"NaN\"");
}

TEST_CASE("notify: the command sees the event in its environment too") {
  temp_dir dir;
  auto out = dir.path() / "env.txt";
  tyf::store st{dir.path() / "store"};
  auto p = small_pipeline(true);
  auto r = st.run(
      p, tyf::store_options{}.observe(notifier(
             "echo \"$TYPEFLOW_EVENT $TYPEFLOW_STATUS $TYPEFLOW_PIPELINE $TYPEFLOW_RUN_ID\" > " +
             quoted(out))));
  REQUIRE(read_file(out) == "run_finished failed notified " + r.run_id() + "\n");
}

TEST_CASE("notify: a notifier that exits 3 is counted and reported; the run still succeeds") {
  temp_dir dir;
  tyf::store st{dir.path() / "store"};
  auto p = small_pipeline(false);
  auto n = std::make_shared<tyf::command_notifier>("cat > /dev/null; exit 3");
  stderr_capture err{dir.path() / "stderr.txt"};
  auto r = st.run(p, tyf::store_options{}.base(tyf::run_options{}.observe(n)));
  const auto text = err.text();
  REQUIRE(r.ok());
  REQUIRE(r.observer_errors() == 0);
  REQUIRE(n->failures() == 1);
  REQUIRE(text ==
          "typeflow: notify command 'cat > /dev/null; exit 3' exited with 3 on run_finished\n");
  REQUIRE(st.show(r.run_id()).run.status == tyf::run_status::succeeded);
}

TEST_CASE("notify: a command that cannot be found fails like any other (sh exits 127)") {
  temp_dir dir;
  auto n = std::make_shared<tyf::command_notifier>("typeflow-no-such-command-here");
  stderr_capture err{dir.path() / "stderr.txt"};
  auto r = tyf::run(small_pipeline(false), tyf::run_options{}.observe(n));
  const auto text = err.text();
  REQUIRE(r.ok());
  REQUIRE(n->failures() == 1);
  REQUIRE_THAT(text, Catch::EndsWith(
                         "typeflow: notify command 'typeflow-no-such-command-here' exited with 127 "
                         "on run_finished\n"));
}

TEST_CASE("notify: a notifier that outlives its timeout is killed with what it started") {
  temp_dir dir;
  auto pid_file = dir.path() / "sleeper.pid";
  // The shell starts a sleeper and waits for it: both must go at the timeout.
  auto n = std::make_shared<tyf::command_notifier>(
      "sleep 60 & echo $! > " + quoted(pid_file) + "; wait", 3000ms);
  stderr_capture err{dir.path() / "stderr.txt"};
  auto r = tyf::run(small_pipeline(false), tyf::run_options{}.observe(n));
  const auto text = err.text();
  REQUIRE(r.ok());
  REQUIRE(n->failures() == 1);
  REQUIRE(text == "typeflow: notify command 'sleep 60 & echo $! > " + quoted(pid_file) +
                      "; wait' timed out after 3s (killed) on run_finished\n");
  // The sleeper got SIGKILL too (its process group): it is gone or a zombie (bounded wait for
  // the kernel to tear it down, not a timing assertion).
  const auto pid_text = read_file(pid_file);
  REQUIRE(!pid_text.empty());
  const auto stat = "/proc/" + std::to_string(std::stoi(pid_text)) + "/stat";
  bool dead = false;
  for (int i = 0; i < 500 && !dead; ++i) {
    const auto s = read_file(stat);
    const auto close = s.rfind(')');
    dead = s.empty() || (close != std::string::npos && close + 2 < s.size() && s[close + 2] == 'Z');
    if (!dead) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(dead);
}

TEST_CASE("notify: a notifier that never reads its stdin does not kill the process (SIGPIPE)") {
  temp_dir dir;
  // 300 kB of error text: more than a pipe holds, so the write meets a closed pipe.
  auto p = small_pipeline(true, std::string(300'000, 'x'));
  auto n = std::make_shared<tyf::command_notifier>("exit 0");
  auto r = tyf::run(p, tyf::run_options{}.observe(n));
  REQUIRE(r.status() == tyf::run_status::failed);
  REQUIRE(n->failures() == 0);
  // And one that reads it all gets all of it.
  auto out = dir.path() / "big.json";
  auto reader = std::make_shared<tyf::command_notifier>("cat > " + quoted(out));
  auto r2 = tyf::run(p, tyf::run_options{}.observe(reader));
  REQUIRE(r2.status() == tyf::run_status::failed);
  auto lines = json_lines(out);
  REQUIRE(lines.size() == 1);
  REQUIRE(lines[0]["message"].get<std::string>().size() == 300'000 + 21);
}

TEST_CASE("notify: a delayed parameter sends param_requested before the provider answers") {
  temp_dir dir;
  auto out = dir.path() / "events.jsonl";
  tyf::store st{dir.path() / "store"};
  tyf::pipeline p{"delayed"};
  auto threshold = p.param<double>("threshold", 0.1).delayed();
  p.step(
      "use", [](double t) { return t * 2; }, threshold);
  int asked = 0;
  auto opts = tyf::store_options{}
                  .base(tyf::run_options{}.param_provider([&](const tyf::param_info& info) {
                    ++asked;
                    REQUIRE(info.name == "threshold");
                    return std::string("0.5");
                  }))
                  .observe(notifier("cat >> " + quoted(out)));
  auto r = st.run(p, opts);
  REQUIRE(r.ok());
  REQUIRE(asked == 1);
  auto lines = json_lines(out);
  REQUIRE(lines.size() == 2);
  const auto& req = lines[0]["event"] == "param_requested" ? lines[0] : lines[1];
  const auto& fin = lines[0]["event"] == "param_requested" ? lines[1] : lines[0];
  REQUIRE(req["event"] == "param_requested");
  REQUIRE(req["run_id"] == r.run_id());
  REQUIRE(req["pipeline"] == "delayed");
  REQUIRE(req["param"] == "threshold");
  REQUIRE(std::regex_match(req["time"].get<std::string>(), iso_time));
  REQUIRE(req.size() == 5);
  REQUIRE(fin["event"] == "run_finished");
  REQUIRE(fin["status"] == "succeeded");
}

TEST_CASE("notify: store_options::observe takes several notifiers, which share nothing") {
  temp_dir dir;
  auto a = dir.path() / "a.json", b = dir.path() / "b.json";
  tyf::store st{dir.path() / "store"};
  auto p = small_pipeline(false);
  // base() after observe() keeps the observer: it replaces only the executor's own options.
  auto r = st.run(p, tyf::store_options{}
                         .observe(notifier("cat > " + quoted(a)))
                         .base(tyf::run_options{})
                         .observe(notifier("cat > " + quoted(b))));
  REQUIRE(r.ok());
  REQUIRE(json_lines(a).at(0)["run_id"] == r.run_id());
  REQUIRE(json_lines(b).at(0)["run_id"] == r.run_id());
}

TEST_CASE("notify: the run does not wait for a param_requested notifier to end") {
  // The notifier waits for a file that only the parameter provider creates: were it waited
  // for before the provider is asked, it would end only at its timeout, counted as a failure.
  temp_dir dir;
  auto flag = dir.path() / "answered";
  auto out = dir.path() / "events.jsonl";
  tyf::pipeline p{"delayed"};
  auto threshold = p.param<double>("threshold", 0.1).delayed();
  p.step(
      "use", [](double t) { return t * 2; }, threshold);
  auto n = std::make_shared<tyf::command_notifier>(
      "while [ ! -e " + quoted(flag) + " ]; do sleep 0.01; done; cat >> " + quoted(out), 20s);
  auto opts = tyf::run_options{}.observe(n).param_provider([&](const tyf::param_info&) {
    std::ofstream{flag} << "yes";
    return std::string("0.5");
  });
  auto r = tyf::run(p, opts);
  REQUIRE(r.ok());
  REQUIRE(n->failures() == 0);
  auto lines = json_lines(out);
  REQUIRE(lines.size() == 2);
  REQUIRE((lines[0]["event"] == "param_requested" || lines[1]["event"] == "param_requested"));
}

TEST_CASE("notify: runs sharing one notifier each get their own run_finished") {
  temp_dir dir;
  auto out = dir.path() / "events.jsonl";
  auto n = std::make_shared<tyf::command_notifier>("cat >> " + quoted(out));
  auto ok = small_pipeline(false);
  auto bad = small_pipeline(true, "bad luck");
  std::optional<tyf::run_result> r1, r2;
  std::thread t1([&] { r1.emplace(tyf::run(ok, tyf::run_options{}.observe(n))); });
  std::thread t2([&] { r2.emplace(tyf::run(bad, tyf::run_options{}.observe(n))); });
  t1.join();
  t2.join();
  REQUIRE(n->failures() == 0);
  auto lines = json_lines(out);
  REQUIRE(lines.size() == 2);
  for (const auto& j : lines) {
    if (j["run_id"] == r1->run_id()) {
      REQUIRE(j["status"] == "succeeded");
      REQUIRE(j["message"] == "");
    } else {
      REQUIRE(j["run_id"] == r2->run_id());
      REQUIRE(j["status"] == "failed");
      REQUIRE(j["message"] == "step 'train' failed: bad luck");
    }
  }
}
