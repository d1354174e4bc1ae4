// Only p.finally handlers receive the run's outcome; an ordinary step runs before it exists.
// expected-error: run_outcome_outside_finally<
#include <typeflow/core.hpp>

int main() {
  typeflow::pipeline p{"demo"};
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
  p.finally("notify", [](const typeflow::run_outcome& o) { (void)o; });
#else
  p.step("notify", [](const typeflow::run_outcome& o) { (void)o; });
#endif
}
