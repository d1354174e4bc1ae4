// A parameter of a type that has no text form (here a const char*, deduced from a literal).
// expected-error: unsupported parameter type
#include <typeflow/core.hpp>

#include <string>

int main() {
  typeflow::pipeline p{"demo"};
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
  auto optimizer = p.param<std::string>("optimizer", "adam");
#else
  auto optimizer = p.param("optimizer", "adam");
#endif
  p.step(
      "fit", [](const std::string& o) { return o.size(); }, optimizer);
}
