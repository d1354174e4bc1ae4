// The pipeline as a graph: Graphviz DOT with the C++ type of every edge, and a topological
// order (the one Boost.Graph's topological_sort gives, without Boost.Graph in this program).
// Render with: ./example-graph_export | dot -Tsvg > p.svg
#include <typeflow/typeflow.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace tyf = typeflow;

struct Images {
  std::vector<float> pixels;
};
struct Model {
  std::vector<float> weights;
};
BOOST_HANA_ADAPT_STRUCT(Images, pixels);  // codecs, so that a run store can save them
BOOST_HANA_ADAPT_STRUCT(Model, weights);

int main() {
  tyf::pipeline p{"export"};
  auto epochs = p.param<int>("epochs", 3);
  auto images = p.step("load", [] { return Images{{0.f, 1.f}}; });
  auto model = p.step(
      "train",
      [](const Images& im, int e) {
        return Model{std::vector<float>(im.pixels.size(), static_cast<float>(e))};
      },
      images, epochs);
  p.step(
      "publish", [](const Model&) {}, model);

  std::string dot = tyf::to_dot(p);
  std::printf("%s", dot.c_str());
  auto order = tyf::topological_order(p);
  std::printf("// order:");
  for (const auto& name : order) std::printf(" %s", name.c_str());
  std::printf("\n");
  return dot.find("label=\"Model\"") != std::string::npos && order.back() == "publish" ? 0 : 1;
}
