#pragma once
// A pipeline for the command line's tests of resources, named gates and named conditions:
// prepare (holds 1 "gpu") -> train (holds 2) -> a condition named "good-enough" (publish runs
// when the accuracy is at least 0.7, hold when it is not) and a quality gate named "accuracy-gate" (the accuracy,
// 0.75, against the parameter bar, default 0.5) before export.

#include <utility>

#include <typeflow/typeflow.hpp>

namespace gated {

inline void define(typeflow::pipeline& p) {
  auto bar = p.param<double>("bar", 0.5).describe("the accuracy the gate requires").range(0.0, 1.0);
  auto data = p.step("prepare", [] { return 0.75; }).resources({{"gpu", 1}});
  auto accuracy = p.step(
                       "train", [](double x) { return x; }, data)
                      .resources({{"gpu", 2}});
  auto good = p.when("good-enough", accuracy, [](double a) { return a >= 0.7; });
  good.step(
      "publish", [](double a) { return a; }, accuracy);
  good.otherwise().step(
      "hold", [](double a) { return a; }, accuracy);
  auto verdict = p.step(
      "verdict",
      [](double a, double b) {
        return std::pair<double, double>{a, b};
      },
      accuracy, bar);
  auto gate = p.require(
      "accuracy-gate", verdict,
      [](const std::pair<double, double>& v) { return v.first >= v.second; }, "accuracy >= bar");
  p.step(
       "export", [](double a) { return a; }, accuracy)
      .after(gate);
}

}  // namespace gated
