// The plan of a run, alone: a pure function of the definition and the options, checked without
// running a step (reader counts, moves, priorities, selections, conditions, resources).
#include <typeflow/exec/plan.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/run.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/lower.hpp>
#include <typeflow/graph/slice.hpp>

#include "graph_pipelines.hpp"

namespace tyf = typeflow;

namespace {
tyf::detail::node_id id_of(const tyf::pipeline& p, const char* name) {
  return p.definition()->find(name);
}
std::vector<std::string> successors(const tyf::pipeline& p, const tyf::run_plan& plan,
                                    const char* name) {
  std::vector<std::string> out;
  for (auto v : plan.successors(id_of(p, name))) out.emplace_back(p.definition()->nodes[v].name);
  return out;
}
}  // namespace

TEST_CASE("a fan-out's source has one reader per consumer and moves into none of them") {
  tyf::pipeline p{"fan"};
  auto src = p.step("src", [] { return std::string("x"); });
  for (int i = 0; i < 5; ++i)
    p.step(
        "use" + std::to_string(i), [](const std::string& s) { return s.size(); }, src);
  const auto plan = tyf::make_plan(*p.definition(), {});
  const auto u = id_of(p, "src");
  CHECK(plan.readers[u] == 5);
  CHECK(plan.successors(u).size() == 5);
  CHECK(plan.in_degree[u] == 0);
  CHECK(plan.kept[u] == 0);
  for (int i = 0; i < 5; ++i) {
    const auto v = id_of(p, ("use" + std::to_string(i)).c_str());
    CHECK(plan.in_degree[v] == 1);
    CHECK(plan.kept[v] == 1);  // sinks are kept for the result
    CHECK(plan.movable[p.definition()->nodes[v].first_input] == 0);
  }
  CHECK(plan.kept_nodes.size() == 5);
}

TEST_CASE("a chain moves each output into its only reader, unless the output is kept") {
  tyf::pipeline p{"chain"};
  auto a = p.step("a", [] { return std::vector<int>(3, 1); });
  auto b = p.step(
      "b", [](std::vector<int> v) { return v; }, a);
  p.step(
      "c", [](std::vector<int> v) { return v.size(); }, b);
  const auto& d = *p.definition();
  auto plan = tyf::make_plan(d, {});
  CHECK(plan.movable[d.nodes[id_of(p, "b")].first_input] == 1);
  CHECK(plan.movable[d.nodes[id_of(p, "c")].first_input] == 1);
  plan = tyf::make_plan(d, tyf::run_options{}.keep(b));
  CHECK(plan.kept[id_of(p, "b")] == 1);
  CHECK(plan.movable[d.nodes[id_of(p, "c")].first_input] == 0);
  CHECK(plan.movable[d.nodes[id_of(p, "b")].first_input] == 1);
}

TEST_CASE("priorities are the longest remaining path, by step count or by .cost()") {
  tyf::pipeline p{"tree"};
  auto root = p.step("root", [] {});
  auto l = p.step("left", [] {}).after(root);
  auto r = p.step("right", [] {}).after(root);
  p.step("ll", [] {}).after(l);
  p.step("lr", [] {}).after(l);
  auto rr = p.step("rr", [] {}).after(r);
  p.step("rrr", [] {}).after(rr);
  auto plan = tyf::make_plan(*p.definition(), {});
  CHECK(plan.priority[id_of(p, "rrr")] == 1.0);
  CHECK(plan.priority[id_of(p, "left")] == 2.0);
  CHECK(plan.priority[id_of(p, "right")] == 3.0);
  CHECK(plan.priority[id_of(p, "root")] == 4.0);
  CHECK(successors(p, plan, "root") == std::vector<std::string>{"left", "right"});
  CHECK(plan.uniform_cost);  // queued steps are taken newest first

  p.step("heavy", [] {}).after(l).cost(10);
  plan = tyf::make_plan(*p.definition(), {});
  CHECK_FALSE(plan.uniform_cost);  // by priority
  CHECK(plan.priority[id_of(p, "heavy")] == 10.0);
  CHECK(plan.priority[id_of(p, "left")] == 11.0);
  CHECK(plan.priority[id_of(p, "root")] == 12.0);
}

TEST_CASE("a branch step waits for its condition and reads it; its maybe output may be absent") {
  tyf::pipeline p{"branch"};
  auto score = p.step("score", [] { return 0.9; });
  auto good = p.when(score, [](double s) { return s > 0.5; });
  auto exported = good.step(
      "export", [](double s) { return s * 2; }, score);
  p.step(
       "report", [](std::optional<double> x) { return x.value_or(0); }, exported)
      .skip_if([](double s) { return s < 0; }, score);
  const auto& d = *p.definition();
  const auto plan = tyf::make_plan(d, {});
  const auto cond = d.find(good.condition());
  CHECK(plan.in_degree[id_of(p, "export")] == 2);  // score's value and the guard
  CHECK(plan.readers[cond] == 1);
  CHECK(successors(p, plan, std::string(good.condition()).c_str()) ==
        std::vector<std::string>{"export"});
  CHECK(plan.in_degree[id_of(p, "report")] == 2);  // export's value and the skip_if read
  CHECK(plan.readers[id_of(p, "score")] == 3);     // the condition, export, report's skip_if
  // The one edge into report that tolerates an absent value is export's.
  const auto e = id_of(p, "export");
  REQUIRE(plan.succ_tolerant.size() == plan.succ.size());
  for (auto i = plan.succ_begin[e]; i < plan.succ_begin[e + 1]; ++i)
    CHECK(plan.succ_tolerant[i] == 1);
  const auto s = id_of(p, "score");
  for (auto i = plan.succ_begin[s]; i < plan.succ_begin[s + 1]; ++i)
    CHECK(plan.succ_tolerant[i] == 0);
}

TEST_CASE("the plan carries the selection of a partial run, and refuses one of the wrong size") {
  tyf::pipeline p{"partial"};
  auto a = p.step("a", [] { return 1; });
  auto b = p.step(
      "b", [](int x) { return x + 1; }, a);
  p.step(
      "c", [](int x) { return x + 1; }, b);
  auto sel = tyf::slice(p, tyf::slice_spec{.only = {"b"}});
  auto plan = tyf::make_plan(*p.definition(), tyf::run_options{}.select(sel));
  CHECK_FALSE(plan.selected(id_of(p, "a")));
  CHECK(plan.selected(id_of(p, "b")));
  CHECK_FALSE(plan.selected(id_of(p, "c")));
  CHECK(tyf::make_plan(*p.definition(), {}).selected(id_of(p, "c")));
  REQUIRE_THROWS_WITH(tyf::make_plan(*p.definition(), tyf::run_options{}.select({true})),
                      Catch::Contains("selection has 1 entries") && Catch::Contains("3 nodes"));
}

TEST_CASE("resource needs are planned by index, and a missing or too small capacity is refused") {
  tyf::pipeline p{"gpu"};
  p.step("train", [] {}).resources({{"gpu", 1}, {"mem", 2}});
  p.step("eval", [] {});
  auto plan =
      tyf::make_plan(*p.definition(), tyf::run_options{}.capacity("gpu", 2).capacity("mem", 4));
  REQUIRE(plan.needs.size() == 2);
  REQUIRE(plan.needs[id_of(p, "train")].size() == 2);
  CHECK(plan.resource_names[plan.needs[id_of(p, "train")][0].resource] == "gpu");
  CHECK(plan.needs[id_of(p, "eval")].empty());
  REQUIRE_THROWS_WITH(tyf::make_plan(*p.definition(), tyf::run_options{}.capacity("gpu", 2)),
                      Catch::Contains("resource 'mem'") && Catch::Contains("no capacity"));
  REQUIRE_THROWS_WITH(
      tyf::make_plan(*p.definition(), tyf::run_options{}.capacity("gpu", 0.5).capacity("mem", 4)),
      Catch::Contains("asks for 1 of resource 'gpu'"));
}

TEST_CASE("finally handlers wait for nothing in the plan; the executor runs them last") {
  tyf::pipeline p{"fin"};
  auto a = p.step("a", [] { return 1; });
  p.step(
      "b", [](int x) { return x; }, a);
  p.finally("cleanup", [](const tyf::run_outcome&) {});
  const auto plan = tyf::make_plan(*p.definition(), {});
  REQUIRE(plan.finally_handlers.size() == 1);
  CHECK(plan.in_degree[plan.finally_handlers[0]] == 0);
  CHECK(plan.successors(id_of(p, "b")).empty());
}

TEST_CASE(
    "on seeded random pipelines, the plan has exactly the walk's edges and Boost.Graph's order "
    "agrees") {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    auto p = tyf::test::random_pipeline(seed, 20 + 5 * seed);
    const auto& d = *p.definition();
    const auto plan = tyf::make_plan(d, {});
    const auto n = d.nodes.size();
    // The plan's successor edges are the walk's dependencies but the finally ones, counted.
    std::multiset<std::pair<tyf::detail::node_id, tyf::detail::node_id>> walked, planned;
    tyf::for_each_dependency(
        d,
        [&](const tyf::dependency& e) {
          walked.insert({e.from, e.to});
        },
        tyf::with_finally::no);
    std::uint64_t in_total = 0;
    for (tyf::detail::node_id u = 0; u < n; ++u) {
      for (auto v : plan.successors(u)) planned.insert({u, v});
      in_total += plan.in_degree[u];
    }
    CHECK(planned == walked);
    CHECK(in_total == walked.size());
    // Boost's topological order (finally edges included) puts every planned successor after
    // its predecessor, and each finally handler after every other node.
    const auto order = tyf::topological_order(p);
    REQUIRE(order.size() == n);
    std::vector<std::size_t> position(n);
    for (std::size_t i = 0; i < n; ++i) position[d.find(order[i])] = i;
    for (const auto& [u, v] : planned) CHECK(position[u] < position[v]);
    for (auto h : plan.finally_handlers) {
      for (tyf::detail::node_id u = 0; u < n; ++u) {
        if (d.nodes[u].kind != tyf::detail::node_kind::finally_handler)
          CHECK(position[u] < position[h]);
      }
    }
  }
}

TEST_CASE("a finally handler can be neither ordered nor waited for: either would be a cycle") {
  tyf::pipeline p{"fin-order"};
  auto flag = p.param<bool>("flag", false);
  auto a = p.step("a", [] {});
  auto f = p.finally("f", [](const tyf::run_outcome&) {});
  REQUIRE_THROWS_WITH(p.step("late", [] {}).after(f), Catch::Contains("cannot run after 'f'") &&
                                                          Catch::Contains("finally handler"));
  REQUIRE_THROWS_WITH(f.after(a), Catch::Contains("finally handler 'f' cannot be ordered"));
  REQUIRE_THROWS_WITH(f.skip_if([](bool b) { return b; }, flag),
                      Catch::Contains("finally handler"));
  CHECK(tyf::run(p).ok());
}
