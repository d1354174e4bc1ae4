// The README example (examples/readme.cpp) written with oneTBB's flow graph, for the
// compile-time comparison: load -> split -> train -> evaluate, the same structs and functions,
// the parameter `lr` a constant. evaluate reads train's model and split's test part, so a
// join_node pairs them (typeflow does that with its two inputs and split[&Split::test]).
#include <tbb/flow_graph.h>

#include <cstdio>
#include <tuple>
#include <vector>
namespace fg = tbb::flow;

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

Dataset load() { return {{0.f, 1.f, 2.f, 3.f}, {0, 1, 0, 1}}; }
Split split(const Dataset& d) { return {d, d}; }
Model train(const Dataset& d, double lr) {
  return {std::vector<float>(d.x.size(), static_cast<float>(lr))};
}
Scores evaluate(const Model& m, const Dataset& d) { return {m.w.size() == d.x.size() ? 1.0 : 0.0}; }

constexpr double lr = 0.1;

int main() {
  fg::graph g;
  bool loaded = false;
  fg::input_node<Dataset> load_node(g, [&loaded](tbb::flow_control& fc) -> Dataset {
    if (loaded) {
      fc.stop();
      return {};
    }
    loaded = true;
    return load();
  });
  fg::function_node<Dataset, Split> split_node(g, fg::unlimited,
                                               [](const Dataset& d) { return split(d); });
  fg::function_node<Split, Model> train_node(g, fg::unlimited,
                                             [](const Split& s) { return train(s.train, lr); });
  fg::join_node<std::tuple<Model, Split>, fg::queueing> pair(g);
  Scores score{0.0};
  fg::function_node<std::tuple<Model, Split>, Scores> evaluate_node(
      g, fg::serial, [&score](const std::tuple<Model, Split>& in) {
        score = evaluate(std::get<0>(in), std::get<1>(in).test);
        return score;
      });
  fg::make_edge(load_node, split_node);
  fg::make_edge(split_node, train_node);
  fg::make_edge(train_node, fg::input_port<0>(pair));
  fg::make_edge(split_node, fg::input_port<1>(pair));
  fg::make_edge(pair, evaluate_node);
  load_node.activate();
  g.wait_for_all();
  std::printf("accuracy %.2f\n", score.accuracy);
  return score.accuracy == 1.0 ? 0 : 1;
}
