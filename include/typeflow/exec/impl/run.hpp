#pragma once
// The definitions of exec/run.hpp: the only place outside exec/detail that sees the engine.

#include <memory>
#include <string>
#include <utility>

#include <typeflow/config.hpp>
#include <typeflow/exec/detail/executor.hpp>
#include <typeflow/exec/run.hpp>

namespace typeflow {

TYPEFLOW_INLINE run_handle::run_handle(std::shared_ptr<exec_detail::engine> run)
    : run_(std::move(run)) {}
TYPEFLOW_INLINE run_handle::run_handle(run_handle&&) noexcept = default;
TYPEFLOW_INLINE run_handle& run_handle::operator=(run_handle&&) noexcept = default;
TYPEFLOW_INLINE run_handle::~run_handle() {
  if (run_) run_->join();
}

TYPEFLOW_INLINE run_result run_handle::wait() {
  run_->join();
  return run_result{run_->data()};
}
TYPEFLOW_INLINE run_status run_handle::status() const noexcept { return run_->view().status(); }
TYPEFLOW_INLINE bool run_handle::done() const { return run_->finished(); }
TYPEFLOW_INLINE const std::string& run_handle::run_id() const noexcept {
  return run_->view().run_id();
}
TYPEFLOW_INLINE void run_handle::stop() { run_->request_stop(); }

TYPEFLOW_INLINE run_result run(const pipeline& p, const run_options& opts) {
  exec_detail::engine e{p.definition(), opts, false};
  e.start(true);
  e.join();
  return run_result{e.data()};
}

TYPEFLOW_INLINE run_result run(const pipeline& p, sequential_t, const run_options& opts) {
  exec_detail::engine e{p.definition(), opts, true};
  e.start(true);
  e.join();
  return run_result{e.data()};
}

TYPEFLOW_INLINE run_handle run_async(const pipeline& p, const run_options& opts) {
  auto e = std::make_shared<exec_detail::engine>(p.definition(), opts, false);
  e->start(false);
  return run_handle{std::move(e)};
}

TYPEFLOW_INLINE run_handle run_async(const pipeline& p, sequential_t, const run_options& opts) {
  auto e = std::make_shared<exec_detail::engine>(p.definition(), opts, true);
  e->start(false);
  return run_handle{std::move(e)};
}

}  // namespace typeflow
