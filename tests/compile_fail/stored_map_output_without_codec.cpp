// A map step's outputs are stored like any step's, so its element results need a codec; the
// fix is a codec or p.map(typeflow::in_memory, ...).
// expected-error: stored_output_has_no_codec<.*returns<.*Fit
#include <typeflow/core.hpp>

#include <vector>

struct Fit {
  double loss;
};
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
BOOST_HANA_ADAPT_STRUCT(Fit, loss);
#endif

int main() {
  typeflow::pipeline p{"demo"};
  auto rates = p.constant("rates", std::vector<double>{0.1, 0.01});
  p.map(
      "train", [](double lr) { return Fit{lr}; }, rates);
  p.map(
      typeflow::in_memory, "train-in-memory", [](double lr) { return Fit{lr}; }, rates);
}
