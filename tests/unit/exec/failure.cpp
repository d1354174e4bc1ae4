// A failing step: the run says which and why, its dependents are skipped, independent branches
// still run, nothing leaks.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

#include "../support.hpp"

namespace tyf = typeflow;

namespace {
struct failing {
  tyf::pipeline p{"failing"};
  tyf::test::counts c;
  tyf::handle<int> src = p.step("src", [] { return 1; });
  tyf::handle<tyf::test::counted> held = p.step(
      tyf::in_memory, "held",
      [this](int v) {
        return tyf::test::counted{c, v};
      },
      src);
  tyf::handle<int> boom = p.step(
      "boom", [](int) -> int { throw std::runtime_error("disk full"); }, src);
  tyf::handle<int> after_boom = p.step(
      "after_boom", [](int v, const tyf::test::counted&) { return v; }, boom, held);
  tyf::handle<int> after_after = p.step(
      "after_after", [](int v) { return v; }, after_boom);
  tyf::handle<int> side = p.step(
      "side", [](int v) { return v + 1; }, src);
};
}  // namespace

TEST_CASE("a failure is recorded, dependents are skipped, independent branches finish") {
  for (bool seq : {false, true}) {
    failing f;
    auto r = seq ? tyf::run(f.p, tyf::sequential) : tyf::run(f.p);
    REQUIRE(r.status() == tyf::run_status::failed);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.step("boom").status == tyf::step_status::failed);
    REQUIRE(r.step("boom").message == "disk full");
    REQUIRE(r.step("after_boom").status == tyf::step_status::skipped);
    REQUIRE(r.step("after_boom").message == "upstream step 'boom' failed");
    REQUIRE(r.step("after_after").status == tyf::step_status::skipped);
    REQUIRE(r.step("after_after").message == "upstream step 'after_boom' was skipped");
    REQUIRE(r.step("side").status == tyf::step_status::succeeded);
    REQUIRE(r.get(f.side) == 2);
    REQUIRE(r.steps(tyf::step_status::failed).size() == 1);
    REQUIRE_THROWS_WITH(r.get(f.after_after),
                        Catch::Contains("step 'after_after' has no output: it skipped"));
    REQUIRE_THAT(r.summary(), Catch::Contains("boom: failed (disk full)"));
    CHECK(f.c.alive == 0);  // the skipped step's input was released too
  }
}

TEST_CASE("a non-std exception is reported, not lost") {
  tyf::pipeline p{"odd"};
  p.step("odd", []() -> int { throw 42; });
  auto r = tyf::run(p);
  REQUIRE(r.step("odd").status == tyf::step_status::failed);
  REQUIRE(r.step("odd").message == "an exception that is not a std::exception");
}

TEST_CASE("a failing parameter value means nothing runs") {
  tyf::pipeline p{"strict"};
  bool ran = false;
  auto n = p.param<int>("n", 1);
  p.step(
      "s", [&](int) { ran = true; }, n);
  REQUIRE_THROWS_AS(tyf::run(p, tyf::run_options{}.set("n", "1.5")), tyf::run_error);
  REQUIRE_FALSE(ran);
}
