#include <typeflow/core/pipeline.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace tyf = typeflow;

namespace {
int make_one() { return 1; }
int twice(int x) { return 2 * x; }
struct scale {
  double factor;
  double operator()(int x) const { return factor * x; }
};
}  // namespace

TEST_CASE("steps come from functions, lambdas and function objects") {
  tyf::pipeline p{"kinds"};
  auto one = p.step("one", make_one);
  auto two = p.step("two", twice, one);
  auto three = p.step("three", scale{1.5}, two);
  auto text = p.step(
      "text", [](double d) { return std::to_string(d); }, three);
  STATIC_REQUIRE(std::is_same_v<decltype(one), tyf::handle<int>>);
  STATIC_REQUIRE(std::is_same_v<decltype(three), tyf::handle<double>>);
  STATIC_REQUIRE(std::is_same_v<decltype(text), tyf::handle<std::string>>);
  REQUIRE(p.size() == 4);
  REQUIRE(p.name() == "kinds");
  const auto& def = *p.definition();
  REQUIRE(def.nodes[1].input_count == 1);
  REQUIRE(def.ports[def.inputs[def.nodes[1].first_input]].node == 0);
}

TEST_CASE("void steps and steps taking a context have no edge for them") {
  tyf::pipeline p{"ctx"};
  auto n = p.step("n", [](tyf::context& ctx) { return static_cast<int>(ctx.attempt()); });
  auto done = p.step(
      "done", [](int, tyf::context&) {}, n);
  STATIC_REQUIRE(std::is_same_v<decltype(done), tyf::handle<void>>);
  REQUIRE(p.definition()->nodes[1].input_count == 1);
  REQUIRE(p.definition()->nodes[1].whole == tyf::detail::none);
}

TEST_CASE("bad and duplicate names are rejected when the pipeline is defined") {
  REQUIRE_THROWS_WITH(tyf::pipeline{"1st"}, Catch::Contains("invalid pipeline name '1st'"));
  tyf::pipeline p{"names"};
  p.step("load", make_one);
  REQUIRE_THROWS_WITH(p.step("load", make_one),
                      Catch::Contains("duplicate name 'load' in pipeline 'names'") &&
                          Catch::Contains("already used by a step"));
  REQUIRE_THROWS_WITH(p.step("bad name", make_one),
                      Catch::Contains("invalid step name 'bad name'"));
  p.param<int>("k", 3);
  REQUIRE_THROWS_WITH(p.step("k", make_one), Catch::Contains("already used by a parameter"));
  REQUIRE_THROWS_WITH(p.param<int>("load", 1), Catch::Contains("duplicate name 'load'"));
  REQUIRE_THROWS_AS(p.param<int>("k!", 1), tyf::definition_error);
  // A rejected step leaves nothing behind.
  REQUIRE(p.size() == 2);
}

TEST_CASE("gates and conditions take names by the naming rule; a taken name says by what") {
  tyf::pipeline p{"gates"};
  auto one = p.step("one", make_one);
  auto pass = [](int) { return true; };
  auto gate = p.require("gate", one, pass, "always");
  auto cond = p.when("cond", one, pass);
  REQUIRE(gate.name() == "gate");
  REQUIRE(cond.condition() == "cond");
  const auto& d = *p.definition();
  REQUIRE(d.nodes[d.find("gate")].role == tyf::detail::node_role::gate);
  REQUIRE(d.nodes[d.find("cond")].role == tyf::detail::node_role::condition);
  // Default names are unchanged by named ones.
  REQUIRE(p.require(one, pass, "always").name() == "require-1");
  REQUIRE(p.when(one, pass).condition() == "when-1");
  const auto size = p.size();
  REQUIRE_THROWS_WITH(p.require("one", one, pass, "x"),
                      Catch::Contains("duplicate name 'one' in pipeline 'gates' for a gate") &&
                          Catch::Contains("already used by a step"));
  REQUIRE_THROWS_WITH(
      p.when("gate", one, pass),
      Catch::Contains("duplicate name 'gate' in pipeline 'gates' for a condition") &&
          Catch::Contains("already used by a gate"));
  REQUIRE_THROWS_WITH(p.require("cond", one, pass, "x"),
                      Catch::Contains("already used by a condition"));
  REQUIRE_THROWS_WITH(p.step("cond", make_one), Catch::Contains("already used by a condition"));
  REQUIRE_THROWS_WITH(p.require("quality gate", one, pass, "x"),
                      Catch::Contains("invalid gate name 'quality gate': it contains ' '"));
  REQUIRE_THROWS_WITH(p.when("", one, pass), Catch::Contains("invalid condition name ''"));
  REQUIRE(p.size() == size);  // nothing was added by a refused name
}

TEST_CASE("handles are wired only within their own pipeline and never empty") {
  tyf::pipeline a{"a"};
  tyf::pipeline b{"b"};
  auto x = a.step("x", make_one);
  REQUIRE_THROWS_WITH(
      b.step("y", twice, x),
      Catch::Contains("input 1 of step 'y' in pipeline 'b' comes from pipeline 'a'"));
  REQUIRE_THROWS_WITH(b.step("z", twice, tyf::handle<int>{}),
                      Catch::Contains("input 1 of step 'z'") && Catch::Contains("empty handle"));
  REQUIRE(b.size() == 0);
}

TEST_CASE("a pipeline can be moved; its handles stay valid") {
  tyf::pipeline p{"moved"};
  auto one = p.step("one", make_one);
  tyf::pipeline q = std::move(p);
  auto two = q.step("two", twice, one);
  REQUIRE(two.name() == "two");
  REQUIRE(q.size() == 2);
}

TEST_CASE("many steps: names stay findable as the definition grows") {
  tyf::pipeline p{"many"};
  auto prev = p.step("s0", make_one);
  for (int i = 1; i < 5000; ++i) prev = p.step("s" + std::to_string(i), twice, prev);
  const auto& def = *p.definition();
  REQUIRE(def.find("s0") == 0);
  REQUIRE(def.find("s4999") == 4999);
  REQUIRE(def.find("s5000") == tyf::detail::none);
  REQUIRE(def.nodes[1234].name == "s1234");
}

TEST_CASE("reserving room for steps changes nothing a pipeline declares or checks") {
  tyf::pipeline p{"reserved"};
  p.reserve(1000);
  REQUIRE(p.definition()->nodes.capacity() >= 1000);
  auto first = p.step("s0", make_one);
  for (int i = 1; i < 1000; ++i) first = p.step("s" + std::to_string(i), twice, first);
  REQUIRE(p.size() == 1000);
  REQUIRE(p.definition()->find("s999") == 999);
  REQUIRE_THROWS_WITH(p.step("s500", make_one), Catch::Contains("duplicate name 's500'"));
  REQUIRE(p.size() == 1000);
}
