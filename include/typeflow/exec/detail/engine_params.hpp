#pragma once
// The engine and delayed parameters: a parameter no source gave a value to is asked for when
// the first step that reads it is otherwise ready (see delayed_params.hpp for the votes).

#include <typeflow/exec/detail/engine.hpp>

namespace typeflow::exec_detail {

/// Would node v run if it were ready now (no upstream failure, selected)?
inline bool engine::will_run(node_id v) const {
  return state_[v].blocker.load(std::memory_order_acquire) == none && view().selected(v);
}

/// Makes delayed parameter p ready: into `ready` (from a worker), the queues (at the start)
/// or, in a sequential run, the list asked for before the first step that reads p runs.
inline void engine::make_due(node_id p, ready_list* ready) {
  if (sequential_) {
    due_.push_back(p);
  } else if (ready != nullptr) {
    ready->push_back({state_[p].priority, p});
  } else {
    ready_item item{state_[p].priority, p};
    queues_.push(0, &item, 1);
  }
}

/// Sequential runs: asks for the due parameters that node v reads (all of them for none).
inline void engine::run_due_params(node_id v, ready_list& ready) {
  for (std::size_t i = 0; i < due_.size();) {
    node_id p = due_[i];
    auto first = succ_.begin() + state_[p].succ_first;
    auto last = succ_.begin() + state_[p].succ_last;
    if (v != none && std::find(first, last, v) == last) {
      ++i;
      continue;
    }
    due_.erase(due_.begin() + static_cast<std::ptrdiff_t>(i));
    run_item({state_[p].priority, p}, ready);
  }
}

/// Asks the provider for delayed parameter u's value, parses and checks it like an override.
inline void engine::ask_param(node_id u, ready_list& ready) {
  const unit job = unit_of(u, none);
  if (!delayed_.wanted(u)) {
    finish(job, step_status::skipped, "not asked for: no step that reads it was to run", ready);
    return;
  }
  if (stop_.stop_requested()) {
    finish(job, step_status::cancelled, "the run was stopped before it was asked for", ready);
    return;
  }
  const auto& provider = opts_.param_provider();
  if (!provider) {
    finish(job, step_status::failed,
           "it is delayed and no source gave it a value, but the run has no parameter "
           "provider (run_options::param_provider)",
           ready);
    return;
  }
  if (events_.any()) {
    event e = events_.about(event_kind::param_requested, u);
    e.time = stamp();
    events_.send(e);
  }
  std::string text;
  try {
    std::lock_guard lock(provider_mutex_);
    text = provider(detail::describe_param(*def_, u));
  } catch (...) {
    // A provider that waits for an answer gives up when the run is stopped meanwhile.
    if (stop_.stop_requested()) {
      finish(job, step_status::cancelled, "the run was stopped while its value was asked for",
             ready);
    } else {
      finish(job, step_status::failed,
             "the parameter provider failed: " + describe(std::current_exception()), ready);
    }
    return;
  }
  try {
    data_->params[u] = detail::parse_param_value(*def_, u, text, "the parameter provider");
  } catch (const run_error& e) {
    std::string message = e.what();
    if (message.starts_with("typeflow: ")) message.erase(0, 10);
    finish(job, step_status::failed, std::move(message), ready);
    return;
  }
  def_->nodes[u].param->store(state_[u].out, data_->params[u].get());
  finish(job, step_status::succeeded, {}, ready);
}

}  // namespace typeflow::exec_detail
