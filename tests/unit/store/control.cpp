// The store with control flow: a branch that did not run gives its optional consumers an
// "absent" input (they stay cacheable), finally handlers are never served from the cache,
// and a map step's gathered output is stored and cached like any other.
#include <typeflow/store.hpp>

#include <catch2/catch.hpp>

#include <optional>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

TEST_CASE("a skipped branch's output is an absent input: its consumer is still cached") {
  temp_dir dir;
  tyf::store st{dir.path()};
  std::atomic<int> announced{0}, notified{0};
  tyf::pipeline p{"branches"};
  auto score = p.step("evaluate", [] { return 0.5; });
  auto good = p.when(score, [](double s) { return s >= 0.8; });
  auto exported = good.step(
      "export", [](double s) { return std::to_string(s); }, score);
  p.step(
      "announce",
      [&](std::optional<std::string> m) {
        ++announced;
        return m ? *m : std::string("nothing");
      },
      exported);
  p.finally("notify", [&](const tyf::run_outcome&) { ++notified; });
  auto first = st.run(p);
  REQUIRE(first.ok());
  REQUIRE(first.step("export").status == tyf::step_status::skipped);
  auto second = st.run(p);
  REQUIRE(second.ok());
  REQUIRE(announced == 1);
  REQUIRE(second.step("announce").status == tyf::step_status::cached);
  REQUIRE(notified == 2);  // a finally handler always runs
  REQUIRE(second.step("notify").status == tyf::step_status::succeeded);
}

TEST_CASE("a map step's output is stored and cached; its elements are recorded") {
  temp_dir dir;
  tyf::store st{dir.path()};
  std::atomic<int> calls{0};
  tyf::pipeline p{"fan"};
  auto items = p.step("items", [] { return std::vector<int>{1, 2, 3}; });
  auto squares = p.map(
      "square",
      [&](int x) {
        ++calls;
        return x * x;
      },
      items);
  p.step(
      "sum",
      [](const std::vector<int>& v) {
        int s = 0;
        for (int x : v) s += x;
        return s;
      },
      squares);
  auto first = st.run(p);
  REQUIRE(first.ok());
  REQUIRE(calls == 3);
  auto d = st.show(first.run_id());
  REQUIRE(d.step("square")->artifact.has_value());
  REQUIRE(d.step("square[1]") != nullptr);
  REQUIRE(d.step("square[1]")->status == tyf::step_status::succeeded);
  auto second = st.run(p);
  REQUIRE(second.step("square").status == tyf::step_status::cached);
  REQUIRE(calls == 3);
  REQUIRE(st.load(second.run_id(), squares) == std::vector<int>{1, 4, 9});
}
