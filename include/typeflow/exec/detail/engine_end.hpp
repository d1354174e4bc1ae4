#pragma once
// The end of a run: its status, the finally handlers with how the rest ended, the kept
// outputs handed to the run's data, and the waiters woken.

#include <typeflow/exec/detail/engine.hpp>

namespace typeflow::exec_detail {

inline run_status engine::status_so_far() const {
  if (user_stop_.load(std::memory_order_acquire)) return run_status::stopped;
  if (any_failed_.load(std::memory_order_acquire)) return run_status::failed;
  return run_status::succeeded;
}

/// Runs the finally handlers, in declaration order, with how the rest of the run ended.
/// Their failures are recorded but do not change the run's status.
inline void engine::run_finally() {
  if (finally_.empty()) return;
  run_outcome outcome;
  outcome.run_id = data_->run_id;
  outcome.pipeline = def_->name;
  outcome.status = status_so_far();
  for (node_id u = 0; u < def_->nodes.size(); ++u) {
    const auto s = records_[u].status;
    if (def_->nodes[u].kind != detail::node_kind::parameter &&
        (s == step_status::failed || s == step_status::timed_out)) {
      outcome.failed_steps.emplace_back(def_->nodes[u].name);
    }
  }
  data_->status.store(outcome.status);
  for (node_id u : finally_) {
    const auto& nd = def_->nodes[u];
    auto& rec = records_[u];
    rec.name = nd.name;
    rec.attempts = 1;
    rec.started = stamp();
    rec.status = step_status::running;
    events_.step(event_kind::step_started, u, nd.name, 1, {});
    std::stop_source never;
    const std::stop_token never_token = never.get_token();
    context ctx{data_->run_id, nd.name, u, 1, never_token, this};
    detail::invocation call{nullptr, nullptr, &state_[u].out, &ctx, &outcome};
    try {
      nd.impl->invoke(call);
      rec.status = step_status::succeeded;
    } catch (...) {
      rec.status = step_status::failed;
      rec.message = describe(std::current_exception());
    }
    rec.finished = stamp();
    events_.step(step_event(rec.status), u, nd.name, 1, rec.message, rec.duration());
  }
}

/// The run has ended: its status, its kept outputs handed to its data, the waiters woken.
inline void engine::complete() {
  data_->finished = step_clock::latest(sys_clock::now());  // never before a step's time
  data_->status.store(status_so_far());
  events_.run(event_kind::run_finished);
  external_link_.reset();
  for (node_id u : kept_nodes_) {
    if (state_[u].out.has_value()) data_->kept.push_back({u, std::move(state_[u].out)});
  }
  unlock_definition();  // the definition may grow again; this run keeps reading its prefix
  queues_.finish();
  {
    std::lock_guard lock(done_mutex_);
    done_ = true;
  }
  done_cv_.notify_all();
}

}  // namespace typeflow::exec_detail
