// Values move: zero copies along a chain, zero copies on fan-out to const& readers, and each
// output released after its last reader. Every step here is declared tyf::in_memory: these
// tests are about values in memory, and most of their types (counted, move-only, local structs,
// const char*) have no codec.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include "../support.hpp"

namespace tyf = typeflow;
using tyf::test::counted;
using tyf::test::counts;

TEST_CASE("a chain of by-value steps copies nothing") {
  for (bool seq : {false, true}) {
    counts c;
    tyf::pipeline p{"chain"};
    auto h = p.step(tyf::in_memory, "s0", [&c] { return counted{c, 1}; });
    for (int i = 1; i <= 10; ++i) {
      h = p.step(
          tyf::in_memory, "s" + std::to_string(i),
          [](counted x) {
            ++x.value;
            return x;
          },
          h);
    }
    auto r = seq ? tyf::run(p, tyf::sequential) : tyf::run(p);
    REQUIRE(r.ok());
    REQUIRE(r.get(h).value == 11);
    CHECK(c.copies == 0);
    CHECK(c.alive == 1);  // only the kept sink output is alive
  }
}

TEST_CASE("a chain of const& steps copies nothing either") {
  counts c;
  tyf::pipeline p{"cref"};
  auto h = p.step(tyf::in_memory, "s0", [&c] { return counted{c, 1}; });
  for (int i = 1; i <= 5; ++i) {
    h = p.step(
        tyf::in_memory, "s" + std::to_string(i),
        [&c](const counted& x) {
          return counted{c, x.value + 1};
        },
        h);
  }
  auto r = tyf::run(p);
  REQUIRE(r.get(h).value == 6);
  CHECK(c.copies == 0);
  CHECK(c.alive == 1);
}

TEST_CASE("fan-out to const& readers shares one value, with zero copies") {
  counts c;
  tyf::pipeline p{"fanout"};
  auto src = p.step(tyf::in_memory, "src", [&c] { return counted{c, 7}; });
  std::vector<tyf::handle<int>> outs;
  for (int i = 0; i < 8; ++i) {
    outs.push_back(p.step(
        tyf::in_memory, "r" + std::to_string(i), [](const counted& x) { return x.value; }, src));
  }
  auto r = tyf::run(p, tyf::run_options{}.threads(4));
  for (auto& o : outs) REQUIRE(r.get(o) == 7);
  CHECK(c.copies == 0);
  CHECK(c.alive == 0);  // released after the last reader
}

TEST_CASE("fan-out to by-value readers copies for all but none moved from a shared value") {
  counts c;
  tyf::pipeline p{"fanout_copy"};
  auto src = p.step(tyf::in_memory, "src", [&c] { return counted{c, 7}; });
  auto a = p.step(
      tyf::in_memory, "a", [](counted x) { return x.value; }, src);
  auto b = p.step(
      tyf::in_memory, "b", [](counted x) { return x.value; }, src);
  auto r = tyf::run(p);
  REQUIRE(r.get(a) == 7);
  REQUIRE(r.get(b) == 7);
  CHECK(c.copies == 2);  // a shared value is never moved from
}

TEST_CASE("different members of one output are each moved into their only reader") {
  counts c;
  struct pair_of {
    counted left, right;
  };
  tyf::pipeline p{"members"};
  auto src = p.step(tyf::in_memory, "src", [&c] { return pair_of{counted{c, 1}, counted{c, 2}}; });
  auto l = p.step(
      tyf::in_memory, "l", [](counted x) { return x.value; }, src[&pair_of::left]);
  auto r2 = p.step(
      tyf::in_memory, "r", [](counted x) { return x.value; }, src[&pair_of::right]);
  auto r = tyf::run(p);
  REQUIRE(r.get(l) == 1);
  REQUIRE(r.get(r2) == 2);
  CHECK(c.copies == 0);
}

TEST_CASE("a member read beside its whole value is copied, not moved") {
  counts c;
  struct holder {
    counted item;
  };
  tyf::pipeline p{"overlap"};
  auto src = p.step(tyf::in_memory, "src", [&c] { return holder{counted{c, 3}}; });
  auto part = p.step(
      tyf::in_memory, "part", [](counted x) { return x.value; }, src[&holder::item]);
  auto whole = p.step(
      tyf::in_memory, "whole", [](const holder& h) { return h.item.value; }, src);
  auto r = tyf::run(p, tyf::sequential);
  REQUIRE(r.get(part) == 3);
  REQUIRE(r.get(whole) == 3);  // would read a moved-from value if part had moved it
  CHECK(c.copies == 1);
}

TEST_CASE("an output is released as soon as its last reader has finished") {
  counts c;
  tyf::pipeline p{"release"};
  auto a = p.step(tyf::in_memory, "a", [&c] { return counted{c, 1}; });
  auto b = p.step(
      tyf::in_memory, "b", [](const counted& x) { return x.value; }, a);
  int alive_at_c = -1;
  auto d = p.step(
      tyf::in_memory, "c",
      [&](int v) {
        alive_at_c = c.alive.load();
        return v;
      },
      b);
  auto r = tyf::run(p, tyf::sequential);
  REQUIRE(r.get(d) == 1);
  CHECK(alive_at_c == 0);
}

TEST_CASE("a move-only output moves along a chain and is refused when shared by value") {
  tyf::pipeline p{"unique"};
  auto a = p.step(tyf::in_memory, "a", [] { return std::make_unique<int>(4); });
  auto b = p.step(
      tyf::in_memory, "b", [](std::unique_ptr<int> x) { return *x; }, a);
  REQUIRE(tyf::run(p).get(b) == 4);

  tyf::pipeline q{"shared_unique"};
  auto qa = q.step(tyf::in_memory, "a", [] { return std::make_unique<int>(4); });
  q.step(
      tyf::in_memory, "b", [](std::unique_ptr<int> x) { return *x; }, qa);
  q.step(
      tyf::in_memory, "c", [](const std::unique_ptr<int>& x) { return *x; }, qa);
  auto r = tyf::run(q);
  REQUIRE(r.status() == tyf::run_status::failed);
  REQUIRE_THAT(r.step("b").message, Catch::Contains("move-only") && Catch::Contains("const&"));
  REQUIRE(r.step("c").status == tyf::step_status::succeeded);
}

TEST_CASE("edges convert to the parameter type") {
  tyf::pipeline p{"convert"};
  auto f = p.step(tyf::in_memory, "f", [] { return 1.5f; });
  auto d = p.step(
      tyf::in_memory, "d", [](double x) { return x * 2; }, f);
  auto o = p.step(
      tyf::in_memory, "o", [](std::optional<double> x) { return x.value_or(0); }, d);
  auto s = p.step(
      tyf::in_memory, "s", [](const std::string& x) { return x.size(); },
      p.step(tyf::in_memory, "c", [] { return "abc"; }));
  auto r = tyf::run(p);
  REQUIRE(r.get(o) == 3.0);
  REQUIRE(r.get(s) == 3);
}
