// A step's output is stored by the run store, so its type needs a codec; a type without one
// is rejected at the p.step call, and the fix is a codec or p.step(typeflow::in_memory, ...).
// expected-error: stored_output_has_no_codec<.*returns<.*Model
#include <typeflow/core.hpp>

#include <vector>

struct Model {
  std::vector<float> w;
};
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
BOOST_HANA_ADAPT_STRUCT(Model, w);  // the first fix: a codec
#endif

int main() {
  typeflow::pipeline p{"demo"};
  auto model = p.step("train", [] { return Model{{1.f}}; });
  // The second fix: keep the output in memory. Always compiles, with or without a codec.
  auto copy = p.step(
      typeflow::in_memory, "copy", [](const Model& m) { return m; }, model);
  (void)copy;
}
