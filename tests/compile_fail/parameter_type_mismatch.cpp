// A parameter handle of the wrong type.
// expected-error: parameter_type_mismatch<.*argument<2>.*expects<int>.*but_the_parameter_is<(std::(__cxx11::)?)?(basic_)?string
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
  auto epochs = p.param<int>("epochs", 10);
  p.step(
      "fit", [](const Model&, int) { return 1; }, model, epochs);
#else
  auto epochs = p.param<std::string>("epochs", "10");
  p.step(
      "fit", [](const Model&, int) { return 1; }, model, epochs);
#endif
  (void)model;
}
