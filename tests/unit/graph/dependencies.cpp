// The one walk over every dependency (graph/dependencies.hpp): each kind, with its ends, port,
// argument, guard value and whether the value may be absent.
#include <typeflow/graph/dependencies.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <typeinfo>
#include <vector>

#include <graph_pipelines.hpp>

namespace tyf = typeflow;
using tyf::dependency_kind;

namespace {
/// A dependency in words: from, to, kind, argument, guard value, may be absent.
using row = std::tuple<std::string, std::string, dependency_kind, std::uint32_t, bool, bool>;

std::vector<row> rows(const tyf::detail::definition& d, tyf::with_finally f) {
  std::vector<row> out;
  for (const auto& e : tyf::dependencies_of(d, f)) {
    out.emplace_back(std::string(d.nodes[e.from].name), std::string(d.nodes[e.to].name), e.kind,
                     e.argument, e.guard_value, e.may_be_absent);
  }
  return out;
}
}  // namespace

TEST_CASE("the walk lists every dependency with its kind, ends, argument and guard value") {
  auto p = tyf::test::every_dependency_pipeline();
  const auto& d = *p.definition();
  using k = dependency_kind;
  const std::vector<row> reads{
      {"split", "fit", k::items, 0, true, false},
      {"lr", "fit", k::data, 1, true, false},
      {"fit", "score", k::data, 0, true, false},
      {"split", "score", k::data, 1, true, false},
      {"score", "when-1", k::data, 0, true, false},
      {"score", "export", k::data, 0, true, false},
      {"when-1", "export", k::guard, 0, true, false},
      {"score", "report", k::data, 0, true, false},
      {"when-1", "report", k::guard, 0, false, false},
      {"export", "first-of-1", k::data, 0, true, true},
      {"report", "first-of-1", k::data, 1, true, true},
      {"first-of-1", "require-1", k::gate, 0, true, false},
      {"first-of-1", "upload", k::data, 0, true, false},
      {"dry-run", "upload", k::skip_if, 0, true, false},
      {"export", "audit", k::data, 0, true, true},
      {"require-1", "upload", k::order, 0, true, false},
  };
  CHECK(rows(d, tyf::with_finally::no) == reads);

  auto all = reads;
  all.emplace_back("upload", "notify", k::finally, 0, true, false);
  all.emplace_back("audit", "notify", k::finally, 0, true, false);
  CHECK(rows(d, tyf::with_finally::yes) == all);
}

TEST_CASE("the walk names the port each dependency reads") {
  auto p = tyf::test::every_dependency_pipeline();
  const auto& d = *p.definition();
  const auto split = d.find("split");
  for (const auto& e : tyf::dependencies_of(d)) {
    INFO(d.nodes[e.from].name << " -> " << d.nodes[e.to].name << " (" << tyf::to_string(e.kind)
                              << ")");
    CHECK(e.reads_value() ==
          (e.kind != dependency_kind::order && e.kind != dependency_kind::finally));
    if (!e.reads_value()) {
      CHECK(e.port == tyf::detail::none);
      continue;
    }
    REQUIRE(e.port != tyf::detail::none);
    CHECK(d.ports[e.port].node == e.from);
    if (e.from == split) {
      // The projections split.train (the map's items) and split.test (score's argument 2).
      CHECK(d.ports[e.port].parent == d.nodes[split].whole);
      CHECK(*d.ports[e.port].type ==
            (e.kind == dependency_kind::items ? typeid(std::vector<int>) : typeid(int)));
    } else {
      CHECK(e.port == d.nodes[e.from].whole);
    }
    if (e.kind == dependency_kind::guard) CHECK(*d.ports[e.port].type == typeid(bool));
    const bool indexed = e.kind == dependency_kind::data || e.kind == dependency_kind::items ||
                         e.kind == dependency_kind::gate;
    if (indexed) {
      REQUIRE(e.input != tyf::detail::none);
      CHECK(d.inputs[e.input] == e.port);
      CHECK(e.input == d.nodes[e.to].first_input + e.argument);
    } else {
      CHECK(e.input == tyf::detail::none);
    }
  }
}

TEST_CASE("the DSL marks conditions, gates and selectors; other nodes stay plain") {
  auto p = tyf::test::every_dependency_pipeline();
  const auto& d = *p.definition();
  using r = tyf::detail::node_role;
  CHECK(d.nodes[d.find("when-1")].role == r::condition);
  CHECK(d.nodes[d.find("require-1")].role == r::gate);
  CHECK(d.nodes[d.find("first-of-1")].role == r::selector);
  for (const auto* plain :
       {"lr", "split", "fit", "score", "export", "report", "upload", "notify"}) {
    CHECK(d.nodes[d.find(plain)].role == r::plain);
  }
}

TEST_CASE("for_each_read gives one node's reads: data in argument order, guard, skip_if") {
  auto p = tyf::test::every_dependency_pipeline();
  const auto& d = *p.definition();
  std::vector<dependency_kind> kinds;
  tyf::for_each_read(d, d.find("upload"),
                     [&](const tyf::dependency& e) { kinds.push_back(e.kind); });
  CHECK(kinds == std::vector<dependency_kind>{dependency_kind::data, dependency_kind::skip_if});
  kinds.clear();
  tyf::for_each_read(d, d.find("report"),
                     [&](const tyf::dependency& e) { kinds.push_back(e.kind); });
  CHECK(kinds == std::vector<dependency_kind>{dependency_kind::data, dependency_kind::guard});
  kinds.clear();
  tyf::for_each_read(d, d.find("notify"),
                     [&](const tyf::dependency& e) { kinds.push_back(e.kind); });
  CHECK(kinds.empty());
}

TEST_CASE("every kind has a word") {
  using k = dependency_kind;
  CHECK(tyf::to_string(k::data) == "data");
  CHECK(tyf::to_string(k::items) == "items");
  CHECK(tyf::to_string(k::gate) == "gate");
  CHECK(tyf::to_string(k::guard) == "guard");
  CHECK(tyf::to_string(k::skip_if) == "skip_if");
  CHECK(tyf::to_string(k::order) == "order");
  CHECK(tyf::to_string(k::finally) == "finally");
}
