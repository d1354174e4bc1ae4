// A generic lambda has no fixed signature to read.
// expected-error: callable_has_no_fixed_signature<
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
      "size", [](const Model& m) { return m.w.size(); }, model);
#else
  p.step(
      "size", [](const auto& m) { return m.w.size(); }, model);
#endif
  (void)model;
}
