// The Slurm executor's benchmark program (issue 16; benchmarks/slurm/run.sh runs it): two shapes
// of empty steps, so that what is measured is the executor's overhead over
// Slurm's own latency, not the steps' work; each is a partial run of the one pipeline:
//   --to c50        the chain: 50 steps, c01 takes the parameter `start`, each next step the
//                   previous int, and returns it + 1 (50 jobs, each waiting for the previous one)
//   --to elements   the map: one p.map over the parameter `values` (200 ints by default), each
//                   element returned as it is (one job array of 200)
// Built by the `bench` preset only (benchmarks/CMakeLists.txt); no CTest test runs it.
#include <cstdio>
#include <string>
#include <vector>

#include <typeflow/cli.hpp>
#include <typeflow/typeflow.hpp>

namespace tyf = typeflow;

namespace {

constexpr int chain_steps = 50;
constexpr int map_elements = 200;

std::string chain_name(int i) {
  char name[8];
  std::snprintf(name, sizeof name, "c%02d", i);
  return name;
}

std::vector<int> default_values() {
  std::vector<int> v(map_elements);
  for (int i = 0; i < map_elements; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  tyf::pipeline p{"slurm-bench"};

  auto start = p.param<int>("start", 0).describe("the value the chain starts from");
  auto last = p.step(
      chain_name(1), [](int x) { return x + 1; }, start);
  for (int i = 2; i <= chain_steps; ++i) {
    last = p.step(
        chain_name(i), [](int x) { return x + 1; }, last);
  }

  auto values = p.param<std::vector<int>>("values", default_values())
                    .describe("the elements of the map (200 by default)");
  p.map(
      "elements", [](int x) { return x; }, values);

  return tyf::main(argc, argv, p);
}
