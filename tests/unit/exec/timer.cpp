#include <typeflow/exec/detail/timer.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using typeflow::exec_detail::timer;
using namespace std::chrono_literals;

TEST_CASE("the timer fires deadlines in time order and skips cancelled ones") {
  timer t;
  std::mutex m;
  std::vector<int> fired;
  auto now = timer::clock::now();
  auto push = [&](int i) {
    return [&, i] {
      std::lock_guard lock(m);
      fired.push_back(i);
    };
  };
  // Deadlines far enough apart that a preempted test thread still cancels 2 before it is due;
  // wait for the two others to fire (not a fixed sleep: a slow machine may take longer).
  t.schedule(now + 300ms, push(3));
  t.schedule(now + 100ms, push(1));
  auto cancelled = t.schedule(now + 200ms, push(2));
  t.cancel(cancelled);
  for (int i = 0; i < 10000; ++i) {
    {
      std::lock_guard lock(m);
      if (fired.size() >= 2) break;
    }
    std::this_thread::sleep_for(1ms);
  }
  std::this_thread::sleep_for(50ms);  // room for a wrongly fired third
  t.shutdown();
  REQUIRE(fired == std::vector<int>{1, 3});
}

TEST_CASE("regression: shutting down while the thread waits for a far deadline") {
  // The wait used to hold a reference into the map entry that shutdown() erased.
  for (int i = 0; i < 20; ++i) {
    timer t;
    std::atomic<bool> ran{false};
    t.schedule(timer::clock::now() + 10s, [&] { ran = true; });
    std::this_thread::sleep_for(1ms);
    t.shutdown();
    REQUIRE_FALSE(ran);
  }
}
