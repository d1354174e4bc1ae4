// How the Slurm launcher reads Slurm's words for a job (launch/detail/slurm_jobs.hpp): the fields
// of `scontrol show job -o` (a line as Slurm 22.05 prints it), pending reasons a job never
// leaves, and the step status and message of a job that left Slurm without its result. The
// tests against the real cluster (tests/slurm/executor.cpp) show CANCELLED and NODE_FAIL end to
// end; a job over Slurm's own time limit takes minutes there (--time is whole minutes), so its
// mapping is shown here.
#include <typeflow/core/pipeline.hpp>
#include <typeflow/launch/detail/slurm_jobs.hpp>
#include <typeflow/launch/slurm.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ld = typeflow::launch_detail;
using how = typeflow::attempt_result::how;

TEST_CASE("slurm jobs: scontrol's fields, and the pending reasons a job never leaves") {
  const auto f = ld::scontrol_fields(
      "JobId=258 JobName=wrap UserId=root(0) JobState=NODE_FAIL Reason=NodeDown "
      "Dependency=(null) Requeue=0 Restarts=0 ExitCode=0:15 RunTime=00:00:01 NodeList=vm\n");
  CHECK(f.at("JobId") == "258");
  CHECK(f.at("JobState") == "NODE_FAIL");
  CHECK(f.at("Reason") == "NodeDown");
  CHECK(f.at("ExitCode") == "0:15");
  CHECK(f.at("UserId") == "root(0)");
  CHECK(ld::scontrol_fields("slurm_load_jobs error: Invalid job id specified").empty());
  CHECK(ld::never_runs("PartitionConfig"));
  CHECK(ld::never_runs("BadConstraints"));
  CHECK_FALSE(ld::never_runs("Resources"));
  CHECK_FALSE(ld::never_runs("Priority"));
  CHECK_FALSE(ld::never_runs("ReqNodeNotAvail"));
}

TEST_CASE("slurm jobs: a job that ended without its result, by Slurm's state") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("typeflow-slurm-jobs-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ld::watched_job job;
  job.id = "41_3";
  job.log = dir / "log.3";

  job.state = "TIMEOUT";
  job.reason = "TimeLimit";
  job.exit_code = "0:15";
  auto r = ld::job_ended(job);
  CHECK(r.end == how::timed_out);
  CHECK(r.message ==
        "Slurm job 41_3 ended TIMEOUT (reason: TimeLimit), killed by signal 15 "
        "without a result; its output '" +
            job.log.string() + "' is empty");

  std::ofstream(job.log) << "loading\n\ntypeflow: run-step: this binary's pipeline differs\n";
  job.state = "FAILED";
  job.reason = "NonZeroExitCode";
  job.exit_code = "2:0";
  r = ld::job_ended(job);
  CHECK(r.end == how::failed);
  CHECK(r.message ==
        "Slurm job 41_3 ended FAILED (reason: NonZeroExitCode), exit code 2 without "
        "a result; its output ends: loading | typeflow: run-step: this binary's "
        "pipeline differs");

  for (const char* state : {"NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}) {
    job.state = state;
    job.reason = "None";
    job.exit_code = "0:0";
    r = ld::job_ended(job);
    CHECK(r.end == how::failed);
    CHECK_THAT(r.message, Catch::StartsWith("Slurm job 41_3 ended " + std::string(state) +
                                            " without a result; its output ends: "));
  }
  job.state.clear();  // Slurm no longer knows it (MinJobAge passed, or the cluster restarted)
  r = ld::job_ended(job);
  CHECK_THAT(r.message, Catch::StartsWith("Slurm job 41_3 ended (its state is no longer known)"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("slurm jobs: a step's policies as sbatch options") {
  using namespace std::chrono_literals;
  typeflow::pipeline p{"policies"};
  p.step("plain", [] { return 1; });
  p.step("gpu", [] { return 1; })
      .resources({{"gpu", 2}, {"cpus", 4}, {"mem_mb", 7999.5}, {"licence", 1}})
      .executor_args({"--qos=long", "--constraint=a100"});
  p.step("timed", [] { return 1; }).timeout(90s);
  const auto& d = *p.definition();
  CHECK(typeflow::slurm_step_args(d, d.find("plain"), {}).empty());
  CHECK(typeflow::slurm_step_args(d, d.find("gpu"), {}) ==
        std::vector<std::string>{"--cpus-per-task=4", "--mem=8000M", "--gres=gpu:2,licence:1",
                                 "--qos=long", "--constraint=a100"});
  // Whole minutes, rounded up, plus one: the job ends the step at its own limit first.
  CHECK(typeflow::slurm_step_args(d, d.find("timed"), 90s) == std::vector<std::string>{"--time=3"});
  CHECK(typeflow::slurm_step_args(d, d.find("timed"), 60s) == std::vector<std::string>{"--time=2"});
  CHECK_THROWS_WITH(p.step("bad", [] { return 1; }).executor_args({"partition=gpu"}),
                    Catch::Contains("'partition=gpu' is not an option (options start with '-')"));
}
