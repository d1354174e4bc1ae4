#pragma once
// The executor's engine: one run of a pipeline definition. It plans the run (successor lists in
// compressed form, reader counts, which inputs may be moved, priorities, resource needs), then
// workers take ready steps, run them with their policies, release inputs after their last
// reader, and make successors ready. Events go to observers; the engine knows no storage.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
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
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/exec/detail/resource_pool.hpp>
#include <typeflow/exec/detail/run_id.hpp>
#include <typeflow/exec/detail/timer.hpp>
#include <typeflow/exec/detail/work_queues.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/record.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow::exec_detail {

using detail::node_id;
using detail::none;
using sys_clock = std::chrono::system_clock;
using steady = std::chrono::steady_clock;

struct node_state {
  std::atomic<std::uint32_t> pending{0};    ///< predecessors not yet resolved
  std::atomic<std::uint32_t> readers{0};    ///< data edges that have not read the output yet
  std::atomic<std::uint32_t> blocker{none}; ///< earliest predecessor without outputs
  std::atomic<bool> retry_scheduled{false};
  bool holds_resources = false;
  detail::box out;
};

inline std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

inline std::string format_duration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  if (d < 10us) return std::to_string(d.count()) + "ns";
  if (d < 10ms) return std::to_string(duration_cast<microseconds>(d).count()) + "us";
  if (d < 10s) return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
  return std::to_string(duration_cast<seconds>(d).count()) + "s";
}

class engine final : public detail::context_sink {
 public:
  engine(std::shared_ptr<detail::definition> def, run_options opts, bool sequential)
      : def_(std::move(def)), opts_(std::move(opts)), sequential_(sequential),
        queues_(sequential ? 1 : worker_count(opts_)) {
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
    started_sys_ = sys_clock::now();
    started_ = steady::now();
    status_.store(run_status::running);
    if (opts_.external_stop().stop_possible()) {
      external_link_.emplace(opts_.external_stop(), stop_forwarder{this});
    }
    stop_link_.emplace(stop_.get_token(), retry_flusher{this});
    emit_run(event_kind::run_started);
    if (def_->nodes.empty()) {
      complete();
      return;
    }
    if (sequential_) {
      if (use_caller) {
        run_sequential();
      } else {
        threads_.emplace_back([this] { run_sequential(); });
      }
      return;
    }
    std::vector<ready_item> roots;
    for (node_id u = 0; u < def_->nodes.size(); ++u) {
      if (plan_in_degree_[u] == 0) roots.push_back({priority_[u], u});
    }
    // Spread the roots so that every worker starts with work.
    const unsigned n = queues_count();
    for (std::size_t i = 0; i < roots.size(); ++i) {
      queues_.push(static_cast<unsigned>(i % n), &roots[i], 1);
    }
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

  // Read access for run_result and run_handle.
  [[nodiscard]] run_status status() const noexcept { return status_.load(); }
  [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }
  [[nodiscard]] const detail::definition& def() const noexcept { return *def_; }
  [[nodiscard]] const std::shared_ptr<detail::definition>& def_ptr() const noexcept { return def_; }
  [[nodiscard]] const std::vector<step_record>& records() const noexcept { return records_; }
  [[nodiscard]] node_state& state(node_id u) noexcept { return state_[u]; }
  [[nodiscard]] bool kept(node_id u) const noexcept { return kept_[u] != 0; }
  [[nodiscard]] sys_clock::time_point started_at() const noexcept { return started_sys_; }
  [[nodiscard]] sys_clock::time_point finished_at() const noexcept { return finished_sys_; }
  [[nodiscard]] std::vector<metric_record> metrics() const {
    std::lock_guard lock(metrics_mutex_);
    return metrics_;
  }
  [[nodiscard]] std::size_t observer_errors() const noexcept { return observer_errors_.load(); }
  [[nodiscard]] std::string first_observer_error() const {
    std::lock_guard lock(metrics_mutex_);
    return first_observer_error_;
  }
  /// The value a parameter node has in this run.
  [[nodiscard]] const void* param_value(node_id u) const noexcept { return param_values_[u].get(); }
  [[nodiscard]] const run_options& options() const noexcept { return opts_; }
  [[nodiscard]] unsigned queues_count() const noexcept { return sequential_ ? 1 : worker_count(opts_); }

  // context_sink
  void metric(const context& ctx, std::string_view name, double value,
              std::int64_t index) override {
    auto now = sys_clock::now();
    {
      std::lock_guard lock(metrics_mutex_);
      metrics_.push_back({std::string(ctx.step_name()), std::string(name), value, index, now});
    }
    if (opts_.observers().empty()) return;
    event e = base_event(event_kind::metric, ctx.node());
    e.attempt = ctx.attempt();
    e.time = now;
    e.metric = name;
    e.value = value;
    e.index = index;
    notify(e);
  }
  void progress(const context& ctx, std::uint64_t done, std::uint64_t total) override {
    if (opts_.observers().empty()) return;
    event e = base_event(event_kind::progress, ctx.node());
    e.attempt = ctx.attempt();
    e.time = sys_clock::now();
    e.done = done;
    e.total = total;
    notify(e);
  }

 private:
  struct stop_forwarder {
    engine* self;
    void operator()() const noexcept { self->request_stop(); }
  };
  struct retry_flusher {
    engine* self;
    void operator()() const noexcept { self->flush_retries(); }
  };

  // ---------------------------------------------------------------- planning
  void prepare() {
    const auto& d = *def_;
    const auto n = static_cast<node_id>(d.nodes.size());
    run_id_ = opts_.run_id().empty() ? make_run_id() : opts_.run_id();
    resolve_params();

    // Successors in compressed form: data edges (one per input) and ordering edges.
    plan_in_degree_.assign(n, 0);
    std::vector<std::uint32_t> out_degree(n, 0);
    std::vector<std::uint32_t> readers(n, 0);
    for (node_id v = 0; v < n; ++v) {
      const auto& nd = d.nodes[v];
      for (std::uint32_t i = 0; i < nd.input_count; ++i) {
        node_id u = d.ports[d.inputs[nd.first_input + i]].node;
        ++out_degree[u];
        ++readers[u];
        ++plan_in_degree_[v];
      }
    }
    for (const auto& e : d.order) {
      ++out_degree[e.before];
      ++plan_in_degree_[e.after];
    }
    succ_begin_.assign(n + 1, 0);
    for (node_id u = 0; u < n; ++u) succ_begin_[u + 1] = succ_begin_[u] + out_degree[u];
    succ_.resize(succ_begin_[n]);
    {
      std::vector<std::uint32_t> fill(succ_begin_.begin(), succ_begin_.end() - 1);
      for (node_id v = 0; v < n; ++v) {
        const auto& nd = d.nodes[v];
        for (std::uint32_t i = 0; i < nd.input_count; ++i) {
          succ_[fill[d.ports[d.inputs[nd.first_input + i]].node]++] = v;
        }
      }
      for (const auto& e : d.order) succ_[fill[e.before]++] = e.after;
    }

    // Outputs kept for the result: sinks, steps marked keep(), handles the options name.
    kept_.assign(n, 0);
    for (node_id u = 0; u < n; ++u) {
      const auto& nd = d.nodes[u];
      bool keep = opts_.keeps_all() || (readers[u] == 0 && nd.kind == detail::node_kind::step) ||
                  (nd.policy && nd.policy->keep_output);
      kept_[u] = keep ? 1 : 0;
    }
    for (node_id u : opts_.kept()) {
      if (u < n) kept_[u] = 1;
    }

    // An input may be moved from when its port has no other reader, no reader of a port that
    // contains it or lies inside it, and the output is not kept for the result.
    std::vector<std::uint32_t> own(d.ports.size(), 0);
    for (auto p : d.inputs) ++own[p];
    std::vector<std::uint32_t> subtree(own);
    for (auto p = static_cast<std::int64_t>(d.ports.size()) - 1; p >= 0; --p) {
      auto parent = d.ports[static_cast<std::size_t>(p)].parent;
      if (parent != none) subtree[parent] += subtree[static_cast<std::size_t>(p)];
    }
    movable_.assign(d.inputs.size(), 0);
    for (std::size_t i = 0; i < d.inputs.size(); ++i) {
      auto p = d.inputs[i];
      if (subtree[p] != 1 || kept_[d.ports[p].node]) continue;
      bool alone = true;
      for (auto a = d.ports[p].parent; a != none; a = d.ports[a].parent) {
        if (own[a] != 0) alone = false;
      }
      movable_[i] = alone ? 1 : 0;
    }

    // Priorities: the longest remaining path by cost (ids are a topological order).
    priority_.assign(n, 0.0);
    for (node_id u = n; u-- > 0;) {
      double best = 0;
      for (auto i = succ_begin_[u]; i < succ_begin_[u + 1]; ++i) best = std::max(best, priority_[succ_[i]]);
      const auto& nd = d.nodes[u];
      priority_[u] = best + (nd.policy ? nd.policy->cost : 1.0);
    }

    prepare_resources();
    if (!opts_.selection().empty() && opts_.selection().size() != n) {
      throw run_error("typeflow: the run's selection has " + std::to_string(opts_.selection().size()) +
                      " entries but pipeline '" + d.name + "' has " + std::to_string(n) + " nodes");
    }

    state_ = std::make_unique<node_state[]>(n);
    records_.resize(n);
    for (node_id u = 0; u < n; ++u) {
      state_[u].pending.store(plan_in_degree_[u], std::memory_order_relaxed);
      state_[u].readers.store(readers[u], std::memory_order_relaxed);
      records_[u].name = d.nodes[u].name;
    }
    unresolved_.store(n);
    if (opts_.hooks()) opts_.hooks()->prepare(*this);
  }

  void resolve_params() {
    const auto& d = *def_;
    param_values_.assign(d.nodes.size(), nullptr);
    for (const auto& [name, text] : opts_.overrides()) {
      node_id u = d.find(name);
      if (u == none || d.nodes[u].kind != detail::node_kind::parameter) {
        throw run_error("typeflow: unknown parameter '" + name + "' in pipeline '" + d.name + "'" +
                        suggestion(name));
      }
      const auto& spec = *d.nodes[u].param;
      std::string expected;
      auto value = spec.parse(text, expected);
      if (!value) {
        throw run_error("typeflow: parameter '" + name + "' (" + spec.type_name + ") got '" + text +
                        "', expected " + expected);
      }
      param_values_[u] = std::move(value);
    }
    for (node_id u = 0; u < d.nodes.size(); ++u) {
      const auto& nd = d.nodes[u];
      if (nd.kind != detail::node_kind::parameter || param_values_[u]) continue;
      if (!nd.param->default_value) {
        throw run_error("typeflow: parameter '" + std::string(nd.name) + "' (" +
                        nd.param->type_name + ") is required and has no value");
      }
      param_values_[u] = nd.param->default_value;
    }
  }

  [[nodiscard]] std::string suggestion(const std::string& name) const {
    // The closest parameter name by edit distance, if it is close.
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& nd : def_->nodes) {
      if (nd.kind != detail::node_kind::parameter) continue;
      auto dist = edit_distance(name, nd.name);
      if (dist < best_distance) {
        best_distance = dist;
        best = std::string(nd.name);
      }
    }
    return best.empty() ? std::string{} : "; did you mean '" + best + "'?";
  }

  static std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diag = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return row[b.size()];
  }

  void prepare_resources() {
    const auto& d = *def_;
    std::vector<std::string> names;
    std::vector<double> capacity;
    for (const auto& [name, amount] : opts_.capacities()) {
      names.push_back(name);
      capacity.push_back(amount);
    }
    bool any = false;
    for (node_id u = 0; u < d.nodes.size(); ++u) {
      const auto& nd = d.nodes[u];
      if (!nd.policy || nd.policy->resources.empty()) continue;
      if (!any) {
        needs_.assign(d.nodes.size(), {});
        any = true;
      }
      for (const auto& [res, amount] : nd.policy->resources) {
        auto it = std::find(names.begin(), names.end(), res);
        if (it == names.end()) {
          throw run_error("typeflow: step '" + std::string(nd.name) + "' asks for resource '" + res +
                          "', which the run has no capacity for; set opts.capacity(\"" + res +
                          "\", amount)");
        }
        auto r = static_cast<std::uint32_t>(it - names.begin());
        if (amount > capacity[r] + 1e-9) {
          throw run_error("typeflow: step '" + std::string(nd.name) + "' asks for " +
                          format_amount(amount) + " of resource '" + res +
                          "' but the run's capacity is " + format_amount(capacity[r]));
        }
        needs_[u].push_back({r, amount});
      }
    }
    if (any) pool_.emplace(std::move(capacity));
  }

  static std::string format_amount(double x) {
    std::string s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  // ---------------------------------------------------------------- running
  void worker_loop(unsigned w) {
    std::vector<ready_item> ready;
    node_id next = none;
    for (;;) {
      if (next == none) {
        auto seen = queues_.epoch();
        if (auto popped = queues_.pop(w)) {
          next = *popped;
        } else {
          if (queues_.finished()) break;
          queues_.wait(seen);
          continue;
        }
      }
      node_id u = next;
      next = none;
      run_node(u, ready);
      if (ready.empty()) continue;
      // Run the most urgent newly ready step here, without a trip through the queues.
      auto best = std::max_element(ready.begin(), ready.end());
      next = best->node;
      *best = ready.back();
      ready.pop_back();
      queues_.push(w, ready.data(), ready.size());
      ready.clear();
    }
  }

  void run_sequential() {
    std::vector<ready_item> ready;
    for (node_id u = 0; u < def_->nodes.size(); ++u) {
      run_node(u, ready);
      ready.clear();
    }
  }

  void run_node(node_id u, std::vector<ready_item>& ready) {
    const auto& nd = def_->nodes[u];
    auto& st = state_[u];
    auto& rec = records_[u];
    if (rec.attempts > 0) {  // a retry after its backoff
      if (stop_.stop_requested()) {
        finish(u, step_status::failed, {}, ready);  // keeps its last error
      } else {
        attempt(u, ready);
      }
      return;
    }
    if (nd.kind == detail::node_kind::parameter) {
      rec.started = sys_clock::now();
      nd.param->store(st.out, param_values_[u].get());
      finish(u, step_status::succeeded, {}, ready);
      return;
    }
    if (stop_.stop_requested()) {
      rec.started = sys_clock::now();
      finish(u, step_status::cancelled, "the run was stopped before this step started", ready);
      return;
    }
    if (auto b = st.blocker.load(std::memory_order_acquire); b != none) {
      rec.started = sys_clock::now();
      finish(u, step_status::skipped,
             "upstream step '" + std::string(def_->nodes[b].name) + "' " +
                 std::string(outcome_word(records_[b].status)),
             ready);
      return;
    }
    const bool selected = opts_.selection().empty() || opts_.selection()[u];
    if (const auto& hooks = opts_.hooks(); hooks && !st.holds_resources) {
      rec.started = sys_clock::now();
      try {
        if (hooks->restore(*this, u, st.out, selected)) {
          finish(u, step_status::cached, {}, ready);
          return;
        }
      } catch (...) {
        st.out.reset();
        finish(u, step_status::failed, "could not restore the output: " + describe(std::current_exception()), ready);
        return;
      }
    }
    if (!selected) {
      rec.started = sys_clock::now();
      finish(u, step_status::skipped, "not selected for this run", ready);
      return;
    }
    if (!needs_.empty() && !needs_[u].empty() && !st.holds_resources) {
      if (!pool_->acquire_or_wait(needs_[u], {priority_[u], u})) return;  // admitted later
      st.holds_resources = true;
    }
    attempt(u, ready);
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

  [[nodiscard]] unsigned retries_of(const detail::node& nd) const {
    return nd.policy && nd.policy->has_retry ? nd.policy->retries : opts_.default_retries();
  }
  [[nodiscard]] std::chrono::nanoseconds timeout_of(const detail::node& nd) const {
    return nd.policy && nd.policy->has_timeout ? nd.policy->timeout : opts_.default_timeout();
  }

  void attempt(node_id u, std::vector<ready_item>& ready) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    auto& st = state_[u];
    auto& rec = records_[u];
    for (;;) {
      const unsigned number = ++rec.attempts;
      if (number == 1) rec.started = sys_clock::now();
      rec.status = step_status::running;
      if (!opts_.observers().empty()) {
        event e = base_event(event_kind::step_started, u);
        e.attempt = number;
        e.time = sys_clock::now();
        notify(e);
      }

      // Inputs resolved to objects (projections applied); few steps have more than 8.
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
      for (std::uint32_t i = 0; i < nd.input_count; ++i) {
        auto p = d.inputs[nd.first_input + i];
        inputs[i] = d.resolve(p, state_[d.ports[p].node].out.get());
        // A step that may be retried needs its inputs intact for the next attempt.
        movable[i] = movable_[nd.first_input + i] != 0 && retries_of(nd) == 0;
      }

      // The step's stop token: the run's, or its own when a timeout can trigger it.
      const auto limit = timeout_of(nd);
      std::optional<std::stop_source> own;
      std::optional<std::stop_callback<stop_relay>> relay;
      std::atomic<bool> expired{false};
      std::uint64_t deadline = 0;
      if (limit.count() > 0) {
        own.emplace();
        relay.emplace(stop_.get_token(), stop_relay{&*own});
        deadline = timer_.schedule(steady::now() + limit, [&expired, &own] {
          expired.store(true, std::memory_order_release);
          own->request_stop();
        });
      }
      context ctx{run_id_, nd.name, u, number, own ? own->get_token() : stop_.get_token(), this};
      detail::invocation call{inputs, movable, &st.out, &ctx};
      std::exception_ptr error;
      try {
        nd.impl->invoke(call);
      } catch (...) {
        error = std::current_exception();
      }
      if (deadline != 0) timer_.cancel(deadline);
      const bool timed_out = expired.load(std::memory_order_acquire);
      relay.reset();

      if (!error && !timed_out && opts_.hooks()) {
        try {
          opts_.hooks()->produced(*this, u, st.out);
        } catch (...) {
          st.out.reset();
          finish(u, step_status::failed,
                 "could not record the output: " + describe(std::current_exception()), ready);
          return;
        }
      }
      if (!error && !timed_out) {
        finish(u, step_status::succeeded, {}, ready);
        return;
      }
      st.out.reset();
      std::string message = timed_out ? "timed out after " + format_duration(limit)
                                      : describe(error);
      const bool retry_allowed =
          number <= retries_of(nd) && !stop_.stop_requested() &&
          (!nd.policy || !nd.policy->retry_if || (!timed_out && nd.policy->retry_if(error)));
      if (!retry_allowed) {
        finish(u, timed_out ? step_status::timed_out : step_status::failed, std::move(message),
               ready);
        return;
      }
      rec.message = message;
      auto delay = backoff_of(nd, number);
      if (!opts_.observers().empty()) {
        event e = base_event(event_kind::step_retried, u);
        e.attempt = number;
        e.time = sys_clock::now();
        e.message = rec.message;
        e.duration = delay;
        notify(e);
      }
      if (delay.count() <= 0) continue;
      if (sequential_) {
        wait_for(delay);
        if (stop_.stop_requested()) {
          finish(u, step_status::failed, rec.message, ready);
          return;
        }
        continue;
      }
      schedule_retry(u, delay);
      return;
    }
  }

  struct stop_relay {
    std::stop_source* target;
    void operator()() const noexcept { target->request_stop(); }
  };

  [[nodiscard]] std::chrono::nanoseconds backoff_of(const detail::node& nd, unsigned attempt) const {
    bool own = nd.policy && nd.policy->has_retry;
    auto base = own ? nd.policy->backoff : opts_.default_backoff();
    double factor = own ? nd.policy->backoff_factor : opts_.default_backoff_factor();
    double scaled = static_cast<double>(base.count()) * std::pow(factor, attempt - 1);
    return std::chrono::nanoseconds{static_cast<std::int64_t>(std::min(scaled, 3.6e12))};
  }

  void wait_for(std::chrono::nanoseconds delay) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    auto token = stop_.get_token();
    cv.wait_for(lock, token, delay, [] { return false; });
  }

  void schedule_retry(node_id u, std::chrono::nanoseconds delay) {
    {
      std::lock_guard lock(retry_mutex_);
      state_[u].retry_scheduled.store(true, std::memory_order_release);
      retrying_.push_back(u);
    }
    timer_.schedule(steady::now() + delay, [this, u] { release_retry(u); });
    if (stop_.stop_requested()) flush_retries();
  }

  void release_retry(node_id u) {
    if (!state_[u].retry_scheduled.exchange(false, std::memory_order_acq_rel)) return;
    ready_item item{priority_[u], u};
    queues_.push(0, &item, 1);
  }

  void flush_retries() {
    std::vector<node_id> nodes;
    {
      std::lock_guard lock(retry_mutex_);
      nodes.swap(retrying_);
    }
    for (auto u : nodes) release_retry(u);
  }

  void finish(node_id u, step_status status, std::string message,
              std::vector<ready_item>& ready) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    auto& st = state_[u];
    auto& rec = records_[u];
    rec.status = status;
    rec.finished = sys_clock::now();
    if (!message.empty()) rec.message = std::move(message);
    const bool failed = status == step_status::failed || status == step_status::timed_out;
    if (failed) {
      any_failed_.store(true, std::memory_order_release);
      if (opts_.on_failure() == failure_policy::fail_fast) stop_.request_stop();
    }
    if (nd.kind == detail::node_kind::step && !opts_.observers().empty()) {
      event e = base_event(step_event(status), u);
      e.attempt = rec.attempts;
      e.time = rec.finished;
      e.message = rec.message;
      e.duration = rec.duration();
      notify(e);
    }

    if (st.holds_resources) {
      st.holds_resources = false;
      std::vector<ready_item> admitted;
      pool_->release(needs_[u], [&](node_id v) -> const std::vector<resource_need>& { return needs_[v]; },
                     admitted);
      for (auto& item : admitted) state_[item.node].holds_resources = true;
      if (!admitted.empty()) queues_.push(0, admitted.data(), admitted.size());
    }

    // Release inputs after their last reader; the output itself when nobody will read it.
    for (std::uint32_t i = 0; i < nd.input_count; ++i) {
      node_id v = d.ports[d.inputs[nd.first_input + i]].node;
      if (state_[v].readers.fetch_sub(1, std::memory_order_acq_rel) == 1 && !kept_[v]) {
        state_[v].out.reset();
      }
    }
    const bool produced = produced_outputs(status);
    if (!produced || (st.readers.load(std::memory_order_acquire) == 0 && !kept_[u])) {
      st.out.reset();
    }

    for (auto i = succ_begin_[u]; i < succ_begin_[u + 1]; ++i) {
      node_id v = succ_[i];
      if (!produced) {
        // The earliest declared blocker wins, so skip reasons do not depend on timing.
        std::uint32_t seen = state_[v].blocker.load(std::memory_order_acquire);
        while (u < seen && !state_[v].blocker.compare_exchange_weak(seen, u, std::memory_order_acq_rel)) {
        }
      }
      if (state_[v].pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        ready.push_back({priority_[v], v});
      }
    }
    if (unresolved_.fetch_sub(1, std::memory_order_acq_rel) == 1) complete();
  }

  static event_kind step_event(step_status s) {
    switch (s) {
      case step_status::succeeded: return event_kind::step_succeeded;
      case step_status::failed: return event_kind::step_failed;
      case step_status::timed_out: return event_kind::step_timed_out;
      case step_status::skipped: return event_kind::step_skipped;
      case step_status::cancelled: return event_kind::step_cancelled;
      default: return event_kind::step_succeeded;
    }
  }

  void complete() {
    finished_sys_ = sys_clock::now();
    run_status final = run_status::succeeded;
    if (user_stop_.load(std::memory_order_acquire)) {
      final = run_status::stopped;
    } else if (any_failed_.load(std::memory_order_acquire)) {
      final = run_status::failed;
    }
    status_.store(final);
    emit_run(event_kind::run_finished);
    external_link_.reset();
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

  // ---------------------------------------------------------------- events
  [[nodiscard]] event base_event(event_kind kind, node_id u) const {
    event e;
    e.kind = kind;
    e.run_id = run_id_;
    e.pipeline = def_->name;
    if (u != none) {
      e.step = def_->nodes[u].name;
      e.node = u;
    }
    return e;
  }

  void emit_run(event_kind kind) {
    if (opts_.observers().empty()) return;
    event e = base_event(kind, none);
    e.status = status_.load();
    e.time = kind == event_kind::run_started ? started_sys_ : finished_sys_;
    if (kind == event_kind::run_finished) e.duration = finished_sys_ - started_sys_;
    notify(e);
  }

  void notify(const event& e) noexcept {
    for (auto* o : opts_.observers()) {
      try {
        o->on_event(e);
      } catch (...) {
        if (observer_errors_.fetch_add(1) == 0) {
          std::string text = describe(std::current_exception());
          std::lock_guard lock(metrics_mutex_);
          first_observer_error_ = std::string(to_string(e.kind)) + ": " + text;
        }
      }
    }
  }

  std::shared_ptr<detail::definition> def_;
  run_options opts_;
  bool sequential_;
  std::string run_id_;

  // plan
  std::vector<std::uint32_t> plan_in_degree_;
  std::vector<std::uint32_t> succ_begin_;
  std::vector<std::uint32_t> succ_;
  std::vector<char> kept_;
  std::vector<char> movable_;
  std::vector<double> priority_;
  std::vector<std::vector<resource_need>> needs_;
  std::vector<std::shared_ptr<const void>> param_values_;

  // state
  std::unique_ptr<node_state[]> state_;
  std::vector<step_record> records_;
  std::atomic<std::size_t> unresolved_{0};
  std::atomic<run_status> status_{run_status::pending};
  std::atomic<bool> any_failed_{false};
  std::atomic<bool> user_stop_{false};
  std::atomic<bool> unlocked_{false};
  std::stop_source stop_;
  std::optional<std::stop_callback<stop_forwarder>> external_link_;
  std::optional<std::stop_callback<retry_flusher>> stop_link_;
  work_queues queues_;
  std::optional<resource_pool> pool_;
  timer timer_;
  std::mutex retry_mutex_;
  std::vector<node_id> retrying_;
  std::vector<std::thread> threads_;
  sys_clock::time_point started_sys_{};
  sys_clock::time_point finished_sys_{};
  steady::time_point started_{};

  mutable std::mutex metrics_mutex_;
  std::vector<metric_record> metrics_;
  std::atomic<std::size_t> observer_errors_{0};
  std::string first_observer_error_;

  mutable std::mutex done_mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

}  // namespace typeflow::exec_detail
