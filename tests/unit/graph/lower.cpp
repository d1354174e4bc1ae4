#include <typeflow/graph/dot.hpp>
#include <typeflow/graph/lower.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <typeinfo>
#include <vector>

#include <boost/graph/topological_sort.hpp>
#include <boost/range/iterator_range.hpp>

#include <graph_pipelines.hpp>

namespace tyf = typeflow;

TEST_CASE("the pipeline lowers to a Boost.Graph with one edge per input and ordering") {
  tyf::pipeline p{"lower"};
  auto k = p.param<int>("k", 2);
  auto a = p.step(
      "a", [](int x) { return x; }, k);
  auto b = p.step(
      "b", [](int x, int y) { return x + y; }, a, a);
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
  auto z = p.step(
      "z", [](int a, int b) { return a + b; }, y, x);
  p.step(
      "w", [](int) {}, z);
  auto order = tyf::topological_order(p);
  auto pos = [&](const std::string& n) {
    return std::find(order.begin(), order.end(), n) - order.begin();
  };
  REQUIRE(order.size() == 4);
  REQUIRE(pos("x") < pos("z"));
  REQUIRE(pos("y") < pos("z"));
  REQUIRE(pos("z") < pos("w"));
}

namespace {
/// (from, to, kind) of every dependency the walk gives, and of every edge of the graph.
using end_kind = std::tuple<std::size_t, std::size_t, tyf::dependency_kind>;

std::vector<end_kind> walked(const tyf::pipeline& p) {
  std::vector<end_kind> out;
  for (const auto& e : tyf::dependencies_of(*p.definition()))
    out.emplace_back(e.from, e.to, e.kind);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<end_kind> lowered(const tyf::pipeline_graph& g) {
  std::vector<end_kind> out;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    out.emplace_back(boost::source(e, g), boost::target(e, g), g[e].kind);
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("lowering draws every dependency of the walk, finally handlers included") {
  auto p = tyf::test::every_dependency_pipeline();
  const auto& d = *p.definition();
  auto g = tyf::lower(p);
  REQUIRE(boost::num_vertices(g) == d.nodes.size());
  CHECK(lowered(g) == walked(p));
  CHECK(boost::num_edges(g) == 18);

  auto role = [&](const char* name) { return g[d.find(name)].role; };
  CHECK(role("lr") == "parameter");
  CHECK(role("split") == "step");
  CHECK(role("fit") == "map");
  CHECK(role("when-1") == "condition");
  CHECK(role("export") == "step");
  CHECK(role("first-of-1") == "selector");
  CHECK(role("require-1") == "gate");
  CHECK(role("notify") == "finally");
  CHECK(g[d.find("lr")].is_parameter);

  bool guard_true = false, guard_false = false, items = false, skip = false, order = false;
  std::size_t finally = 0;
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    const auto& info = g[e];
    const auto& from = g[boost::source(e, g)].name;
    const auto& to = g[boost::target(e, g)].name;
    INFO(from << " -> " << to << " (" << tyf::to_string(info.kind) << ")");
    CHECK(info.carries_data ==
          (info.kind != tyf::dependency_kind::order && info.kind != tyf::dependency_kind::finally));
    switch (info.kind) {
      case tyf::dependency_kind::guard:
        CHECK(from == "when-1");
        CHECK(info.type == "bool");
        CHECK(info.argument == 0);
        (info.guard_value ? guard_true : guard_false) = true;
        CHECK(to == (info.guard_value ? "export" : "report"));
        break;
      case tyf::dependency_kind::items:
        items = true;
        CHECK(from == "split");
        CHECK(to == "fit");
        CHECK(info.argument == 1);
        CHECK(info.type == tyf::detail::demangle(typeid(std::vector<int>)));
        break;
      case tyf::dependency_kind::skip_if:
        skip = true;
        CHECK(from == "dry-run");
        CHECK(info.type == "bool");
        CHECK(info.argument == 1);
        break;
      case tyf::dependency_kind::gate:
        CHECK(to == "require-1");
        CHECK(info.type == "double");
        break;
      case tyf::dependency_kind::order:
        order = true;
        CHECK(from == "require-1");
        CHECK(info.type.empty());
        break;
      case tyf::dependency_kind::finally:
        ++finally;
        CHECK(to == "notify");
        CHECK(info.type.empty());
        break;
      case tyf::dependency_kind::data:
        CHECK(info.argument >= 1);
        CHECK(!info.type.empty());
        break;
    }
  }
  CHECK(guard_true);
  CHECK(guard_false);
  CHECK(items);
  CHECK(skip);
  CHECK(order);
  CHECK(finally == 2);
  CHECK(tyf::topological_order(p).back() == "notify");
}

TEST_CASE("edges in words: the type for data, the kind first for every other kind") {
  tyf::edge_info e;
  e.type = "int";
  CHECK(tyf::edge_text(e) == "int");
  e.kind = tyf::dependency_kind::items;
  CHECK(tyf::edge_text(e) == "items: int");
  e.kind = tyf::dependency_kind::guard;
  e.type = "bool";
  CHECK(tyf::edge_text(e) == "guard: if true");
  e.guard_value = false;
  CHECK(tyf::edge_text(e) == "guard: if false");
  e.kind = tyf::dependency_kind::skip_if;
  CHECK(tyf::edge_text(e) == "skip_if: bool");
  e.kind = tyf::dependency_kind::order;
  CHECK(tyf::edge_text(e) == "after");
  e.kind = tyf::dependency_kind::finally;
  CHECK(tyf::edge_text(e) == "finally");
}

TEST_CASE(
    "random pipelines: Boost's topological order has every node once, each after all it waits "
    "for") {
  std::size_t kinds_seen[7] = {};  // over all seeds: the generator makes every kind
  for (std::uint32_t seed = 1; seed <= 50; ++seed) {
    const std::size_t size = 20 + (seed - 1) * 180 / 49;  // 20 .. 200 nodes
    auto p = tyf::test::random_pipeline(seed, size);
    const auto& d = *p.definition();
    INFO("seed " << seed << ", " << d.nodes.size() << " nodes");
    REQUIRE(d.nodes.size() >= size);
    const auto deps = tyf::dependencies_of(d);
    auto g = tyf::lower(p);
    CHECK(boost::num_edges(g) == deps.size());
    CHECK(lowered(g) == walked(p));

    auto order = tyf::topological_order(p);
    REQUIRE(order.size() == d.nodes.size());
    std::vector<std::size_t> pos(d.nodes.size(), d.nodes.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      auto u = d.find(order[i]);
      REQUIRE(u != tyf::detail::none);
      CHECK(pos[u] == d.nodes.size());  // listed once
      pos[u] = i;
    }
    for (const auto& e : deps) {
      ++kinds_seen[static_cast<int>(e.kind)];
      if (pos[e.from] >= pos[e.to]) {
        FAIL_CHECK(d.nodes[e.from].name << " -> " << d.nodes[e.to].name << " ("
                                        << tyf::to_string(e.kind) << ") is out of order");
      }
      // Ids are a topological order of everything but the finally edges.
      if (e.kind != tyf::dependency_kind::finally) CHECK(e.from < e.to);
    }
  }
  for (auto n : kinds_seen) CHECK(n > 0);
}

TEST_CASE("topological_order is the order Boost.Graph's topological_sort gives for lower(p)") {
  // topological_order does its own depth-first search (no Boost.Graph where it is used); it
  // must list the nodes exactly as boost::topological_sort on the lowered graph does.
  auto boost_order = [](const tyf::pipeline& p) {
    auto g = tyf::lower(p);
    std::vector<tyf::pipeline_graph::vertex_descriptor> reversed;
    boost::topological_sort(g, std::back_inserter(reversed));
    std::vector<std::string> names;
    for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) names.push_back(g[*it].name);
    return names;
  };
  auto every = tyf::test::every_dependency_pipeline();
  CHECK(tyf::topological_order(every) == boost_order(every));
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    auto p = tyf::test::random_pipeline(seed, 60);
    INFO("seed " << seed);
    CHECK(tyf::topological_order(p) == boost_order(p));
  }
}

TEST_CASE("to_dot draws the nodes and edges of lower(p), in the graph's order") {
  // to_dot reads the dependency walk itself (no Boost.Graph where it is used); its edges must
  // be the lowered graph's, in boost::edges order, as when it was drawn from lower(p).
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    auto p = tyf::test::random_pipeline(seed, 40);
    INFO("seed " << seed);
    auto g = tyf::lower(p);
    std::string expected;
    for (auto e : boost::make_iterator_range(boost::edges(g))) {
      expected += "n" + std::to_string(boost::source(e, g)) + " -> n" +
                  std::to_string(boost::target(e, g)) + "\n";
    }
    std::string drawn;
    const auto dot = tyf::to_dot(p);
    for (std::size_t at = dot.find(" -> "); at != std::string::npos;
         at = dot.find(" -> ", at + 1)) {
      const auto begin = dot.rfind("  n", at) + 2;
      const auto end = dot.find(' ', at + 4);
      drawn += dot.substr(begin, end - begin) + "\n";
    }
    CHECK(drawn == expected);
    CHECK(dot.find("n" + std::to_string(boost::num_vertices(g) - 1) + " [label=") !=
          std::string::npos);
  }
}
