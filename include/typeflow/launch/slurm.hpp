#pragma once
// The Slurm launcher (issue 16): the process the user started is the driver; it plans and
// decides what is ready as in process, and each ready step that can run elsewhere is submitted
// with sbatch as a job running `<program> run-step STEP --run ID --store DIR --attempt N`
// (a map's elements as one job array). Jobs read their inputs from, and write their outputs
// to, the store's artifact files; the driver alone writes runs.db. See docs/slurm.md.
//
//     auto slurm = typeflow::make_slurm_launcher({.store = dir, .program = "/path/to/prog"});
//     typeflow::run(p, typeflow::store_options{}.store(dir).launcher(slurm));

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/exec/launcher.hpp>

namespace typeflow {

struct slurm_options {
  std::filesystem::path store;           ///< the run store's directory, on a file system jobs see
  std::filesystem::path program;         ///< the pipeline binary jobs run (the driver's own)
  std::vector<std::string> sbatch_args;  ///< for every job: --partition, --account, --qos...
  /// Jobs whose recorded ids these runs' job files hold are adopted rather than submitted
  /// again: the runs a retry re-attaches to (their job files, `jobs/RUN/...`).
  std::vector<std::string> adopt_from;
  /// How often result files are looked at, and squeue's first interval after a submission.
  std::chrono::milliseconds poll_min{100};
  std::chrono::milliseconds poll_max{2000};  ///< squeue's interval backs off up to this
  std::chrono::seconds cancel_wait{60};      ///< after scancel, how long to wait for the job's end
  /// The most elements of a map one job array holds (a bigger map goes as several arrays);
  /// 0: the cluster's MaxArraySize (scontrol show config), else 1000.
  std::size_t array_max = 0;
};

/// How many times the launcher called Slurm's commands (for benchmarks and the run summary).
struct slurm_calls {
  std::uint64_t sbatch = 0, squeue = 0, scontrol = 0, scancel = 0;
  std::uint64_t jobs = 0;     ///< jobs and array tasks submitted
  std::uint64_t adopted = 0;  ///< attempts taken from an earlier driver's jobs
};

/// Whether step `u` can run as a job: a plain step or map whose inputs and output travel as
/// artifacts (stored, with a codec). Parameters, conditions, gates, selectors, finally
/// handlers, in_memory steps and steps reading an in-memory output run in the driver.
[[nodiscard]] TYPEFLOW_INLINE bool runs_as_job(const detail::definition& d, detail::node_id u);

class slurm_launcher : public launcher {
 public:
  [[nodiscard]] virtual slurm_calls calls() const = 0;
};

/// The launcher; its jobs run `options.program`. Throws std::invalid_argument naming a missing
/// store directory or program.
[[nodiscard]] TYPEFLOW_INLINE std::shared_ptr<slurm_launcher> make_slurm_launcher(
    slurm_options options);

/// The sbatch options for step `u`'s policies: .resources() (gpu -> --gres=gpu:N, cpus ->
/// --cpus-per-task=N, mem_mb -> --mem=NM, any other name -> --gres=NAME:N), its time limit
/// (--time, in whole minutes, one more than the limit so that the step's own limit ends it
/// first) and .executor_args().
[[nodiscard]] TYPEFLOW_INLINE std::vector<std::string> slurm_step_args(
    const detail::definition& d, detail::node_id u, std::chrono::nanoseconds limit);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/launch/impl/slurm.hpp>
#endif
