// Per-step policies: retry with backoff (optionally by exception type), timeout through the
// stop token, counted resources, and the run-wide failure policy.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "../support.hpp"

namespace tyf = typeflow;
using namespace std::chrono_literals;

namespace {
struct transient : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace

TEST_CASE("retry re-runs a failing step with exponential backoff until it succeeds") {
  for (bool seq : {false, true}) {
    tyf::pipeline p{"retry"};
    std::atomic<int> calls{0};
    std::vector<std::chrono::steady_clock::time_point> at;
    std::mutex m;
    auto flaky = p.step("flaky", [&](tyf::context& ctx) {
                    {
                      std::lock_guard lock(m);
                      at.push_back(std::chrono::steady_clock::now());
                    }
                    if (++calls < 3) throw transient("try " + std::to_string(ctx.attempt()));
                    return ctx.attempt();
                  }).retry(3, 20ms, 2.0);
    tyf::test::recorder rec;
    auto r = seq ? tyf::run(p, tyf::sequential, tyf::run_options{}.observe(rec))
                 : tyf::run(p, tyf::run_options{}.observe(rec));
    REQUIRE(r.ok());
    REQUIRE(r.get(flaky) == 3u);
    REQUIRE(r.step("flaky").attempts == 3);
    REQUIRE(r.step("flaky").message == "try 2");  // the last error is kept
    REQUIRE(rec.count(tyf::event_kind::step_retried, "flaky") == 2);
    REQUIRE(rec.count(tyf::event_kind::step_started, "flaky") == 3);
    REQUIRE(at.size() == 3);
    CHECK(at[1] - at[0] >= 20ms);
    CHECK(at[2] - at[1] >= 40ms);  // backoff doubles
  }
}

TEST_CASE("a step that keeps failing fails after its retries with the last error") {
  tyf::pipeline p{"retry_out"};
  std::atomic<int> calls{0};
  p.step("bad", [&]() -> int {
     throw std::runtime_error("attempt " + std::to_string(++calls));
   }).retry(2);
  auto r = tyf::run(p);
  REQUIRE(r.status() == tyf::run_status::failed);
  REQUIRE(calls == 3);
  REQUIRE(r.step("bad").attempts == 3);
  REQUIRE(r.step("bad").message == "attempt 3");
}

TEST_CASE("retry_on retries only the named exception types") {
  tyf::pipeline p{"retry_on"};
  std::atomic<int> a{0}, b{0};
  p.step("transient", [&]() -> int {
     if (++a < 2) throw transient("blip");
     return 1;
   }).retry_on<transient>(3);
  p.step("logic", [&]() -> int {
     ++b;
     throw std::logic_error("bug");
   }).retry_on<transient>(3);
  auto r = tyf::run(p);
  REQUIRE(r.step("transient").status == tyf::step_status::succeeded);
  REQUIRE(a == 2);
  REQUIRE(r.step("logic").status == tyf::step_status::failed);
  REQUIRE(b == 1);  // not retried
}

TEST_CASE("retried steps get their inputs intact on every attempt") {
  tyf::test::counts c;
  tyf::pipeline p{"retry_inputs"};
  auto src = p.step(tyf::in_memory, "src", [&c] { return tyf::test::counted{c, 5}; });
  std::atomic<int> calls{0};
  auto use = p.step(
                  "use",
                  [&](tyf::test::counted x) {
                    if (++calls == 1) throw std::runtime_error("first");
                    return x.value;
                  },
                  src)
                 .retry(1);
  auto r = tyf::run(p);
  REQUIRE(r.get(use) == 5);
}

TEST_CASE("run options give default retries and timeouts to steps without their own") {
  tyf::pipeline p{"defaults"};
  std::atomic<int> calls{0};
  p.step("flaky", [&]() -> int {
    if (++calls < 2) throw std::runtime_error("x");
    return 1;
  });
  p.step("own", [&]() -> int { throw std::runtime_error("no retry"); }).retry(0);
  auto r = tyf::run(p, tyf::run_options{}.default_retry(2));
  REQUIRE(r.step("flaky").status == tyf::step_status::succeeded);
  REQUIRE(r.step("own").attempts == 1);
}

TEST_CASE("a timeout triggers the step's stop token; the step ends timed_out") {
  tyf::pipeline p{"timeout"};
  auto slow = p.step("slow", [](tyf::context& ctx) {
                 auto start = std::chrono::steady_clock::now();
                 while (!ctx.stop_requested()) {
                   if (std::chrono::steady_clock::now() - start > 10s)
                     return -1;  // never, if timeouts work
                   std::this_thread::sleep_for(1ms);
                 }
                 return 0;
               }).timeout(50ms);
  auto after = p.step(
      "after", [](int x) { return x; }, slow);
  auto side = p.step("side", [] { return 7; });
  auto start = std::chrono::steady_clock::now();
  auto r = tyf::run(p);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r.status() == tyf::run_status::failed);
  REQUIRE(r.step("slow").status == tyf::step_status::timed_out);
  REQUIRE(r.step("slow").message == "timed out after 50ms");
  REQUIRE(r.step("after").status == tyf::step_status::skipped);
  REQUIRE(r.step("after").message == "upstream step 'slow' timed out");
  REQUIRE(r.get(side) == 7);
  CHECK(took < 5s);
  (void)after;
}

TEST_CASE("a timed-out step can be retried") {
  tyf::pipeline p{"timeout_retry"};
  std::atomic<int> calls{0};
  auto s = p.step("s",
                  [&](tyf::context& ctx) {
                    if (++calls == 1) {
                      while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
                    }
                    return calls.load();
                  })
               .timeout(500ms)
               .retry(1);  // long enough that the quick second attempt never times out
  auto r = tyf::run(p);
  REQUIRE(r.ok());
  REQUIRE(r.get(s) == 2);
  REQUIRE(r.step("s").attempts == 2);
}

TEST_CASE("steps never hold more of a resource than the run's capacity") {
  tyf::pipeline p{"resources"};
  std::atomic<int> gpus_in_use{0}, peak{0};
  for (int i = 0; i < 8; ++i) {
    p.step("train" + std::to_string(i), [&] {
       int now = ++gpus_in_use;
       int prev = peak.load();
       while (now > prev && !peak.compare_exchange_weak(prev, now)) {
       }
       std::this_thread::sleep_for(5ms);
       --gpus_in_use;
     }).resources({{"gpu", 1}});
  }
  auto r = tyf::run(p, tyf::run_options{}.threads(4).capacity("gpu", 2));
  REQUIRE(r.ok());
  REQUIRE(peak <= 2);
  REQUIRE(peak >= 1);

  peak = 0;
  auto one = tyf::run(p, tyf::run_options{}.threads(4).capacity("gpu", 1));
  REQUIRE(one.ok());
  REQUIRE(peak == 1);
}

TEST_CASE("asking for more than the capacity, or an unknown resource, fails before the run") {
  tyf::pipeline p{"too_big"};
  bool ran = false;
  p.step("big", [&] { ran = true; }).resources({{"gpu", 2}, {"mem_gb", 8}});
  REQUIRE_THROWS_WITH(tyf::run(p, tyf::run_options{}.capacity("gpu", 1).capacity("mem_gb", 64)),
                      Catch::Contains("step 'big' asks for 2 of resource 'gpu' but the run's "
                                      "capacity is 1"));
  REQUIRE_THROWS_WITH(tyf::run(p, tyf::run_options{}.capacity("gpu", 2)),
                      Catch::Contains("resource 'mem_gb', which the run has no capacity for"));
  REQUIRE_FALSE(ran);
  REQUIRE_THROWS_WITH(tyf::run_options{}.capacity("gpu", -1), Catch::Contains("must be >= 0"));
}

TEST_CASE("fail_fast stops everything at the first failure; continue lets branches finish") {
  auto build = [](tyf::pipeline& p, std::atomic<int>& finished) {
    // The highest cost makes "boom" the most urgent ready step, so it runs first on one of the
    // two threads whatever the scheduler's order among equals; without it, the slow chains (two
    // steps long) outrank it and may all finish before it fails.
    p.step("boom", []() -> int { throw std::runtime_error("boom"); }).cost(1000);
    for (int i = 0; i < 4; ++i) {
      auto slow = p.step("slow" + std::to_string(i), [&](tyf::context& ctx) {
        for (int k = 0; k < 100 && !ctx.stop_requested(); ++k) std::this_thread::sleep_for(1ms);
        return 1;
      });
      p.step(
          "next" + std::to_string(i), [&](int) { ++finished; }, slow);
    }
  };
  std::atomic<int> finished{0};
  tyf::pipeline cont{"cont"};
  build(cont, finished);
  auto r1 = tyf::run(cont, tyf::run_options{}.threads(2));
  REQUIRE(r1.status() == tyf::run_status::failed);
  REQUIRE(finished == 4);

  finished = 0;
  tyf::pipeline fast{"fast"};
  build(fast, finished);
  auto r2 = tyf::run(fast, tyf::run_options{}.threads(2).fail_fast());
  REQUIRE(r2.status() == tyf::run_status::failed);
  REQUIRE(finished < 4);
  REQUIRE_FALSE(r2.steps(tyf::step_status::cancelled).empty());
}
