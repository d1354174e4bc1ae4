// Delayed parameters from the command line, through real processes: tests/helpers/cli_child.cpp
// with $CLICHILD_DELAYED has a step `ship` that reads the delayed parameter `cutoff` (a double
// from 0 to 1). Off a terminal the run waits, shows `waiting`, fires --notify-cmd's
// param_requested, and another process's `answer RUN cutoff=VALUE` gives the value; on a
// terminal (a pseudo-terminal here) the run prompts for it, and `answer` works meanwhile too.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
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
using tyf::test::eventually;
using tyf::test::temp_dir;
using json = nlohmann::json;

namespace {

/// The pipeline program as a child with the delayed parameter on: stdin from /dev/null (not a
/// terminal), or from a pseudo-terminal's slave side (`terminal`: stdin, stdout and stderr are
/// the terminal; the test reads and types on the master side).
class proc : public tyf::test::process {
 public:
  proc(const temp_dir& dir, const std::vector<std::string>& args, bool terminal = false,
       const std::vector<std::string>& extra_env = {})
      : process(dir.path(), TYPEFLOW_CLI_CHILD, args,
                tyf::test::store_options(dir.path(), delayed(extra_env), std::nullopt, terminal)) {}

 private:
  static std::vector<std::string> delayed(std::vector<std::string> env) {
    env.insert(env.begin(), "CLICHILD_DELAYED=1");
    return env;
  }
};

tyf::test::outcome cli(const temp_dir& dir, const std::vector<std::string>& args) {
  return proc{dir, args}.finish();
}

/// Waits until the newest run of the store waits for `param`, as the store shows it.
bool waiting_in_store(const temp_dir& dir, const std::string& param) {
  return eventually(
      [&] {
        tyf::store st{dir.path() / "store"};
        auto runs = st.runs();
        return !runs.empty() && runs.front().waiting_for == std::vector<std::string>{param};
      },
      std::chrono::seconds(30));
}

tyf::run_details details(const temp_dir& dir, const std::string& run = "latest") {
  tyf::store st{dir.path() / "store"};
  return st.show(run);
}

std::string status_of(const tyf::run_details& d, const std::string& step) {
  const auto* s = d.step(step);
  return s == nullptr ? "(none)" : std::string(tyf::to_string(s->status));
}

}  // namespace

TEST_CASE("cli: off a terminal a run waits for a delayed parameter until `answer` gives it") {
  // Before: no parameter provider was installed, so `cutoff` failed at once and `ship` was
  // skipped ("the run has no parameter provider"); the run ended failed (exit 1).
  temp_dir dir;
  const auto events = dir.path() / "events.jsonl";
  proc running{dir, {"run", "--notify-cmd", "cat >> '" + events.string() + "'"}};
  REQUIRE(running.wait_for_err("answer with '"));
  INFO("child stderr:\n" << running.err());
  const auto id = details(dir).run.id;
  CHECK(running.err().find("typeflow: run " + id +
                           " waits for parameter 'cutoff' (double; a value from 0 to 1): answer "
                           "with 'typeflow-cli-child answer " +
                           id + " cutoff=VALUE'") != std::string::npos);
  REQUIRE(waiting_in_store(dir, "cutoff"));

  // runs, show and their JSON show that it waits, and for what.
  auto runs = cli(dir, {"runs"});
  CHECK(runs.out.find(id + "  waiting for cutoff") != std::string::npos);
  auto show = cli(dir, {"show", id});
  CHECK(show.out.find("run " + id + " of 'clichild': waiting for cutoff\n") != std::string::npos);
  auto show_json = json::parse(cli(dir, {"show", id, "--json"}).out);
  CHECK(show_json["status"] == "running");
  CHECK(show_json["waiting_for"] == json::array({"cutoff"}));
  CHECK(json::parse(cli(dir, {"runs", "--json"}).out)["runs"][0]["waiting_for"] ==
        json::array({"cutoff"}));

  // --notify-cmd fired param_requested.
  REQUIRE(eventually(
      [&] { return tyf::test::slurp(events).find("param_requested") != std::string::npos; },
      std::chrono::seconds(30)));
  auto requested =
      json::parse(tyf::test::slurp(events).substr(0, tyf::test::slurp(events).find('\n')));
  CHECK(requested["event"] == "param_requested");
  CHECK(requested["run_id"] == id);
  CHECK(requested["param"] == "cutoff");

  SECTION("bad answers exit 2 naming the problem; the run goes on waiting") {
    auto expect = [&](const std::vector<std::string>& args, const std::string& message) {
      auto r = cli(dir, args);
      INFO(r.err);
      CHECK(r.code == 2);
      CHECK(r.err.find(message) != std::string::npos);
    };
    expect({"answer", id, "cutoff=2"},
           "parameter 'cutoff' (double) got '2', expected a value from 0 to 1 (set by answer)");
    expect({"answer", id, "cutoff=high"}, "parameter 'cutoff' (double) got 'high'");
    expect({"answer", id, "cutof=0.5"}, "unknown parameter 'cutof'");
    expect({"answer", id, "cutof=0.5"}, "did you mean 'cutoff'?");
    expect({"answer", id, "rows=5"}, "parameter 'rows' is not delayed");
    expect({"answer", id, "cutoff"}, "'cutoff' is not NAME=VALUE");
    expect({"answer", "zzzzzz", "cutoff=0.5"}, "no run 'zzzzzz'");
    expect({"answer", id}, "NAME=VALUE is required");
    CHECK(waiting_in_store(dir, "cutoff"));
    auto good = cli(dir, {"answer", id.substr(0, 6), "cutoff=0.25"});
    INFO(good.err);
    CHECK(good.code == 0);
    CHECK(good.out == "answered parameter 'cutoff' of run " + id + ": 0.25\n");
    CHECK(running.wait() == 0);
    expect({"answer", id, "cutoff=0.5"}, "run " + id + " is not running (it is succeeded)");
  }
  SECTION("a good answer: the run goes on with the value and records it") {
    auto good = cli(dir, {"answer", "latest", "cutoff=0.25"});
    INFO(good.err);
    REQUIRE(good.code == 0);
    CHECK(running.wait() == 0);
    INFO("child stdout:\n" << running.out());
    CHECK(running.out().find("] waiting for parameter cutoff\n") != std::string::npos);
    auto d = details(dir, id);
    CHECK(d.run.status == tyf::run_status::succeeded);
    CHECK(d.run.params.at("cutoff") == "0.25");
    CHECK(d.run.waiting_for.empty());
    CHECK(status_of(d, "ship") == "succeeded");
    tyf::store st{dir.path() / "store"};
    auto asked = st.param_requests(id);
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].name == "cutoff");
    CHECK(asked[0].type == "double");
    CHECK(asked[0].requested.has_value());
    CHECK(asked[0].answer == "0.25");
    CHECK(asked[0].answered >= asked[0].requested);
  }
  SECTION("a second answer is refused: the first one counts") {
    REQUIRE(cli(dir, {"answer", id, "cutoff=0.5"}).code == 0);
    auto again = cli(dir, {"answer", id, "cutoff=0.75"});
    // Refused whether the run has read the first answer yet or not.
    CHECK(again.code == 2);
    CHECK((again.err.find("was answered already ('0.5')") != std::string::npos ||
           again.err.find("is not running") != std::string::npos));
    CHECK(running.wait() == 0);
    CHECK(details(dir, id).run.params.at("cutoff") == "0.5");
  }
}

TEST_CASE("cli: a --notify-cmd that answers at once: the run goes on with its answer") {
  // The notifier may answer before the run has recorded its request: the answer is kept.
  temp_dir dir;
  const std::string answer = std::string("'") + TYPEFLOW_CLI_CHILD +
                             "' answer \"$TYPEFLOW_RUN_ID\" \"$TYPEFLOW_PARAM=0.125\"";
  proc running{dir, {"run", "--notify-cmd", answer}};
  CHECK(running.wait() == 0);
  INFO("child stdout:\n" << running.out() << "\nchild stderr:\n" << running.err());
  auto d = details(dir);
  CHECK(d.run.status == tyf::run_status::succeeded);
  CHECK(d.run.params.at("cutoff") == "0.125");
}

TEST_CASE("cli: a run waiting for a parameter stops on `stop` and on Ctrl-C (exit 3)") {
  temp_dir dir;
  proc running{dir, {"run"}};
  REQUIRE(running.wait_for_err("answer with '"));
  REQUIRE(waiting_in_store(dir, "cutoff"));
  const auto id = details(dir).run.id;
  SECTION("stop RUN from another process") { REQUIRE(cli(dir, {"stop", id}).code == 0); }
#if TYPEFLOW_TEST_SIGNALS
  SECTION("SIGINT") { running.signal(SIGINT); }
  SECTION("SIGTERM") { running.signal(SIGTERM); }
#endif
  CHECK(running.wait() == 3);
  INFO("child stderr:\n" << running.err());
  auto d = details(dir, id);
  CHECK(d.run.status == tyf::run_status::stopped);
  CHECK(d.run.waiting_for.empty());
  CHECK(status_of(d, "ship") == "cancelled");
  auto late = cli(dir, {"answer", id, "cutoff=0.5"});
  CHECK(late.code == 2);
  CHECK(late.err.find("is not running (it is stopped)") != std::string::npos);
}

TEST_CASE("cli: on a terminal the run prompts for a delayed parameter, asking until valid") {
  temp_dir dir;
  proc running{dir, {"run"}, true};
  REQUIRE(running.wait_for_err("cutoff = "));
  INFO("terminal:\n" << running.out());
  CHECK(running.out().find("needs parameter 'cutoff' (double; a value from 0 to 1)") !=
        std::string::npos);
  CHECK(running.out().find("the lowest score that ships") != std::string::npos);
  running.type("1.5\n");
  REQUIRE(running.wait_for_err("expected a value from 0 to 1 (set by the prompt)"));
  REQUIRE(running.wait_for_err("cutoff = ", 2));
  running.type("\n");  // no default: asked again
  REQUIRE(running.wait_for_err("a value is needed"));
  REQUIRE(running.wait_for_err("cutoff = ", 3));
  running.type("0.3\n");
  CHECK(running.wait() == 0);
  auto d = details(dir);
  CHECK(d.run.status == tyf::run_status::succeeded);
  CHECK(d.run.params.at("cutoff") == "0.3");
  CHECK(status_of(d, "ship") == "succeeded");
  tyf::store st{dir.path() / "store"};
  auto asked = st.param_requests(d.run.id);  // recorded too, with the typed answer
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].answer == "0.3");
}

TEST_CASE("cli: while the terminal prompts, `answer` from another process may give the value") {
  temp_dir dir;
  proc running{dir, {"run"}, true};
  REQUIRE(running.wait_for_err("cutoff = "));
  REQUIRE(waiting_in_store(dir, "cutoff"));
  auto runs = cli(dir, {"runs"});
  CHECK(runs.out.find("waiting for cutoff") != std::string::npos);
  auto a = cli(dir, {"answer", "latest", "cutoff=0.5"});
  INFO(a.err);
  REQUIRE(a.code == 0);
  REQUIRE(running.wait_for_err("answered by 'typeflow-cli-child answer': 0.5"));
  CHECK(running.wait() == 0);
  INFO("terminal:\n" << running.out());
  auto d = details(dir);
  CHECK(d.run.params.at("cutoff") == "0.5");
  CHECK(status_of(d, "ship") == "succeeded");
}

TEST_CASE("progress_view: the live view shows a line while the run waits for a parameter") {
  std::ostringstream out;
  tyf::progress_view view{out, tyf::progress_mode::live, 3};
  view.waiting("cutoff", "answer with 'prog answer abc cutoff=VALUE'");
  view.redraw();
  CHECK(out.str().find("  cutoff  waiting ") != std::string::npos);
  CHECK(out.str().find("  answer with 'prog answer abc cutoff=VALUE'\n") != std::string::npos);
  out.str("");
  view.waiting("cutoff", {});
  view.redraw();
  CHECK(out.str().find("cutoff") == std::string::npos);
  out.str("");
  view.suspend();  // clears the frame for a prompt
  CHECK(out.str().find("\x1b[2K") != std::string::npos);
  view.resume();
}
