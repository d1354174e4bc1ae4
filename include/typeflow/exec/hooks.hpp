#pragma once
// What a run asks of a component outside the executor (the run store) before and after each
// step: the seam through which caching, resume and partial runs work without exec/ knowing
// anything of storage.

#include <cstdint>

#include <typeflow/detail/box.hpp>
#include <typeflow/exec/run_view.hpp>

namespace typeflow {

/// Installed with run_options::hooks(). Called from worker threads, concurrently for
/// different steps: implementations must be thread-safe. An exception from restore() or
/// produced() fails that step with the exception's message.
class run_hooks {
 public:
  run_hooks() = default;
  run_hooks(const run_hooks&) = default;
  run_hooks& operator=(const run_hooks&) = default;
  virtual ~run_hooks() = default;

  /// Once, after the run is planned and before any step runs. Throw run_error to refuse the
  /// run (for instance: a partial run whose inputs cannot be found).
  virtual void prepare(const run_view& run) { (void)run; }

  /// Before step `node` would run, its inputs ready. Fill `out` with the step's output (from
  /// the cache or an earlier run) and return true to mark the step `cached` without running
  /// it. `selected` is false for steps outside the run's selection: those never run, so
  /// returning false skips them.
  virtual bool restore(const run_view& run, std::uint32_t node, detail::box& out, bool selected) {
    (void)run, (void)node, (void)out, (void)selected;
    return false;
  }

  /// After step `node` succeeded by running, with its output (empty box for void steps).
  virtual void produced(const run_view& run, std::uint32_t node, const detail::box& out) {
    (void)run, (void)node, (void)out;
  }
};

}  // namespace typeflow
