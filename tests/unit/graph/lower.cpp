#include <typeflow/graph/lower.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

namespace tyf = typeflow;

TEST_CASE("the pipeline lowers to a Boost.Graph with one edge per input and ordering") {
  tyf::pipeline p{"lower"};
  auto k = p.param<int>("k", 2);
  auto a = p.step("a", [](int x) { return x; }, k);
  auto b = p.step("b", [](int x, int y) { return x + y; }, a, a);
  p.step("c", [] {}).after(b);
  auto g = tyf::lower(p);
  REQUIRE(boost::num_vertices(g) == 4);
  REQUIRE(boost::num_edges(g) == 4);
  REQUIRE(g[0].is_parameter);
  REQUIRE(g[2].output_type == "int");
  REQUIRE(g[3].output_type == "void");
  REQUIRE(boost::in_degree(2, g) == 2);
}

TEST_CASE("Boost's topological order puts every node after its inputs") {
  tyf::pipeline p{"topo"};
  auto x = p.step("x", [] { return 1; });
  auto y = p.step("y", [] { return 2; });
  auto z = p.step("z", [](int a, int b) { return a + b; }, y, x);
  p.step("w", [](int) {}, z);
  auto order = tyf::topological_order(p);
  auto pos = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  REQUIRE(order.size() == 4);
  REQUIRE(pos("x") < pos("z"));
  REQUIRE(pos("y") < pos("z"));
  REQUIRE(pos("z") < pos("w"));
}
