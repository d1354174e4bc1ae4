// Stopping a run: no new step starts, running steps see their stop token, the run ends
// `stopped`, steps that never ran are `cancelled`, and nothing leaks.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "../support.hpp"

namespace tyf = typeflow;
using namespace std::chrono_literals;

TEST_CASE("run_async returns at once; wait() gives the same result as run()") {
  tyf::pipeline p{"async"};
  auto a = p.step("a", [] {
    std::this_thread::sleep_for(20ms);
    return 2;
  });
  auto b = p.step(
      "b", [](int x) { return x * 21; }, a);
  auto h = tyf::run_async(p, tyf::run_options{}.threads(2));
  REQUIRE(h.run_id().size() == 12);
  auto r = h.wait();
  REQUIRE(h.done());
  REQUIRE(h.status() == tyf::run_status::succeeded);
  REQUIRE(r.get(b) == 42);
  auto s = tyf::run_async(p, tyf::sequential).wait();
  REQUIRE(s.get(b) == 42);
}

TEST_CASE("stop(): running steps see their token, the rest are cancelled, status stopped") {
  tyf::test::counts c;
  tyf::pipeline p{"stop"};
  std::atomic<bool> started{false};
  auto payload = p.step(tyf::in_memory, "payload", [&c] { return tyf::test::counted{c, 1}; });
  auto running = p.step(
      "running",
      [&](const tyf::test::counted& x, tyf::context& ctx) {
        started = true;
        while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
        return x.value;
      },
      payload);
  auto next = p.step(
      "next", [](int v) { return v; }, running);
  p.step(
      "last", [](int v) { return v; }, next);
  auto h = tyf::run_async(p, tyf::run_options{}.threads(2));
  while (!started) std::this_thread::sleep_for(1ms);
  auto asked = std::chrono::steady_clock::now();
  h.stop();
  auto r = h.wait();
  CHECK(std::chrono::steady_clock::now() - asked < 2s);
  REQUIRE(r.status() == tyf::run_status::stopped);
  REQUIRE(r.step("running").status == tyf::step_status::succeeded);  // it returned normally
  REQUIRE(r.step("next").status == tyf::step_status::cancelled);
  REQUIRE(r.step("last").status == tyf::step_status::cancelled);
  REQUIRE(r.step("next").message == "the run was stopped before this step started");
  REQUIRE(c.alive == 0);
}

TEST_CASE("an external stop token stops the run too") {
  tyf::pipeline p{"external"};
  std::stop_source source;
  std::atomic<bool> started{false};
  p.step("wait", [&](tyf::context& ctx) {
    started = true;
    while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
  });
  auto h = tyf::run_async(p, tyf::run_options{}.stop_token(source.get_token()));
  while (!started) std::this_thread::sleep_for(1ms);
  source.request_stop();
  REQUIRE(h.wait().status() == tyf::run_status::stopped);
}

TEST_CASE("stop during a retry backoff ends the run promptly") {
  tyf::pipeline p{"stop_backoff"};
  std::atomic<int> calls{0};
  p.step("flaky", [&]() -> int {
     ++calls;
     throw std::runtime_error("down");
   }).retry(5, 10s);
  auto h = tyf::run_async(p);
  while (calls == 0) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(5ms);
  auto asked = std::chrono::steady_clock::now();
  h.stop();
  auto r = h.wait();
  CHECK(std::chrono::steady_clock::now() - asked < 2s);
  REQUIRE(r.status() == tyf::run_status::stopped);
  REQUIRE(r.step("flaky").status == tyf::step_status::failed);
  REQUIRE(calls == 1);
}

TEST_CASE("stopping a large run cancels thousands of pending steps without leaking") {
  tyf::test::counts c;
  tyf::pipeline p{"large"};
  std::atomic<int> ran{0};
  auto prev = p.step(tyf::in_memory, "s0", [&c] { return tyf::test::counted{c, 0}; });
  for (int i = 1; i < 5000; ++i) {
    prev = p.step(
        tyf::in_memory, "s" + std::to_string(i),
        [&](tyf::test::counted x, tyf::context& ctx) {
          ++ran;
          if (x.value == 100) {
            while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
          }
          ++x.value;
          return x;
        },
        prev);
  }
  auto h = tyf::run_async(p);
  while (ran < 101) std::this_thread::sleep_for(1ms);
  h.stop();
  auto r = h.wait();
  REQUIRE(r.status() == tyf::run_status::stopped);
  REQUIRE(r.steps(tyf::step_status::cancelled).size() == 5000 - 102);
  REQUIRE(c.alive == 0);
}

TEST_CASE("destroying a run handle waits for the run") {
  std::atomic<bool> done{false};
  {
    tyf::pipeline p{"dtor"};
    p.step("a", [&] {
      std::this_thread::sleep_for(20ms);
      done = true;
    });
    auto h = tyf::run_async(p);
  }
  REQUIRE(done);
}
