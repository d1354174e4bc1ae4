// A named quality gate still needs the text its failure reports; the name is not that text.
// expected-error: gate_needs_a_description<
#include <typeflow/core.hpp>

int main() {
  typeflow::pipeline p{"demo"};
  auto score = p.step("evaluate", [] { return 0.9; });
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
  p.require(
      "accuracy-gate", score, [](double s) { return s >= 0.8; }, "accuracy >= 0.8");
#else
  p.require("accuracy-gate", score, [](double s) { return s >= 0.8; });
#endif
}
