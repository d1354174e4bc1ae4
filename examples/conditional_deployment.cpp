// A deployment gate: export the model only when it is good enough, otherwise write a report;
// a quality gate that fails the run below a floor; a notifier that always runs at the end.
#include <typeflow/typeflow.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace tyf = typeflow;

struct Scores {
  double accuracy;
};
BOOST_HANA_ADAPT_STRUCT(Scores, accuracy);  // a codec, so that a run store can save it

int main(int argc, char** argv) {
  const double accuracy = argc > 1 ? std::stod(argv[1]) : 0.86;

  tyf::pipeline p{"deploy"};
  auto score = p.step("evaluate", [accuracy] { return Scores{accuracy}; });

  // Fails the run (and skips what is ordered after it) when the model is useless. A gate is
  // named like a step (unnamed, it would be "require-1").
  auto floor = p.require(
      "floor", score, [](const Scores& s) { return s.accuracy >= 0.5; }, "accuracy >= 0.5");

  // A branch: its steps run only when the predicate holds; their outputs are maybe<T>. Its
  // condition step is named "when-1", unless given a name: p.when("good-enough", score, ...).
  auto good = p.when(score, [](const Scores& s) { return s.accuracy >= 0.83; });
  auto exported = good.step(
      "export",
      [](const Scores& s) {
        return "models/model-" + std::to_string(static_cast<int>(s.accuracy * 100)) + ".bin";
      },
      score);
  auto report = good.otherwise().step(
      "report",
      [](const Scores& s) {
        return "reports/too-weak-" + std::to_string(static_cast<int>(s.accuracy * 100)) + ".txt";
      },
      score);

  // Outside the branch, a possibly skipped output must be taken as std::optional...
  auto message = p.step(
      "announce",
      [](std::optional<std::string> model) {
        return model ? "deployed " + *model : std::string("nothing deployed");
      },
      exported);
  message.after(floor);
  // ...or selected with first_of: whichever branch ran.
  auto artifact = p.first_of(exported, report);

  p.finally("notify", [](const tyf::run_outcome& o) {
    std::printf("[notify] run %s of '%s' ended %s\n", o.run_id.c_str(), o.pipeline.c_str(),
                std::string(tyf::to_string(o.status)).c_str());
  });

  auto result = tyf::run(p);
  std::printf("%s\n", result.summary().c_str());
  if (!result.ok()) return 1;
  std::printf("%s; artifact: %s\n", result.get(message).c_str(), result.get(artifact).c_str());
  return 0;
}
