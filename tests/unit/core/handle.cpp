#include <typeflow/core/handle.hpp>
#include <typeflow/core/pipeline.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace tyf = typeflow;

namespace {
struct Dataset {
  std::vector<float> x;
};
struct Split {
  Dataset train, test;
  int seed = 0;
};
struct Derived : Split {};
}  // namespace
// Codecs: a step's output is stored by default, so its type needs one.
BOOST_HANA_ADAPT_STRUCT(Dataset, x);
BOOST_HANA_ADAPT_STRUCT(Split, train, test, seed);

TEST_CASE("projections select members and tuple elements with their own types") {
  tyf::pipeline p{"proj"};
  auto split = p.step("split", [] { return Split{}; });
  auto pair = p.step("pair", [] { return std::tuple<int, std::string>{1, "a"}; });
  auto derived = p.step(tyf::in_memory, "derived", [] { return Derived{}; });  // no codec

  STATIC_REQUIRE(std::is_same_v<decltype(split), tyf::handle<Split>>);
  STATIC_REQUIRE(std::is_same_v<decltype(split[&Split::train]), tyf::handle<Dataset>>);
  STATIC_REQUIRE(
      std::is_same_v<decltype(split[&Split::train][&Dataset::x]), tyf::handle<std::vector<float>>>);
  STATIC_REQUIRE(std::is_same_v<decltype(pair.get<1>()), tyf::handle<std::string>>);
  // A member of a base class selects from a derived output.
  STATIC_REQUIRE(std::is_same_v<decltype(derived[&Split::seed]), tyf::handle<int>>);

  REQUIRE(split[&Split::train].name() == "split");
  REQUIRE(split[&Split::train].valid());
  REQUIRE_FALSE(tyf::handle<int>{}.valid());
}

TEST_CASE("the same part selected twice is one port; different parts are disjoint") {
  tyf::pipeline p{"ports"};
  auto split = p.step("split", [] { return Split{}; });
  auto a = split[&Split::train];
  auto b = split[&Split::train];
  auto c = split[&Split::test];
  using access = tyf::detail::handle_access;
  const auto& def = *p.definition();
  REQUIRE(access::port(a) == access::port(b));
  REQUIRE(access::port(a) != access::port(c));
  REQUIRE(def.overlap(access::port(a), access::port(split)));
  REQUIRE(def.overlap(access::port(split[&Split::train][&Dataset::x]), access::port(a)));
  REQUIRE_FALSE(def.overlap(access::port(a), access::port(c)));
}

TEST_CASE("after() orders only after earlier steps, so no cycle can be written") {
  tyf::pipeline p{"order"};
  auto a = p.step("a", [] {});
  auto b = p.step("b", [] {}).after(a);
  REQUIRE(p.definition()->order.size() == 1);
  REQUIRE_THROWS_WITH(a.after(b), Catch::Contains("step 'a' cannot run after 'b'") &&
                                      Catch::Contains("declared later"));
  REQUIRE_THROWS_WITH(b.after(b), Catch::Contains("cannot wait for itself"));
  tyf::pipeline other{"other"};
  auto x = other.step("x", [] {});
  REQUIRE_THROWS_WITH(b.after(x), Catch::Contains("belongs to pipeline 'other'"));
  REQUIRE_THROWS_WITH(b.after(tyf::handle<void>{}), Catch::Contains("empty handle"));
}

TEST_CASE("policies are checked when they are set and name the step") {
  tyf::pipeline p{"policies"};
  auto lr = p.param<double>("lr", 0.1);
  auto s = p.step(
      "s", [](double) { return 1; }, lr);
  REQUIRE_THROWS_WITH(s.timeout(std::chrono::seconds(0)),
                      Catch::Contains(".timeout() on step 's'") && Catch::Contains("positive"));
  REQUIRE_THROWS_WITH(s.resources({{"gpu", 0}}), Catch::Contains("'gpu' needs a positive amount"));
  REQUIRE_THROWS_WITH(s.resources({{"", 1}}), Catch::Contains("resource name is empty"));
  REQUIRE_THROWS_WITH(s.cost(-1), Catch::Contains("zero or positive"));
  REQUIRE_THROWS_WITH(lr.retry(2), Catch::Contains("it is a parameter, not a step"));
  s.retry(2).timeout(std::chrono::seconds(1)).resources({{"gpu", 1}}).cost(3).keep();
  const auto& policy = *p.definition()->nodes[1].policy;
  REQUIRE(policy.retries == 2);
  REQUIRE(policy.timeout == std::chrono::seconds(1));
  REQUIRE(policy.resources.size() == 1);
  REQUIRE(policy.cost == 3);
  REQUIRE(policy.keep_output);
}
