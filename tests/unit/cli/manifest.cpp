// cli/detail/manifest.hpp: the pipeline as data, built once, and its four renderings (graph
// and describe, each as text and JSON), which must agree with each other and with the data.
#include <typeflow/cli.hpp>
#include <typeflow/cli/detail/manifest.hpp>  // cli_detail: compiled mode declares only main

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace tyf = typeflow;
namespace cli = typeflow::cli_detail;

namespace {
tyf::pipeline small() {
  tyf::pipeline p{"manifested"};
  auto n = p.param<int>("n", 3).describe("how many").range(1, 10);
  auto opt = p.param<std::string>("opt", "adam").choices({"adam", "sgd"});
  auto load = p.step(
      "load", [](int k) { return k; }, n);
  auto train = p.step(
      "train", [](int k, const std::string& o) { return k + static_cast<int>(o.size()); }, load,
      opt);
  p.step(
       "report", [](int v) { return v > 0; }, train)
      .after(load);
  p.scene("retrain", {"train", "report"});
  return p;
}
}  // namespace

TEST_CASE(
    "manifest: one value holds the nodes, each step's dependencies (inputs in argument order, then "
    "ordering edges) with their kinds") {
  const auto m = cli::make_manifest(small());
  CHECK(m.pipeline == "manifested");
  CHECK(m.structure_hash.size() > 8);
  REQUIRE(m.nodes.size() == 5);
  const auto& report = m.nodes[4];
  CHECK(report.name == "report");
  REQUIRE(report.inputs.size() == 2);
  CHECK(m.edges[report.inputs[0]].from == "train");
  CHECK(m.edges[report.inputs[0]].info.kind == typeflow::dependency_kind::data);
  CHECK(m.edges[report.inputs[0]].info.carries_data);
  CHECK(m.edges[report.inputs[0]].info.argument == 1);
  CHECK(m.edges[report.inputs[1]].from == "load");
  CHECK(m.edges[report.inputs[1]].info.kind == typeflow::dependency_kind::order);
  CHECK_FALSE(m.edges[report.inputs[1]].info.carries_data);
  CHECK(m.nodes[4].role == "step");
  CHECK(m.nodes[0].role == "parameter");
  REQUIRE(m.scenes.size() == 1);
  CHECK(m.scenes[0].steps == std::vector<std::string>{"train", "report"});
}

TEST_CASE("manifest: graph and describe text render the same step lines") {
  const auto m = cli::make_manifest(small());
  CHECK(cli::graph_text(m) ==
        "param n: int\n"
        "param opt: " +
            m.nodes[1].type +
            "\n"
            "step  load: int <- n (int) [job]\n"
            "step  train: int <- load (int), opt (" +
            m.nodes[1].type +
            ") [job]\n"
            "step  report: bool <- train (int), load (after) [job]\n");
  const auto text = cli::describe_text(m);
  CHECK(text.rfind("pipeline manifested (structure " + m.structure_hash +
                       ")\nsteps ([job] or [driver]: where each runs with --executor slurm):\n"
                       "  load: int <- n (int) [job]\n",
                   0) == 0);
  CHECK(text.find("\n  report: bool <- train (int), load (after) [job]\nparameters:\n") !=
        std::string::npos);
  CHECK(text.find("\n  n: int = 3; ") != std::string::npos);
  CHECK(text.find("  -- how many\n") != std::string::npos);
  // choices() says its values once, in its constraint text (not again as the choices' list).
  CHECK(text.find(" = adam; one of: adam, sgd\n") != std::string::npos);
  CHECK(text.find("one of adam, sgd") == std::string::npos);
  CHECK(text.find("scenes:\n  retrain: train, report\n") != std::string::npos);
}

TEST_CASE("manifest: the JSON renderings carry the same nodes and edges") {
  const auto m = cli::make_manifest(small());
  const auto g = cli::graph_json(m);
  const auto j = cli::manifest_json(m);
  CHECK(g["nodes"].size() == m.nodes.size());
  CHECK(g["edges"].size() == m.edges.size());
  CHECK(j["edges"] == g["edges"]);
  CHECK(j["steps"].size() == 3);
  CHECK(j["steps"][2] ==
        nlohmann::json{{"name", "report"}, {"output_type", "bool"}, {"placement", "job"}});
  CHECK(j["structure_hash"] == m.structure_hash);
  CHECK(j["params"][1]["choices"] == nlohmann::json::array({"adam", "sgd"}));
  CHECK(j["scenes"][0] == nlohmann::json{{"name", "retrain"}, {"steps", {"train", "report"}}});
  bool order_edge = false;
  for (const auto& e : g["edges"]) {
    if (e["kind"] == "order") {
      order_edge = true;
      CHECK(e == nlohmann::json{{"from", "load"}, {"to", "report"}, {"kind", "order"}});
    }
  }
  CHECK(order_edge);
}

namespace {
struct Opaque {  // no codec: cannot travel to a job
  int value = 0;
};
}  // namespace

TEST_CASE("manifest: where each step runs with --executor slurm, in every rendering") {
  tyf::pipeline p{"placed"};
  auto n = p.param<int>("n", 3);
  auto load = p.step(
      "load", [](int k) { return std::vector<int>(static_cast<std::size_t>(k)); }, n);
  auto each = p.map(
      "each", [](int x) { return x + 1; }, load);
  auto big = p.when("big", each, [](const std::vector<int>& v) { return v.size() > 2; });
  auto shown = big.step(
      "shown", [](const std::vector<int>& v) { return v.size(); }, each);
  auto memo = p.step(
      tyf::in_memory, "memo", [](std::size_t s) { return Opaque{static_cast<int>(s)}; },
      p.first_of(shown, big.otherwise().step("hidden", [] { return std::size_t{0}; })));
  p.step(
      "reads-memo", [](const Opaque& o) { return o.value; }, memo);
  p.step(
       "unstored", [](int k) { return k; }, n)
      .persist(false);
  p.finally("tidy", [] {});
  const auto& d = *p.definition();
  const auto placed = [&](const char* name) { return tyf::runs_as_job(d, d.find(name)); };
  CHECK(placed("load"));
  CHECK(placed("each"));   // a map: its elements as one job array
  CHECK(placed("shown"));  // guarded by a condition: the driver evaluates the guard
  CHECK_FALSE(placed("n"));
  CHECK_FALSE(placed("big"));         // a condition
  CHECK_FALSE(placed("first-of-1"));  // a selector
  CHECK_FALSE(placed("memo"));        // in_memory
  CHECK_FALSE(placed("reads-memo"));  // reads an in-memory output
  CHECK_FALSE(placed("unstored"));    // .persist(false)
  CHECK_FALSE(placed("tidy"));        // a finally handler
  const auto m = cli::make_manifest(p);
  const auto line_of = [](const std::string& text, const std::string& start) {
    const auto at = text.find(start);
    return at == std::string::npos ? std::string{} : text.substr(at, text.find('\n', at + 1) - at);
  };
  CHECK_THAT(line_of(cli::describe_text(m), "\n  reads-memo: "), Catch::EndsWith(" [driver]"));
  CHECK_THAT(line_of(cli::describe_text(m), "\n  each: "), Catch::EndsWith(" [job]"));
  CHECK_THAT(line_of(cli::graph_text(m), "step  memo: "), Catch::EndsWith(" [driver]"));
  CHECK_THAT(line_of(cli::graph_text(m), "step  load: "), Catch::EndsWith(" [job]"));
  const auto j = cli::manifest_json(m);
  std::map<std::string, std::string> placement;
  for (const auto& s : j["steps"]) placement[s["name"]] = s["placement"];
  CHECK(placement["each"] == "job");
  CHECK(placement["reads-memo"] == "driver");
  CHECK(placement["big"] == "driver");
  const auto graph = cli::graph_json(m);  // a range-for over a temporary's member dangles
  for (const auto& node : graph["nodes"]) {
    if (node["kind"] == "step") CHECK(node["placement"] == placement[node["name"]]);
  }
}
