// An edge whose type does not convert to the step's parameter.
// expected-error: edge_type_mismatch<.*argument<2>.*expects<.*Dataset>.*but_the_edge_carries<.*Split>
#include <typeflow/core.hpp>

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
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
  p.step(
      "train", [](double, const Dataset&) { return Model{}; }, lr, split[&Split::train]);
#else
  p.step(
      "train", [](double, const Dataset&) { return Model{}; }, lr, split);
#endif
}
