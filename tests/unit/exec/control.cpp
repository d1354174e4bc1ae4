// Conditions, first_of, skip_if, quality gates, finally handlers and map fan-out, run for
// real on threads and sequentially.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support.hpp"

namespace tyf = typeflow;
using namespace std::chrono_literals;

namespace {
struct Scores {
  double accuracy;
};
}  // namespace
// Codecs: a step's output is stored by default, so its type needs one.
BOOST_HANA_ADAPT_STRUCT(Scores, accuracy);
namespace {

/// A scored model, exported or not depending on a threshold parameter.
struct gated {
  tyf::pipeline p{"gated"};
  tyf::param<double> threshold = p.param<double>("threshold", 0.8);
  tyf::handle<Scores> score = p.step("evaluate", [] { return Scores{0.83}; });
  tyf::branch good = p.when(score, [](const Scores& s) { return s.accuracy >= 0.83; });
  tyf::handle<tyf::maybe<std::string>> exported = good.step(
      "export", [](const Scores& s) { return "model@" + std::to_string(s.accuracy); }, score);
  tyf::handle<tyf::maybe<std::string>> reported = good.otherwise().step(
      "report", [](const Scores&) { return std::string("too weak"); }, score);
  tyf::handle<std::string> chosen = p.first_of(exported, reported);
  tyf::handle<bool> saw_export = p.step(
      "notify", [](std::optional<std::string> path) { return path.has_value(); }, exported);
};
}  // namespace

TEST_CASE("a condition runs its branch; otherwise-steps are skipped with the reason") {
  for (bool seq : {false, true}) {
    gated g;
    auto r = seq ? tyf::run(g.p, tyf::sequential) : tyf::run(g.p);
    REQUIRE(r.ok());
    REQUIRE(r.step("export").status == tyf::step_status::succeeded);
    REQUIRE(r.step("report").status == tyf::step_status::skipped);
    REQUIRE(r.step("report").message == "condition 'when-1' is true");
    REQUIRE(r.get(g.chosen).rfind("model@0.83", 0) == 0);
    REQUIRE(r.get(g.saw_export));
  }
}

TEST_CASE("a skipped branch output reaches optional consumers as nullopt") {
  tyf::pipeline p{"absent"};
  auto score = p.step("evaluate", [] { return Scores{0.5}; });
  auto good = p.when(score, [](const Scores& s) { return s.accuracy >= 0.83; });
  auto exported = good.step(
      "export", [](const Scores&) { return std::string("path"); }, score);
  auto inside = good.step(
      "sign", [](const std::string& path) { return path + ".sig"; }, exported);
  auto weak = good.otherwise().step(
      "report", [](const Scores& s) { return s.accuracy; }, score);
  auto notify = p.step(
      "notify",
      [](std::optional<std::string> path, std::optional<double> acc) {
        return (path ? *path : std::string("none")) + "/" + (acc ? std::to_string(*acc) : "-");
      },
      exported, weak);
  auto chosen = p.first_of(exported, inside);
  auto r = tyf::run(p);
  REQUIRE(r.status() == tyf::run_status::failed);  // first_of: neither branch output exists
  REQUIRE(r.step("export").status == tyf::step_status::skipped);
  REQUIRE(r.step("export").message == "condition 'when-1' is false");
  REQUIRE(r.step("sign").status == tyf::step_status::skipped);
  REQUIRE(r.get(notify) == "none/0.500000");
  REQUIRE_THAT(r.step(chosen).message,
               Catch::Equals("neither 'export' nor 'sign' produced a value"));
}

TEST_CASE("a failure inside a branch is not absence: optional consumers are skipped too") {
  tyf::pipeline p{"branch_failure"};
  auto score = p.step("evaluate", [] { return Scores{0.9}; });
  auto good = p.when(score, [](const Scores& s) { return s.accuracy >= 0.83; });
  auto exported = good.step(
      "export", [](const Scores&) -> std::string { throw std::runtime_error("disk"); }, score);
  p.step(
      "notify", [](std::optional<std::string>) { return 1; }, exported);
  auto r = tyf::run(p);
  REQUIRE(r.step("export").status == tyf::step_status::failed);
  REQUIRE(r.step("notify").status == tyf::step_status::skipped);
  REQUIRE(r.step("notify").message == "upstream step 'export' failed");
}

TEST_CASE("skip_if over a parameter skips a step and its dependents") {
  for (const char* dry : {"true", "false"}) {
    tyf::pipeline p{"skip_if"};
    auto dry_run = p.param<bool>("dry-run", false);
    auto model = p.step("train", [] { return 3; });
    auto upload = p.step(
                       "upload", [](int m) { return m * 2; }, model)
                      .skip_if([](bool d) { return d; }, dry_run)
                      .keep();
    p.step(
        "announce", [](int) {}, upload);
    auto r = tyf::run(p, tyf::run_options{}.set("dry-run", dry));
    REQUIRE(r.ok());
    if (std::string(dry) == "true") {
      REQUIRE(r.step("upload").status == tyf::step_status::skipped);
      REQUIRE(r.step("upload").message == "skip_if held on 'dry-run'");
      REQUIRE(r.step("announce").status == tyf::step_status::skipped);
    } else {
      REQUIRE(r.get(upload) == 6);
    }
  }
  tyf::pipeline q{"late"};
  auto a = q.step("a", [] { return 1; });
  auto later = q.step("b", [] { return true; });
  REQUIRE_THROWS_WITH(a.skip_if([](bool x) { return x; }, later),
                      Catch::Contains("'b' is not declared before this step"));
}

TEST_CASE("a quality gate fails the run, or only skips its downstream") {
  for (auto mode : {tyf::gate::fail_run, tyf::gate::skip_downstream}) {
    tyf::pipeline p{"gate"};
    auto score = p.step("evaluate", [] { return Scores{0.7}; });
    auto gate = p.require(
        score, [](const Scores& s) { return s.accuracy >= 0.8; }, "accuracy >= 0.8", mode);
    p.step("deploy", [] {}).after(gate);
    auto side = p.step(
        "archive", [](const Scores& s) { return s.accuracy; }, score);
    auto r = tyf::run(p);
    REQUIRE(r.get(side) == 0.7);
    REQUIRE(r.step("deploy").status == tyf::step_status::skipped);
    if (mode == tyf::gate::fail_run) {
      REQUIRE(r.status() == tyf::run_status::failed);
      REQUIRE(r.step("require-1").status == tyf::step_status::failed);
      REQUIRE(r.step("require-1").message == "quality gate failed: accuracy >= 0.8");
    } else {
      REQUIRE(r.ok());
      REQUIRE(r.step("require-1").status == tyf::step_status::skipped);
      REQUIRE(r.step("require-1").message == "quality gate not met: accuracy >= 0.8");
    }
  }
}

TEST_CASE("a named gate and a named condition run and are recorded under their names") {
  tyf::pipeline p{"named"};
  auto score = p.step("evaluate", [] { return Scores{0.7}; });
  auto good = p.when("good-enough", score, [](const Scores& s) { return s.accuracy >= 0.83; });
  good.step(
      "export", [](const Scores& s) { return s.accuracy; }, score);
  REQUIRE(good.condition() == "good-enough");
  auto gate = p.require(
      "accuracy-gate", score, [](const Scores& s) { return s.accuracy >= 0.8; }, "accuracy >= 0.8");
  p.step("deploy", [] {}).after(gate);
  // Unnamed ones keep their default names, numbered as before.
  p.require(
      score, [](const Scores&) { return true; }, "always");
  p.when(score, [](const Scores&) { return true; }).step("log", [] {});
  auto r = tyf::run(p);
  REQUIRE(r.status() == tyf::run_status::failed);
  REQUIRE(r.step("good-enough").status == tyf::step_status::succeeded);
  REQUIRE(r.step("export").message == "condition 'good-enough' is false");
  REQUIRE(r.step("accuracy-gate").status == tyf::step_status::failed);
  REQUIRE(r.step("accuracy-gate").message == "quality gate failed: accuracy >= 0.8");
  REQUIRE(r.step("deploy").message == "upstream step 'accuracy-gate' failed");
  REQUIRE(r.step("require-1").status == tyf::step_status::succeeded);
  REQUIRE(r.step("when-1").status == tyf::step_status::succeeded);
}

TEST_CASE("finally runs after everything, whatever happened, with the outcome") {
  for (bool stop : {false, true}) {
    tyf::pipeline p{"finally"};
    std::atomic<bool> started{false};
    tyf::run_outcome seen;
    std::atomic<int> calls{0};
    std::atomic<bool> boom_ran{false};
    p.step("boom", [&]() -> int {
      boom_ran = true;
      throw std::runtime_error("bad");
    });
    p.step("slow", [&](tyf::context& ctx) {
      started = true;
      while (stop && !ctx.stop_requested()) std::this_thread::sleep_for(1ms);
    });
    p.finally("notify", [&](const tyf::run_outcome& o) {
      seen = o;
      ++calls;
      throw std::runtime_error("mail server down");  // recorded, never changes the status
    });
    auto h = tyf::run_async(p);
    while (!started || !boom_ran) std::this_thread::sleep_for(1ms);
    if (stop) h.stop();
    auto r = h.wait();
    REQUIRE(calls == 1);
    REQUIRE(seen.status == (stop ? tyf::run_status::stopped : tyf::run_status::failed));
    REQUIRE(r.status() == seen.status);
    REQUIRE(seen.failed_steps == std::vector<std::string>{"boom"});
    REQUIRE(seen.run_id == r.run_id());
    REQUIRE(r.step("notify").status == tyf::step_status::failed);
    REQUIRE(r.step("notify").message == "mail server down");
  }
}

TEST_CASE("map runs one instance per element, in parallel, results in input order") {
  for (bool seq : {false, true}) {
    tyf::pipeline p{"sweep"};
    auto configs = p.constant("configs", std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5});
    auto epochs = p.param<int>("epochs", 3);
    std::atomic<int> running{0}, peak{0};
    auto trained = p.map(
        "train",
        [&](double lr, int e, tyf::context& ctx) {
          int now = ++running;
          int prev = peak.load();
          while (now > prev && !peak.compare_exchange_weak(prev, now)) {
          }
          ctx.log_metric("lr", lr);
          // In parallel, an element waits (up to 5 s) to have company, so that a loaded machine
          // whose other workers start late still shows two at once; the sequential run waits the
          // full 5 ms only.
          const auto until = std::chrono::steady_clock::now() + (seq ? 5ms : 5s);
          do {
            std::this_thread::sleep_for(1ms);
          } while (!seq && peak.load() < 2 && std::chrono::steady_clock::now() < until);
          --running;
          return lr * e;
        },
        configs, epochs);
    auto best = p.step(
        "best", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); },
        trained);
    tyf::test::recorder rec;
    auto r = seq ? tyf::run(p, tyf::sequential, tyf::run_options{}.observe(rec).keep(trained))
                 : tyf::run(p, tyf::run_options{}.threads(4).observe(rec).keep(trained));
    REQUIRE(r.ok());
    REQUIRE(r.get(trained) == std::vector<double>{0.1 * 3, 0.2 * 3, 0.3 * 3, 0.4 * 3, 0.5 * 3});
    REQUIRE(r.get(best) == Approx(1.5));
    REQUIRE(rec.count(tyf::event_kind::step_succeeded, "train[3]") == 1);
    REQUIRE(r.step("train[4]").status == tyf::step_status::succeeded);
    REQUIRE(r.metrics().size() == 5);
    if (seq) {
      REQUIRE(peak == 1);
    } else {
      REQUIRE(peak > 1);
    }
  }
}

TEST_CASE("a map element retries on its own; a failed element fails the map") {
  tyf::pipeline p{"map_fail"};
  auto items = p.constant("items", std::vector<int>{1, 2, 3, 4});
  std::atomic<int> flaky_calls{0};
  auto out = p.map(
                  "work",
                  [&](int x) {
                    if (x == 2 && ++flaky_calls < 2) throw std::runtime_error("blip");
                    if (x == 4) throw std::runtime_error("bad item 4");
                    return x * 10;
                  },
                  items)
                 .retry(1);
  p.step(
      "use", [](const std::vector<int>&) {}, out);
  auto r = tyf::run(p);
  REQUIRE(r.status() == tyf::run_status::failed);
  REQUIRE(r.step("work[1]").attempts == 2);
  REQUIRE(r.step("work[1]").status == tyf::step_status::succeeded);
  REQUIRE(r.step("work[3]").status == tyf::step_status::failed);
  REQUIRE(r.step("work").status == tyf::step_status::failed);
  REQUIRE(r.step("work").message == "1 of 4 elements failed; first work[3]: bad item 4");
  REQUIRE(r.step("use").status == tyf::step_status::skipped);
}

TEST_CASE("allow_partial yields the successful results with their indices") {
  tyf::pipeline p{"partial"};
  auto items = p.constant("items", std::vector<int>{1, 2, 3});
  auto out = p.map(
                  "work",
                  [](int x) {
                    if (x == 2) throw std::runtime_error("no");
                    return x * 10;
                  },
                  items)
                 .allow_partial();
  auto r = tyf::run(p);
  REQUIRE(r.ok());
  using pairs = std::vector<std::pair<std::size_t, int>>;
  REQUIRE(r.get(out) == pairs{{0, 10}, {2, 30}});
  REQUIRE(r.step("work[1]").status == tyf::step_status::failed);
}

TEST_CASE("map over an empty vector, and over a grid of hyperparameters") {
  tyf::pipeline p{"grid"};
  auto none = p.constant("none", std::vector<int>{});
  auto empty = p.map(
      "nothing", [](int x) { return x; }, none);
  auto sweep =
      p.constant("sweep", tyf::grid(std::vector<double>{0.01, 0.1}, std::vector<int>{16, 32, 64}));
  auto scores = p.map(
      "fit", [](std::tuple<double, int> c) { return std::get<0>(c) * std::get<1>(c); }, sweep);
  auto r = tyf::run(p);
  REQUIRE(r.ok());
  REQUIRE(r.get(empty).empty());
  REQUIRE(r.get(scores) ==
          std::vector<double>{0.01 * 16, 0.01 * 32, 0.01 * 64, 0.1 * 16, 0.1 * 32, 0.1 * 64});
}

TEST_CASE("map elements move out of a vector read only by the map") {
  tyf::test::counts c;
  tyf::pipeline p{"map_move"};
  auto items = p.step(tyf::in_memory, "items", [&c] {
    std::vector<tyf::test::counted> v;
    v.reserve(3);
    for (int i = 0; i < 3; ++i) v.emplace_back(c, i);
    return v;
  });
  auto out = p.map(
      "take", [](tyf::test::counted x) { return x.value; }, items);
  auto r = tyf::run(p);
  REQUIRE(r.get(out) == std::vector<int>{0, 1, 2});
  REQUIRE(c.copies == 0);
}

TEST_CASE("stopping a run cancels map elements that have not started") {
  tyf::pipeline p{"map_stop"};
  auto items = p.constant("items", std::vector<int>(50, 1));
  std::atomic<int> started{0};
  p.map(
      "slow",
      [&](int x, tyf::context& ctx) {
        ++started;
        while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
        return x;
      },
      items);
  auto h = tyf::run_async(p, tyf::run_options{}.threads(2));
  while (started < 2) std::this_thread::sleep_for(1ms);
  h.stop();
  auto r = h.wait();
  REQUIRE(r.status() == tyf::run_status::stopped);
  REQUIRE(r.step("slow").status == tyf::step_status::cancelled);
  REQUIRE(r.step("slow[49]").status == tyf::step_status::cancelled);
  REQUIRE(r.steps(tyf::step_status::cancelled).size() ==
          1 + 50 - static_cast<std::size_t>(started));
}
