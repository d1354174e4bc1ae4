#pragma once
// The engine's path for a unit of work, a step or one element of a map, the same for both:
// the checks before it starts (conditions, upstream failures, the cache, the selection), map
// fan-out and gathering, its attempts with their retries, and its finish, which releases inputs
// after their last reader and makes successors ready.

#include <typeflow/exec/detail/engine.hpp>

namespace typeflow::exec_detail {

/// Runs a ready unit of work: the same path for a step and a map element, from the checks
/// before it starts through its attempts to its finish.
inline void engine::run_item(const ready_item& item, ready_list& ready) {
  const unit job = unit_of(item.node, item.element);
  // Named here, where the node's name is at hand anyway: a loop naming every record while
  // planning streams the definition's nodes (~100 bytes each) once more, which cost up to 8%
  // of an empty step.
  if (!job.is_element()) {
    job.rec->name = job.name;
    // finish() will count down the successors' pending counts: start loading the first two
    // now, so that those cache misses overlap the step; not a join's, which other workers
    // decrement too (taking its line early would only move it once more).
    const auto& st = state_[job.node];
    for (auto i = st.succ_first, end = std::min(st.succ_last, st.succ_first + 2); i < end; ++i) {
      if (succ_[i] != ready.joining) __builtin_prefetch(&state_[succ_[i]], 1);
    }
  }
  if (job.rec->attempts > 0) {  // a retry after its backoff
    if (stop_.stop_requested()) {
      finish(job, step_status::failed, {}, ready);  // keeps its last error
    } else {
      attempt(job, ready);
    }
    return;
  }
  if (!job.is_element() && def_->nodes[job.node].kind == detail::node_kind::parameter) {
    job.rec->started = start_stamp(ready);
    if (delayed_.asked(job.node)) {
      ask_param(job.node, ready);
      return;
    }
    def_->nodes[job.node].param->store(*job.out, data_->params[job.node].get());
    finish(job, step_status::succeeded, {}, ready);
    return;
  }
  if (stop_.stop_requested()) {
    job.rec->started = start_stamp(ready);
    finish(job, step_status::cancelled, "the run was stopped before this step started", ready);
    return;
  }
  if (!*job.holds_resources) {
    if (!job.is_element() && !admit(job, ready)) return;
    if (!needs_.empty() && !needs_[job.node].empty()) {
      if (!pool_->acquire_or_wait(needs_[job.node],
                                  {state_[job.node].priority, job.node, job.element})) {
        return;  // admitted later, when another unit releases what it holds
      }
      *job.holds_resources = true;
    }
  }
  attempt(job, ready);
}

/// Whether step job runs now; when it does not (a condition, an upstream failure, the cache,
/// the selection) or runs as a map's elements, it is resolved or expanded here.
inline bool engine::admit(const unit& job, ready_list& ready) {
  const auto u = job.node;
  const auto& nd = def_->nodes[u];
  // Most steps have no condition and no upstream failure: no call then.
  if (auto why = (nd.control || state_[u].blocker.load(std::memory_order_acquire) != none)
                     ? reason_not_to_run(u)
                     : std::nullopt) {
    job.rec->started = start_stamp(ready);
    finish(job, why->first, std::move(why->second), ready);
    return false;
  }
  const bool selected = view().selected(u);
  if (const auto& hooks = opts_.hooks()) {
    job.rec->started = start_stamp(ready);
    try {
      if (hooks->restore(view(), u, *job.out, selected)) {
        finish(job, step_status::cached, {}, ready);
        return false;
      }
    } catch (...) {
      job.out->reset();
      finish(job, step_status::failed,
             "could not restore the output: " + describe(std::current_exception()), ready);
      return false;
    }
  }
  if (!selected) {
    job.rec->started = start_stamp(ready);
    finish(job, step_status::skipped, "not selected for this run", ready);
    return false;
  }
  if (nd.kind == detail::node_kind::map) {
    expand_map(u, ready);
    return false;
  }
  return true;
}

inline void engine::expand_map(node_id u, ready_list& ready) {
  const auto& d = *def_;
  const auto& nd = d.nodes[u];
  auto& rec = records_[u];
  rec.started = start_stamp(ready);
  rec.attempts = 1;
  rec.status = step_status::running;
  events_.step(event_kind::step_started, u, nd.name, 1, {});
  const auto vec_port = d.inputs[nd.first_input];
  void* items = d.resolve(vec_port, state_[d.ports[vec_port].node].out.get());
  const bool move = movable_[nd.first_input] != 0 && retries_of(nd, opts_) == 0;
  const std::size_t count = nd.map->size(items);
  data_->elements[u] = std::make_unique<element_records>();
  maps_[u] = start_map(nd.name, count, *data_->elements[u], items, move);
  if (count == 0) {
    gather_map(u, ready);
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    ready.push_back({state_[u].priority, u, static_cast<std::uint32_t>(i)});
  }
}

/// Once every element has ended: the map step's own end.
inline void engine::gather_map(node_id u, ready_list& ready) {
  const auto& nd = def_->nodes[u];
  auto& m = *maps_[u];
  const map_summary s{*m.elements};
  const unit job = unit_of(u, none);
  if (s.failed > 0 && !nd.map->allow_partial) {
    finish(job, step_status::failed, s.failed_text() + "; first " + s.first_error, ready);
  } else if (s.cancelled > 0 && (!nd.map->allow_partial || s.succeeded.empty())) {
    finish(job, step_status::cancelled, "the run was stopped before all elements ran", ready);
  } else {
    nd.map->gather(state_[u].out, m.results.get(), s.succeeded, nd.map->allow_partial);
    if (!record_output(job, ready)) return;
    finish(job, step_status::succeeded,
           s.failed > 0 ? s.failed_text() + " (partial results allowed); first " + s.first_error
                        : std::string{},
           ready);
  }
}

/// Hands a step's output to the hooks (the run store); false when that failed the step.
inline bool engine::record_output(const unit& job, ready_list& ready) {
  if (job.is_element() || !opts_.hooks()) return true;
  try {
    opts_.hooks()->produced(view(), job.node, *job.out);
    return true;
  } catch (...) {
    job.out->reset();
    finish(job, step_status::failed,
           "could not record the output: " + describe(std::current_exception()), ready);
    return false;
  }
}

inline void engine::attempt(const unit& job, ready_list& ready) {
  const auto& d = *def_;
  const node_id u = job.node;
  const auto& nd = d.nodes[u];
  auto& rec = *job.rec;
  for (;;) {
    const unsigned number = ++rec.attempts;
    if (number == 1) rec.started = start_stamp(ready);
    rec.status = step_status::running;
    events_.step(event_kind::step_started, u, job.name, number, {});

    // Inputs resolved to objects (projections applied); few steps have more than 8. An
    // absent input (a maybe<T> whose branch did not run) is null.
    std::array<void*, 8> small_inputs;  // only the first input_count are set and read
    std::array<bool, 8> small_movable;
    std::vector<void*> big_inputs;
    std::unique_ptr<bool[]> big_movable;
    void** inputs = small_inputs.data();
    bool* movable = small_movable.data();
    if (nd.input_count > small_inputs.size()) {
      big_inputs.resize(nd.input_count);
      big_movable = std::make_unique<bool[]>(nd.input_count);
      inputs = big_inputs.data();
      movable = big_movable.get();
    }
    const bool may_move = retries_of(nd, opts_) == 0;  // a retry needs its inputs intact
    for (std::uint32_t i = 0; i < nd.input_count; ++i) {
      auto p = d.inputs[nd.first_input + i];
      void* whole = state_[d.ports[p].node].out.get();
      inputs[i] = whole == nullptr ? nullptr : d.resolve(p, whole);
      movable[i] = may_move && movable_[nd.first_input + i] != 0;
    }
    if (job.is_element()) {  // input 0 is the element, the rest are shared by all elements
      auto& m = *maps_[u];
      inputs[0] = nd.map->element(m.items, job.element);
      movable[0] = m.move_items && may_move;
      for (std::uint32_t i = 1; i < nd.input_count; ++i) movable[i] = false;
    }

    const auto limit = timeout_of(nd, opts_);
    const auto outcome =
        !launched_.empty() && launched_[u] != 0
            ? launch_attempt(job, number, limit)
            : invoke_attempt(*nd.impl,
                             detail::invocation{inputs, movable, job.out, nullptr, nullptr},
                             attempt_caller{data_->run_id, job.name, u, number, this}, limit,
                             timer_, stop_, run_token_);
    using how = attempt_outcome::how;
    if (outcome.end == how::skipped) {
      job.out->reset();
      finish(job, step_status::skipped, outcome.skip_reason, ready);
      return;
    }
    if (outcome.succeeded()) {
      if (!opts_.hooks() || record_output(job, ready)) {
        finish(job, step_status::succeeded, {}, ready);
      }
      return;
    }
    job.out->reset();
    const bool timed_out = outcome.end == how::timed_out;
    std::string message =
        timed_out ? "timed out after " + format_duration(limit) : describe(outcome.error);
    const bool retry_allowed =
        number <= retries_of(nd, opts_) && !stop_.stop_requested() &&
        (!nd.policy || !nd.policy->retry_if || (!timed_out && nd.policy->retry_if(outcome.error)));
    if (!retry_allowed) {
      finish(job, timed_out ? step_status::timed_out : step_status::failed, std::move(message),
             ready);
      return;
    }
    rec.message = std::move(message);
    const auto delay = backoff_of(nd, opts_, number);
    events_.step(event_kind::step_retried, u, job.name, number, rec.message, delay);
    if (delay.count() <= 0) continue;
    if (sequential_) {
      wait_for(delay);
      if (stop_.stop_requested()) {
        finish(job, step_status::failed, {}, ready);  // keeps its last error
        return;
      }
      continue;
    }
    retries_.schedule({state_[u].priority, u, job.element}, *job.retry_scheduled, delay);
    if (stop_.stop_requested()) retries_.flush();
    return;
  }
}

/// One attempt through the run's launcher (exec/launcher.hpp): the inputs go as the whole
/// outputs they read, and how the attempt ended comes back as an outcome like a call's.
inline attempt_outcome engine::launch_attempt(const unit& job, unsigned number,
                                              std::chrono::nanoseconds limit) {
  const auto& d = *def_;
  const auto& nd = d.nodes[job.node];
  std::vector<const detail::box*> wholes(nd.input_count, nullptr);
  for (std::uint32_t i = 0; i < nd.input_count; ++i) {
    const auto& producer = state_[d.ports[d.inputs[nd.first_input + i]].node].out;
    if (producer.get() != nullptr) wholes[i] = &producer;
  }
  context ctx{data_->run_id, job.name, job.node, number, run_token_, this};
  attempt_outcome out;
  try {
    const auto result = opts_.launcher()->launch(
        launch_request{view(), job.node, job.element,
                       job.is_element() ? maps_[job.node]->elements->records.size() : 0, number,
                       limit, wholes, *job.out, ctx});
    using how = attempt_result::how;
    switch (result.end) {
      case how::succeeded: break;
      case how::skipped:
        out.end = attempt_outcome::how::skipped;
        out.skip_reason = result.message;
        break;
      case how::timed_out: out.end = attempt_outcome::how::timed_out; break;
      case how::failed:
        out.end = attempt_outcome::how::failed;
        out.error = std::make_exception_ptr(std::runtime_error(result.message));
        break;
    }
  } catch (...) {
    out.end = attempt_outcome::how::failed;
    out.error = std::current_exception();
  }
  return out;
}

inline void engine::wait_for(std::chrono::nanoseconds delay) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  auto token = stop_.get_token();
  cv.wait_for(lock, token, delay, [] { return false; });
}

inline void engine::release_resources(node_id u, ready_list& ready) {
  std::vector<ready_item> admitted;
  pool_->release(
      needs_[u], [&](node_id v) -> const std::vector<resource_need>& { return needs_[v]; },
      admitted);
  for (auto& item : admitted) *unit_of(item.node, item.element).holds_resources = true;
  ready.insert(ready.end(), admitted.begin(), admitted.end());
}

/// A unit of work ended: its record, its event, what it held. An element then counts down
/// its map; a node resolves (resolve()).
inline void engine::finish(const unit& job, step_status status, std::string message,
                           ready_list& ready) {
  auto& rec = *job.rec;
  rec.status = status;
  rec.finished = end_stamp(ready);
  if (!message.empty()) rec.message = std::move(message);
  const bool is_param =
      !job.is_element() && def_->nodes[job.node].kind == detail::node_kind::parameter;
  if (!job.is_element() && (status == step_status::failed || status == step_status::timed_out)) {
    any_failed_.store(true, std::memory_order_release);
    if (opts_.on_failure() == failure_policy::fail_fast) stop_.request_stop();
  }
  if (job.is_element() && !produced_outputs(status)) job.out->reset();
  if (!is_param) {
    events_.step(step_event(status), job.node, job.name, rec.attempts, rec.message, rec.duration());
  }
  if (*job.holds_resources) {
    *job.holds_resources = false;
    release_resources(job.node, ready);
  }
  if (!job.is_element()) {
    resolve(job.node, status, ready);
  } else if (maps_[job.node]->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    gather_map(job.node, ready);
  }
}

/// Node u has its final status: release its inputs after their last reader (and its output
/// when nobody will read it), and count down its successors, making ready the ones it was
/// the last to wait for.
inline void engine::resolve(node_id u, step_status status, ready_list& ready) {
  const auto& d = *def_;
  const auto& nd = d.nodes[u];
  auto& st = state_[u];
  if (nd.input_count != 0 || nd.control) {  // else it reads nothing: no call
    for_each_read(d, u, [&](const dependency& e) {
      auto& from = state_[e.from];
      if (from.readers.fetch_sub(1, std::memory_order_acq_rel) == 1 && !from.kept) from.out.reset();
    });
  }
  // A delayed parameter resolved unasked (no step that reads it runs) blocks nobody.
  const bool produced = produced_outputs(status) || (delayed_.asked(u) && !delayed_.wanted(u));
  if (!produced || (st.readers.load(std::memory_order_acquire) == 0 && !st.kept)) {
    st.out.reset();
  }
  if (nd.kind == detail::node_kind::map && maps_[u]) maps_[u]->results.reset();

  for (auto i = st.succ_first; i < st.succ_last; ++i) {
    node_id v = succ_[i];
    // An output skipped by its condition is absent, which a std::optional reader accepts.
    if (!produced && !(st.absent && !succ_tolerant_.empty() && succ_tolerant_[i] != 0)) {
      // The earliest declared blocker wins, so skip reasons do not depend on timing.
      std::uint32_t seen = state_[v].blocker.load(std::memory_order_acquire);
      while (u < seen &&
             !state_[v].blocker.compare_exchange_weak(seen, u, std::memory_order_acq_rel)) {
      }
    }
    delayed_.resolved(
        u, v, [this](node_id c) { return will_run(c); }, [&](node_id p) { make_due(p, &ready); });
    // The last predecessor to resolve makes v ready. When this edge is the only one left, no
    // other worker touches the count: a load instead of a locked read-modify-write, which
    // would also wait for every store this worker has pending.
    // A join this worker decremented before is decremented at once (see ready_list::joining).
    auto& pending = state_[v].pending;
    if (v != ready.joining && pending.load(std::memory_order_acquire) == 1) {
      pending.store(0, std::memory_order_relaxed);
      ready.push_back({state_[v].priority, v});
    } else if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      ready.push_back({state_[v].priority, v});
    } else {
      ready.joining = v;
    }
  }
  ++ready.resolved;  // counted into the run when this worker runs out of work
}

/// Why node u must not run: its guard's condition is not met, an upstream step did not
/// produce its outputs, or a skip_if holds.
inline std::optional<std::pair<step_status, std::string>> engine::reason_not_to_run(node_id u) {
  const auto& d = *def_;
  const auto& nd = d.nodes[u];
  auto& st = state_[u];
  if (nd.control && nd.control->guard != none) {
    const auto g = nd.control->guard;
    const void* value = state_[g].out.get();
    if (value != nullptr && *static_cast<const bool*>(value) != nd.control->guard_value) {
      st.absent = true;
      return std::pair{step_status::skipped, "condition '" + std::string(d.nodes[g].name) +
                                                 "' is " +
                                                 (nd.control->guard_value ? "false" : "true")};
    }
  }
  if (auto b = st.blocker.load(std::memory_order_acquire); b != none) {
    if (d.nodes[b].kind == detail::node_kind::parameter) {
      return std::pair{step_status::skipped, "parameter '" + std::string(d.nodes[b].name) +
                                                 "' has no value: " + records_[b].message};
    }
    return std::pair{step_status::skipped, "upstream step '" + std::string(d.nodes[b].name) + "' " +
                                               std::string(outcome_word(records_[b].status))};
  }
  if (nd.control && nd.control->skip_pred) {
    std::vector<void*> inputs;
    for (auto p : nd.control->skip_ports) {
      void* whole = state_[d.ports[p].node].out.get();
      inputs.push_back(whole == nullptr ? nullptr : d.resolve(p, whole));
    }
    try {
      if (nd.control->skip_pred(inputs.data())) {
        return std::pair{step_status::skipped, nd.control->skip_reason};
      }
    } catch (...) {
      return std::pair{step_status::failed,
                       "its skip_if predicate threw: " + describe(std::current_exception())};
    }
  }
  return std::nullopt;
}

inline std::string_view engine::outcome_word(step_status s) {
  switch (s) {
    case step_status::failed: return "failed";
    case step_status::timed_out: return "timed out";
    case step_status::skipped: return "was skipped";
    case step_status::cancelled: return "was cancelled";
    default: return "did not succeed";
  }
}

}  // namespace typeflow::exec_detail
