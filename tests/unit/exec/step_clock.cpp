// The step clock: wall-clock times of step starts and ends, from the TSC where it is invariant.
#include <typeflow/exec/detail/step_clock.hpp>
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace tyf = typeflow;
using namespace std::chrono_literals;

TEST_CASE("the step clock follows the system clock, also across re-anchoring") {
  using tyf::exec_detail::step_clock;
  for (int i = 0; i < 5; ++i) {
    auto before = std::chrono::system_clock::now();
    auto t = step_clock::now();
    auto after = std::chrono::system_clock::now();
    REQUIRE(t >= before - 1ms);
    REQUIRE(t <= after + 1ms);
    std::this_thread::sleep_for(30ms);  // two of these pass a re-anchoring (every 50 ms)
  }
}

TEST_CASE("a step's recorded start and end bracket its work") {
  tyf::pipeline p{"clocked"};
  p.step("sleep", [] { std::this_thread::sleep_for(20ms); });
  auto before = std::chrono::system_clock::now();
  auto r = tyf::run(p);
  auto after = std::chrono::system_clock::now();
  const auto& rec = r.step("sleep");
  REQUIRE(rec.started >= before - 1ms);
  REQUIRE(rec.finished <= after + 1ms);
  REQUIRE(rec.duration() >= 19ms);
  REQUIRE(rec.duration() < after - before + 1ms);
}

TEST_CASE("readings never go backwards on a thread, and latest() bounds every thread's readings") {
  using tyf::exec_detail::step_clock;
  std::atomic<std::int64_t> newest{0};
  std::atomic<int> backwards{0};  // Catch2's assertions are not thread-safe: count, check after
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto prev = step_clock::now();
      for (int i = 0; i < 20000; ++i) {
        auto now = step_clock::now();
        if (now < prev) backwards.fetch_add(1);
        prev = now;
      }
      auto mine = prev.time_since_epoch().count();
      auto seen = newest.load();
      while (mine > seen && !newest.compare_exchange_weak(seen, mine)) {
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(backwards.load() == 0);
  const auto floor = std::chrono::system_clock::time_point{};
  REQUIRE(step_clock::latest(floor).time_since_epoch().count() >= newest.load());
  const auto far = std::chrono::system_clock::now() + std::chrono::hours(1);
  REQUIRE(step_clock::latest(far) == far);
}

TEST_CASE("every step's start and end lie inside its run's start and end") {
  tyf::pipeline p{"bounded"};
  std::vector<tyf::handle<int>> layer;
  for (int i = 0; i < 64; ++i) layer.push_back(p.step("s" + std::to_string(i), [i] { return i; }));
  for (int depth = 0; depth < 8; ++depth) {
    std::vector<tyf::handle<int>> next;
    for (std::size_t i = 0; i < layer.size(); ++i) {
      next.push_back(p.step(
          "d" + std::to_string(depth) + "_" + std::to_string(i), [](int a, int b) { return a + b; },
          layer[i], layer[(i + 1) % layer.size()]));
    }
    layer = std::move(next);
  }
  for (int round = 0; round < 20; ++round) {
    auto r = tyf::run(p, tyf::run_options{}.threads(4));
    REQUIRE(r.ok());
    for (const auto* rec : r.steps()) {
      REQUIRE(rec->started >= r.started());
      REQUIRE(rec->finished >= rec->started);
      REQUIRE(rec->finished <= r.finished());
    }
  }
}

TEST_CASE("a step that follows another directly starts when that one ended (one clock read)") {
  tyf::pipeline p{"chained"};
  tyf::handle<void> prev = p.step("s0", [] { std::this_thread::sleep_for(2ms); });
  for (int i = 1; i < 10; ++i) {
    prev = p.step("s" + std::to_string(i), [] { std::this_thread::sleep_for(2ms); }).after(prev);
  }
  for (unsigned threads : {1u, 2u}) {
    auto r = tyf::run(p, tyf::run_options{}.threads(threads));
    REQUIRE(r.ok());
    for (int i = 1; i < 10; ++i) {
      const auto& before = r.step("s" + std::to_string(i - 1));
      const auto& rec = r.step("s" + std::to_string(i));
      REQUIRE(rec.started == before.finished);
      REQUIRE(rec.duration() >= 2ms);
    }
  }
}

TEST_CASE("the time observers take after a step never counts to the next step") {
  struct slow : tyf::observer {
    void on_event(const tyf::event& e) override {
      if (e.kind == tyf::event_kind::step_succeeded) std::this_thread::sleep_for(30ms);
    }
  } observer;
  tyf::pipeline p{"observed"};
  tyf::handle<void> prev = p.step("s0", [] {});
  for (int i = 1; i < 4; ++i) prev = p.step("s" + std::to_string(i), [] {}).after(prev);
  auto r = tyf::run(p, tyf::run_options{}.threads(2).observe(observer));
  REQUIRE(r.ok());
  for (int i = 1; i < 4; ++i) {
    const auto& before = r.step("s" + std::to_string(i - 1));
    const auto& rec = r.step("s" + std::to_string(i));
    REQUIRE(rec.started >= before.finished + 30ms);  // after the observer's call
    REQUIRE(rec.duration() < 25ms);
  }
}
