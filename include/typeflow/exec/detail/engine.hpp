#pragma once
// The executor's engine: one run of a pipeline, from its plan (exec/plan.hpp). Workers take
// ready units of work (a step, or one element of a map), run them with their policies, release
// inputs after their last reader and make successors ready. What the run is as data lives in a
// run_data that its result keeps; events go to observers; the engine knows no storage. This
// header declares the engine and defines its scheduling loops; its other member functions are
// in engine_units.hpp, engine_params.hpp and engine_end.hpp, and executor.hpp gathers them.

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
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <typeflow/core/context.hpp>
#include <typeflow/core/control.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/detail/threads.hpp>
#include <typeflow/exec/detail/attempt.hpp>
#include <typeflow/exec/detail/delayed_params.hpp>
#include <typeflow/exec/detail/events.hpp>
#include <typeflow/exec/detail/map_fanout.hpp>
#include <typeflow/exec/detail/node_state.hpp>
#include <typeflow/exec/detail/resource_pool.hpp>
#include <typeflow/exec/detail/retries.hpp>
#include <typeflow/exec/detail/step_clock.hpp>
#include <typeflow/exec/detail/timer.hpp>
#include <typeflow/exec/detail/work_queues.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/exec/launcher.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/plan.hpp>
#include <typeflow/exec/run_id.hpp>
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
  /// A worker thread that cannot be created (a limit on processes or threads) leaves the run
  /// to the workers it has: idle workers steal from every queue, so the calling thread alone
  /// finishes it. A run on threads of its own (run_async) needs one thread at least: without
  /// it, start() throws before the run begins (no event, no step) and the engine is done.
  void start(bool use_caller) {
    threads_.reserve(sequential_ ? 1 : queues_count());
    if (!use_caller) {
      // Parked until the run is set up; created first, so that failing to create it leaves
      // nothing half started.
      try {
        threads_.push_back(detail::start_thread("a worker thread for the run", [this] {
          if (!wait_gate()) return;
          if (sequential_) {
            run_sequential();
          } else {
            worker_loop(0);
          }
        }));
      } catch (...) {
        std::lock_guard lock(done_mutex_);
        done_ = true;
        throw;
      }
    }
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
      if (!use_caller) open_gate(false);
      return;
    }
    // Delayed parameters whose consumers wait on nothing else are due at once.
    delayed_.start([this](node_id v) { return will_run(v); },
                   [this](node_id p) { make_due(p, nullptr); });
    if (sequential_) {
      if (use_caller) {
        run_sequential();
      } else {
        open_gate(true);
      }
      return;
    }
    // Spread the roots so that every worker starts with work. Stacks get them least urgent
    // first, so that each worker's most urgent root is on top.
    const unsigned n = queues_count();
    std::vector<ready_item> roots;
    roots.reserve(roots_.size());
    for (node_id u : roots_) roots.push_back({state_[u].priority, u});
    roots_ = {};
    if (!queues_.by_priority()) std::sort(roots.begin(), roots.end());
    for (std::size_t i = 0; i < roots.size(); ++i) {
      queues_.push(static_cast<unsigned>(i % n), &roots[i], 1);
    }
    // Worker 0 is the calling thread or the parked one.
    for (unsigned worker = 1; worker < n; ++worker) {
      try {
        threads_.push_back(detail::start_thread("a worker thread for the run",
                                                [this, worker] { worker_loop(worker); }));
      } catch (const std::system_error&) {
        break;  // the workers started so far steal the other queues' work
      }
    }
    if (use_caller) {
      worker_loop(0);
    } else {
      open_gate(true);
    }
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
      data_->metrics.push_back(
          {std::string(ctx.step_name()), std::string(name), value, index, now});
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
  /// One step_log event per line of `text`; nothing when the run has no observers (the run
  /// itself keeps no log lines: the run store's observer does).
  void log(const context& ctx, std::string_view text) override {
    if (!events_.any()) return;
    event e = events_.about(event_kind::step_log, ctx.node());
    e.step = ctx.step_name();
    e.attempt = ctx.attempt();
    e.time = stamp();
    for (;;) {
      const auto end = text.find('\n');
      e.message = text.substr(0, end);
      events_.send(e);
      if (end == std::string_view::npos || end + 1 == text.size()) return;
      text.remove_prefix(end + 1);
    }
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

  [[nodiscard]] unsigned queues_count() const noexcept {
    return sequential_ ? 1 : worker_count(opts_);
  }

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
    records_ = data_->records.data();  // each record is named when its node is scheduled
    if (plan.has_maps) {
      data_->elements.resize(n);
      maps_.resize(n);
    }
    queues_.order_by_priority(!plan.uniform_cost);
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
    if (const auto& l = opts_.launcher()) {
      l->prepare(view());
      launched_.assign(n, 0);
      for (node_id u = 0; u < n; ++u) {
        const auto kind = d.nodes[u].kind;
        if (kind == detail::node_kind::step || kind == detail::node_kind::map) {
          launched_[u] = l->launches(view(), u) ? 1 : 0;
        }
      }
    }
  }

  // ---------------------------------------------------------------- delayed parameters
  /// Would node v run if it were ready now (no upstream failure, selected)?
  [[nodiscard]] bool will_run(node_id v) const;

  /// Makes delayed parameter p ready: into `ready` (from a worker), the queues (at the start)
  /// or, in a sequential run, the list asked for before the first step that reads p runs.
  void make_due(node_id p, ready_list* ready);

  /// Sequential runs: asks for the due parameters that node v reads (all of them for none).
  void run_due_params(node_id v, ready_list& ready);

  /// Asks the provider for delayed parameter u's value, parses and checks it like an override.
  void ask_param(node_id u, ready_list& ready);

  // ---------------------------------------------------------------- scheduling
  void worker_loop(unsigned worker) {
    ready_list ready;
    std::optional<ready_item> next;
    for (;;) {
      if (!next) {
        ready.boundary = {};  // the next step does not follow the last one directly
        auto seen = queues_.epoch();
        next = queues_.pop(worker);
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
      if (queues_.by_priority()) {
        *best = ready.back();
        ready.pop_back();
      } else {
        ready.erase(best);  // keeps the order, which a stack push uses
      }
      if (ready.empty()) continue;  // a chain: nothing else became ready
      queues_.push(worker, ready.data(), ready.size());
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
      return {u,
              e,
              &records_[u],
              def_->nodes[u].name,
              &st.out,
              &st.holds_resources,
              &st.retry_scheduled};
    }
    auto& m = *maps_[u];
    return {u,
            e,
            &m.elements->records[e],
            m.elements->names[e],
            &m.results[e],
            &m.holds_resources[e],
            &m.retry_scheduled[e]};
  }

  /// Runs a ready unit of work: the same path for a step and a map element, from the checks
  /// before it starts through its attempts to its finish.
  void run_item(const ready_item& item, ready_list& ready);

  /// Whether step `job` runs now; when it does not (a condition, an upstream failure, the cache,
  /// the selection) or runs as a map's elements, it is resolved or expanded here.
  bool admit(const unit& job, ready_list& ready);

  /// Why node u must not run: its guard's condition is not met, an upstream step did not
  /// produce its outputs, or a skip_if holds.
  std::optional<std::pair<step_status, std::string>> reason_not_to_run(node_id u);

  static std::string_view outcome_word(step_status s);

  // ---------------------------------------------------------------- map fan-out
  void expand_map(node_id u, ready_list& ready);

  /// Once every element has ended: the map step's own end.
  void gather_map(node_id u, ready_list& ready);

  /// Hands a step's output to the hooks (the run store); false when that failed the step.
  bool record_output(const unit& job, ready_list& ready);

  // ---------------------------------------------------------------- attempts
  void attempt(const unit& job, ready_list& ready);

  attempt_outcome launch_attempt(const unit& job, unsigned number, std::chrono::nanoseconds limit);
  void wait_for(std::chrono::nanoseconds delay);

  void release_resources(node_id u, ready_list& ready);

  // ---------------------------------------------------------------- finishing
  /// A unit of work ended: its record, its event, what it held. An element then counts down
  /// its map; a node resolves (resolve()).
  void finish(const unit& job, step_status status, std::string message, ready_list& ready);

  /// Node u has its final status: release its inputs after their last reader (and its output
  /// when nobody will read it), and count down its successors, making ready the ones it was
  /// the last to wait for.
  void resolve(node_id u, step_status status, ready_list& ready);

  [[nodiscard]] run_status status_so_far() const;

  /// Runs the finally handlers, in declaration order, with how the rest of the run ended.
  /// Their failures are recorded but do not change the run's status.
  void run_finally();

  /// The run has ended: its status, its kept outputs handed to its data, the waiters woken.
  void complete();

  /// The parked first thread of a run on threads of its own: waits until start() opens the
  /// gate; false when it has nothing to do.
  bool wait_gate() {
    std::unique_lock lock(gate_mutex_);
    gate_cv_.wait(lock, [&] { return gate_ != 0; });
    return gate_ == 1;
  }
  void open_gate(bool work) {
    {
      std::lock_guard lock(gate_mutex_);
      gate_ = work ? 1 : 2;
    }
    gate_cv_.notify_all();
  }

  void unlock_definition() {
    if (!unlocked_.exchange(true)) def_->active_runs.fetch_sub(1, std::memory_order_acq_rel);
  }

  // ---------------------------------------------------------------- clocks
  /// A step time (see run_events::stamp).
  [[nodiscard]] sys_clock::time_point stamp() const noexcept { return events_.stamp(); }

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
  std::vector<char> launched_;  ///< per node: runs through the launcher; empty without one
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
  std::mutex gate_mutex_;
  std::condition_variable gate_cv_;
  int gate_ = 0;  ///< 0: closed, 1: work, 2: nothing to do

  mutable std::mutex done_mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

}  // namespace typeflow::exec_detail
