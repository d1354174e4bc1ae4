// `prog logs RUN STEP [--attempt N] [--element I]` through real processes
// (tests/helpers/cli_child.cpp with $CLICHILD_LOG: `flaky` logs in attempts 1 and 3, the map
// `shards` in each of its 3 elements): the last attempt by default, a given attempt, an
// element, and every bad input named, with the store read and nothing written to it.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <typeflow/cli.hpp>
#include <typeflow/store.hpp>
#include <child_process.hpp>
#include <store_inspection.hpp>
#include <store_testing.hpp>

namespace tyf = typeflow;
namespace fs = std::filesystem;
using tyf::test::temp_dir;

namespace {

tyf::test::outcome cli(const temp_dir& dir, const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {}) {
  return tyf::test::process{dir.path(), TYPEFLOW_CLI_CHILD, args,
                            tyf::test::store_options(dir.path(), env, std::string{})}
      .finish();
}

/// One run with $CLICHILD_LOG in the store of `dir`; its id.
std::string logged_run(const temp_dir& dir) {
  auto r = cli(dir, {"run", "--quiet"}, {"CLICHILD_LOG=1"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  tyf::store st{dir.path() / "store"};
  return st.resolve("latest");
}

}  // namespace

TEST_CASE("cli logs: prints an attempt's log, the last one that logged by default") {
  temp_dir dir;
  const auto id = logged_run(dir);
  const auto before = tyf::test::snapshot(dir.path() / "store");

  auto r = cli(dir, {"logs", id, "flaky"}, {"CLICHILD_LOG=1"});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(r.out == "flaky attempt 3\nflaky done\nwith two lines\n");
  CHECK(r.err.empty());

  r = cli(dir, {"logs", "latest", "flaky", "--attempt", "1"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 0);
  CHECK(r.out == "flaky attempt 1\n");

  // A map element, as STEP[I] or --element I (a prefix of the run id will do).
  r = cli(dir, {"logs", id.substr(0, 6), "shards[1]"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 0);
  CHECK(r.out == "shards[1] holds 20\n");
  r = cli(dir, {"logs", id, "shards", "--element", "2", "--attempt", "1"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 0);
  CHECK(r.out == "shards[2] holds 30\n");
  r = cli(dir, {"logs", id, "shards[0]", "--element", "0"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 0);
  CHECK(r.out == "shards[0] holds 10\n");

  // Read-only: nothing in the store changed.
  CHECK(tyf::test::snapshot(dir.path() / "store") == before);
}

TEST_CASE("cli logs: a step without a log for the attempt says which attempts have one") {
  temp_dir dir;
  const auto id = logged_run(dir);

  auto r = cli(dir, {"logs", id, "flaky", "--attempt", "2"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("typeflow: step 'flaky' of run " + id +
                                    " wrote no log in attempt 2; attempts with logs: 1, 3\n"));

  r = cli(dir, {"logs", id, "flaky", "--attempt", "9"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("wrote no log in attempt 9; attempts with logs: 1, 3"));

  // A step that never logs.
  r = cli(dir, {"logs", id, "evaluate"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("typeflow: step 'evaluate' of run " + id + " wrote no log\n"));
  CHECK_THAT(r.err, Catch::Contains("hint: a step's log holds the lines it wrote with "
                                    "context::log; run 'typeflow-cli-child show " +
                                    id + "'"));

  // The map step itself: its elements logged.
  r = cli(dir, {"logs", id, "shards"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("step 'shards' of run " + id + " wrote no log\n"));
  CHECK_THAT(r.err, Catch::Contains("its elements with logs: shards[0], shards[1], shards[2] "
                                    "(write STEP[I] or --element I)"));

  // An element the map does not have.
  r = cli(dir, {"logs", id, "shards[7]"}, {"CLICHILD_LOG=1"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("step 'shards[7]' of run " + id + " wrote no log\n"));
}

TEST_CASE("cli logs: unknown runs and steps, and bad input, are usage errors naming them") {
  temp_dir dir;
  const auto id = logged_run(dir);
  struct bad_case {
    std::vector<std::string> args;
    std::vector<std::string> says;
  };
  const std::vector<bad_case> cases{
      {{"logs", "zzzzzz", "flaky"},
       {"typeflow: no run 'zzzzzz' in the run store", "hint: run 'typeflow-cli-child runs'"}},
      {{"logs", "not-an-id", "flaky"}, {"'not-an-id' is not a run id", "hint: run "}},
      {{"logs", id, "flakey"},
       {"typeflow: no step 'flakey' in pipeline 'clichild'; did you mean 'flaky'?",
        "hint: its steps are: evaluate, flaky, load, shards, train"}},
      {{"logs", id, "nothing_like_it"},
       {"typeflow: no step 'nothing_like_it' in pipeline 'clichild'\n", "its steps are: "}},
      {{"logs", id, "shards[x]"},
       {"typeflow: 'shards[x]' names no step: write STEP, or STEP[I] for element I"}},
      {{"logs", id, "shards[1]", "--element", "2"},
       {"typeflow: two elements given: 'shards[1]' and --element 2",
        "give the element once: STEP[I] or --element I"}},
      {{"logs", id, "shards", "--element", "-1"},
       {"typeflow: --element '-1' is not an element index (0, 1, 2, ...)"}},
      {{"logs", id, "flaky", "--attempt", "0"},
       {"typeflow: --attempt 0: attempts count from 1", "write --attempt 1"}},
      {{"logs", id, "flaky", "--attempt", "two"},
       {"typeflow: --attempt 'two' is not an attempt (1, 2, ...)"}},
      {{"logs", id, "flaky", "--attempt", "99999999999"},
       {"typeflow: --attempt '99999999999' is not an attempt"}},
      {{"logs", id}, {"STEP is required", "hint: run 'typeflow-cli-child help logs'"}},
  };
  for (const auto& c : cases) {
    auto r = cli(dir, c.args, {"CLICHILD_LOG=1"});
    INFO(c.args[1] << " " << (c.args.size() > 2 ? c.args[2] : "") << ": " << r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    for (const auto& s : c.says) CHECK_THAT(r.err, Catch::Contains(s));
  }
}

TEST_CASE("cli logs: needs a store, and is listed in help") {
  temp_dir dir;
  auto r = cli(dir, {"logs", "latest", "train"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("no run store in '"));
  CHECK_FALSE(fs::exists(dir.path() / "store"));
  r = cli(dir, {"help"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("logs"));
  CHECK_THAT(r.out, Catch::Contains("what a step wrote with context::log"));
  r = cli(dir, {"help", "logs"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("--attempt"));
  CHECK_THAT(r.out, Catch::Contains("--element"));
}

TEST_CASE("cli logs: a plain run shows the lines as they come, and --json as step_log events") {
  temp_dir dir;
  auto r = cli(dir, {"run"}, {"CLICHILD_LOG=1"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("] flaky log: flaky attempt 1\n"));
  CHECK_THAT(r.out, Catch::Contains("] shards[2] log: shards[2] holds 30\n"));
  r = cli(dir, {"run", "--json", "--no-cache"}, {"CLICHILD_LOG=1"});
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"event\":\"step_log\""));
  CHECK_THAT(r.out, Catch::Contains("\"line\":\"flaky done\""));
}
