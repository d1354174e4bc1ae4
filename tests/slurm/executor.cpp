// The Slurm executor against the one-node test cluster (tests/slurm/cluster.sh, started by the
// CTest fixture): the pipeline program tests/slurm/slurm_pipeline.cpp runs as the driver and
// as its own jobs, all real processes. Waits are for conditions (squeue, files, the driver's
// end), each with a bound that fails the test.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <unistd.h>

#include "child_process.hpp"
#include "cluster.hpp"

namespace fs = std::filesystem;
namespace tt = typeflow::test;
using namespace std::chrono_literals;

namespace {

const std::string program = TYPEFLOW_SLURM_PIPELINE;

/// A fresh directory for one test: the store and the child processes' output.
struct workspace {
  fs::path dir;
  explicit workspace(const std::string& name) {
    dir = fs::temp_directory_path() / ("typeflow-slurm-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "io");
  }
  ~workspace() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  [[nodiscard]] std::string store() const { return (dir / "store").string(); }
};

tt::outcome run(const workspace& w, std::vector<std::string> args,
                std::vector<std::string> env = {}) {
  args.push_back("--store");
  args.push_back(w.store());
  tt::process_options o;
  o.env = std::move(env);
  tt::process child(w.dir / "io", program, args, o);
  return child.finish();
}

/// A condition, polled until true; false after `bound`.
bool eventually(const std::function<bool()>& condition, std::chrono::seconds bound = 60s) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

/// A command's standard output (squeue, scontrol).
std::string output_of(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

/// The state Slurm gives job `id` (squeue while it is queued or running, else scontrol).
std::string job_state(const std::string& id) {
  auto state = output_of("squeue -h -r -j " + id + " -o %T 2>/dev/null");
  while (!state.empty() && state.back() == '\n') state.pop_back();
  if (!state.empty()) return state;
  const auto all = output_of("scontrol show job -o " + id + " 2>/dev/null");
  const auto at = all.find("JobState=");
  if (at == std::string::npos) return "";
  return all.substr(at + 9, all.find(' ', at) - at - 9);
}

nlohmann::json show(const workspace& w, const std::string& run_id) {
  auto r = run(w, {"show", run_id, "--json"});
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(r.out);
}

/// The newest run's id in the store (the driver prints it in its summary too).
std::string newest_run(const workspace& w) {
  auto r = run(w, {"runs", "--json", "--limit", "1"});
  if (r.code != 0) return "";
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || j["runs"].empty()) return "";
  return j["runs"][0]["id"].get<std::string>();
}

std::map<std::string, std::string> statuses(const nlohmann::json& run) {
  std::map<std::string, std::string> out;
  for (const auto& s : run["steps"]) out[s["name"]] = s["status"];
  return out;
}

std::map<std::string, std::string> artifacts(const nlohmann::json& run) {
  std::map<std::string, std::string> out;
  for (const auto& s : run["steps"]) {
    if (s.contains("artifact") && !s["artifact"].is_null()) out[s["name"]] = s["artifact"]["hash"];
  }
  return out;
}

std::multiset<std::string> metrics(const nlohmann::json& run) {
  std::multiset<std::string> out;
  for (const auto& m : run["metrics"]) {
    out.insert(m["step"].get<std::string>() + " " + m["name"].get<std::string>() + " " +
               std::to_string(m["index"].get<long>()) + " " + m["value"].dump());
  }
  return out;
}

std::string run_id_in(const std::string& summary) {
  const auto at = summary.find("\nrun ");
  REQUIRE(at != std::string::npos);
  return summary.substr(at + 5, summary.find(' ', at + 5) - at - 5);
}

/// The job id the driver recorded for attempt `attempt` of `step` (an element: `job.<i>`).
std::string recorded_job(const workspace& w, const std::string& run_id, const std::string& step,
                         unsigned attempt = 1, const std::string& file = "job") {
  std::ifstream in(fs::path(w.store()) / "jobs" / run_id / step / std::to_string(attempt) / file);
  std::string id;
  in >> id;
  return id;
}

/// The newest run's id and the job of its step 'wait', once Slurm runs it (the test fails
/// after a minute otherwise).
std::pair<std::string, std::string> running_wait_job(const workspace& w) {
  std::string id, job;
  REQUIRE(eventually([&] {
    if (id.empty()) id = newest_run(w);
    if (!id.empty() && job.empty()) job = recorded_job(w, id, "wait");
    return !job.empty() && job_state(job) == "RUNNING";
  }));
  return {id, job};
}

}  // namespace

TEST_CASE("slurm: a run with a map, a condition and a gate gives the local run's outputs") {
  workspace w("same");
  auto local = run(w, {"run", "--quiet"});
  REQUIRE(local.code == 0);
  auto slurm = run(w, {"run", "--quiet", "--executor", "slurm", "--no-cache"});
  INFO(slurm.out << slurm.err);
  REQUIRE(slurm.code == 0);
  const auto a = show(w, run_id_in(local.out));
  const auto b = show(w, run_id_in(slurm.out));
  REQUIRE(statuses(a) == statuses(b));
  REQUIRE(statuses(b)["ship"] == "succeeded");
  REQUIRE(statuses(b)["keep"] == "skipped");
  REQUIRE(statuses(b)["publish"] == "succeeded");
  REQUIRE(artifacts(a) == artifacts(b));  // content-addressed: the same outputs, byte for byte
  REQUIRE(metrics(a) == metrics(b));
  REQUIRE(metrics(b).size() == 5);
  // Every step that can be a job was one, the map's four elements as one array; the
  // condition, the selector, the gate and the in-memory step ran in the driver.
  REQUIRE_THAT(slurm.out, Catch::Contains("slurm: 11 jobs submitted, 0 adopted; sbatch 8,"));
  const auto id = run_id_in(slurm.out);
  for (const char* step : {"make", "total", "ship", "publish", "flaky", "slow", "wait"}) {
    INFO(step);
    REQUIRE(job_state(recorded_job(w, id, step)) == "COMPLETED");
  }
  const auto element = recorded_job(w, id, "square", 1, "job.3");
  REQUIRE(element.find('_') != std::string::npos);  // an array task: <array job>_3
  REQUIRE(job_state(element) == "COMPLETED");
  for (const char* step : {"big", "first-of-1", "enough", "memo", "keep"}) {
    INFO(step);
    REQUIRE_FALSE(fs::exists(fs::path(w.store()) / "jobs" / id / step));
  }
  // A job's ctx.log lines (and its own output) are the attempt's log, as a local run's lines.
  for (const auto& [run_id, job_output] : {std::pair{run_id_in(local.out), false}, {id, true}}) {
    auto total_log = run(w, {"logs", run_id, "total"});
    INFO(total_log.out << total_log.err);
    REQUIRE(total_log.code == 0);
    REQUIRE_THAT(total_log.out, Catch::Contains("total 30\n"));
    REQUIRE((total_log.out.find("typeflow: run-step: step 'total'") != std::string::npos) ==
            job_output);
    auto element_log = run(w, {"logs", run_id, "square[2]"});
    REQUIRE(element_log.code == 0);
    REQUIRE_THAT(element_log.out, Catch::Contains("squaring 3\n"));
  }

  // Cached steps are not submitted at all.
  auto again = run(w, {"run", "--quiet", "--executor", "slurm"});
  REQUIRE(again.code == 0);
  REQUIRE_THAT(again.out, Catch::Contains("slurm: 0 jobs submitted, 0 adopted; sbatch 0,"));
  // delete removes the run's job files with its logs.
  REQUIRE(fs::exists(fs::path(w.store()) / "jobs" / id));
  auto removed = run(w, {"delete", id, "--yes"});
  REQUIRE(removed.code == 0);
  REQUIRE_FALSE(fs::exists(fs::path(w.store()) / "jobs" / id));
  REQUIRE_FALSE(fs::exists(fs::path(w.store()) / "logs" / id));
}

TEST_CASE("slurm: a map bigger than one job array goes as several") {
  workspace w("arrays");
  auto local = run(w, {"run", "--quiet", "--param", "n=5"});
  REQUIRE(local.code == 0);
  auto slurm = run(w, {"run", "--quiet", "--executor", "slurm", "--no-cache", "--param", "n=5"},
                   {"TYPEFLOW_SLURM_ARRAY_MAX=2"});
  INFO(slurm.out << slurm.err);
  REQUIRE(slurm.code == 0);
  const auto id = run_id_in(slurm.out);
  REQUIRE(artifacts(show(w, run_id_in(local.out))) == artifacts(show(w, id)));
  // Elements 0-1, 2-3 and 4: three arrays, each element's task id counted from its array's
  // first element; sbatch: 3 arrays and the 7 other jobs.
  REQUIRE_THAT(slurm.out, Catch::Contains("slurm: 12 jobs submitted, 0 adopted; sbatch 10,"));
  REQUIRE(recorded_job(w, id, "square", 1, "job.3")
              .substr(recorded_job(w, id, "square", 1, "job.3").find('_')) == "_1");
  REQUIRE(recorded_job(w, id, "square", 1, "job.4").find("_0") != std::string::npos);
  auto log = run(w, {"logs", id, "square[4]"});
  REQUIRE(log.code == 0);
  REQUIRE_THAT(log.out, Catch::Contains("squaring 5\n"));
  auto bad = run(w, {"run", "--quiet", "--executor", "slurm"}, {"TYPEFLOW_SLURM_ARRAY_MAX=0"});
  REQUIRE(bad.code == 2);
  REQUIRE_THAT(bad.err, Catch::Contains("TYPEFLOW_SLURM_ARRAY_MAX='0' is not a whole number"));
}

TEST_CASE("slurm: a failing step's retries are jobs of their own; a step over its time limit") {
  workspace w("retry");
  auto r = run(w, {"run", "--quiet", "--executor", "slurm", "--param", "fail-times=2", "--param",
                   "too-slow=true"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 1);
  const auto id = run_id_in(r.out);
  const auto shown = show(w, id);
  for (const auto& s : shown["steps"]) {
    if (s["name"] == "flaky") {
      REQUIRE(s["status"] == "succeeded");
      REQUIRE(s["attempts"] == 3);
    }
    if (s["name"] == "slow") {
      REQUIRE(s["status"] == "timed_out");
      REQUIRE(s["message"] == "timed out after 2s");
    }
  }
  std::set<std::string> jobs;
  for (unsigned attempt = 1; attempt <= 3; ++attempt) {
    jobs.insert(recorded_job(w, id, "flaky", attempt));
  }
  REQUIRE(jobs.size() == 3);  // three attempts, three jobs

  auto failing = run(w, {"run", "--quiet", "--executor", "slurm", "--param", "fail-times=9"});
  REQUIRE(failing.code == 1);
  REQUIRE_THAT(failing.out, Catch::Contains("flaky fails attempt 3"));
}

TEST_CASE("slurm: stop from a second process cancels the run's jobs and ends it stopped") {
  workspace w("stop");
  tt::process_options o;
  tt::process driver(w.dir / "io", program,
                     {"run", "--quiet", "--executor", "slurm", "--param",
                      "hold-file=" + (w.dir / "never").string(), "--store", w.store()},
                     o);
  std::string id, job;
  std::tie(id, job) = running_wait_job(w);
  auto stop = run(w, {"stop", id});
  REQUIRE(stop.code == 0);
  const auto ended = driver.finish();
  INFO(ended.out << ended.err);
  REQUIRE(ended.code == 3);
  REQUIRE(show(w, id)["status"] == "stopped");
  REQUIRE_THAT(ended.out, Catch::Contains("Slurm job " + job + " was cancelled"));
  REQUIRE(eventually([&] { return job_state(job) == "CANCELLED"; }));
}

TEST_CASE("slurm: Ctrl-C on the driver cancels the run's jobs and ends it stopped") {
  workspace w("sigint");
  tt::process driver(w.dir / "io", program,
                     {"run", "--quiet", "--executor", "slurm", "--param",
                      "hold-file=" + (w.dir / "never").string(), "--store", w.store()},
                     {});
  std::string id, job;
  std::tie(id, job) = running_wait_job(w);
  driver.signal(SIGINT);
  const auto ended = driver.finish();
  INFO(ended.out << ended.err);
  REQUIRE(ended.code == 3);
  REQUIRE(show(w, id)["status"] == "stopped");
  REQUIRE(eventually([&] { return job_state(job) == "CANCELLED"; }));
}

TEST_CASE("slurm: a job cancelled from outside fails its step with Slurm's state") {
  workspace w("scancel");
  tt::process driver(w.dir / "io", program,
                     {"run", "--quiet", "--executor", "slurm", "--param",
                      "hold-file=" + (w.dir / "never").string(), "--store", w.store()},
                     {});
  std::string id, job;
  std::tie(id, job) = running_wait_job(w);
  REQUIRE(std::system(("scancel " + job).c_str()) == 0);
  const auto ended = driver.finish();
  INFO(ended.out << ended.err);
  REQUIRE(ended.code == 1);
  REQUIRE_THAT(ended.out, Catch::Contains("wait        failed"));
  REQUIRE_THAT(ended.out, Catch::Contains("Slurm job " + job + " ended CANCELLED"));
  REQUIRE(statuses(show(w, id))["total"] == "succeeded");  // the rest went on
}

TEST_CASE("slurm: a job whose node is lost ends NODE_FAIL; the driver retries it as a new job") {
  workspace w("node");
  const auto release = w.dir / "release";
  tt::process_options o;
  o.env = {"SLURMY_WAIT_RETRY=1"};
  tt::process driver(w.dir / "io", program,
                     {"run", "--executor", "slurm", "--param", "hold-file=" + release.string(),
                      "--store", w.store()},
                     o);
  std::string id, job;
  std::tie(id, job) = running_wait_job(w);
  auto node = output_of("squeue -h -j " + job + " -o %N");
  while (!node.empty() && node.back() == '\n') node.pop_back();
  REQUIRE_FALSE(node.empty());
  REQUIRE(std::system(
              ("scontrol update nodename=" + node + " state=down reason=typeflow-test").c_str()) ==
          0);
  const bool failed = eventually([&] { return job_state(job) == "NODE_FAIL"; });
  // The node back in service (slurmd re-registers; resume in case it has not yet).
  (void)std::system(("scontrol update nodename=" + node + " state=resume 2>/dev/null").c_str());
  REQUIRE(failed);
  REQUIRE(eventually([&] { return !recorded_job(w, id, "wait", 2).empty(); }));
  std::ofstream(release) << "go\n";
  const auto ended = driver.finish();
  INFO(ended.out << ended.err);
  REQUIRE(ended.code == 0);
  REQUIRE_THAT(ended.out, Catch::Contains("wait retried: Slurm job " + job +
                                          " ended NODE_FAIL (reason: NodeDown"));
  REQUIRE(recorded_job(w, id, "wait", 2) != job);
  const auto shown = show(w, id);  // a range-for over a temporary's member would dangle
  for (const auto& s : shown["steps"]) {
    if (s["name"] == "wait") REQUIRE(s["attempts"] == 2);
  }
}

TEST_CASE("slurm: a driver killed mid-run; retry adopts its running job, submits nothing twice") {
  workspace w("adopt");
  const auto release = w.dir / "release";
  std::string id, job;
  {
    tt::process driver(w.dir / "io", program,
                       {"run", "--quiet", "--executor", "slurm", "--param",
                        "hold-file=" + release.string(), "--store", w.store()},
                       {});
    std::tie(id, job) = running_wait_job(w);
    driver.signal(SIGKILL);
    (void)driver.wait();
  }
  REQUIRE(job_state(job) == "RUNNING");  // the job outlives its driver
  tt::process retry(w.dir / "io", program,
                    {"retry", id, "--quiet", "--executor", "slurm", "--store", w.store()}, {});
  // The retry waits for the adopted job; released, it ends and the retry with it.
  REQUIRE(eventually([&] { return !newest_run(w).empty() && newest_run(w) != id; }));
  std::ofstream(release) << "go\n";
  const auto ended = retry.finish();
  INFO(ended.out << ended.err);
  REQUIRE(ended.code == 0);
  REQUIRE_THAT(ended.out, Catch::Contains(" adopted; sbatch "));
  REQUIRE_THAT(ended.out, !Catch::Contains(" 0 adopted; sbatch "));
  const auto again = run_id_in(ended.out);
  REQUIRE(statuses(show(w, again))["wait"] == "succeeded");
  REQUIRE_FALSE(fs::exists(fs::path(w.store()) / "jobs" / again / "wait"));  // adopted
  REQUIRE(job_state(job) == "COMPLETED");
  // No step was submitted by both drivers: what the first submitted (its job files), the
  // retry adopted or took from its result.
  const auto jobs = fs::path(w.store()) / "jobs";
  for (const auto& step : fs::directory_iterator(jobs / again)) {
    const auto name = step.path().filename();
    INFO(name);
    REQUIRE_FALSE(fs::exists(jobs / id / name / "1" / "job"));
    REQUIRE_FALSE(fs::exists(jobs / id / name / "1" / "job.0"));
  }
}

TEST_CASE("slurm: run-step refuses a binary whose pipeline differs, naming both") {
  workspace w("differs");
  auto first = run(w, {"run", "--quiet", "--executor", "slurm"});
  REQUIRE(first.code == 0);
  const auto id = run_id_in(first.out);
  auto by_hand = run(w, {"run-step", "total", "--run", id, "--attempt", "1"}, {"SLURMY_EXTRA=1"});
  REQUIRE(by_hand.code == 2);
  REQUIRE_THAT(by_hand.err, Catch::Contains("this binary's pipeline 'slurmy' (structure "));
  REQUIRE_THAT(by_hand.err, Catch::Contains("is not the one run '" + id + "' ran"));
  // The same binary, by hand: the attempt has its result already; it does not run again.
  auto idempotent = run(w, {"run-step", "total", "--run", id, "--attempt", "1"});
  REQUIRE(idempotent.code == 0);
  REQUIRE_THAT(idempotent.out, Catch::Contains("has its result already"));
  // Jobs whose binary differs: each fails, saying why in the message.
  auto differs = run(w, {"run", "--quiet", "--executor", "slurm", "--no-cache",
                         "--slurm-arg=--export=ALL,SLURMY_EXTRA=1"});
  REQUIRE(differs.code == 1);
  REQUIRE_THAT(differs.out, Catch::Contains("make        failed"));
  REQUIRE_THAT(differs.out, Catch::Contains("is not the one run"));
}

TEST_CASE("slurm: bad input is refused by name") {
  workspace w("bad");
  auto debug = run(w, {"debug", "--executor", "slurm"});
  REQUIRE(debug.code == 2);
  REQUIRE_THAT(debug.err, Catch::Contains("takes no --executor slurm"));
  auto arg = run(w, {"run", "--slurm-arg=--partition=x"});
  REQUIRE(arg.code == 2);
  REQUIRE_THAT(arg.err, Catch::Contains("--slurm-arg is for --executor slurm"));
  auto partition = run(
      w, {"run", "--quiet", "--executor", "slurm", "--slurm-arg=--partition=no-such-partition"});
  REQUIRE(partition.code == 1);
  REQUIRE_THAT(partition.out, Catch::Contains("sbatch refused attempt 1 of step 'make'"));
  REQUIRE_THAT(partition.out, Catch::Contains("no-such-partition"));
  // A job Slurm would keep pending forever (more CPUs than the node has) is cancelled, and
  // its step fails saying why; the rest of the run goes on.
  auto greedy = run(w, {"run", "--quiet", "--executor", "slurm"}, {"SLURMY_GREEDY=1"});
  INFO(greedy.out << greedy.err);
  REQUIRE(greedy.code == 1);
  REQUIRE_THAT(greedy.out, Catch::Contains("greedy      failed"));
  REQUIRE_THAT(greedy.out, Catch::Contains("(pending, reason: PartitionConfig)"));
  REQUIRE_THAT(greedy.out, Catch::Contains("publish     succeeded"));
  auto element = run(w, {"run-step", "square", "--run", "nope", "--attempt", "1"});
  REQUIRE(element.code == 2);
  REQUIRE_THAT(element.err,
               Catch::Contains("run 'nope' has no task for attempt 1 of step 'square'"));
}

int main(int argc, char** argv) {
  tt::require_slurm_cluster();
  return Catch::Session().run(argc, argv);
}
