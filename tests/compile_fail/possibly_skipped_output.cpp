// An output of a condition branch may be absent; a consumer outside the branch must take
// std::optional<T>.
// expected-error: possibly_skipped_output_needs_optional<.*argument<1>.*expects<.*string.*but_the_edge_carries<.*maybe<
#include <typeflow/core.hpp>

#include <optional>
#include <string>

struct Scores {
  double accuracy;
};
BOOST_HANA_ADAPT_STRUCT(Scores, accuracy);  // a codec: step outputs are stored by default

int main() {
  typeflow::pipeline p{"demo"};
  auto score = p.step("evaluate", [] { return Scores{0.9}; });
  auto good = p.when(score, [](const Scores& s) { return s.accuracy >= 0.83; });
  auto path = good.step(
      "export", [](const Scores&) { return std::string("model.bin"); }, score);
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
  p.step(
      "notify", [](std::optional<std::string> where) { return where.has_value(); }, path);
#else
  p.step(
      "notify", [](const std::string& where) { return where.size(); }, path);
#endif
}
