// A projection onto a member of a type the handle does not carry.
// expected-error: projection_onto_member_of_another_type<.*member_of<Model>.*but_the_handle_carries<Split>
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
  auto w = model[&Model::w];
  (void)w;
#else
  auto w = split[&Model::w];
  (void)w;
#endif
  (void)model;
}
