#pragma once
// Pipelines for the tests of the dependency walk and its consumers (lowering, DOT, JSON,
// describe, slicing, the structure hash, the plan): one that uses every kind of dependency,
// and seeded random ones of any size that mix them all.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <typeflow/core/control.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow::test {

struct split_data {
  std::vector<int> train;
  int test = 0;
};

}  // namespace typeflow::test
// Codecs: a step's output is stored by default, so its type needs one.
BOOST_HANA_ADAPT_STRUCT(typeflow::test::split_data, train, test);

namespace typeflow::test {

/// Every kind of dependency once or more, nodes in this order (id: name):
///   0 lr, 1 dry-run (parameters); 2 split; 3 fit (map over split.train, shared lr);
///   4 score (fit, split.test); 5 when-1 (condition on score); 6 export (when-1 true, reads
///   score); 7 report (when-1 false, reads score); 8 first-of-1 (export, report, both may be
///   absent); 9 require-1 (gate on first-of-1); 10 upload (first-of-1; skip_if dry-run;
///   after require-1); 11 audit (export, may be absent); 12 notify (finally: from the sinks
///   upload and audit).
inline pipeline every_dependency_pipeline(std::string_view name = "every-dependency") {
  pipeline p{name};
  auto lr = p.param<double>("lr", 0.5);
  auto dry = p.param<bool>("dry-run", false);
  auto split = p.step("split", [] { return split_data{{1, 2, 3}, 4}; });
  auto fit = p.map(
      "fit", [](int x, double r) { return x * r; }, split[&split_data::train], lr);
  auto score = p.step(
      "score", [](const std::vector<double>& v, int t) { return static_cast<int>(v.size()) + t; },
      fit, split[&split_data::test]);
  auto good = p.when(score, [](int s) { return s > 3; });
  auto exported = good.step(
      "export", [](int s) { return 2.0 * s; }, score);
  auto reported = good.otherwise().step(
      "report", [](int) { return 0.0; }, score);
  auto chosen = p.first_of(exported, reported);
  auto gate = p.require(
      chosen, [](double v) { return v >= 0; }, "a non-negative value");
  p.step(
       "upload", [](double) {}, chosen)
      .skip_if([](bool d) { return d; }, dry)
      .after(gate);
  p.step(
      "audit", [](std::optional<double>) {}, exported);
  p.finally("notify", [](const run_outcome&) {});
  return p;
}

/// A seeded random pipeline of at least `nodes` nodes (ints everywhere) that mixes
/// parameters, plain steps of 0 to 3 inputs, conditions with steps on both sides, readers of
/// branch outputs (std::optional), first_of selectors, quality gates, maps with a shared
/// input, skip_if, .after() order edges and finally handlers (declared anywhere, not only
/// last). The same seed gives the same pipeline.
inline pipeline random_pipeline(std::uint32_t seed, std::size_t nodes) {
  pipeline p{"random-" + std::to_string(seed)};
  std::mt19937 rng(seed);
  auto below = [&](std::size_t n) {
    return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
  };
  auto chance = [&](int percent) { return static_cast<int>(below(100)) < percent; };

  std::vector<handle<int>> ints;           // parameters, plain steps, selectors
  std::vector<handle<maybe<int>>> maybes;  // branch outputs
  std::vector<handle<void>> voids;         // gates and void steps (for .after)
  std::vector<branch> branches;
  int counter = 0;
  auto next_name = [&](const char* prefix) { return prefix + std::to_string(counter++); };
  auto any_int = [&] { return ints[below(ints.size())]; };

  ints.push_back(p.param<int>(next_name("p"), 1));
  // Order edges and skip_if on a fresh step, at random.
  auto decorate = [&](auto& h) {
    if (chance(25)) h.after(any_int());
    if (!voids.empty() && chance(20)) h.after(voids[below(voids.size())]);
    if (!maybes.empty() && chance(10)) h.after(maybes[below(maybes.size())]);
    if (chance(15)) h.skip_if([](int v) { return v < -1000000; }, any_int());
  };

  while (p.size() < nodes) {
    switch (below(12)) {
      case 0: ints.push_back(p.param<int>(next_name("p"), static_cast<int>(below(10)))); break;
      case 1:
      case 2: {
        handle<int> h;
        switch (below(4)) {
          case 0: h = p.step(next_name("s"), [] { return 1; }); break;
          case 1:
            h = p.step(
                next_name("s"), [](int a) { return a + 1; }, any_int());
            break;
          case 2:
            h = p.step(
                next_name("s"), [](int a, int b) { return a + b; }, any_int(), any_int());
            break;
          default:
            h = p.step(
                next_name("s"), [](int a, int b, int c) { return a + b + c; }, any_int(), any_int(),
                any_int());
        }
        decorate(h);
        ints.push_back(h);
        break;
      }
      case 3: branches.push_back(p.when(any_int(), [](int v) { return v % 2 == 0; })); break;
      case 4:
      case 5: {
        if (branches.empty()) break;
        auto b = branches[below(branches.size())];
        if (chance(50)) b = b.otherwise();
        auto h = chance(50) ? b.step(
                                  next_name("b"), [](int a) { return a * 2; }, any_int())
                            : b.step(
                                  next_name("b"), [](int a, int c) { return a - c; }, any_int(),
                                  any_int());
        decorate(h);
        maybes.push_back(h);
        break;
      }
      case 6: {
        if (maybes.empty()) break;
        auto h = p.step(
            next_name("o"), [](std::optional<int> a, int c) { return a.value_or(c); },
            maybes[below(maybes.size())], any_int());
        decorate(h);
        ints.push_back(h);
        break;
      }
      case 7: {
        if (maybes.size() < 2) break;
        ints.push_back(p.first_of(maybes[below(maybes.size())], maybes[below(maybes.size())]));
        break;
      }
      case 8:
        voids.push_back(p.require(
            any_int(), [](int v) { return v > -1000000; }, "not too small"));
        break;
      case 9: {
        auto vec = p.step(
            next_name("v"),
            [](int n) { return std::vector<int>(static_cast<std::size_t>(n & 3), n); }, any_int());
        auto m = p.map(
            next_name("m"), [](int x, int y) { return x + y; }, vec, any_int());
        decorate(m);
        auto sum = p.step(
            next_name("r"),
            [](const std::vector<int>& v) {
              int s = 0;
              for (int x : v) s += x;
              return s;
            },
            m);
        ints.push_back(sum);
        break;
      }
      case 10: {
        auto h = p.step(
            next_name("u"), [](int) {}, any_int());
        decorate(h);
        voids.push_back(h);
        break;
      }
      default:
        if (chance(30)) p.finally(next_name("f"), [](const run_outcome&) {});
        break;
    }
  }
  if (counter % 3 == 0) p.finally(next_name("f"), [](const run_outcome&) {});
  return p;
}

}  // namespace typeflow::test
