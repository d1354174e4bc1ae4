// A hyperparameter sweep: a grid of (learning rate, epochs) configurations, one training run
// per configuration in parallel with p.map, each with its own status, retries and metrics
// (train[0], train[1], ...), then the best configuration.
#include <typeflow/typeflow.hpp>

#include <cmath>
#include <cstdio>
#include <tuple>
#include <vector>

namespace tyf = typeflow;

struct Data {
  std::vector<double> x, y;
};
struct Fit {
  double lr = 0;
  int epochs = 0;
  double loss = 0;
  double w = 0;
};
BOOST_HANA_ADAPT_STRUCT(Data, x, y);  // codecs, so that a run store can save them
BOOST_HANA_ADAPT_STRUCT(Fit, lr, epochs, loss, w);

int main() {
  tyf::pipeline p{"sweep"};
  auto data = p.step("make-data", [] {
    Data d;
    for (int i = 0; i < 200; ++i) {
      d.x.push_back(i / 100.0);
      d.y.push_back(3.0 * (i / 100.0) + 0.1 * std::sin(i));  // y ~ 3x
    }
    return d;
  });
  auto configs = p.constant(
      "configs", tyf::grid(std::vector<double>{0.01, 0.05, 0.2}, std::vector<int>{20, 80}));
  // One gradient-descent fit of y = w x per configuration; the data is shared by all.
  auto fits = p.map(
                   "train",
                   [](std::tuple<double, int> config, const Data& d, tyf::context& ctx) {
                     auto [lr, epochs] = config;
                     Fit f{lr, epochs, 0, 0};
                     for (int e = 0; e < epochs; ++e) {
                       double grad = 0, loss = 0;
                       for (std::size_t i = 0; i < d.x.size(); ++i) {
                         double err = f.w * d.x[i] - d.y[i];
                         grad += 2 * err * d.x[i];
                         loss += err * err;
                       }
                       f.w -= lr * grad / static_cast<double>(d.x.size());
                       f.loss = loss / static_cast<double>(d.x.size());
                       ctx.log_metric("loss", f.loss, e);
                     }
                     return f;
                   },
                   configs, data)
                  .retry(1);
  auto best = p.step(
      "pick-best",
      [](const std::vector<Fit>& all) {
        Fit b = all.front();
        for (const auto& f : all) {
          if (f.loss < b.loss) b = f;
        }
        return b;
      },
      fits);

  auto result = tyf::run(p);
  for (const auto* s : result.steps()) {
    std::printf("  %-12s %s\n", std::string(s->name).c_str(),
                std::string(tyf::to_string(s->status)).c_str());
  }
  const Fit& b = result.get(best);
  std::printf("best: lr=%.2f epochs=%d loss=%.4f w=%.3f (%zu metric points)\n", b.lr, b.epochs,
              b.loss, b.w, result.metrics().size());
  return result.ok() && std::abs(b.w - 3.0) < 0.1 ? 0 : 1;
}
