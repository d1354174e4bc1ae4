// A plain value passed where an edge (handle) is expected.
// expected-error: argument_is_not_a_handle<.*argument<2>.*got<double>
#include <typeflow/core.hpp>

#include <string>
#include <tuple>
#include <vector>

struct Dataset {
  std::vector<float> x;
};
struct Split {
  Dataset train, test;
};
struct Model {
  std::vector<float> w;
};
BOOST_HANA_ADAPT_STRUCT(Dataset, x);  // codecs: step outputs are stored by default
BOOST_HANA_ADAPT_STRUCT(Split, train, test);
BOOST_HANA_ADAPT_STRUCT(Model, w);

int main() {
  typeflow::pipeline p{"demo"};
  auto lr = p.param<double>("lr", 0.1);
  auto data = p.step("load", [] { return Dataset{}; });
  auto split = p.step(
      "split",
      [](const Dataset& d) {
        return Split{d, d};
      },
      data);
  auto model = p.step(
      "train", [](const Dataset&, double) { return Model{}; }, split[&Split::train], lr);
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
  p.step(
      "tune", [](const Model&, double) { return 1; }, model, lr);
#else
  p.step(
      "tune", [](const Model&, double) { return 1; }, model, 0.5);
#endif
  (void)model;
}
