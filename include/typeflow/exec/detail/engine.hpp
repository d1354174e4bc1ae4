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
#include <map>
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
#include <typeflow/exec/detail/delayed_params.hpp>
#include <typeflow/exec/detail/resource_pool.hpp>
#include <typeflow/exec/run_id.hpp>
#include <typeflow/exec/detail/step_clock.hpp>
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

/// What a worker's steps hand back: the successors they made ready, and how many steps they
/// resolved since the worker last counted them into the run (at its idle points only: one
/// shared counter touched per step is a cache line that bounces between workers).
struct ready_list : std::vector<ready_item> {
  std::size_t resolved = 0;
  /// When the worker goes straight on from the step it finished to the next one: the end time
  /// of the first, which serves as the start time of the second (see engine::start_stamp).
  std::chrono::system_clock::time_point boundary{};
};

struct node_state {
  std::atomic<std::uint32_t> pending{0};    ///< predecessors not yet resolved
  std::atomic<std::uint32_t> readers{0};    ///< data edges that have not read the output yet
  std::atomic<std::uint32_t> blocker{none}; ///< earliest predecessor without outputs
  std::atomic<bool> retry_scheduled{false};
  bool holds_resources = false;
  bool absent = false;  ///< skipped by its condition: optional readers see std::nullopt
  bool kept = false;
  std::uint32_t succ_first = 0, succ_last = 0;
  double priority = 0;
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
    std::vector<ready_item> roots;
    for (node_id u = 0; u < def_->nodes.size(); ++u) {
      if (plan_in_degree_[u] == 0 && def_->nodes[u].kind != detail::node_kind::finally_handler) {
        roots.push_back({state_[u].priority, u});
      }
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
  [[nodiscard]] const detail::big_vector<step_record>& records() const noexcept { return records_; }
  [[nodiscard]] node_state& state(node_id u) noexcept { return state_[u]; }
  [[nodiscard]] bool kept(node_id u) const noexcept { return state_[u].kept; }
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
  /// The records of a map node's elements (empty for other nodes or before it ran).
  [[nodiscard]] const std::vector<step_record>* element_records(node_id u) const noexcept {
    if (maps_.empty() || !maps_[u]) return nullptr;
    return &maps_[u]->records;
  }

  /// The value a parameter node has in this run.
  [[nodiscard]] const void* param_value(node_id u) const noexcept { return param_values_[u].get(); }
  /// name -> text of each parameter value this run used (a delayed one once it was given).
  [[nodiscard]] std::map<std::string, std::string> param_texts() const {
    std::map<std::string, std::string> out;
    for (node_id u : params_) {
      if (!param_values_[u]) continue;
      const auto& nd = def_->nodes[u];
      out.emplace(std::string(nd.name), nd.param->format(param_values_[u].get()));
    }
    return out;
  }
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
    e.step = ctx.step_name();  // a map element's own name, train[3]
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
    e.step = ctx.step_name();
    e.attempt = ctx.attempt();
    e.time = stamp();
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
    params_ = d.parameters;  // all below n: the definition cannot grow while a run prepares

    // One pass over the nodes (a node is ~100 bytes: every pass over a million of them streams
    // 100 MB) gathers what the plan needs into compact arrays: edge counts, readers, the
    // readers of each port, the kinds that matter, the step's own cost and keep().
    plan_in_degree_.assign(n, 0);
    detail::big_vector<std::uint32_t> out_degree(n, 0);
    detail::big_vector<std::uint32_t> readers(n, 0);
    detail::big_vector<std::uint32_t> first_input(n, 0), input_count(n, 0);
    detail::big_vector<std::uint32_t> own(d.ports.size(), 0);  // readers of each port
    // Planned per node, then kept in its run state (next to its pending count, read together).
    detail::big_vector<char> plan_kept(n, 0);          // for now: 1 keep(), 2 a parameter
    detail::big_vector<double> plan_priority(n, 0.0);  // for now: the step's own cost
    records_.resize(n);
    bool any_extra = false, any_resources = false;
    for (node_id v = 0; v < n; ++v) {
      const auto& nd = d.nodes[v];
      records_[v].name = nd.name;
      first_input[v] = nd.first_input;
      input_count[v] = nd.input_count;
      for (std::uint32_t i = 0; i < nd.input_count; ++i) {
        const auto port = d.inputs[nd.first_input + i];
        node_id u = d.ports[port].node;
        ++out_degree[u];
        ++readers[u];
        ++own[port];
      }
      plan_in_degree_[v] = nd.input_count;
      // Guards and skip_if inputs are read before a step runs: edges and readers like inputs.
      if (nd.control) {
        any_extra = true;
        d.for_each_extra_read(v, [&](detail::port_id port) {
          node_id u = d.ports[port].node;
          ++out_degree[u];
          ++readers[u];
          ++own[port];
          ++plan_in_degree_[v];
        });
      }
      if (nd.kind == detail::node_kind::finally_handler) finally_.push_back(v);
      if (nd.kind == detail::node_kind::map && maps_.empty()) maps_.resize(n);
      plan_kept[v] = static_cast<char>((nd.policy && nd.policy->keep_output ? 1 : 0) |
                                       (nd.kind == detail::node_kind::parameter ? 2 : 0));
      plan_priority[v] = nd.policy ? nd.policy->cost : 1.0;
      if (nd.policy && !nd.policy->resources.empty()) any_resources = true;
    }
    for (const auto& e : d.order) {
      ++out_degree[e.before];
      ++plan_in_degree_[e.after];
    }
    detail::big_vector<std::uint32_t> plan_succ_begin(n + 1, 0);
    for (node_id u = 0; u < n; ++u) plan_succ_begin[u + 1] = plan_succ_begin[u] + out_degree[u];
    succ_.resize(plan_succ_begin[n]);
    const bool any_tolerant = !d.input_tolerant.empty();
    if (any_tolerant) succ_tolerant_.assign(plan_succ_begin[n], 0);
    {
      detail::big_vector<std::uint32_t>& fill = out_degree;  // reused: the next free slot per node
      for (node_id u = 0; u < n; ++u) fill[u] = plan_succ_begin[u];
      for (node_id v = 0; v < n; ++v) {
        for (auto k = first_input[v], end = first_input[v] + input_count[v]; k < end; ++k) {
          const auto slot = fill[d.ports[d.inputs[k]].node]++;
          succ_[slot] = v;
          if (any_tolerant) succ_tolerant_[slot] = k < d.input_tolerant.size() ? d.input_tolerant[k] : 0;
        }
      }
      for (const auto& e : d.order) succ_[fill[e.before]++] = e.after;
      if (any_extra) {
        for (node_id v = 0; v < n; ++v) {
          d.for_each_extra_read(v, [&](detail::port_id port) { succ_[fill[d.ports[port].node]++] = v; });
        }
      }
    }

    delayed_.plan(d, params_, param_values_, plan_succ_begin, succ_, plan_in_degree_);

    // Outputs kept for the result: sinks, steps marked keep(), handles the options name.
    for (node_id u = 0; u < n; ++u) {
      const bool keep = opts_.keeps_all() || (readers[u] == 0 && (plan_kept[u] & 2) == 0) || (plan_kept[u] & 1) != 0;
      plan_kept[u] = keep ? 1 : 0;
    }
    for (node_id u : opts_.kept()) {
      if (u < n) plan_kept[u] = 1;
    }

    // An input may be moved from when its port has no other reader, no reader of a port that
    // contains it or lies inside it, and the output is not kept for the result.
    detail::big_vector<std::uint32_t> subtree(own);
    for (auto port = static_cast<std::int64_t>(d.ports.size()) - 1; port >= 0; --port) {
      auto parent = d.ports[static_cast<std::size_t>(port)].parent;
      if (parent != none) subtree[parent] += subtree[static_cast<std::size_t>(port)];
    }
    movable_.assign(d.inputs.size(), 0);
    for (std::size_t i = 0; i < d.inputs.size(); ++i) {
      auto port = d.inputs[i];
      if (subtree[port] != 1 || plan_kept[d.ports[port].node]) continue;
      bool alone = true;
      for (auto a = d.ports[port].parent; a != none; a = d.ports[a].parent) {
        if (own[a] != 0) alone = false;
      }
      movable_[i] = alone ? 1 : 0;
    }

    // Priorities: the longest remaining path by cost (ids are a topological order).
    for (node_id u = n; u-- > 0;) {
      double best = 0;
      for (auto i = plan_succ_begin[u]; i < plan_succ_begin[u + 1]; ++i) {
        best = std::max(best, plan_priority[succ_[i]]);
      }
      plan_priority[u] += best;
    }

    if (any_resources) prepare_resources();
    if (!opts_.selection().empty() && opts_.selection().size() != n) {
      throw run_error("typeflow: the run's selection has " + std::to_string(opts_.selection().size()) +
                      " entries but pipeline '" + d.name + "' has " + std::to_string(n) + " nodes");
    }

    state_ = detail::big_vector<node_state>(n);
    for (node_id u = 0; u < n; ++u) {
      state_[u].pending.store(plan_in_degree_[u], std::memory_order_relaxed);
      state_[u].readers.store(readers[u], std::memory_order_relaxed);
      state_[u].kept = plan_kept[u] != 0;
      state_[u].succ_first = plan_succ_begin[u];
      state_[u].succ_last = plan_succ_begin[u + 1];
      state_[u].priority = plan_priority[u];
    }
    unresolved_.store(n - finally_.size());
    if (opts_.hooks()) opts_.hooks()->prepare(*this);
  }

  void resolve_params() {
    param_sources sources;
    sources.file = opts_.params_file();
    sources.overrides = opts_.overrides();
    param_values_ = detail::resolve_params(*def_, sources);
  }

  // ---------------------------------------------------------------- delayed parameters
  /// Would node v run if it were ready now (no upstream failure, selected)?
  [[nodiscard]] bool will_run(node_id v) const {
    return state_[v].blocker.load(std::memory_order_acquire) == none &&
           (opts_.selection().empty() || opts_.selection()[v]);
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
      run_node(p, ready);
    }
  }

  /// Asks the provider for delayed parameter u's value, parses and checks it like an override.
  void ask_param(node_id u, ready_list& ready) {
    const auto& nd = def_->nodes[u];
    if (!delayed_.wanted(u)) {
      finish(u, step_status::skipped, "not asked for: no step that reads it was to run", ready);
      return;
    }
    if (stop_.stop_requested()) {
      finish(u, step_status::cancelled, "the run was stopped before it was asked for", ready);
      return;
    }
    const auto& provider = opts_.param_provider();
    if (!provider) {
      finish(u, step_status::failed,
             "it is delayed and no source gave it a value, but the run has no parameter "
             "provider (run_options::param_provider)",
             ready);
      return;
    }
    if (!opts_.observers().empty()) {
      event e = base_event(event_kind::param_requested, u);
      e.time = stamp();
      notify(e);
    }
    std::string text;
    try {
      std::lock_guard lock(provider_mutex_);
      text = provider(detail::describe_param(*def_, u));
    } catch (...) {
      finish(u, step_status::failed,
             "the parameter provider failed: " + describe(std::current_exception()), ready);
      return;
    }
    try {
      param_values_[u] = detail::parse_param_value(*def_, u, text, "the parameter provider");
    } catch (const run_error& e) {
      std::string message = e.what();
      if (message.starts_with("typeflow: ")) message.erase(0, 10);
      finish(u, step_status::failed, std::move(message), ready);
      return;
    }
    nd.param->store(state_[u].out, param_values_[u].get());
    finish(u, step_status::succeeded, {}, ready);
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
      run_node(u, ready);
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

  void run_item(const ready_item& item, ready_list& ready) {
    if (item.element == none) {
      run_node(item.node, ready);
    } else {
      run_element(item.node, item.element, ready);
    }
  }

  /// The record, name and output box of a unit of work: a node, or one element of a map.
  struct unit {
    node_id node;
    std::uint32_t element;
    step_record* rec;
    std::string_view name;
    detail::box* out;
  };
  unit unit_of(node_id u, std::uint32_t e) {
    if (e == none) return {u, e, &records_[u], def_->nodes[u].name, &state_[u].out};
    auto& m = *maps_[u];
    return {u, e, &m.records[e], m.names[e], &m.results[e]};
  }

  void run_node(node_id u, ready_list& ready) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    auto& st = state_[u];
    auto& rec = records_[u];
    // finish() will count down the successors' pending counts: start loading the first two
    // now, so that those cache misses overlap the step.
    for (auto i = st.succ_first, end = std::min(st.succ_last, st.succ_first + 2); i < end; ++i) {
      __builtin_prefetch(&state_[succ_[i]], 1);
    }
    if (rec.attempts > 0) {  // a retry after its backoff
      if (stop_.stop_requested()) {
        finish(u, step_status::failed, {}, ready);  // keeps its last error
      } else {
        attempt(unit_of(u, none), ready);
      }
      return;
    }
    if (nd.kind == detail::node_kind::parameter) {
      rec.started = start_stamp(ready);
      if (delayed_.asked(u)) {
        ask_param(u, ready);
        return;
      }
      nd.param->store(st.out, param_values_[u].get());
      finish(u, step_status::succeeded, {}, ready);
      return;
    }
    if (!st.holds_resources) {
      if (auto why = reason_not_to_run(u, st)) {
        rec.started = start_stamp(ready);
        finish(u, why->first, std::move(why->second), ready);
        return;
      }
      const bool selected = opts_.selection().empty() || opts_.selection()[u];
      if (const auto& hooks = opts_.hooks()) {
        rec.started = start_stamp(ready);
        try {
          if (hooks->restore(*this, u, st.out, selected)) {
            finish(u, step_status::cached, {}, ready);
            return;
          }
        } catch (...) {
          st.out.reset();
          finish(u, step_status::failed,
                 "could not restore the output: " + describe(std::current_exception()), ready);
          return;
        }
      }
      if (!selected) {
        rec.started = start_stamp(ready);
        finish(u, step_status::skipped, "not selected for this run", ready);
        return;
      }
      if (nd.kind == detail::node_kind::map) {
        expand_map(u, ready);
        return;
      }
      if (!needs_.empty() && !needs_[u].empty()) {
        if (!pool_->acquire_or_wait(needs_[u], {state_[u].priority, u})) return;  // admitted later
        st.holds_resources = true;
      }
    }
    attempt(unit_of(u, none), ready);
  }

  /// Why node u must not run now, if it must not: the run was stopped, its guard's condition
  /// is not met, an upstream step did not produce its outputs, or a skip_if holds.
  std::optional<std::pair<step_status, std::string>> reason_not_to_run(node_id u, node_state& st) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    if (stop_.stop_requested()) {
      return std::pair{step_status::cancelled,
                       std::string("the run was stopped before this step started")};
    }
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

  [[nodiscard]] unsigned retries_of(const detail::node& nd) const {
    return nd.policy && nd.policy->has_retry ? nd.policy->retries : opts_.default_retries();
  }
  [[nodiscard]] std::chrono::nanoseconds timeout_of(const detail::node& nd) const {
    return nd.policy && nd.policy->has_timeout ? nd.policy->timeout : opts_.default_timeout();
  }

  // ---------------------------------------------------------------- map fan-out
  struct map_run {
    std::vector<std::string> names;
    std::vector<step_record> records;
    std::unique_ptr<detail::box[]> results;
    std::unique_ptr<std::atomic<bool>[]> retry_scheduled;
    std::unique_ptr<char[]> holds_resources;
    void* items = nullptr;  ///< the vector being mapped
    bool move_items = false;
    std::atomic<std::size_t> remaining{0};
  };

  void expand_map(node_id u, ready_list& ready) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    auto& rec = records_[u];
    rec.started = start_stamp(ready);
    rec.attempts = 1;
    rec.status = step_status::running;
    emit_step(event_kind::step_started, u, none, 1, {});
    auto m = std::make_unique<map_run>();
    const auto vec_port = d.inputs[nd.first_input];
    m->items = d.resolve(vec_port, state_[d.ports[vec_port].node].out.get());
    m->move_items = movable_[nd.first_input] != 0 && retries_of(nd) == 0;
    const std::size_t count = nd.map->size(m->items);
    m->names.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      m->names.push_back(std::string(nd.name) + "[" + std::to_string(i) + "]");
    }
    m->records.resize(count);
    for (std::size_t i = 0; i < count; ++i) m->records[i].name = m->names[i];
    m->results = std::make_unique<detail::box[]>(count);
    m->retry_scheduled = std::make_unique<std::atomic<bool>[]>(count);
    m->holds_resources = std::make_unique<char[]>(count);
    m->remaining.store(count);
    maps_[u] = std::move(m);
    if (count == 0) {
      gather_map(u, ready);
      return;
    }
    for (std::size_t i = 0; i < count; ++i) {
      ready.push_back({state_[u].priority, u, static_cast<std::uint32_t>(i)});
    }
  }

  void run_element(node_id u, std::uint32_t e, ready_list& ready) {
    auto& m = *maps_[u];
    auto& rec = m.records[e];
    if (rec.attempts > 0 && !stop_.stop_requested()) {
      attempt(unit_of(u, e), ready);
      return;
    }
    if (rec.attempts > 0 || stop_.stop_requested()) {
      if (rec.attempts == 0) rec.started = start_stamp(ready);
      finish_element(u, e, rec.attempts > 0 ? step_status::failed : step_status::cancelled,
                     rec.attempts > 0 ? std::string{} : "the run was stopped before this step started",
                     ready);
      return;
    }
    if (!needs_.empty() && !needs_[u].empty() && m.holds_resources[e] == 0) {
      if (!pool_->acquire_or_wait(needs_[u], {state_[u].priority, u, e})) return;
      m.holds_resources[e] = 1;
    }
    attempt(unit_of(u, e), ready);
  }

  void finish_element(node_id u, std::uint32_t e, step_status status, std::string message,
                      ready_list& ready) {
    auto& m = *maps_[u];
    auto& rec = m.records[e];
    rec.status = status;
    rec.finished = end_stamp(ready);
    if (!message.empty()) rec.message = std::move(message);
    if (!produced_outputs(status)) m.results[e].reset();
    emit_step(step_event(status), u, e, rec.attempts, rec.message, rec.duration());
    if (m.holds_resources[e] != 0) {
      m.holds_resources[e] = 0;
      release_resources(u, ready);
    }
    if (m.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) gather_map(u, ready);
  }

  void gather_map(node_id u, ready_list& ready) {
    const auto& nd = def_->nodes[u];
    auto& m = *maps_[u];
    std::vector<std::size_t> good;
    std::size_t failed = 0, cancelled = 0;
    std::string first_error;
    for (std::size_t i = 0; i < m.records.size(); ++i) {
      const auto s = m.records[i].status;
      if (s == step_status::succeeded) {
        good.push_back(i);
      } else if (s == step_status::cancelled) {
        ++cancelled;
      } else {
        if (failed++ == 0) first_error = m.names[i] + ": " + m.records[i].message;
      }
    }
    const std::size_t total = m.records.size();
    if (failed > 0 && !nd.map->allow_partial) {
      finish(u, step_status::failed,
             std::to_string(failed) + " of " + std::to_string(total) + " elements failed; first " +
                 first_error,
             ready);
    } else if (cancelled > 0 && (!nd.map->allow_partial || good.empty())) {
      finish(u, step_status::cancelled, "the run was stopped before all elements ran", ready);
    } else {
      nd.map->gather(state_[u].out, m.results.get(), good, nd.map->allow_partial);
      if (opts_.hooks()) {  // the gathered output, as produced() sees every other output
        try {
          opts_.hooks()->produced(*this, u, state_[u].out);
        } catch (...) {
          state_[u].out.reset();
          finish(u, step_status::failed,
                 "could not record the output: " + describe(std::current_exception()), ready);
          return;
        }
      }
      finish(u, step_status::succeeded,
             failed > 0 ? std::to_string(failed) + " of " + std::to_string(total) +
                              " elements failed (partial results allowed); first " + first_error
                        : std::string{},
             ready);
    }
  }

  // ---------------------------------------------------------------- one attempt
  void attempt(unit w, ready_list& ready) {
    const auto& d = *def_;
    const node_id u = w.node;
    const auto& nd = d.nodes[u];
    auto& rec = *w.rec;
    for (;;) {
      const unsigned number = ++rec.attempts;
      if (number == 1) rec.started = start_stamp(ready);
      rec.status = step_status::running;
      emit_step(event_kind::step_started, u, w.element, number, {});

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
      const bool may_move = retries_of(nd) == 0;  // a retry needs its inputs intact
      for (std::uint32_t i = 0; i < nd.input_count; ++i) {
        auto p = d.inputs[nd.first_input + i];
        void* whole = state_[d.ports[p].node].out.get();
        inputs[i] = whole == nullptr ? nullptr : d.resolve(p, whole);
        movable[i] = may_move && movable_[nd.first_input + i] != 0;
      }
      if (w.element != none) {  // a map element: input 0 is its element, the rest are shared
        auto& m = *maps_[u];
        inputs[0] = nd.map->element(m.items, w.element);
        movable[0] = m.move_items && may_move;
        for (std::uint32_t i = 1; i < nd.input_count; ++i) movable[i] = false;
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
      std::optional<std::stop_token> own_token;
      if (own) own_token.emplace(own->get_token());
      context ctx{run_id_, w.name, u, number, own_token ? *own_token : run_token_, this};
      detail::invocation call{inputs, movable, w.out, &ctx, nullptr};
      std::exception_ptr error;
      try {
        nd.impl->invoke(call);
      } catch (const skip_step& skip) {
        if (deadline != 0) timer_.cancel(deadline);
        w.out->reset();
        end_unit(w, step_status::skipped, skip.what(), ready);
        return;
      } catch (...) {
        error = std::current_exception();
      }
      if (deadline != 0) timer_.cancel(deadline);
      const bool timed_out = expired.load(std::memory_order_acquire);
      relay.reset();

      if (!error && !timed_out && w.element == none && opts_.hooks()) {
        try {
          opts_.hooks()->produced(*this, u, *w.out);
        } catch (...) {
          w.out->reset();
          end_unit(w, step_status::failed,
                   "could not record the output: " + describe(std::current_exception()), ready);
          return;
        }
      }
      if (!error && !timed_out) {
        end_unit(w, step_status::succeeded, {}, ready);
        return;
      }
      w.out->reset();
      std::string message = timed_out ? "timed out after " + format_duration(limit)
                                      : describe(error);
      const bool retry_allowed =
          number <= retries_of(nd) && !stop_.stop_requested() &&
          (!nd.policy || !nd.policy->retry_if || (!timed_out && nd.policy->retry_if(error)));
      if (!retry_allowed) {
        end_unit(w, timed_out ? step_status::timed_out : step_status::failed, std::move(message),
                 ready);
        return;
      }
      rec.message = message;
      auto delay = backoff_of(nd, number);
      emit_step(event_kind::step_retried, u, w.element, number, rec.message, delay);
      if (delay.count() <= 0) continue;
      if (sequential_) {
        wait_for(delay);
        if (stop_.stop_requested()) {
          end_unit(w, step_status::failed, rec.message, ready);
          return;
        }
        continue;
      }
      schedule_retry(u, w.element, delay);
      return;
    }
  }

  void end_unit(const unit& w, step_status status, std::string message,
                ready_list& ready) {
    if (w.element == none) {
      finish(w.node, status, std::move(message), ready);
    } else {
      finish_element(w.node, w.element, status, std::move(message), ready);
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

  std::atomic<bool>& retry_flag(node_id u, std::uint32_t e) {
    return e == none ? state_[u].retry_scheduled : maps_[u]->retry_scheduled[e];
  }

  void schedule_retry(node_id u, std::uint32_t e, std::chrono::nanoseconds delay) {
    {
      std::lock_guard lock(retry_mutex_);
      retry_flag(u, e).store(true, std::memory_order_release);
      retrying_.push_back({state_[u].priority, u, e});
    }
    timer_.schedule(steady::now() + delay, [this, u, e] { release_retry(u, e); });
    if (stop_.stop_requested()) flush_retries();
  }

  void release_retry(node_id u, std::uint32_t e) {
    if (!retry_flag(u, e).exchange(false, std::memory_order_acq_rel)) return;
    ready_item item{state_[u].priority, u, e};
    queues_.push(0, &item, 1);
  }

  void flush_retries() {
    std::vector<ready_item> items;
    {
      std::lock_guard lock(retry_mutex_);
      items.swap(retrying_);
    }
    for (const auto& item : items) release_retry(item.node, item.element);
  }

  void release_resources(node_id u, ready_list& ready) {
    std::vector<ready_item> admitted;
    pool_->release(
        needs_[u], [&](node_id v) -> const std::vector<resource_need>& { return needs_[v]; },
        admitted);
    for (auto& item : admitted) {
      if (item.element == none) {
        state_[item.node].holds_resources = true;
      } else {
        maps_[item.node]->holds_resources[item.element] = 1;
      }
    }
    ready.insert(ready.end(), admitted.begin(), admitted.end());
  }

  void finish(node_id u, step_status status, std::string message,
              ready_list& ready) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    auto& st = state_[u];
    auto& rec = records_[u];
    rec.status = status;
    rec.finished = end_stamp(ready);
    if (!message.empty()) rec.message = std::move(message);
    const bool failed = status == step_status::failed || status == step_status::timed_out;
    if (failed) {
      any_failed_.store(true, std::memory_order_release);
      if (opts_.on_failure() == failure_policy::fail_fast) stop_.request_stop();
    }
    if (nd.kind != detail::node_kind::parameter) {
      emit_step(step_event(status), u, none, rec.attempts, rec.message, rec.duration());
    }
    if (st.holds_resources) {
      st.holds_resources = false;
      release_resources(u, ready);
    }

    // Release inputs after their last reader; the output itself when nobody will read it.
    auto release = [&](detail::port_id p) {
      node_id v = d.ports[p].node;
      if (state_[v].readers.fetch_sub(1, std::memory_order_acq_rel) == 1 && !state_[v].kept) {
        state_[v].out.reset();
      }
    };
    for (std::uint32_t i = 0; i < nd.input_count; ++i) release(d.inputs[nd.first_input + i]);
    d.for_each_extra_read(u, release);
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
    outcome.run_id = run_id_;
    outcome.pipeline = def_->name;
    outcome.status = status_so_far();
    for (node_id u = 0; u < def_->nodes.size(); ++u) {
      const auto s = records_[u].status;
      if (def_->nodes[u].kind != detail::node_kind::parameter &&
          (s == step_status::failed || s == step_status::timed_out)) {
        outcome.failed_steps.emplace_back(def_->nodes[u].name);
      }
    }
    status_.store(outcome.status);
    for (node_id u : finally_) {
      const auto& nd = def_->nodes[u];
      auto& rec = records_[u];
      rec.attempts = 1;
      rec.started = stamp();
      rec.status = step_status::running;
      emit_step(event_kind::step_started, u, none, 1, {});
      std::stop_source never;
      const std::stop_token never_token = never.get_token();
      context ctx{run_id_, nd.name, u, 1, never_token, this};
      detail::invocation call{nullptr, nullptr, &state_[u].out, &ctx, &outcome};
      try {
        nd.impl->invoke(call);
        rec.status = step_status::succeeded;
      } catch (...) {
        rec.status = step_status::failed;
        rec.message = describe(std::current_exception());
      }
      rec.finished = stamp();
      emit_step(step_event(rec.status), u, none, 1, rec.message, rec.duration());
    }
  }

  void emit_step(event_kind kind, node_id u, std::uint32_t e, unsigned attempt,
                 std::string_view message, std::chrono::nanoseconds duration = {}) {
    if (opts_.observers().empty()) return;
    event ev = base_event(kind, u);
    if (e != none) ev.step = maps_[u]->names[e];
    ev.attempt = attempt;
    ev.time = stamp();
    ev.message = message;
    ev.duration = duration;
    notify(ev);
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

  /// A step time: never before the run's start, whichever thread's clock anchor it comes from.
  [[nodiscard]] sys_clock::time_point stamp() const noexcept {
    return std::max(sys_clock::time_point(step_clock::now()), started_sys_);
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
    if (opts_.observers().empty()) ready.boundary = t;
    return t;
  }

  void complete() {
    finished_sys_ = step_clock::latest(sys_clock::now());  // never before a step's time
    status_.store(status_so_far());
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
  detail::big_vector<std::uint32_t> plan_in_degree_;
  detail::big_vector<std::uint32_t> succ_;
  detail::big_vector<char> succ_tolerant_;  ///< per successor edge: accepts an absent output
  std::vector<node_id> finally_;
  std::vector<node_id> params_;  ///< the parameter nodes
  std::vector<std::unique_ptr<map_run>> maps_;  ///< by node id; empty when there are no maps
  detail::big_vector<char> movable_;
  std::vector<std::vector<resource_need>> needs_;
  detail::param_values param_values_;
  delayed_params delayed_;
  std::vector<node_id> due_;  ///< sequential runs: delayed parameters due, not yet asked for
  std::mutex provider_mutex_;  ///< one param_provider call at a time

  // state
  detail::big_vector<node_state> state_;
  detail::big_vector<step_record> records_;
  std::atomic<std::size_t> unresolved_{0};
  std::atomic<run_status> status_{run_status::pending};
  std::atomic<bool> any_failed_{false};
  std::atomic<bool> user_stop_{false};
  std::atomic<bool> unlocked_{false};
  std::stop_source stop_;
  const std::stop_token run_token_ = stop_.get_token();  ///< what steps see when no timeout applies
  std::optional<std::stop_callback<stop_forwarder>> external_link_;
  std::optional<std::stop_callback<retry_flusher>> stop_link_;
  work_queues queues_;
  std::optional<resource_pool> pool_;
  timer timer_;
  std::mutex retry_mutex_;
  std::vector<ready_item> retrying_;
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
