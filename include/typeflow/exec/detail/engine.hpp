#pragma once
// The executor's engine: one run of a pipeline, from its plan (exec/plan.hpp). Workers take
// ready units of work (a step, or one element of a map), run them with their policies, release
// inputs after their last reader and make successors ready. What the run is as data lives in a
// run_data that its result keeps; events go to observers; the engine knows no storage.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <typeflow/core/context.hpp>
#include <typeflow/core/control.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/exec/detail/attempt.hpp>
#include <typeflow/exec/detail/delayed_params.hpp>
#include <typeflow/exec/detail/events.hpp>
#include <typeflow/exec/detail/map_fanout.hpp>
#include <typeflow/exec/detail/node_state.hpp>
#include <typeflow/exec/detail/resource_pool.hpp>
#include <typeflow/exec/detail/run_id.hpp>
#include <typeflow/exec/detail/retries.hpp>
#include <typeflow/exec/detail/step_clock.hpp>
#include <typeflow/exec/detail/timer.hpp>
#include <typeflow/exec/detail/work_queues.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/plan.hpp>
#include <typeflow/exec/run_view.hpp>
#include <typeflow/exec/status.hpp>
#include <typeflow/graph/dependencies.hpp>

namespace typeflow::exec_detail {

using sys_clock = std::chrono::system_clock;

class engine final : public detail::context_sink {
 public:
  engine(std::shared_ptr<detail::definition> def, run_options opts, bool sequential)
      : opts_(std::move(opts)), sequential_(sequential),
        queues_(sequential ? 1 : worker_count(opts_)) {
    data_->definition = std::move(def);
    def_ = data_->definition.get();
    def_->active_runs.fetch_add(1, std::memory_order_acq_rel);
    try {
      prepare();
    } catch (...) {
      def_->active_runs.fetch_sub(1, std::memory_order_acq_rel);
      throw;
    }
  }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  ~engine() {
    join();
    unlock_definition();
  }

  static unsigned worker_count(const run_options& opts) {
    unsigned n = opts.threads();
    if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
    return n;
  }

  /// Starts the run; with `use_caller`, the calling thread works too and returns at the end.
  void start(bool use_caller) {
    data_->started = sys_clock::now();
    data_->status.store(run_status::running);
    if (opts_.external_stop().stop_possible()) {
      external_link_.emplace(opts_.external_stop(), stop_forwarder{this});
    }
    stop_link_.emplace(stop_.get_token(), retry_flusher{&retries_});
    events_.run(event_kind::run_started);
    if (def_->nodes.size() == finally_.size()) {
      run_finally();
      complete();
      return;
    }
    // Delayed parameters whose consumers wait on nothing else are due at once.
    delayed_.start([this](node_id v) { return will_run(v); },
                   [this](node_id p) { make_due(p, nullptr); });
    if (sequential_) {
      if (use_caller) {
        run_sequential();
      } else {
        threads_.emplace_back([this] { run_sequential(); });
      }
      return;
    }
    // Spread the roots so that every worker starts with work.
    const unsigned n = queues_count();
    for (std::size_t i = 0; i < roots_.size(); ++i) {
      ready_item item{state_[roots_[i]].priority, roots_[i]};
      queues_.push(static_cast<unsigned>(i % n), &item, 1);
    }
    roots_ = {};
    for (unsigned w = use_caller ? 1 : 0; w < n; ++w) {
      threads_.emplace_back([this, w] { worker_loop(w); });
    }
    if (use_caller) worker_loop(0);
  }

  /// Waits for the end of the run and joins every thread it started.
  void join() {
    {
      std::unique_lock lock(done_mutex_);
      done_cv_.wait(lock, [&] { return done_; });
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
    timer_.shutdown();
  }

  void request_stop() {
    user_stop_.store(true, std::memory_order_release);
    stop_.request_stop();
  }

  [[nodiscard]] bool finished() const {
    std::lock_guard lock(done_mutex_);
    return done_;
  }

  /// The run as data: shared with the result, which keeps it after the engine is gone.
  [[nodiscard]] const std::shared_ptr<run_data>& data() const noexcept { return data_; }
  [[nodiscard]] run_view view() const noexcept { return run_view{*data_}; }

  // context_sink
  void metric(const context& ctx, std::string_view name, double value,
              std::int64_t index) override {
    auto now = sys_clock::now();
    {
      std::lock_guard lock(data_->mutex);
      data_->metrics.push_back({std::string(ctx.step_name()), std::string(name), value, index, now});
    }
    if (!events_.any()) return;
    event e = events_.about(event_kind::metric, ctx.node());
    e.step = ctx.step_name();  // a map element's own name, train[3]
    e.attempt = ctx.attempt();
    e.time = now;
    e.metric = name;
    e.value = value;
    e.index = index;
    events_.send(e);
  }
  void progress(const context& ctx, std::uint64_t done, std::uint64_t total) override {
    if (!events_.any()) return;
    event e = events_.about(event_kind::progress, ctx.node());
    e.step = ctx.step_name();
    e.attempt = ctx.attempt();
    e.time = stamp();
    e.done = done;
    e.total = total;
    events_.send(e);
  }

 private:
  struct stop_forwarder {
    engine* self;
    void operator()() const noexcept { self->request_stop(); }
  };
  struct retry_flusher {
    retry_queue* retries;
    void operator()() const noexcept { retries->flush(); }
  };

  [[nodiscard]] unsigned queues_count() const noexcept { return sequential_ ? 1 : worker_count(opts_); }

  // ---------------------------------------------------------------- planning
  /// Takes from the plan what the run needs while it goes on; the rest is freed here.
  void prepare() {
    const auto& d = *def_;
    const auto n = static_cast<node_id>(d.nodes.size());
    data_->run_id = opts_.run_id().empty() ? make_run_id() : opts_.run_id();
    param_sources sources;
    sources.file = opts_.params_file();
    sources.overrides = opts_.overrides();
    data_->params = detail::resolve_params(d, sources);

    run_plan plan = make_plan(d, opts_);
    data_->selection = std::move(plan.selection);
    data_->records.resize(n);
    records_ = data_->records.data();
    for (node_id v = 0; v < n; ++v) records_[v].name = d.nodes[v].name;
    if (plan.has_maps) {
      data_->elements.resize(n);
      maps_.resize(n);
    }
    delayed_.plan(d, plan.parameters, data_->params, plan.succ_begin, plan.succ, plan.in_degree);

    state_ = detail::big_vector<node_state>(n);
    for (node_id u = 0; u < n; ++u) {
      auto& st = state_[u];
      st.pending.store(plan.in_degree[u], std::memory_order_relaxed);
      st.readers.store(plan.readers[u], std::memory_order_relaxed);
      st.kept = plan.kept[u] != 0;
      st.succ_first = plan.succ_begin[u];
      st.succ_last = plan.succ_begin[u + 1];
      st.priority = plan.priority[u];
      if (plan.in_degree[u] == 0 && d.nodes[u].kind != detail::node_kind::finally_handler) {
        roots_.push_back(u);
      }
    }
    succ_ = std::move(plan.succ);
    succ_tolerant_ = std::move(plan.succ_tolerant);
    movable_ = std::move(plan.movable);
    kept_nodes_ = std::move(plan.kept_nodes);
    finally_ = std::move(plan.finally_handlers);
    needs_ = std::move(plan.needs);
    if (!needs_.empty()) pool_.emplace(std::move(plan.capacity));
    unresolved_.store(n - finally_.size());
    if (opts_.hooks()) opts_.hooks()->prepare(view());
  }

  // ---------------------------------------------------------------- delayed parameters
  /// Would node v run if it were ready now (no upstream failure, selected)?
  [[nodiscard]] bool will_run(node_id v) const {
    return state_[v].blocker.load(std::memory_order_acquire) == none &&
           (data_->selection.empty() || data_->selection[v]);
  }

  /// Makes delayed parameter p ready: into `ready` (from a worker), the queues (at the start)
  /// or, in a sequential run, the list asked for before the first step that reads p runs.
  void make_due(node_id p, ready_list* ready) {
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
  void run_due_params(node_id v, ready_list& ready) {
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
  void ask_param(node_id u, ready_list& ready) {
    const unit w = unit_of(u, none);
    if (!delayed_.wanted(u)) {
      finish(w, step_status::skipped, "not asked for: no step that reads it was to run", ready);
      return;
    }
    if (stop_.stop_requested()) {
      finish(w, step_status::cancelled, "the run was stopped before it was asked for", ready);
      return;
    }
    const auto& provider = opts_.param_provider();
    if (!provider) {
      finish(w, step_status::failed,
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
      finish(w, step_status::failed,
             "the parameter provider failed: " + describe(std::current_exception()), ready);
      return;
    }
    try {
      data_->params[u] = detail::parse_param_value(*def_, u, text, "the parameter provider");
    } catch (const run_error& e) {
      std::string message = e.what();
      if (message.starts_with("typeflow: ")) message.erase(0, 10);
      finish(w, step_status::failed, std::move(message), ready);
      return;
    }
    def_->nodes[u].param->store(state_[u].out, data_->params[u].get());
    finish(w, step_status::succeeded, {}, ready);
  }

  // ---------------------------------------------------------------- scheduling
  void worker_loop(unsigned w) {
    ready_list ready;
    std::optional<ready_item> next;
    for (;;) {
      if (!next) {
        ready.boundary = {};  // the next step does not follow the last one directly
        auto seen = queues_.epoch();
        next = queues_.pop(w);
        if (!next) {
          count_resolved(ready);
          if (queues_.finished()) break;
          queues_.wait(seen);
          continue;
        }
      }
      ready_item item = *next;
      next.reset();
      run_item(item, ready);
      if (ready.empty()) continue;
      // Run the most urgent newly ready step here, without a trip through the queues.
      auto best = std::max_element(ready.begin(), ready.end());
      next = *best;
      *best = ready.back();
      ready.pop_back();
      queues_.push(w, ready.data(), ready.size());
      ready.clear();
    }
  }

  void run_sequential() {
    ready_list ready;
    std::vector<ready_item> elements;
    for (node_id u = 0; u < def_->nodes.size(); ++u) {
      if (def_->nodes[u].kind == detail::node_kind::finally_handler) continue;
      if (delayed_.asked(u)) continue;  // asked for just before the first step that needs it
      run_due_params(u, ready);
      run_item({state_[u].priority, u}, ready);
      // Successors are reached in declaration order anyway; only a map's element tasks
      // need running here, in element order.
      for (;;) {
        elements.clear();
        for (const auto& item : ready) {
          if (item.element != none) elements.push_back(item);
        }
        ready.clear();
        if (elements.empty()) break;
        std::sort(elements.begin(), elements.end(),
                  [](const ready_item& a, const ready_item& b) { return a.element < b.element; });
        for (const auto& item : elements) run_item(item, ready);
      }
    }
    run_due_params(none, ready);  // none is left unless no step reads them
    count_resolved(ready);
  }

  /// Counts the steps `ready` resolved into the run; the count that reaches zero ends it.
  void count_resolved(ready_list& ready) {
    if (ready.resolved == 0) return;
    const auto n = std::exchange(ready.resolved, 0);
    if (unresolved_.fetch_sub(n, std::memory_order_acq_rel) == n) {
      run_finally();
      complete();
    }
  }

  /// The record, name, output and flags of a unit of work: a node, or one element of a map.
  unit unit_of(node_id u, std::uint32_t e) noexcept {
    auto& st = state_[u];
    if (e == none) {
      return {u, e, &records_[u], def_->nodes[u].name, &st.out, &st.holds_resources, &st.retry_scheduled};
    }
    auto& m = *maps_[u];
    return {u, e, &m.elements->records[e], m.elements->names[e], &m.results[e],
            &m.holds_resources[e], &m.retry_scheduled[e]};
  }

  /// Runs a ready unit of work: the same path for a step and a map element, from the checks
  /// before it starts through its attempts to its finish.
  void run_item(const ready_item& item, ready_list& ready) {
    const unit w = unit_of(item.node, item.element);
    if (!w.is_element()) {
      // finish() will count down the successors' pending counts: start loading the first two
      // now, so that those cache misses overlap the step.
      const auto& st = state_[w.node];
      for (auto i = st.succ_first, end = std::min(st.succ_last, st.succ_first + 2); i < end; ++i) {
        __builtin_prefetch(&state_[succ_[i]], 1);
      }
    }
    if (w.rec->attempts > 0) {  // a retry after its backoff
      if (stop_.stop_requested()) {
        finish(w, step_status::failed, {}, ready);  // keeps its last error
      } else {
        attempt(w, ready);
      }
      return;
    }
    if (!w.is_element() && def_->nodes[w.node].kind == detail::node_kind::parameter) {
      w.rec->started = start_stamp(ready);
      if (delayed_.asked(w.node)) {
        ask_param(w.node, ready);
        return;
      }
      def_->nodes[w.node].param->store(*w.out, data_->params[w.node].get());
      finish(w, step_status::succeeded, {}, ready);
      return;
    }
    if (stop_.stop_requested()) {
      w.rec->started = start_stamp(ready);
      finish(w, step_status::cancelled, "the run was stopped before this step started", ready);
      return;
    }
    if (!*w.holds_resources) {
      if (!w.is_element() && !admit(w, ready)) return;
      if (!needs_.empty() && !needs_[w.node].empty()) {
        if (!pool_->acquire_or_wait(needs_[w.node], {state_[w.node].priority, w.node, w.element})) {
          return;  // admitted later, when another unit releases what it holds
        }
        *w.holds_resources = true;
      }
    }
    attempt(w, ready);
  }

  /// Whether step w runs now; when it does not (a condition, an upstream failure, the cache,
  /// the selection) or runs as a map's elements, it is resolved or expanded here.
  bool admit(const unit& w, ready_list& ready) {
    const auto u = w.node;
    const auto& nd = def_->nodes[u];
    if (auto why = reason_not_to_run(u)) {
      w.rec->started = start_stamp(ready);
      finish(w, why->first, std::move(why->second), ready);
      return false;
    }
    const bool selected = data_->selection.empty() || data_->selection[u];
    if (const auto& hooks = opts_.hooks()) {
      w.rec->started = start_stamp(ready);
      try {
        if (hooks->restore(view(), u, *w.out, selected)) {
          finish(w, step_status::cached, {}, ready);
          return false;
        }
      } catch (...) {
        w.out->reset();
        finish(w, step_status::failed,
               "could not restore the output: " + describe(std::current_exception()), ready);
        return false;
      }
    }
    if (!selected) {
      w.rec->started = start_stamp(ready);
      finish(w, step_status::skipped, "not selected for this run", ready);
      return false;
    }
    if (nd.kind == detail::node_kind::map) {
      expand_map(u, ready);
      return false;
    }
    return true;
  }

  /// Why node u must not run: its guard's condition is not met, an upstream step did not
  /// produce its outputs, or a skip_if holds.
  std::optional<std::pair<step_status, std::string>> reason_not_to_run(node_id u) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    auto& st = state_[u];
    if (nd.control && nd.control->guard != none) {
      const auto g = nd.control->guard;
      const void* value = state_[g].out.get();
      if (value != nullptr && *static_cast<const bool*>(value) != nd.control->guard_value) {
        st.absent = true;
        return std::pair{step_status::skipped, "condition '" + std::string(d.nodes[g].name) +
                                                   "' is " + (nd.control->guard_value ? "false" : "true")};
      }
    }
    if (auto b = st.blocker.load(std::memory_order_acquire); b != none) {
      if (d.nodes[b].kind == detail::node_kind::parameter) {
        return std::pair{step_status::skipped, "parameter '" + std::string(d.nodes[b].name) +
                                                   "' has no value: " + records_[b].message};
      }
      return std::pair{step_status::skipped, "upstream step '" + std::string(d.nodes[b].name) +
                                                 "' " + std::string(outcome_word(records_[b].status))};
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

  static std::string_view outcome_word(step_status s) {
    switch (s) {
      case step_status::failed: return "failed";
      case step_status::timed_out: return "timed out";
      case step_status::skipped: return "was skipped";
      case step_status::cancelled: return "was cancelled";
      default: return "did not succeed";
    }
  }

  // ---------------------------------------------------------------- map fan-out
  void expand_map(node_id u, ready_list& ready) {
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
    maps_[u] = std::make_unique<map_run>(nd.name, count, *data_->elements[u], items, move);
    if (count == 0) {
      gather_map(u, ready);
      return;
    }
    for (std::size_t i = 0; i < count; ++i) {
      ready.push_back({state_[u].priority, u, static_cast<std::uint32_t>(i)});
    }
  }

  /// Once every element has ended: the map step's own end.
  void gather_map(node_id u, ready_list& ready) {
    const auto& nd = def_->nodes[u];
    auto& m = *maps_[u];
    const map_summary s{*m.elements};
    const unit w = unit_of(u, none);
    if (s.failed > 0 && !nd.map->allow_partial) {
      finish(w, step_status::failed, s.failed_text() + "; first " + s.first_error, ready);
    } else if (s.cancelled > 0 && (!nd.map->allow_partial || s.succeeded.empty())) {
      finish(w, step_status::cancelled, "the run was stopped before all elements ran", ready);
    } else {
      nd.map->gather(state_[u].out, m.results.get(), s.succeeded, nd.map->allow_partial);
      if (!record_output(w, ready)) return;
      finish(w, step_status::succeeded,
             s.failed > 0 ? s.failed_text() + " (partial results allowed); first " + s.first_error
                          : std::string{},
             ready);
    }
  }

  /// Hands a step's output to the hooks (the run store); false when that failed the step.
  bool record_output(const unit& w, ready_list& ready) {
    if (w.is_element() || !opts_.hooks()) return true;
    try {
      opts_.hooks()->produced(view(), w.node, *w.out);
      return true;
    } catch (...) {
      w.out->reset();
      finish(w, step_status::failed,
             "could not record the output: " + describe(std::current_exception()), ready);
      return false;
    }
  }

  // ---------------------------------------------------------------- attempts
  void attempt(const unit& w, ready_list& ready) {
    const auto& d = *def_;
    const node_id u = w.node;
    const auto& nd = d.nodes[u];
    auto& rec = *w.rec;
    for (;;) {
      const unsigned number = ++rec.attempts;
      if (number == 1) rec.started = start_stamp(ready);
      rec.status = step_status::running;
      events_.step(event_kind::step_started, u, w.name, number, {});

      // Inputs resolved to objects (projections applied); few steps have more than 8. An
      // absent input (a maybe<T> whose branch did not run) is null.
      std::array<void*, 8> small_inputs{};
      std::array<bool, 8> small_movable{};
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
      if (w.is_element()) {  // input 0 is the element, the rest are shared by all elements
        auto& m = *maps_[u];
        inputs[0] = nd.map->element(m.items, w.element);
        movable[0] = m.move_items && may_move;
        for (std::uint32_t i = 1; i < nd.input_count; ++i) movable[i] = false;
      }

      const auto limit = timeout_of(nd, opts_);
      const auto outcome =
          invoke_attempt(*nd.impl, detail::invocation{inputs, movable, w.out, nullptr, nullptr},
                         attempt_caller{data_->run_id, w.name, u, number, this}, limit, timer_,
                         stop_, run_token_);
      using how = attempt_outcome::how;
      if (outcome.end == how::skipped) {
        w.out->reset();
        finish(w, step_status::skipped, outcome.skip_reason, ready);
        return;
      }
      if (outcome.succeeded()) {
        if (record_output(w, ready)) finish(w, step_status::succeeded, {}, ready);
        return;
      }
      w.out->reset();
      const bool timed_out = outcome.end == how::timed_out;
      std::string message = timed_out ? "timed out after " + format_duration(limit)
                                      : describe(outcome.error);
      const bool retry_allowed =
          number <= retries_of(nd, opts_) && !stop_.stop_requested() &&
          (!nd.policy || !nd.policy->retry_if || (!timed_out && nd.policy->retry_if(outcome.error)));
      if (!retry_allowed) {
        finish(w, timed_out ? step_status::timed_out : step_status::failed, std::move(message), ready);
        return;
      }
      rec.message = std::move(message);
      const auto delay = backoff_of(nd, opts_, number);
      events_.step(event_kind::step_retried, u, w.name, number, rec.message, delay);
      if (delay.count() <= 0) continue;
      if (sequential_) {
        wait_for(delay);
        if (stop_.stop_requested()) {
          finish(w, step_status::failed, {}, ready);  // keeps its last error
          return;
        }
        continue;
      }
      retries_.schedule({state_[u].priority, u, w.element}, *w.retry_scheduled, delay);
      if (stop_.stop_requested()) retries_.flush();
      return;
    }
  }

  void wait_for(std::chrono::nanoseconds delay) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    auto token = stop_.get_token();
    cv.wait_for(lock, token, delay, [] { return false; });
  }

  void release_resources(node_id u, ready_list& ready) {
    std::vector<ready_item> admitted;
    pool_->release(
        needs_[u], [&](node_id v) -> const std::vector<resource_need>& { return needs_[v]; },
        admitted);
    for (auto& item : admitted) *unit_of(item.node, item.element).holds_resources = true;
    ready.insert(ready.end(), admitted.begin(), admitted.end());
  }

  // ---------------------------------------------------------------- finishing
  /// A unit of work ended: its record, its event, what it held. An element then counts down
  /// its map; a node resolves (resolve()).
  void finish(const unit& w, step_status status, std::string message, ready_list& ready) {
    auto& rec = *w.rec;
    rec.status = status;
    rec.finished = end_stamp(ready);
    if (!message.empty()) rec.message = std::move(message);
    const bool is_param = !w.is_element() && def_->nodes[w.node].kind == detail::node_kind::parameter;
    if (!w.is_element() && (status == step_status::failed || status == step_status::timed_out)) {
      any_failed_.store(true, std::memory_order_release);
      if (opts_.on_failure() == failure_policy::fail_fast) stop_.request_stop();
    }
    if (w.is_element() && !produced_outputs(status)) w.out->reset();
    if (!is_param) {
      events_.step(step_event(status), w.node, w.name, rec.attempts, rec.message, rec.duration());
    }
    if (*w.holds_resources) {
      *w.holds_resources = false;
      release_resources(w.node, ready);
    }
    if (!w.is_element()) {
      resolve(w.node, status, ready);
    } else if (maps_[w.node]->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      gather_map(w.node, ready);
    }
  }

  /// Node u has its final status: release its inputs after their last reader (and its output
  /// when nobody will read it), and count down its successors, making ready the ones it was
  /// the last to wait for.
  void resolve(node_id u, step_status status, ready_list& ready) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    auto& st = state_[u];
    for_each_read(d, u, [&](const dependency& e) {
      auto& from = state_[e.from];
      if (from.readers.fetch_sub(1, std::memory_order_acq_rel) == 1 && !from.kept) from.out.reset();
    });
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
      delayed_.resolved(u, v, [this](node_id c) { return will_run(c); },
                        [&](node_id p) { make_due(p, &ready); });
      // The last predecessor to resolve makes v ready. When this edge is the only one left, no
      // other worker touches the count: a load instead of a locked read-modify-write, which
      // would also wait for every store this worker has pending.
      auto& pending = state_[v].pending;
      if (pending.load(std::memory_order_acquire) == 1) {
        pending.store(0, std::memory_order_relaxed);
        ready.push_back({state_[v].priority, v});
      } else if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        ready.push_back({state_[v].priority, v});
      }
    }
    ++ready.resolved;  // counted into the run when this worker runs out of work
  }

  [[nodiscard]] run_status status_so_far() const {
    if (user_stop_.load(std::memory_order_acquire)) return run_status::stopped;
    if (any_failed_.load(std::memory_order_acquire)) return run_status::failed;
    return run_status::succeeded;
  }

  /// Runs the finally handlers, in declaration order, with how the rest of the run ended.
  /// Their failures are recorded but do not change the run's status.
  void run_finally() {
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
  void complete() {
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

  void unlock_definition() {
    if (!unlocked_.exchange(true)) def_->active_runs.fetch_sub(1, std::memory_order_acq_rel);
  }

  // ---------------------------------------------------------------- clocks
  /// A step time: never before the run's start, whichever thread's clock anchor it comes from.
  [[nodiscard]] sys_clock::time_point stamp() const noexcept {
    return std::max(sys_clock::time_point(step_clock::now()), data_->started);
  }

  /// A step's start time. A worker that goes straight on from one step to the next takes the
  /// first one's end as the second one's start: one clock read per step, not two (a TSC read
  /// takes ~10 ns on the development VM, a tenth of an empty step; the few dozen nanoseconds of
  /// bookkeeping between the two steps count to the second).
  [[nodiscard]] sys_clock::time_point start_stamp(ready_list& ready) const noexcept {
    if (ready.boundary != sys_clock::time_point{}) return std::exchange(ready.boundary, {});
    return stamp();
  }
  /// A step's end time, kept for the step this worker runs next, unless observers are called
  /// after it (their time must not count to the next step).
  sys_clock::time_point end_stamp(ready_list& ready) const noexcept {
    const auto t = stamp();
    if (!events_.any()) ready.boundary = t;
    return t;
  }

  // The run as data, shared with its result.
  std::shared_ptr<run_data> data_ = std::make_shared<run_data>();
  detail::definition* def_ = nullptr;
  step_record* records_ = nullptr;  ///< data_->records
  run_options opts_;
  bool sequential_;

  // From the plan.
  detail::big_vector<detail::node_id> succ_;
  detail::big_vector<char> succ_tolerant_;  ///< per successor edge: accepts an absent output
  detail::big_vector<char> movable_;        ///< per data input
  std::vector<node_id> kept_nodes_;
  std::vector<node_id> finally_;
  std::vector<node_id> roots_;  ///< until the start
  std::vector<std::vector<resource_need>> needs_;
  delayed_params delayed_;

  // The scheduler's state.
  detail::big_vector<node_state> state_;
  std::vector<std::unique_ptr<map_run>> maps_;  ///< by node id; empty when there are no maps
  std::vector<node_id> due_;   ///< sequential runs: delayed parameters due, not yet asked for
  std::mutex provider_mutex_;  ///< one param_provider call at a time
  std::atomic<std::size_t> unresolved_{0};
  std::atomic<bool> any_failed_{false};
  std::atomic<bool> user_stop_{false};
  std::atomic<bool> unlocked_{false};
  std::stop_source stop_;
  const std::stop_token run_token_ = stop_.get_token();  ///< what steps see when no timeout applies
  work_queues queues_;
  std::optional<resource_pool> pool_;
  timer timer_;
  retry_queue retries_{queues_, timer_};
  run_events events_{*data_, opts_.observers()};
  std::optional<std::stop_callback<stop_forwarder>> external_link_;
  std::optional<std::stop_callback<retry_flusher>> stop_link_;
  std::vector<std::thread> threads_;

  mutable std::mutex done_mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

}  // namespace typeflow::exec_detail
