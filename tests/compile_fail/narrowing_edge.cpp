// An arithmetic edge that would narrow (double to int) is rejected like any mismatch.
// expected-error: parameter_type_mismatch<.*argument<1>.*expects<int>.*but_the_parameter_is<double>
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
      "round", [](double x) { return x; }, lr);
#else
  p.step(
      "round", [](int x) { return x; }, lr);
#endif
  (void)model;
}
