#include <typeflow/graph/dot.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <typeinfo>
#include <vector>

#include <typeflow/detail/type_name.hpp>
#include <typeflow/graph/dependencies.hpp>

#include <graph_pipelines.hpp>

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
  auto n = p.step(
      "train", [](const Dataset& d, double) { return d.x.size(); }, split[&Split::train], lr);
  p.step(
       "report", [](std::size_t) {}, n)
      .after(split);
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

namespace {
/// What the DOT line of an edge of this kind shows.
std::string dot_marker(const tyf::dependency& e, const tyf::detail::definition& d) {
  switch (e.kind) {
    case tyf::dependency_kind::data:
    case tyf::dependency_kind::gate:
      return "label=\"" + tyf::detail::demangle(*d.ports[e.port].type) + "\"";
    case tyf::dependency_kind::items: return "label=\"items: ";
    case tyf::dependency_kind::guard:
      return e.guard_value ? "label=\"if true\"" : "label=\"if false\"";
    case tyf::dependency_kind::skip_if: return "label=\"skip_if\"";
    case tyf::dependency_kind::order: return "[style=dashed]";
    case tyf::dependency_kind::finally: return "style=dashed, color=grey";
  }
  return "?";
}
}  // namespace

TEST_CASE("DOT draws every dependency: guards, skip_if, items, gates, order and finally") {
  auto p = tyf::test::every_dependency_pipeline();
  const auto& d = *p.definition();
  auto dot = tyf::to_dot(p);
  INFO(dot);
  // Nodes by role.
  CHECK_THAT(dot, Catch::Contains("n0 [label=\"lr\", shape=ellipse]"));
  CHECK_THAT(dot, Catch::Contains("n2 [label=\"split\", shape=box]"));
  CHECK_THAT(dot, Catch::Contains("n3 [label=\"fit\", shape=box3d]"));
  CHECK_THAT(dot, Catch::Contains("n5 [label=\"when-1\", shape=diamond]"));
  CHECK_THAT(dot, Catch::Contains("n8 [label=\"first-of-1\", shape=invhouse]"));
  CHECK_THAT(dot, Catch::Contains("n9 [label=\"require-1\", shape=octagon]"));
  CHECK_THAT(dot, Catch::Contains("n12 [label=\"notify\", shape=box, style=\"rounded,dashed\"]"));
  // Edges by kind.
  CHECK_THAT(dot, Catch::Contains("n5 -> n6 [label=\"if true\", style=dotted]"));
  CHECK_THAT(dot, Catch::Contains("n5 -> n7 [label=\"if false\", style=dotted]"));
  CHECK_THAT(dot, Catch::Contains("n1 -> n10 [label=\"skip_if\", style=dotted"));
  CHECK_THAT(dot,
             Catch::Contains("n2 -> n3 [label=\"items: " +
                             tyf::detail::demangle(typeid(std::vector<int>)) + "\", style=bold]"));
  CHECK_THAT(dot, Catch::Contains("n8 -> n9 [label=\"double\"]"));
  CHECK_THAT(dot, Catch::Contains("n9 -> n10 [style=dashed]"));
  CHECK_THAT(dot, Catch::Contains("n10 -> n12 [style=dashed, color=grey]"));
  CHECK_THAT(dot, Catch::Contains("n11 -> n12 [style=dashed, color=grey]"));

  // Every dependency of the walk has its line, and there is no other edge.
  const auto deps = tyf::dependencies_of(d);
  std::size_t arrows = 0;
  for (std::size_t at = dot.find(" -> "); at != std::string::npos; at = dot.find(" -> ", at + 1))
    ++arrows;
  CHECK(arrows == deps.size());
  for (const auto& e : deps) {
    const auto start = "  n" + std::to_string(e.from) + " -> n" + std::to_string(e.to) + " [";
    const auto at = dot.find(start);
    INFO(d.nodes[e.from].name << " -> " << d.nodes[e.to].name << " (" << tyf::to_string(e.kind)
                              << ")");
    REQUIRE(at != std::string::npos);
    const auto line = dot.substr(at, dot.find('\n', at) - at);
    CHECK_THAT(line, Catch::Contains(dot_marker(e, d)));
  }
}
