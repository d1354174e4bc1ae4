// A pipeline program for the Slurm executor's tests (tests/slurm/): a fan-out (map), a
// condition with both branches, a quality gate, metrics, a step that fails its first attempts,
// a step over its time limit, a step that waits for a file (for stop, scancel and a killed
// driver), a step that stays in memory, and one more step when SLURMY_EXTRA is set (a binary
// whose pipeline differs).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <typeflow/cli.hpp>
#include <typeflow/typeflow.hpp>

namespace tyf = typeflow;

int main(int argc, char** argv) {
  tyf::pipeline p{"slurmy"};
  auto n = p.param<int>("n", 4).describe("how many values").range(0, 1000);
  auto fail_times = p.param<int>("fail-times", 0).describe("attempts of flaky that fail");
  auto slow = p.param<bool>("too-slow", false).describe("whether 'slow' outlives its time limit");
  auto hold =
      p.param<std::string>("hold-file", "").describe("a file 'wait' waits for; empty: none");
  auto values = p.step(
      "make",
      [](int count) {
        std::vector<int> v(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) v[static_cast<std::size_t>(i)] = i + 1;
        return v;
      },
      n);
  auto squares = p.map(
      "square",
      [](int x, tyf::context& ctx) {
        ctx.log_metric("x", x, x);
        ctx.log("squaring " + std::to_string(x));
        return static_cast<long>(x) * x;
      },
      values);
  auto total = p.step(
      "total",
      [](const std::vector<long>& v, tyf::context& ctx) {
        long sum = 0;
        for (long x : v) sum += x;
        ctx.log_metric("total", static_cast<double>(sum));
        ctx.log("total " + std::to_string(sum));
        return sum;
      },
      squares);
  auto big = p.when("big", total, [](long t) { return t > 10; });
  auto ship = big.step(
      "ship", [](long t) { return "shipped " + std::to_string(t); }, total);
  auto keep = big.otherwise().step(
      "keep", [](long t) { return "kept " + std::to_string(t); }, total);
  auto outcome = p.first_of(ship, keep);
  auto gate = p.require(
      "enough", total, [](long t) { return t > 0; }, "total > 0");
  p.step(
       "publish", [](const std::string& s) { return s + " and published"; }, outcome)
      .after(gate);
  p.step(
      tyf::in_memory, "memo", [](const std::string& s) { return s.size(); }, outcome);
  p.step(
       "flaky",
       [](int times, tyf::context& ctx) {
         if (static_cast<int>(ctx.attempt()) <= times) {
           throw std::runtime_error("flaky fails attempt " + std::to_string(ctx.attempt()));
         }
         return static_cast<int>(ctx.attempt());
       },
       fail_times)
      .retry(2);
  p.step(
       "slow",
       [](bool is_slow, tyf::context& ctx) {
         while (is_slow && !ctx.stop_requested()) {
           std::this_thread::sleep_for(std::chrono::milliseconds(10));
         }
         return 1;
       },
       slow)
      .timeout(std::chrono::seconds(2));
  auto waited = p.step(
      "wait",
      [](const std::string& file) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(5);
        while (!file.empty() && !std::filesystem::exists(file) &&
               std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return file.empty() ? 0 : 1;
      },
      hold);
  if (std::getenv("SLURMY_WAIT_RETRY") != nullptr) waited.retry(1);
  if (std::getenv("SLURMY_EXTRA") != nullptr) p.step("extra", [] { return 1; });
  if (std::getenv("SLURMY_GREEDY") != nullptr) {
    p.step("greedy", [] { return 1; }).resources({{"cpus", 4096}});
  }
  return tyf::main(argc, argv, p);
}
