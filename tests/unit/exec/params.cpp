#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support.hpp"

namespace tyf = typeflow;
using namespace std::chrono_literals;

namespace {
struct env_var {
  std::string name;
  env_var(std::string n, const char* value) : name(std::move(n)) {
    ::setenv(name.c_str(), value, 1);
  }
  env_var(const env_var&) = delete;
  env_var& operator=(const env_var&) = delete;
  ~env_var() { ::unsetenv(name.c_str()); }
};

/// A pipeline whose steps count their runs, to prove that nothing ran.
struct counted_run {
  tyf::pipeline p{"train"};
  std::atomic<int> runs{0};
  tyf::param<double> lr = p.param<double>("lr", 0.1).range(0.0, 1.0);
  tyf::param<int> epochs = p.param<int>("epochs", 3);
  tyf::param<std::string> data = p.param<std::string>("data");
  tyf::handle<std::string> fit = p.step(
      "fit",
      [this](double l, int e, const std::string& d) {
        ++runs;
        return d + ":" + std::to_string(e) + "@" + std::to_string(l).substr(0, 4);
      },
      lr, epochs, data);
};

/// Waits (boundedly) until `flag` is set.
void wait_for(const std::atomic<bool>& flag) {
  for (int i = 0; i < 5000 && !flag.load(); ++i) std::this_thread::sleep_for(1ms);
}
}  // namespace

TEST_CASE("a run takes its parameters from every source and reports the values used") {
  counted_run c;
  auto file = (std::filesystem::temp_directory_path() /
               ("typeflow-exec-params-" + std::to_string(::getpid()) + ".json"))
                  .string();
  std::ofstream(file) << R"({"lr": 0.2, "epochs": 5, "data": "file"})";
  env_var epochs("TYPEFLOW_PARAM_EPOCHS", "7");
  auto r = tyf::run(c.p, tyf::run_options{}.params_file(file).set("data", "cli"));
  std::filesystem::remove(file);
  REQUIRE(r.ok());
  REQUIRE(r.get(c.fit) == "cli:7@0.20");
  REQUIRE(r.params() ==
          std::map<std::string, std::string>{{"data", "cli"}, {"epochs", "7"}, {"lr", "0.2"}});
}

TEST_CASE("bad parameter input stops the run before anything runs or is recorded") {
  counted_run c;
  tyf::test::recorder events;
  auto refused = [&](tyf::run_options opts) {
    opts.observe(events);
    return [&c, opts] { (void)tyf::run(c.p, opts); };
  };
  REQUIRE_THROWS_MATCHES(refused(tyf::run_options{})(), tyf::run_error,
                         Catch::Message("typeflow: parameter 'data' (std::string) is required and "
                                        "has no value; give it one with run_options::set, a params "
                                        "file or the environment variable TYPEFLOW_PARAM_DATA"));
  REQUIRE_THROWS_WITH(refused(tyf::run_options{}.set("data", "d").set("epoch", "2"))(),
                      "typeflow: unknown parameter 'epoch' in pipeline 'train' (set to '2' by "
                      "run_options::set); did you mean 'epochs'?");
  REQUIRE_THROWS_WITH(refused(tyf::run_options{}.set("data", "d").set("epochs", "two"))(),
                      "typeflow: parameter 'epochs' (int) got 'two', expected an integer from "
                      "-2147483648 to 2147483647 (set by run_options::set)");
  REQUIRE_THROWS_WITH(refused(tyf::run_options{}.set("data", "d").set("lr", "-1"))(),
                      "typeflow: parameter 'lr' (double) got '-1', expected a value from 0 to 1 "
                      "(set by run_options::set)");
  REQUIRE_THROWS_WITH(refused(tyf::run_options{}.set("data", "d").params_file("/no/such.json"))(),
                      "typeflow: params file '/no/such.json' cannot be read: it does not exist");
  {
    env_var lr("TYPEFLOW_PARAM_LR", "big");
    REQUIRE_THROWS_WITH(
        refused(tyf::run_options{}.set("data", "d"))(),
        "typeflow: parameter 'lr' (double) got 'big', expected a finite number (set by "
        "environment variable TYPEFLOW_PARAM_LR)");
  }
  REQUIRE_THROWS_WITH(tyf::run_async(c.p, tyf::run_options{}.set("lr", "2").set("data", "d")),
                      "typeflow: parameter 'lr' (double) got '2', expected a value from 0 to 1 "
                      "(set by run_options::set)");
  REQUIRE_THROWS_WITH(tyf::run(c.p, tyf::sequential, tyf::run_options{}.set("lr", "2")),
                      "typeflow: parameter 'lr' (double) got '2', expected a value from 0 to 1 "
                      "(set by run_options::set)");
  REQUIRE(c.runs == 0);
  REQUIRE(events.entries().empty());  // not even run_started
  // The pipeline is not left locked by a refused run.
  auto more = c.p.param<int>("more", 1);
  (void)more;
}

namespace {
/// Two steps read a delayed parameter; one of them waits on a slow step; another step is
/// independent of it all.
struct delayed_pipeline {
  tyf::pipeline p{"delayed"};
  std::atomic<bool> independent_done{false};
  std::atomic<bool> slow_done{false};
  tyf::param<double> threshold =
      p.param<double>("threshold", 0.1).describe("decision threshold").range(0.0, 1.0).delayed();
  tyf::handle<int> slow = p.step("slow", [this] {
    wait_for(independent_done);  // so that the parameter cannot be due before it
    std::this_thread::sleep_for(5ms);
    slow_done = true;
    return 1;
  });
  tyf::handle<int> independent = p.step("independent", [this] {
    std::this_thread::sleep_for(5ms);
    independent_done = true;
    return 2;
  });
  tyf::handle<double> use1 = p.step(
      "use1", [](int x, double t) { return x * t; }, slow, threshold);
  tyf::handle<double> use2 = p.step(
      "use2", [](int x, double t) { return x + t; }, slow, threshold);
};
}  // namespace

TEST_CASE("a delayed parameter is asked for once, when the first step that needs it is ready") {
  delayed_pipeline d;
  std::atomic<int> calls{0};
  std::atomic<bool> independent_before{false}, slow_before{false};
  tyf::param_info seen;
  tyf::test::recorder events;
  auto opts = tyf::run_options{}.threads(4).observe(events).param_provider(
      [&](const tyf::param_info& info) {
        ++calls;
        independent_before = d.independent_done.load();
        slow_before = d.slow_done.load();
        seen = info;
        return std::string("0.5");
      });
  auto r = tyf::run(d.p, opts);
  REQUIRE(r.ok());
  REQUIRE(calls == 1);
  REQUIRE(independent_before);
  REQUIRE(slow_before);
  REQUIRE(r.get(d.use1) == 0.5);
  REQUIRE(r.get(d.use2) == 1.5);
  REQUIRE(seen.name == "threshold");
  REQUIRE(seen.type == "double");
  REQUIRE(seen.default_value == "0.1");
  REQUIRE(seen.description == "decision threshold");
  REQUIRE(seen.constraints == "a value from 0 to 1");
  REQUIRE(seen.delayed);
  REQUIRE(events.count(tyf::event_kind::param_requested, "threshold") == 1);
  REQUIRE(tyf::to_string(tyf::event_kind::param_requested) == "param_requested");
  REQUIRE(r.params() == std::map<std::string, std::string>{{"threshold", "0.5"}});
}

TEST_CASE("a delayed parameter given a value by a source is not asked for") {
  delayed_pipeline d;
  bool asked = false;
  auto provider = [&](const tyf::param_info&) {
    asked = true;
    return std::string("0.9");
  };
  auto r = tyf::run(d.p, tyf::run_options{}.set("threshold", "0.25").param_provider(provider));
  REQUIRE(r.ok());
  REQUIRE_FALSE(asked);
  REQUIRE(r.get(d.use1) == 0.25);
  REQUIRE(r.params().at("threshold") == "0.25");
}

TEST_CASE("a delayed parameter without a value skips the steps that need it, with the reason") {
  auto check = [](tyf::run_options opts, const std::string& reason) {
    delayed_pipeline d;
    auto r = tyf::run(d.p, opts.threads(2));
    REQUIRE(r.status() == tyf::run_status::failed);
    REQUIRE(r.step("independent").status == tyf::step_status::succeeded);
    REQUIRE(r.step("slow").status == tyf::step_status::succeeded);
    for (const char* use : {"use1", "use2"}) {
      REQUIRE(r.step(use).status == tyf::step_status::skipped);
      REQUIRE(r.step(use).message == reason);
    }
    REQUIRE(r.params().empty());
  };
  check(tyf::run_options{}.param_provider(
            [](const tyf::param_info&) -> std::string { throw std::runtime_error("no terminal"); }),
        "parameter 'threshold' has no value: the parameter provider failed: no terminal");
  check(tyf::run_options{}.param_provider([](const tyf::param_info&) { return std::string("2"); }),
        "parameter 'threshold' has no value: parameter 'threshold' (double) got '2', expected a "
        "value from 0 to 1 (set by the parameter provider)");
  check(tyf::run_options{}.param_provider([](const tyf::param_info&) { return std::string("x"); }),
        "parameter 'threshold' has no value: parameter 'threshold' (double) got 'x', expected a "
        "finite "
        "number (set by the parameter provider)");
  check(tyf::run_options{},
        "parameter 'threshold' has no value: it is delayed and no source gave it a value, but "
        "the run has no parameter provider (run_options::param_provider)");
}

TEST_CASE("a delayed parameter is not asked for when no step that needs it can run") {
  tyf::pipeline p{"blocked"};
  auto t = p.param<int>("t").delayed();
  auto boom = p.step("boom", []() -> int { throw std::runtime_error("boom"); });
  auto use = p.step(
      "use", [](int x, int y) { return x + y; }, boom, t);
  auto other = p.step("other", [] { return 3; });
  (void)use, (void)other;
  bool asked = false;
  for (bool sequential : {false, true}) {
    auto opts = tyf::run_options{}.param_provider([&](const tyf::param_info&) {
      asked = true;
      return std::string("1");
    });
    auto r = sequential ? tyf::run(p, tyf::sequential, opts) : tyf::run(p, opts);
    REQUIRE(r.status() == tyf::run_status::failed);
    REQUIRE_FALSE(asked);
    REQUIRE(r.step("use").status == tyf::step_status::skipped);
    REQUIRE(r.step("use").message == "upstream step 'boom' failed");
    REQUIRE(r.step("other").status == tyf::step_status::succeeded);
  }
}

TEST_CASE("sequential runs ask for a delayed parameter just before the step that needs it") {
  tyf::pipeline p{"order"};
  std::vector<std::string> log;
  auto t = p.param<std::string>("who").delayed();
  auto a = p.step("a", [&] {
    log.push_back("a");
    return 1;
  });
  auto b = p.step("b", [&] { log.push_back("b"); });
  auto greet = p.step(
      "greet", [&](int, const std::string& w) { log.push_back("greet " + w); }, a, t);
  auto again = p.step(
      "again", [&](const std::string& w) { log.push_back("again " + w); }, t);
  auto c = p.step("c", [&] { log.push_back("c"); });
  (void)b, (void)greet, (void)again, (void)c;
  int calls = 0;
  auto r =
      tyf::run(p, tyf::sequential, tyf::run_options{}.param_provider([&](const tyf::param_info&) {
        ++calls;
        log.push_back("ask");
        return std::string("world");
      }));
  REQUIRE(r.ok());
  REQUIRE(calls == 1);
  REQUIRE(log == std::vector<std::string>{"a", "b", "ask", "greet world", "again world", "c"});
}

TEST_CASE("a step reading only delayed parameters asks for them at the start, in parallel") {
  tyf::pipeline p{"roots"};
  auto x = p.param<int>("x").delayed();
  auto y = p.param<int>("y", 1).delayed();
  auto sum = p.step(
      "sum", [](int a, int b) { return a + b; }, x, y);
  std::mutex m;
  std::vector<std::string> asked;
  auto r = tyf::run(p, tyf::run_options{}.threads(3).param_provider([&](const tyf::param_info& i) {
    std::lock_guard lock(m);
    asked.push_back(i.name);
    return std::string(i.name == "x" ? "40" : "2");
  }));
  REQUIRE(r.ok());
  REQUIRE(r.get(sum) == 42);
  REQUIRE(asked.size() == 2);
  REQUIRE(r.params() == std::map<std::string, std::string>{{"x", "40"}, {"y", "2"}});
}
