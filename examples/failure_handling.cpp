// A failing step does not take the run down: the result names the step and the error, its
// dependents are skipped with the reason, and independent branches still finish.
#include <typeflow/typeflow.hpp>

#include <cstdio>
#include <stdexcept>

namespace tyf = typeflow;

int main() {
  tyf::pipeline p{"failures"};
  auto rows = p.step("rows", [] { return 1000; });
  auto flaky = p.step(
      "download", [](int) -> int { throw std::runtime_error("HTTP 503"); }, rows);
  p.step(
      "train", [](int n) { return n * 2; }, flaky);
  auto audit = p.step(
      "audit", [](int n) { return n > 0; }, rows);

  auto result = tyf::run(p);
  std::printf("%s\n", result.summary().c_str());
  for (const auto* step : result.steps()) {
    std::printf("  %-9s %-9s attempts=%u %s\n", std::string(step->name).c_str(),
                std::string(tyf::to_string(step->status)).c_str(), step->attempts,
                step->message.c_str());
  }
  const bool as_expected =
      result.status() == tyf::run_status::failed && result.step("download").message == "HTTP 503" &&
      result.step("train").status == tyf::step_status::skipped && result.get(audit);
  return as_expected ? 0 : 1;
}
