#include <cstdio>
#include <vector>
#include <typeflow/typeflow.hpp>
namespace tyf = typeflow;

struct Dataset {
  std::vector<float> x;
  std::vector<int> y;
};
struct Split {
  Dataset train, test;
};
struct Model {
  std::vector<float> w;
};
struct Scores {
  double accuracy;
};
BOOST_HANA_ADAPT_STRUCT(Dataset, x, y);  // codecs: step outputs are stored by default
BOOST_HANA_ADAPT_STRUCT(Split, train, test);
BOOST_HANA_ADAPT_STRUCT(Model, w);
BOOST_HANA_ADAPT_STRUCT(Scores, accuracy);

Dataset load() { return {{0.f, 1.f, 2.f, 3.f}, {0, 1, 0, 1}}; }
Split split(const Dataset& d) { return {d, d}; }
Model train(const Dataset& d, double lr) {
  return {std::vector<float>(d.x.size(), static_cast<float>(lr))};
}
Scores evaluate(const Model& m, const Dataset& d) { return {m.w.size() == d.x.size() ? 1.0 : 0.0}; }

int main() {
  tyf::pipeline p{"demo"};
  auto lr = p.param<double>("lr", 0.1);
  auto data = p.step("load", load);
  auto parts = p.step("split", split, data);
  auto model = p.step("train", train, parts[&Split::train], lr);
  auto score = p.step("evaluate", evaluate, model, parts[&Split::test]);
  auto result = tyf::run(p);
  std::printf("accuracy %.2f\n", result.get(score).accuracy);
  return result.get(score).accuracy == 1.0 ? 0 : 1;
}
