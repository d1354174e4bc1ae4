// typeflow::main through real processes: tests/helpers/cli_child.cpp is a pipeline program
// (load -> train -> evaluate; parameters rows (1..1000) and mode (fast|slow|fail|stuck)), run
// as a child with its stdin, stdout and stderr on pipes and files, against a store in a
// temporary directory ($TYPEFLOW_STORE).

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <typeflow/cli.hpp>
#include <child_process.hpp>
#include <store_testing.hpp>

namespace tyf = typeflow;
using tyf::test::temp_dir;
using json = nlohmann::json;

namespace {

/// A child process running the pipeline program with `args`; stdin a pipe holding `input`,
/// stdout and stderr to files in the store's directory, TYPEFLOW_STORE set to it.
class proc : public tyf::test::process {
 public:
  proc(const temp_dir& dir, const std::vector<std::string>& args, const std::string& input = {},
       const std::vector<std::string>& extra_env = {})
      : process(dir.path(), TYPEFLOW_CLI_CHILD, args,
                tyf::test::store_options(dir.path(), extra_env, input)) {}
};

tyf::test::outcome cli(const temp_dir& dir, const std::vector<std::string>& args,
                       const std::string& input = {}, const std::vector<std::string>& env = {}) {
  return proc{dir, args, input, env}.finish();
}

std::size_t run_count(const temp_dir& dir) {
  tyf::store st{dir.path() / "store"};
  return st.runs().size();
}

tyf::run_details details(const temp_dir& dir, const std::string& run = "latest") {
  tyf::store st{dir.path() / "store"};
  return st.show(run);
}

/// Waits until the store holds `runs` runs and the newest one's train step is running. The
/// child prints "train started" before the store's writer thread has committed that row.
bool train_running_in_store(const temp_dir& dir, std::size_t runs) {
  tyf::store st{dir.path() / "store"};
  return tyf::test::newest_step_running(st, "train", runs);
}

std::string status_of(const tyf::run_details& d, const std::string& step) {
  const auto* s = d.step(step);
  return s == nullptr ? "(none)" : std::string(tyf::to_string(s->status));
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("cli: run records a run, prints plain progress lines on a pipe and a summary") {
  temp_dir dir;
  auto r = cli(dir, {"run", "--param", "rows=5", "--experiment", "e1", "--tag", "data=v2"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("] train started\n") != std::string::npos);
  CHECK(r.out.find("] train succeeded ") != std::string::npos);
  CHECK(r.out.find("] train metric loss=0.2 (4)\n") != std::string::npos);
  CHECK(r.out.find("] evaluate metric score=0.1\n") != std::string::npos);
  CHECK(r.out.find("\x1b[") == std::string::npos);  // no live view off a terminal
  CHECK(r.out.find("step      status     attempts  duration  cache") != std::string::npos);
  auto d = details(dir);
  CHECK(d.run.status == tyf::run_status::succeeded);
  CHECK(d.run.params.at("rows") == "5");
  CHECK(d.run.experiment == "e1");
  CHECK(d.run.tags.at("data") == "v2");
  CHECK(r.out.find("run " + d.run.id + " succeeded") != std::string::npos);

  SECTION("a second run is served from the cache; --quiet prints only the summary") {
    auto again = cli(dir, {"run", "--param", "rows=5", "--quiet"});
    REQUIRE(again.code == 0);
    CHECK(again.out.find("started") == std::string::npos);
    auto d2 = details(dir);
    CHECK(d2.run.id != d.run.id);
    for (const auto& s : d2.steps) {
      INFO(s.name);
      CHECK(s.status == tyf::step_status::cached);
      CHECK(s.cache_hit);
    }
    CHECK(again.out.find("hit") != std::string::npos);
  }
  SECTION("--store DIR names the store instead of $TYPEFLOW_STORE") {
    auto other = dir.path() / "other";
    REQUIRE(cli(dir, {"run", "--quiet", "--store", other.string()}).code == 0);
    CHECK(run_count(dir) == 1);
    CHECK(tyf::store{other}.runs().size() == 1);
  }
}

TEST_CASE("cli: run --json prints one JSON line per event, then the run document") {
  temp_dir dir;
  auto r = cli(dir, {"run", "--json", "--param", "rows=3"});
  REQUIRE(r.code == 0);
  std::istringstream in{r.out};
  std::string line;
  std::vector<json> docs;
  while (std::getline(in, line)) docs.push_back(json::parse(line));
  REQUIRE(docs.size() > 5);
  for (std::size_t i = 0; i + 1 < docs.size(); ++i) {
    CHECK(docs[i].contains("event"));
    CHECK(docs[i].contains("time"));
  }
  CHECK(docs.front()["event"] == "run_started");
  const auto& run = docs.back();
  CHECK(run["status"] == "succeeded");
  CHECK(run["params"]["rows"] == "3");
  REQUIRE(run["steps"].size() == 3);
  CHECK(run["steps"][1]["name"] == "train");
  CHECK(run["steps"][1]["status"] == "succeeded");
  CHECK(run["steps"][1]["attempts"] == 1);
  CHECK(run["steps"][1]["cache_hit"] == false);
  CHECK(run["final_metrics"]["train.loss"] == Approx(1.0 / 3));
  CHECK(run["id"] == docs.front()["run"]);
}

TEST_CASE("cli: a failing run exits 1; retry re-runs only what did not succeed") {
  temp_dir dir;
  auto r = cli(dir, {"run", "--param", "mode=fail"});
  REQUIRE(r.code == 1);
  CHECK(r.out.find("] evaluate failed: evaluation failed on purpose") != std::string::npos);
  auto failed = details(dir);
  CHECK(failed.run.status == tyf::run_status::failed);
  CHECK(status_of(failed, "train") == "succeeded");

  auto again = cli(dir, {"retry", failed.run.id.substr(0, 6), "--quiet"});
  CHECK(again.code == 1);  // mode=fail is among the parameters it reuses
  auto retried = details(dir);
  CHECK(retried.run.kind == "retry");
  CHECK(retried.run.origin == failed.run.id);
  CHECK(status_of(retried, "load") == "cached");
  CHECK(status_of(retried, "train") == "cached");
  CHECK(status_of(retried, "evaluate") == "failed");
  CHECK(retried.step("evaluate")->attempts == 1);

  SECTION("copy --param runs it again with an override") {
    auto c = cli(dir, {"copy", failed.run.id, "--param", "mode=fast", "--quiet"});
    INFO(c.err);
    CHECK(c.code == 0);
    auto copied = details(dir);
    CHECK(copied.run.kind == "copy");
    CHECK(copied.run.origin == failed.run.id);
    CHECK(copied.run.params.at("mode") == "fast");
    CHECK(copied.run.status == tyf::run_status::succeeded);
    CHECK(status_of(copied, "load") == "cached");      // same inputs: from the cache
    CHECK(status_of(copied, "train") == "succeeded");  // mode changed: it runs
  }
  SECTION("retry of a succeeded run is refused with exit 2") {
    REQUIRE(cli(dir, {"copy", "latest", "--param", "mode=fast", "--quiet"}).code == 0);
    const auto before = run_count(dir);
    auto refused = cli(dir, {"retry", "latest"});
    CHECK(refused.code == 2);
    CHECK(refused.err.find("nothing to retry") != std::string::npos);
    CHECK(run_count(dir) == before);
  }
}

TEST_CASE("cli: --only, --from and --scene run a part of the pipeline") {
  temp_dir dir;
  REQUIRE(cli(dir, {"run", "--quiet"}).code == 0);
  auto only = cli(dir, {"run", "--only", "train", "--no-cache", "--quiet"});
  INFO(only.err);
  REQUIRE(only.code == 0);
  auto d = details(dir);
  CHECK(d.run.kind == "partial");
  CHECK(status_of(d, "train") == "succeeded");
  CHECK(status_of(d, "evaluate") != "succeeded");

  REQUIRE(cli(dir, {"run", "--scene", "retrain", "--no-cache", "--quiet"}).code == 0);
  auto s = details(dir);
  CHECK(status_of(s, "train") == "succeeded");
  CHECK(status_of(s, "evaluate") == "succeeded");
  CHECK(status_of(s, "load") != "succeeded");
}

TEST_CASE("cli: bad input exits 2 with one clear message and records nothing") {
  temp_dir dir;
  REQUIRE(cli(dir, {"run", "--quiet"}).code == 0);
  const auto before = run_count(dir);
  struct bad {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<bad> cases{
      {{"frobnicate"},
       "typeflow: unknown command 'frobnicate'; commands are: run, run-step, debug,"},
      {{"run", "--bogus"}, "--bogus"},
      {{"run", "--only", "trian"},
       "typeflow: unknown step 'trian' in --only; steps are: load, train, evaluate"},
      {{"run", "--from", "nope"}, "unknown step 'nope' in --from"},
      {{"run", "--scene", "nope"}, "unknown scene 'nope' in --scene; scenes are: retrain"},
      {{"run", "--param", "rows=5000"}, "parameter 'rows'"},
      {{"run", "--param", "rows=many"}, "parameter 'rows'"},
      {{"run", "--param", "mode=medium"}, "parameter 'mode'"},
      {{"run", "--param", "rowz=3"}, "rowz"},
      {{"run", "--param", "rows"}, "--param 'rows' is not NAME=VALUE"},
      {{"run", "--threads", "0"}, "--threads"},
      {{"show", "zzzz"}, "no run 'zzzz'"},
      {{"show", "NOT-AN-ID"}, "is not a run id"},
      {{"retry", "zzzz"}, "no run 'zzzz'"},
      {{"copy", "zzzz"}, "no run 'zzzz'"},
      {{"stop", "latest"}, "is not running"},
      {{"delete", "latest"}, "add --yes"},
      {{"runs", "--status", "great"}, "unknown run status 'great'"},
      {{"graph", "--format", "svg"}, "--format"},
      {{"help", "nope"}, "unknown command 'nope'"},
      {{"compare", "latest"}, "at least two runs"},
  };
  for (const auto& c : cases) {
    INFO(c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : ""));
    auto r = cli(dir, c.args);
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(r.err.find("hint") != std::string::npos);
    CHECK(r.out.empty());
    CHECK(run_count(dir) == before);
  }
  CHECK(details(dir).run.status == tyf::run_status::succeeded);  // delete did not delete it
}

TEST_CASE("cli: runs, show and compare, as text and as JSON") {
  temp_dir dir;
  REQUIRE(cli(dir, {"run", "--quiet", "--param", "rows=4", "--experiment", "a"}).code == 0);
  REQUIRE(
      cli(dir, {"run", "--quiet", "--param", "rows=8", "--experiment", "b", "--tag", "k=v"}).code ==
      0);
  REQUIRE(cli(dir, {"run", "--quiet", "--param", "mode=fail"}).code == 1);

  auto runs = cli(dir, {"runs", "--json"});
  REQUIRE(runs.code == 0);
  auto all = json::parse(runs.out)["runs"];
  REQUIRE(all.size() == 3);
  CHECK(all[0]["status"] == "failed");  // newest first
  CHECK(all[2]["params"]["rows"] == "4");
  for (const auto& key : {"id", "pipeline", "structure_hash", "status", "started", "ended",
                          "duration_s", "experiment", "kind", "origin", "tags", "params"}) {
    CHECK(all[0].contains(key));
  }
  CHECK(json::parse(cli(dir, {"runs", "--json", "--status", "failed"}).out)["runs"].size() == 1);
  CHECK(json::parse(cli(dir, {"runs", "--json", "--experiment", "b"}).out)["runs"].size() == 1);
  CHECK(json::parse(cli(dir, {"runs", "--json", "--tag", "k=v"}).out)["runs"].size() == 1);
  CHECK(json::parse(cli(dir, {"runs", "--json", "--limit", "2"}).out)["runs"].size() == 2);
  auto text = cli(dir, {"runs"});
  CHECK(lines(text.out) == 4);
  CHECK(text.out.find(all[1]["id"].get<std::string>()) != std::string::npos);

  const auto a = all[2]["id"].get<std::string>(), b = all[1]["id"].get<std::string>();
  auto show = cli(dir, {"show", b});
  REQUIRE(show.code == 0);
  CHECK(show.out.find("run " + b + " of 'clichild': succeeded") != std::string::npos);
  CHECK(show.out.find("  rows = 8") != std::string::npos);
  CHECK(show.out.find("  train.loss = 0.125") != std::string::npos);
  auto shown = json::parse(cli(dir, {"show", "--json", "latest"}).out);
  CHECK(shown["status"] == "failed");
  CHECK(shown["steps"][2]["message"] == "evaluation failed on purpose");
  CHECK(shown["steps"][1]["artifact"]["type"] == "double");

  auto cmp = cli(dir, {"compare", a, b});
  REQUIRE(cmp.code == 0);
  CHECK(cmp.out.find("* rows") != std::string::npos);
  CHECK(cmp.out.find("  mode") != std::string::npos);
  auto c = json::parse(cli(dir, {"compare", "--json", a, b}).out);
  CHECK(c["runs"] == json::array({a, b}));
  bool saw_rows = false, saw_score = false;
  for (const auto& p : c["params"]) {
    if (p["name"] == "rows") {
      saw_rows = true;
      CHECK(p["values"] == json::array({"4", "8"}));
      CHECK(p["differs"] == true);
    }
    if (p["name"] == "mode") CHECK(p["differs"] == false);
  }
  for (const auto& m : c["metrics"]) {
    if (m["name"] == "evaluate.score") {
      saw_score = true;
      CHECK(m["values"] == json::array({0.06, 0.28}));
    }
  }
  CHECK(saw_rows);
  CHECK(saw_score);
}

TEST_CASE("cli: delete --yes removes runs and their artifacts") {
  temp_dir dir;
  REQUIRE(cli(dir, {"run", "--quiet", "--param", "rows=4"}).code == 0);
  REQUIRE(cli(dir, {"run", "--quiet", "--param", "rows=6"}).code == 0);
  auto victim = details(dir).run.id;
  auto r = cli(dir, {"delete", victim, "--yes"});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("deleted 1 run(s)") != std::string::npos);
  CHECK(run_count(dir) == 1);
  CHECK(cli(dir, {"show", victim}).code == 2);
}

TEST_CASE("cli: stop from a second process stops a running run (exit 3)") {
  temp_dir dir;
  proc running{dir, {"run", "--param", "mode=slow"}};
  REQUIRE(running.wait_for_out("] train started"));
  REQUIRE(train_running_in_store(dir, 1));
  auto s = cli(dir, {"stop", "latest"});
  INFO(s.err);
  CHECK(s.code == 0);
  CHECK(running.wait() == 3);
  INFO("child stdout:\n" << running.out() << "\nchild stderr:\n" << running.err());
  REQUIRE(run_count(dir) == 1);
  CHECK(details(dir).run.status == tyf::run_status::stopped);
}

#if TYPEFLOW_TEST_SIGNALS
TEST_CASE("cli: Ctrl-C stops the run cleanly; a second Ctrl-C quits at once") {
  temp_dir dir;
  SECTION("one SIGINT: the run ends stopped, exit 3") {
    proc running{dir, {"run", "--param", "mode=slow"}};
    REQUIRE(running.wait_for_out("] train started"));
    running.signal(SIGINT);
    CHECK(running.wait() == 3);
    INFO("child stdout:\n" << running.out() << "\nchild stderr:\n" << running.err());
    REQUIRE(run_count(dir) == 1);
    auto d = details(dir);
    CHECK(d.run.status == tyf::run_status::stopped);
  }
  SECTION("two SIGINTs: exit 130, and the next store open finds the run interrupted") {
    proc running{dir, {"run", "--param", "mode=stuck"}};  // train ignores the first request
    REQUIRE(running.wait_for_out("] train started"));
    REQUIRE(train_running_in_store(dir, 1));  // _exit(130) must not come before the run's row
    running.signal(SIGINT);
    REQUIRE(running.wait_for_err("stopping the run"));
    running.signal(SIGINT);
    CHECK(running.wait() == 130);
    auto d = details(dir);
    CHECK(d.run.status == tyf::run_status::interrupted);
  }
}
#endif

#if TYPEFLOW_TEST_SIGNALS
TEST_CASE("cli: SIGTERM stops the run cleanly like the first Ctrl-C") {
  temp_dir dir;
  const auto marker = dir.path() / "finally.txt";
  proc running{dir, {"run", "--param", "mode=slow"}, {}, {"CLICHILD_FINALLY=" + marker.string()}};
  REQUIRE(running.wait_for_out("] train started"));
  REQUIRE(train_running_in_store(dir, 1));
  running.signal(SIGTERM);  // ended the process at once (143), the run left `running`
  CHECK(running.wait() == 3);
  INFO("child stdout:\n" << running.out() << "\nchild stderr:\n" << running.err());
  CHECK(running.err().find("SIGTERM: stopping the run") != std::string::npos);
  REQUIRE(run_count(dir) == 1);
  CHECK(details(dir).run.status == tyf::run_status::stopped);
  CHECK(tyf::test::slurp(marker) == "stopped");  // the finally handler ran
}
#endif

TEST_CASE("cli: a params file too deep, too big or with a number out of range: exit 2") {
  temp_dir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    auto path = (dir.path() / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  };
  SECTION("200,000 levels deep (crashed the process)") {
    auto deep = write("deep.json",
                      "{\"rows\": " + std::string(200000, '[') + std::string(200000, ']') + "}");
    auto r = cli(dir, {"run", "--quiet", "--params-file", deep});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("params file '" + deep + "' nests arrays and objects deeper than 512") !=
          std::string::npos);
  }
  SECTION("1e400 (escaped as exit 1, without the file's name)") {
    auto huge = write("huge.json", R"({"rows": 1e400})");
    auto r = cli(dir, {"run", "--quiet", "--params-file", huge});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("params file '" + huge + "' cannot be read at field 'rows'") !=
          std::string::npos);
  }
  SECTION("/dev/zero (read until memory ran out)") {
    auto r = cli(dir, {"run", "--quiet", "--params-file", "/dev/zero"});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("params file '/dev/zero' is too big") != std::string::npos);
  }
  CHECK(run_count(dir) == 0);
}

TEST_CASE("cli: debug pauses before a breakpoint and reads stdin") {
  temp_dir dir;
  SECTION("Enter continues") {
    auto r = cli(dir, {"debug", "--break", "train", "--no-cache"}, "\n");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("paused before train; press Enter to continue, q to stop\n") !=
          std::string::npos);
    CHECK(r.out.find("paused before load") == std::string::npos);
    // In order, one at a time: load finished before train started.
    CHECK(r.out.find("] load succeeded") < r.out.find("paused before train"));
    CHECK(details(dir).run.status == tyf::run_status::succeeded);
  }
  SECTION("q stops the run") {
    auto r = cli(dir, {"debug", "--break", "evaluate", "--no-cache"}, "q\n");
    CHECK(r.code == 3);
    CHECK(r.out.find("paused before evaluate") != std::string::npos);
    CHECK(details(dir).run.status == tyf::run_status::stopped);
  }
  SECTION("end of input continues; an unknown breakpoint is refused") {
    CHECK(cli(dir, {"debug", "--break", "load"}).code == 0);
    auto bad = cli(dir, {"debug", "--break", "lod"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("unknown step 'lod' in --break") != std::string::npos);
  }
}

TEST_CASE("cli: graph in dot, json and text; describe --json is the manifest") {
  temp_dir dir;
  auto dot = cli(dir, {"graph", "--format", "dot"});
  REQUIRE(dot.code == 0);
  CHECK(dot.out.rfind("digraph \"clichild\" {", 0) == 0);
  CHECK(dot.out.find("label=\"std::vector<double") != std::string::npos);

  auto g = json::parse(cli(dir, {"graph", "--format", "json"}).out);
  CHECK(g["nodes"].size() == 5);
  bool load_to_train = false;
  for (const auto& e : g["edges"]) {
    if (e["from"] == "load" && e["to"] == "train") {
      load_to_train = true;
      CHECK(e["type"].get<std::string>().rfind("std::vector<double", 0) == 0);
      CHECK(e["argument"] == 1);
      CHECK(e["kind"] == "data");
    }
  }
  CHECK(load_to_train);

  auto text = cli(dir, {"graph"});
  INFO(text.out);
  CHECK(text.out.find("step  train: double <- load (std::vector<double") != std::string::npos);
  CHECK(text.out.find("), mode (Mode) [job]\n") != std::string::npos);

  auto m = json::parse(cli(dir, {"describe", "--json"}).out);
  CHECK(m["pipeline"] == "clichild");
  CHECK(m["steps"].size() == 3);
  REQUIRE(m["params"].size() == 2);
  const auto& rows = m["params"][0];
  CHECK(rows["name"] == "rows");
  CHECK(rows["type"] == "int");
  CHECK(rows["default"] == "10");
  CHECK(rows["description"] == "rows to load");
  CHECK(rows["constraints"].get<std::string>().find("1") != std::string::npos);
  CHECK(rows["environment_variable"] == "TYPEFLOW_PARAM_ROWS");
  const auto& mode = m["params"][1];
  CHECK(mode["choices"] == json::array({"fast", "slow", "fail", "stuck"}));
  CHECK(m["scenes"][0]["name"] == "retrain");
  CHECK(m["edges"].size() == g["edges"].size());
  // The structure hash is the one the store records for runs of this program.
  REQUIRE(cli(dir, {"run", "--quiet"}).code == 0);
  CHECK(m["structure_hash"] == details(dir).run.structure_hash);

  auto d = cli(dir, {"describe"});
  CHECK(d.out.find("rows: int = 10") != std::string::npos);
}

TEST_CASE("cli: help lists the commands and each command's flags") {
  temp_dir dir;
  auto all = cli(dir, {"help"});
  CHECK(all.code == 0);
  for (const auto* c : {"run", "debug", "runs", "show", "compare", "logs", "retry", "copy", "stop",
                        "delete", "graph", "describe", "schedule", "ui"}) {
    CHECK(all.out.find(c) != std::string::npos);
  }
  auto run = cli(dir, {"help", "run"});
  CHECK(run.code == 0);
  CHECK(run.out.find("--param") != std::string::npos);
  CHECK(run.out.find("--inputs-from") != std::string::npos);
  CHECK(cli(dir, {"run", "--help"}).out.find("--fail-fast") != std::string::npos);
  auto none = cli(dir, {});
  CHECK(none.code == 2);
}

TEST_CASE("cli: typeflow::main in process writes to injected streams") {
  tyf::pipeline p{"inproc"};
  auto x = p.param<int>("x", 1);
  p.step(
      "twice", [](int v) { return 2 * v; }, x);
  std::ostringstream out, err;
  std::istringstream in;
  tyf::cli_options o;
  o.out = &out;
  o.err = &err;
  o.in = &in;
  std::string a0 = "prog", a1 = "graph", a2 = "--format", a3 = "text";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  CHECK(tyf::main(4, argv, p, o) == 0);
  CHECK(out.str() == "param x: int\nstep  twice: int <- x (int) [job]\n");
  CHECK(err.str().empty());
}

TEST_CASE("cli: schedule starts runs at cron times, up to --max-runs") {
  temp_dir dir;
  // TYPEFLOW_SCHEDULE_NOW=1 makes the first tick immediate.
  auto r = cli(dir, {"schedule", "--cron", "0 0 1 1 *", "--max-runs", "1", "--quiet"}, {},
               {"TYPEFLOW_SCHEDULE_NOW=1"});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(run_count(dir) == 1);
  CHECK(details(dir).run.status == tyf::run_status::succeeded);

  auto bad = cli(dir, {"schedule", "--cron", "61 * * * *", "--max-runs", "1"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("61") != std::string::npos);
  auto bad_param = cli(dir, {"schedule", "--cron", "* * * * *", "--param", "rows=0"}, {},
                       {"TYPEFLOW_SCHEDULE_NOW=1"});
  CHECK(bad_param.code == 2);
  CHECK(bad_param.err.find("parameter 'rows'") != std::string::npos);
  CHECK(run_count(dir) == 1);
}

#if TYPEFLOW_TEST_SIGNALS
TEST_CASE("cli: schedule --on-running skip skips a tick while the run goes on; Ctrl-C ends it") {
  temp_dir dir;
  // The first two ticks fire at once; the next cron time is far away.
  proc sched{dir,
             {"schedule", "--cron", "0 0 1 1 *", "--max-runs", "2", "--param", "mode=slow"},
             {},
             {"TYPEFLOW_SCHEDULE_NOW=2"}};
  REQUIRE(sched.wait_for_out("tick skipped: the previous run is still going"));
  REQUIRE(sched.wait_for_out("] train started"));
  sched.signal(SIGINT);
  CHECK(sched.wait() == 3);
  CHECK(run_count(dir) == 1);
  CHECK(details(dir).run.status == tyf::run_status::stopped);
}

TEST_CASE("cli: schedule --on-running cancel stops the previous run and starts the next") {
  temp_dir dir;
  proc sched{dir,
             {"schedule", "--cron", "0 0 1 1 *", "--on-running", "cancel", "--max-runs", "2",
              "--param", "mode=slow"},
             {},
             {"TYPEFLOW_SCHEDULE_NOW=2"}};
  REQUIRE(sched.wait_for_out("stopping the previous run"));
  // The second run's train step runs (seen in the store: on stdout, the first run's own
  // "train started" may come after the line above).
  REQUIRE(train_running_in_store(dir, 2));
  sched.signal(SIGINT);  // ends the second run (max-runs reached: the schedule waits for it)
  CHECK(sched.wait() == 3);
  tyf::store st{dir.path() / "store"};
  auto runs = st.runs();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].status == tyf::run_status::stopped);
  CHECK(runs[1].status == tyf::run_status::stopped);
}
#endif

TEST_CASE("cli: run --notify-cmd runs the command with the finished run as JSON") {
  temp_dir dir;
  auto file = dir.path() / "notified.json";
  auto r = cli(dir, {"run", "--quiet", "--notify-cmd", "cat > '" + file.string() + "'"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto doc = json::parse(tyf::test::slurp(file));
  CHECK(doc.dump().find("run_finished") != std::string::npos);
  CHECK(doc.dump().find(details(dir).run.id) != std::string::npos);
}

TEST_CASE("cli: show --html writes the report") {
  temp_dir dir;
  REQUIRE(cli(dir, {"run", "--quiet"}).code == 0);
  auto file = dir.path() / "run.html";
  auto r = cli(dir, {"show", "latest", "--html", file.string()});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(tyf::test::slurp(file).find(details(dir).run.id) != std::string::npos);
  auto bad = cli(
      dir, {"show", "latest", "--html", (dir.path() / "no" / "such" / "dir" / "x.html").string()});
  CHECK(bad.code != 0);
  CHECK(bad.err.find("x.html") != std::string::npos);
}
