#pragma once
// Running a pipeline: run() blocks and returns the result; run_async() returns a handle to
// wait for, poll, or stop the run. Both take the same options and give the same result.

#include <memory>
#include <utility>

#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/detail/executor.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/result.hpp>

namespace typeflow {

/// A run in progress (from run_async). Destroying it waits for the run to end.
class run_handle {
 public:
  explicit run_handle(std::shared_ptr<exec_detail::engine> run) : run_(std::move(run)) {}
  run_handle(run_handle&&) noexcept = default;
  run_handle& operator=(run_handle&&) noexcept = default;
  run_handle(const run_handle&) = delete;
  run_handle& operator=(const run_handle&) = delete;
  ~run_handle() {
    if (run_) run_->join();
  }

  /// Waits for the end of the run.
  run_result wait() {
    run_->join();
    return run_result{run_->data()};
  }
  /// pending, running, or the final status.
  [[nodiscard]] run_status status() const noexcept { return run_->view().status(); }
  [[nodiscard]] bool done() const { return run_->finished(); }
  [[nodiscard]] const std::string& run_id() const noexcept { return run_->view().run_id(); }
  /// No new step starts; running steps see their stop token; the run ends `stopped`.
  void stop() { run_->request_stop(); }

 private:
  std::shared_ptr<exec_detail::engine> run_;
};

/// Runs the pipeline on a pool of worker threads and returns when it has finished.
inline run_result run(const pipeline& p, const run_options& opts = {}) {
  exec_detail::engine e{p.definition(), opts, false};
  e.start(true);
  e.join();
  return run_result{e.data()};
}

/// Runs the pipeline in the calling thread, one step at a time in declaration order.
inline run_result run(const pipeline& p, sequential_t, const run_options& opts = {}) {
  exec_detail::engine e{p.definition(), opts, true};
  e.start(true);
  e.join();
  return run_result{e.data()};
}

/// Starts the run on worker threads and returns at once.
inline run_handle run_async(const pipeline& p, const run_options& opts = {}) {
  auto e = std::make_shared<exec_detail::engine>(p.definition(), opts, false);
  e->start(false);
  return run_handle{std::move(e)};
}

/// Starts a sequential run on one worker thread and returns at once.
inline run_handle run_async(const pipeline& p, sequential_t, const run_options& opts = {}) {
  auto e = std::make_shared<exec_detail::engine>(p.definition(), opts, true);
  e->start(false);
  return run_handle{std::move(e)};
}

}  // namespace typeflow
