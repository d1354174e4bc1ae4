// Partial runs: only/from/to/scenes select steps (graph/slice.hpp); the inputs of selected
// steps come from the cache or an earlier run, and are checked before anything runs.
#include <typeflow/graph/slice.hpp>
#include <typeflow/store.hpp>

#include <catch2/catch.hpp>

#include "graph_pipelines.hpp"
#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

namespace {
struct counts {
  std::atomic<int> load{0}, clean{0}, fit{0}, score{0}, report{0};
};
/// load -> clean -> fit -> score -> report, and report also waits for clean.
struct chain {
  tyf::pipeline p{"chain"};
  tyf::handle<int> load, clean, fit, score;
  tyf::handle<void> report;
  explicit chain(counts& n) {
    auto k = p.param<int>("k", 2);
    load = p.step("load", [&n] {
      ++n.load;
      return 10;
    });
    clean = p.step(
        "clean",
        [&n](int x) {
          ++n.clean;
          return x + 1;
        },
        load);
    fit = p.step(
        "fit",
        [&n](int x, int kk) {
          ++n.fit;
          return x * kk;
        },
        clean, k);
    score = p.step(
        "score",
        [&n](int m) {
          ++n.score;
          return m + 1;
        },
        fit);
    report = p.step(
        "report",
        [&n](int s) {
          ++n.report;
          (void)s;
        },
        score);
    report.after(clean);
    p.scene("retrain", {"fit", "score"});
  }
};

std::vector<std::string> names(const tyf::pipeline& p, const std::vector<bool>& sel) {
  std::vector<std::string> out;
  const auto& d = *p.definition();
  for (std::size_t u = 0; u < sel.size(); ++u) {
    if (sel[u] && d.nodes[u].kind != tyf::detail::node_kind::parameter)
      out.emplace_back(d.nodes[u].name);
  }
  return out;
}
using v = std::vector<std::string>;
}  // namespace

TEST_CASE("slice: only, from, to, scenes and their combinations") {
  counts n;
  chain c{n};
  REQUIRE(tyf::slice(c.p, {}).empty());
  REQUIRE(names(c.p, tyf::slice(c.p, {.only = {"fit"}})) == v{"fit"});
  REQUIRE(names(c.p, tyf::slice(c.p, {.from = {"fit"}})) == v{"fit", "score", "report"});
  REQUIRE(names(c.p, tyf::slice(c.p, {.to = {"fit"}})) == v{"load", "clean", "fit"});
  REQUIRE(names(c.p, tyf::slice(c.p, {.from = {"clean"}, .to = {"score"}})) ==
          v{"clean", "fit", "score"});
  REQUIRE(names(c.p, tyf::slice(c.p, {.scenes = {"retrain"}})) == v{"fit", "score"});
  REQUIRE(names(c.p, tyf::slice(c.p, {.only = {"load"}, .scenes = {"retrain"}})) ==
          v{"load", "fit", "score"});
  // Ordering edges count: report waits for clean.
  REQUIRE(names(c.p, tyf::slice(c.p, {.to = {"report"}})) ==
          v{"load", "clean", "fit", "score", "report"});
  REQUIRE_THROWS_WITH(tyf::slice(c.p, {.only = {"fitt"}}),
                      "typeflow: only(\"fitt\"): pipeline 'chain' has no step 'fitt'");
  REQUIRE_THROWS_WITH(tyf::slice(c.p, {.from = {"k"}}), Catch::Contains("has no step 'k'"));
  REQUIRE_THROWS_WITH(
      tyf::slice(c.p, {.scenes = {"nope"}}),
      "typeflow: scene(\"nope\"): pipeline 'chain' has no such scene (it has: retrain)");
}

TEST_CASE("slice: to a branch step selects its guard's condition and the condition's input") {
  auto p = tyf::test::every_dependency_pipeline();
  // export reads score and waits for when-1's bool; when-1 reads score; score reads fit and
  // split; fit maps over split. The other side (report) and what follows are not needed.
  REQUIRE(names(p, tyf::slice(p, {.to = {"export"}})) ==
          v{"split", "fit", "score", "when-1", "export"});
  REQUIRE(names(p, tyf::slice(p, {.to = {"report"}})) ==
          v{"split", "fit", "score", "when-1", "report"});
  // From a condition: its branch on both sides and everything downstream of them; the
  // finally handler is not sliced in (it runs whatever the selection).
  REQUIRE(names(p, tyf::slice(p, {.from = {"when-1"}})) ==
          v{"when-1", "export", "report", "first-of-1", "require-1", "upload", "audit"});
  // skip_if reads and order edges count: upload needs require-1 and reads dry-run.
  REQUIRE(names(p, tyf::slice(p, {.from = {"require-1"}, .to = {"upload"}})) ==
          v{"require-1", "upload"});
}

TEST_CASE("scenes are checked when declared") {
  tyf::pipeline p{"scenes"};
  p.step("a", [] { return 1; });
  p.param<int>("k", 1);
  REQUIRE_THROWS_WITH(p.scene("s", {"b"}), Catch::Contains("names 'b', which is not a step"));
  REQUIRE_THROWS_WITH(p.scene("s", {"k"}), Catch::Contains("names 'k', which is not a step"));
  REQUIRE_THROWS_WITH(p.scene("s", {}), Catch::Contains("has no steps"));
  REQUIRE_THROWS_AS(p.scene("1bad", {"a"}), tyf::definition_error);
  p.scene("s", {"a"});
  REQUIRE_THROWS_WITH(p.scene("s", {"a"}), Catch::Contains("declared twice"));
}

TEST_CASE("a partial run takes the inputs of its steps from the cache") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counts n;
  chain c{n};
  REQUIRE(st.run(c.p).ok());
  auto r = st.run(c.p, tyf::store_options{}.from("fit").set("k", "3").no_cache());
  REQUIRE(r.ok());
  REQUIRE(n.load == 1);
  REQUIRE(n.clean == 1);
  REQUIRE(n.fit == 2);
  REQUIRE(n.score == 2);
  REQUIRE(n.report == 2);
  REQUIRE(r.step("clean").status == tyf::step_status::cached);  // read by fit: loaded
  REQUIRE(r.step("load").status == tyf::step_status::cached);   // only waited for
  REQUIRE(st.load(r.run_id(), c.score) == 34);
  auto d = st.show(r.run_id());
  REQUIRE(d.run.kind == "partial");
  REQUIRE(d.step("clean")->cache_hit);
  // A scene; steps outside it that nothing in it needs are skipped.
  auto s = st.run(c.p, tyf::store_options{}.scene("retrain").no_cache());
  REQUIRE(s.ok());
  REQUIRE(n.fit == 3);
  REQUIRE(n.report == 2);
  REQUIRE(s.step("report").status == tyf::step_status::skipped);
  REQUIRE(s.step("report").message == "not selected for this run");
}

TEST_CASE("a partial run whose inputs cannot be found is refused before anything runs") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counts n;
  chain c{n};
  REQUIRE_THROWS_MATCHES(
      st.run(c.p, tyf::store_options{}.only({"fit", "score"})), tyf::run_error,
      Catch::Message("typeflow: cannot start this partial run of pipeline 'chain': the selected "
                     "steps read outputs that are in neither the run store's cache:\n  'clean' "
                     "(read by 'fit')\nSelect those steps too, or take their outputs from a run "
                     "that made them with inputs_from(run)"));
  REQUIRE(n.fit == 0);
  REQUIRE(st.runs().empty());
}

TEST_CASE("to(step) runs it and what it needs; the steps after it do not run") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counts n;
  chain c{n};
  auto r = st.run(c.p, tyf::store_options{}.to("fit").set("k", "5"));
  REQUIRE(r.ok());
  REQUIRE(n.load == 1);
  REQUIRE(n.clean == 1);
  REQUIRE(n.fit == 1);
  REQUIRE(n.score == 0);
  REQUIRE(n.report == 0);
  REQUIRE(st.load(r.run_id(), c.fit) == 55);
  auto d = st.show(r.run_id());
  REQUIRE(d.run.kind == "partial");
  REQUIRE(d.step("fit")->status == tyf::step_status::succeeded);
  REQUIRE(d.step("score")->status == tyf::step_status::skipped);
  REQUIRE(d.step("score")->message == "not selected for this run");
  REQUIRE(d.step("report")->status == tyf::step_status::skipped);
  // A full run afterwards takes load, clean and fit from the cache.
  REQUIRE(st.run(c.p, tyf::store_options{}.set("k", "5")).ok());
  REQUIRE(n.fit == 1);
  REQUIRE(n.score == 1);
  REQUIRE(n.report == 1);
}

TEST_CASE("inputs_from(run) takes the outputs of unselected steps from that run") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counts n;
  chain c{n};
  auto first = st.run(c.p, tyf::store_options{}.no_cache());
  REQUIRE(first.ok());
  c.clean.version("2");  // the cache no longer has clean's output under its new key...
  REQUIRE_THROWS_WITH(st.run(c.p, tyf::store_options{}.only({"fit"})),
                      Catch::Contains("'clean' (read by 'fit')"));
  // ...but the earlier run does.
  auto r =
      st.run(c.p, tyf::store_options{}.only({"fit"}).inputs_from(first.run_id().substr(0, 11)));
  REQUIRE(r.ok());
  REQUIRE(n.clean == 1);
  REQUIRE(st.load(r.run_id(), c.fit) == 22);
  REQUIRE(st.show(r.run_id()).run.origin == first.run_id());
  REQUIRE_THROWS_WITH(st.run(c.p, tyf::store_options{}.only({"fit"}).inputs_from("zzzz")),
                      Catch::Contains("no run 'zzzz'"));
}

TEST_CASE("a partial run finds cached outputs downstream of steps that are not stored") {
  temp_dir dir;
  tyf::store st{dir.path()};
  std::atomic<int> loads{0}, fits{0}, scores{0};
  tyf::pipeline p{"unstored"};
  auto raw = p.step("load", [&] {
                ++loads;
                return std::vector<int>(1000, 2);
              }).persist(false);
  auto fit = p.step(
      "fit",
      [&](const std::vector<int>& x) {
        ++fits;
        return x[0] * 10;
      },
      raw);
  p.step(
      "score",
      [&](int m) {
        ++scores;
        return m + 1;
      },
      fit);
  REQUIRE(st.run(p).ok());
  // Only score: fit's output is in the cache under a key made from load's (unstored) identity.
  auto r = st.run(p, tyf::store_options{}.only("score").no_cache());
  REQUIRE(r.ok());
  REQUIRE(loads == 1);
  REQUIRE(fits == 1);
  REQUIRE(scores == 2);
  REQUIRE(r.step("fit").status == tyf::step_status::cached);
  // A step that reads the unstored output itself cannot run alone: refused, naming it.
  REQUIRE_THROWS_WITH(st.run(p, tyf::store_options{}.only("fit")),
                      Catch::Contains("'load' (read by 'fit')"));
}
