// The command line with a pipeline whose steps hold resources and which has a named gate and
// a named condition (tests/helpers/gated_pipeline.hpp), through real child processes
// (tests/helpers/cli_gated_child.cpp) against a store in a temporary directory: --capacity,
// the program's own run options, why a failed run failed, and the names in every output.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <typeflow/cli.hpp>
#include <child_process.hpp>
#include <gated_pipeline.hpp>
#include <store_testing.hpp>

namespace tyf = typeflow;
using Catch::Contains;
using tyf::test::temp_dir;
using json = nlohmann::json;

namespace {

/// Runs the gated program with `args` to its end: stdin empty, stdout and stderr to files,
/// TYPEFLOW_STORE the temporary directory's store, plus `env`.
tyf::test::outcome cli(const temp_dir& dir, const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {}) {
  return tyf::test::process{dir.path(), TYPEFLOW_CLI_GATED_CHILD, args,
                            tyf::test::store_options(dir.path(), env)}
      .finish();
}

std::size_t run_count(const temp_dir& dir) {
  if (!std::filesystem::exists(dir.path() / "store")) return 0;
  tyf::store st{dir.path() / "store"};
  return st.runs().size();
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return {};
  auto begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1, end + 1 - (begin + 1));
}

}  // namespace

TEST_CASE("cli: --capacity gives the resources the steps ask for; bad ones exit 2, named") {
  temp_dir dir;
  SECTION("without a capacity the run is refused, naming the step, the resource and the flag") {
    auto r = cli(dir, {"run"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains("step 'prepare' asks for resource 'gpu', which the run has no "
                               "capacity for") &&
                          Contains("--capacity gpu=N"));
  }
  SECTION("with one, it runs") {
    auto r = cli(dir, {"run", "--capacity", "gpu=2"});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Contains("succeeded in"));
    CHECK(run_count(dir) == 1);
  }
  SECTION("bad input names the flag's text and why") {
    const std::vector<std::pair<std::string, std::string>> bad{
        {"gpu", "'gpu': it is not NAME=N"},
        {"=2", "'=2': the resource name is empty"},
        {"gpu=", "'gpu=': '' is not a whole number of at least 1"},
        {"gpu=0", "'gpu=0': '0' is not a whole number of at least 1"},
        {"gpu=-1", "'gpu=-1': '-1' is not a whole number of at least 1"},
        {"gpu=1.5", "'gpu=1.5': '1.5' is not a whole number of at least 1"},
        {"gpu=2x", "'gpu=2x': '2x' is not a whole number of at least 1"},
        {"gpu=99999999999999999999", "'99999999999999999999' is too large"},
        {"tpu=1", "'tpu=1': no step asks for resource 'tpu'; resources are: gpu"},
        {"gpu=1", "step 'train' asks for 2 of resource 'gpu' but the run's capacity is 1"},
    };
    for (const auto& [flag, message] : bad) {
      auto r = cli(dir, {"run", "--capacity", flag});
      INFO("--capacity " << flag << ": " << r.err);
      CHECK(r.code == 2);
      CHECK_THAT(r.err, Contains(message) && Contains("hint:"));
    }
    auto twice = cli(dir, {"run", "--capacity", "gpu=2", "--capacity", "gpu=3"});
    CHECK(twice.code == 2);
    CHECK_THAT(twice.err, Contains("--capacity gives resource 'gpu' twice"));
    CHECK(run_count(dir) == 0);  // nothing was recorded
  }
}

TEST_CASE("cli: typeflow::main takes the program's run options; the command line overrides") {
  temp_dir dir;
  // The program gives gpu=2: enough.
  auto enough = cli(dir, {"run", "--quiet"}, {"CLICHILD_GPUS=2"});
  INFO(enough.out << enough.err);
  CHECK(enough.code == 0);
  // The program gives gpu=1: too little for train, refused before the store is touched ...
  auto little = cli(dir, {"run", "--quiet", "--no-cache"}, {"CLICHILD_GPUS=1"});
  CHECK(little.code == 2);
  CHECK_THAT(little.err, Contains("the run's capacity is 1"));
  CHECK(run_count(dir) == 1);
  // ... unless the command line raises it.
  auto raised =
      cli(dir, {"run", "--quiet", "--no-cache", "--capacity", "gpu=3"}, {"CLICHILD_GPUS=1"});
  INFO(raised.err);
  CHECK(raised.code == 0);
  CHECK(run_count(dir) == 2);
  // The program's set("bar", "0.9") holds (the gate fails) unless --param says otherwise.
  const std::vector<std::string> strict{"CLICHILD_GPUS=2", "CLICHILD_BAR=0.9"};
  auto held = cli(dir, {"run", "--quiet"}, strict);
  CHECK(held.code == 1);
  CHECK_THAT(held.out, Contains("quality gate failed: accuracy >= bar"));
  auto overridden = cli(dir, {"run", "--quiet", "--param", "bar=0.5"}, strict);
  INFO(overridden.out << overridden.err);
  CHECK(overridden.code == 0);
  // A bad value from the program is refused before the store is touched, named as its own.
  auto bad = cli(dir, {"run", "--quiet"}, {"CLICHILD_GPUS=2", "CLICHILD_BAR=high"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Contains("'high'") && Contains("run_options::set"));
  CHECK(run_count(dir) == 4);
}

TEST_CASE("cli: a failed run's summary says why, in every mode") {
  temp_dir dir;
  const std::string why = "quality gate failed: accuracy >= bar";
  const std::string skipped = "upstream step 'accuracy-gate' failed";
  SECTION("--quiet: the summary's reason column and its last line") {
    auto r = cli(dir, {"run", "--quiet", "--capacity", "gpu=2", "--param", "bar=0.9"});
    CHECK(r.code == 1);
    CHECK_THAT(r.out, Contains("reason\n"));
    CHECK_THAT(r.out, Contains("accuracy-gate  failed     1") && Contains(why));
    CHECK_THAT(r.out, Contains("export         skipped    0") && Contains(skipped));
    CHECK_THAT(r.out, Contains("hold           skipped    0") &&
                          Contains("condition 'good-enough' is true"));
    CHECK_THAT(last_line(r.out),
               Contains("failed in") && Contains(": accuracy-gate failed: " + why));
  }
  SECTION("plain lines: the failed and skipped steps' lines carry their message") {
    auto r = cli(dir, {"run", "--capacity", "gpu=2", "--param", "bar=0.9"});
    CHECK(r.code == 1);
    CHECK_THAT(r.out, Contains("] accuracy-gate failed: " + why + "\n"));
    CHECK_THAT(r.out, Contains("] export skipped: " + skipped + "\n"));
    CHECK_THAT(last_line(r.out), Contains(": accuracy-gate failed: " + why));
  }
  SECTION("a terminal: the live view ends with the summary, which says why") {
    tyf::pipeline p{"gated"};
    gated::define(p);
    std::ostringstream out, err;
    std::istringstream in;
    tyf::cli_options o;
    o.out = &out;
    o.err = &err;
    o.in = &in;
    o.terminal = true;
    o.handle_sigint = false;
    const auto store = (dir.path() / "store").string();
    std::vector<std::string> args{"gated",   "run",     "--store",    store,
                                  "--param", "bar=0.9", "--capacity", "gpu=2"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    CHECK(tyf::main(static_cast<int>(args.size()), argv.data(), p, o) == 1);
    INFO(out.str() << err.str());
    CHECK_THAT(out.str(), Contains(why) && Contains(skipped));
    CHECK_THAT(last_line(out.str()), Contains(": accuracy-gate failed: " + why));
  }
}

TEST_CASE("cli: a named gate and a named condition show under their names in every output") {
  temp_dir dir;
  REQUIRE(cli(dir, {"run", "--quiet", "--capacity", "gpu=2"}).code == 0);
  auto summary = cli(dir, {"run", "--quiet", "--capacity", "gpu=2", "--no-cache"});
  CHECK_THAT(summary.out,
             Contains("\naccuracy-gate  succeeded") && Contains("\ngood-enough    succeeded"));
  CHECK_THAT(summary.out, !Contains("require-") && !Contains("when-"));

  auto show = cli(dir, {"show", "latest"});
  CHECK_THAT(show.out, Contains("  accuracy-gate  succeeded") &&
                           Contains("  good-enough    succeeded") &&
                           Contains("condition 'good-enough' is true"));

  auto doc = json::parse(cli(dir, {"show", "latest", "--json"}).out);
  std::vector<std::string> steps;
  for (const auto& s : doc["steps"]) steps.push_back(s["name"]);
  CHECK(std::find(steps.begin(), steps.end(), "accuracy-gate") != steps.end());
  CHECK(std::find(steps.begin(), steps.end(), "good-enough") != steps.end());

  auto dot = cli(dir, {"graph", "--format", "dot"}).out;
  CHECK_THAT(dot, Contains("[label=\"accuracy-gate\", shape=octagon]") &&
                      Contains("[label=\"good-enough\", shape=diamond]"));

  auto graph = json::parse(cli(dir, {"graph", "--format", "json"}).out);
  bool gate_edge = false, guard_edge = false;
  for (const auto& e : graph["edges"]) {
    gate_edge = gate_edge || (e["kind"] == "gate" && e["to"] == "accuracy-gate");
    guard_edge = guard_edge || (e["kind"] == "guard" && e["from"] == "good-enough");
  }
  CHECK(gate_edge);
  CHECK(guard_edge);

  CHECK_THAT(cli(dir, {"describe"}).out, Contains("accuracy-gate") && Contains("good-enough"));

  const auto html = dir.path() / "report.html";
  REQUIRE(cli(dir, {"show", "latest", "--html", html.string()}).code == 0);
  CHECK_THAT(tyf::test::slurp(html), Contains("accuracy-gate") && Contains("good-enough"));
}
