// An enum parameter typeflow cannot name: no fixed underlying type, no enum_names.
// expected-error: enum parameter type has no fixed underlying type
#include <typeflow/core.hpp>

#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
enum Optimizer : int { adam, sgd };
#else
enum Optimizer { adam, sgd };
#endif

int main() {
  typeflow::pipeline p{"demo"};
  auto optimizer = p.param<Optimizer>("optimizer", adam);
  p.step(
      "fit", [](Optimizer o) { return static_cast<int>(o); }, optimizer);
}
