#pragma once
// Where a step's attempt runs. By default the executor calls a ready step on one of its worker
// threads; a launcher set with run_options::launcher() runs the steps it accepts elsewhere
// (launch/slurm.hpp: as Slurm jobs running `prog run-step`). The executor still decides what
// is ready, evaluates conditions, gates and the cache, retries and records: a launcher only
// runs one attempt and says how it ended. The other side of the seam is run_attempt(): one
// attempt of one step in the calling thread, from its inputs' values, as a job runs it.

#include <chrono>
#include <cstdint>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/context.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/detail/box.hpp>
#include <typeflow/exec/run_view.hpp>

namespace typeflow {

/// How one attempt ended, as a launcher or run_attempt() reports it.
struct attempt_result {
  enum class how : std::uint8_t { succeeded, skipped, failed, timed_out };
  how end = how::succeeded;
  std::string message;  ///< failed, timed out: why; skipped: the skip_step's text

  [[nodiscard]] bool succeeded() const noexcept { return end == how::succeeded; }
};

/// Who runs an attempt in run_attempt(): what the step's context shows, where its metrics go.
struct attempt_context {
  std::string_view run_id;
  std::string_view step_name;  ///< a map element's: `name[i]`
  unsigned attempt = 1;
  detail::context_sink* sink = nullptr;  ///< metrics, progress; null: dropped
  std::stop_token stop;                  ///< the run's stop
};

/// One attempt of step `node` (or of element `element` of map step `node`) for a launcher.
struct launch_request {
  const run_view& run;
  detail::node_id node = detail::none;
  std::uint32_t element = detail::none;  ///< none: the whole step
  std::size_t elements = 0;              ///< a map element: how many elements the map has
  unsigned attempt = 1;                  ///< 1-based
  std::chrono::nanoseconds limit{0};     ///< the step's time limit; 0: none
  /// Per data input of the step, in argument order: the whole output of the node the input
  /// reads (a projection applies to it), null when absent (a branch that did not run). For a
  /// map element, input 0 is the map's whole vector input, as for the step.
  std::span<const detail::box* const> inputs;
  detail::box& out;  ///< the attempt's output goes here (a map element: the element's result)
  context& ctx;      ///< the run's stop token; log_metric() records the attempt's metrics
};

/// Runs attempts of some steps somewhere else than the executor's worker threads. Called from
/// worker threads, concurrently for different steps: implementations must be thread-safe.
/// A worker waits in launch() until the attempt has ended, so a run with a launcher wants
/// more threads than cores (the command line's `--executor slurm` takes 64 unless told).
class launcher {
 public:
  launcher() = default;
  launcher(const launcher&) = delete;
  launcher& operator=(const launcher&) = delete;
  virtual ~launcher() = default;

  /// Once, after the run is planned and before any step runs (after the hooks' prepare()).
  virtual void prepare(const run_view& run) { (void)run; }
  /// Whether step `node` runs through launch(); false: it runs in this process, on a worker.
  [[nodiscard]] virtual bool launches(const run_view& run, detail::node_id node) const = 0;
  /// Runs one attempt and waits for its end. The run's stop (ctx.stop_token()) must end it
  /// soon. An exception fails the attempt with its message (retries apply).
  virtual attempt_result launch(const launch_request& request) = 0;
};

/// One attempt of step `node` (of element `element` of a map step) in the calling thread:
/// the step's inputs are the whole outputs `inputs` as in launch_request, its output goes to
/// `out`, and `limit` > 0 gives it a stop token that triggers after that long (and when
/// `who.stop` does). What `prog run-step` calls in a job.
[[nodiscard]] TYPEFLOW_INLINE attempt_result
run_attempt(const detail::definition& d, detail::node_id node, std::uint32_t element,
            std::span<const detail::box* const> inputs, detail::box& out,
            const attempt_context& who, std::chrono::nanoseconds limit);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/exec/impl/launcher.hpp>
#endif
