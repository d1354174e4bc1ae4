// The step clock: wall-clock times of step starts and ends, from the TSC where it is invariant.
#include <typeflow/exec/detail/step_clock.hpp>
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

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
