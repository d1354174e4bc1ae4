#pragma once
// Running a pipeline: run() blocks and returns the result; run_async() returns a handle to
// wait for, poll, or stop the run. Both take the same options and give the same result.

#include <memory>
#include <string>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/result.hpp>

namespace typeflow {

namespace exec_detail {
class engine;  // exec/detail/engine.hpp: only the definitions (exec/impl/run.hpp) need it
}  // namespace exec_detail

/// A run in progress (from run_async). Destroying it waits for the run to end.
class run_handle {
 public:
  TYPEFLOW_INLINE explicit run_handle(std::shared_ptr<exec_detail::engine> run);
  TYPEFLOW_INLINE run_handle(run_handle&&) noexcept;
  TYPEFLOW_INLINE run_handle& operator=(run_handle&&) noexcept;
  run_handle(const run_handle&) = delete;
  run_handle& operator=(const run_handle&) = delete;
  TYPEFLOW_INLINE ~run_handle();

  /// Waits for the end of the run.
  TYPEFLOW_INLINE run_result wait();
  /// pending, running, or the final status.
  [[nodiscard]] TYPEFLOW_INLINE run_status status() const noexcept;
  [[nodiscard]] TYPEFLOW_INLINE bool done() const;
  [[nodiscard]] TYPEFLOW_INLINE const std::string& run_id() const noexcept;
  /// No new step starts; running steps see their stop token; the run ends `stopped`.
  TYPEFLOW_INLINE void stop();

 private:
  std::shared_ptr<exec_detail::engine> run_;
};

/// Runs the pipeline on a pool of worker threads and returns when it has finished.
TYPEFLOW_INLINE run_result run(const pipeline& p, const run_options& opts = {});

/// Runs the pipeline in the calling thread, one step at a time in declaration order.
TYPEFLOW_INLINE run_result run(const pipeline& p, sequential_t, const run_options& opts = {});

/// Starts the run on worker threads and returns at once. Throws std::system_error when not one
/// thread can be created (the run does not begin); with fewer than asked for, it runs on those.
TYPEFLOW_INLINE run_handle run_async(const pipeline& p, const run_options& opts = {});

/// Starts a sequential run on one worker thread and returns at once (std::system_error when
/// that thread cannot be created).
TYPEFLOW_INLINE run_handle run_async(const pipeline& p, sequential_t, const run_options& opts = {});

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/exec/impl/run.hpp>
#endif
