// One step, several outputs: return a struct or a tuple, and let consumers select a member
// (handle[&Struct::member]) or an element (handle.get<I>()). Each selected part is moved into
// its only consumer, so nothing is copied.
#include <typeflow/typeflow.hpp>

#include <cstdio>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

namespace tyf = typeflow;

struct Columns {
  std::vector<double> features;
  std::vector<int> labels;
};
BOOST_HANA_ADAPT_STRUCT(Columns, features, labels);  // a codec, so that a run store can save it

int main() {
  tyf::pipeline p{"multiple-outputs"};
  auto table = p.step("read", [] { return Columns{{1.0, 2.0, 3.0, 4.0}, {0, 1, 1, 0}}; });
  auto stats = p.step(
      "stats",
      [](std::vector<double> xs) {
        double sum = std::accumulate(xs.begin(), xs.end(), 0.0);
        return std::tuple<double, std::size_t>{sum / static_cast<double>(xs.size()), xs.size()};
      },
      table[&Columns::features]);
  auto positives = p.step(
      "positives",
      [](const std::vector<int>& ys) {
        return static_cast<int>(std::count(ys.begin(), ys.end(), 1));
      },
      table[&Columns::labels]);
  auto report = p.step(
      "report",
      [](double mean, std::size_t n, int pos) {
        return "mean " + std::to_string(mean) + " over " + std::to_string(n) + " rows, " +
               std::to_string(pos) + " positive";
      },
      stats.get<0>(), stats.get<1>(), positives);

  auto result = tyf::run(p);
  std::printf("%s\n", result.get(report).c_str());
  return result.get(report) == "mean 2.500000 over 4 rows, 2 positive" ? 0 : 1;
}
