#include <typeflow/graph/dot.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace tyf = typeflow;

namespace {
struct Dataset {
  std::vector<float> x;
};
struct Split {
  Dataset train, test;
};
}  // namespace
// Codecs: a step's output is stored by default, so its type needs one.
BOOST_HANA_ADAPT_STRUCT(Dataset, x);
BOOST_HANA_ADAPT_STRUCT(Split, train, test);

TEST_CASE("DOT export names steps and the C++ type of each edge") {
  tyf::pipeline p{"dot"};
  auto lr = p.param<double>("lr", 0.1);
  auto split = p.step("split", [] { return Split{}; });
  auto n = p.step("train", [](const Dataset& d, double) { return d.x.size(); }, split[&Split::train], lr);
  p.step("report", [](std::size_t) {}, n).after(split);
  auto dot = tyf::to_dot(p);
  REQUIRE_THAT(dot, Catch::StartsWith("digraph \"dot\" {"));
  REQUIRE_THAT(dot, Catch::Contains("n0 [label=\"lr\", shape=ellipse]"));
  REQUIRE_THAT(dot, Catch::Contains("n2 [label=\"train\", shape=box]"));
  REQUIRE_THAT(dot, Catch::Contains("n1 -> n2 [label=\"(anonymous namespace)::Dataset\"]"));
  REQUIRE_THAT(dot, Catch::Contains("n0 -> n2 [label=\"double\"]"));
  REQUIRE_THAT(dot, Catch::Contains("n2 -> n3 [label=\"unsigned long\"]"));
  REQUIRE_THAT(dot, Catch::Contains("n1 -> n3 [style=dashed]"));
}

TEST_CASE("step names with quotes cannot break the DOT text") {
  REQUIRE(tyf::detail::dot_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
}
