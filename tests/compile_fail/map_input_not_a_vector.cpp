// p.map fans out over the elements of a std::vector; any other input type is rejected.
// expected-error: map_input_is_not_a_vector<.*got<int>
#include <typeflow/core.hpp>

#include <vector>

int main() {
  typeflow::pipeline p{"demo"};
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
  auto items = p.step("items", [] { return std::vector<int>{1, 2, 3}; });
#else
  auto items = p.step("items", [] { return 3; });
#endif
  p.map(
      "square", [](int x) { return x * x; }, items);
}
