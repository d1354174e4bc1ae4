#pragma once
// One run as the store sees it: an observer that turns events into records, and run hooks
// that compute cache keys, serve steps from the cache or an earlier run, and persist outputs.
// It knows a run only through its read-only view (exec/run_view.hpp); the engine knows nothing
// of it.

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include <typeflow/core/codec.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/detail/threads.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/exec/hooks.hpp>
#include <typeflow/exec/run_view.hpp>
#include <typeflow/exec/status.hpp>
#include <typeflow/graph/slice.hpp>
#include <typeflow/store/detail/state.hpp>
#include <typeflow/store/detail/structure.hpp>
#include <typeflow/store/detail/type_names.hpp>
#include <typeflow/store/logs.hpp>

namespace typeflow::store_detail {

using detail::node_id;
using detail::none;

/// A step's record in an earlier run, for retries and inputs_from().
struct prior_step {
  step_status status = step_status::pending;
  std::optional<std::string> artifact;
};

/// What the store decided before the run starts.
struct launch {
  std::string kind = "run";  ///< run, retry, copy, partial
  std::string origin;
  std::string experiment;
  std::vector<std::pair<std::string, std::string>> tags;
  bool no_cache = false;
  std::string inputs_from;                            ///< a run id, or empty
  std::unordered_map<std::string, prior_step> prior;  ///< the steps of inputs_from, by name
};

inline bool persists(const detail::node& nd) { return !nd.policy || nd.policy->persist; }
inline bool caches(const detail::node& nd) { return !nd.policy || nd.policy->cache; }
inline bool is_param(const detail::node& nd) { return nd.kind == detail::node_kind::parameter; }
inline bool returns_void(const detail::node& nd) { return nd.whole == none; }
/// Finally handlers (where the definition has them) run whatever happened: never cached.
template <class K>
constexpr bool is_finally(K kind) {
  if constexpr (requires { K::finally_handler; }) {
    return kind == K::finally_handler;
  } else {
    return false;
  }
}

template <class T>
std::string number_text(T v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string{};
}

/// A parameter value as text: the parameter's own formatter where the definition has one,
/// else the built-in forms of bool, numbers and strings (which parse back exactly).
template <class Spec>
std::optional<std::string> param_text(const Spec& spec, const void* v) {
  if constexpr (requires { spec.format(v); }) {
    if (spec.format != nullptr) return spec.format(v);
  }
  const auto& t = *spec.type;
  if (t == typeid(bool)) return *static_cast<const bool*>(v) ? "true" : "false";
  if (t == typeid(std::string)) return *static_cast<const std::string*>(v);
#define TYPEFLOW_STORE_NUMBER(T) \
  if (t == typeid(T)) return number_text(*static_cast<const T*>(v));
  TYPEFLOW_STORE_NUMBER(int)
  TYPEFLOW_STORE_NUMBER(unsigned)
  TYPEFLOW_STORE_NUMBER(long)
  TYPEFLOW_STORE_NUMBER(unsigned long)
  TYPEFLOW_STORE_NUMBER(long long)
  TYPEFLOW_STORE_NUMBER(unsigned long long)
  TYPEFLOW_STORE_NUMBER(short)
  TYPEFLOW_STORE_NUMBER(unsigned short)
  TYPEFLOW_STORE_NUMBER(signed char)
  TYPEFLOW_STORE_NUMBER(unsigned char)
  TYPEFLOW_STORE_NUMBER(float)
  TYPEFLOW_STORE_NUMBER(double)
  TYPEFLOW_STORE_NUMBER(long double)
#undef TYPEFLOW_STORE_NUMBER
  return std::nullopt;
}

class recorder final : public run_hooks, public observer {
 public:
  recorder(std::shared_ptr<store_state> st, launch l) : st_(std::move(st)), l_(std::move(l)) {}
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;
  ~recorder() override { stop_heartbeat(); }

  [[nodiscard]] std::stop_token stop_token() const { return stop_.get_token(); }
  [[nodiscard]] std::stop_source& stop_source() noexcept { return stop_; }
  [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }

  // ------------------------------------------------------------------- run_hooks
  void prepare(const run_view& run) override {
    run_ = run;
    def_ = &run.definition();
    run_id_ = run.run_id();
    const auto& d = *def_;
    const auto n = d.nodes.size();
    identity_.assign(n, {});
    key_.assign(n, {});
    artifact_.assign(n, {});
    keyed_ = std::make_unique<std::atomic<bool>[]>(n);
    cached_.assign(n, 0);
    mode_.assign(n, mode::run);
    input_paths_.resize(d.inputs.size());
    for (std::size_t i = 0; i < d.inputs.size(); ++i) input_paths_[i] = port_path(d, d.inputs[i]);

    op_run_params begin;
    delayed_.assign(n, 0);
    for (node_id u = 0; u < n; ++u) {
      const auto& nd = d.nodes[u];
      if (!is_param(nd)) continue;
      if (run.param_value(u) == nullptr) {  // delayed: its value comes while the run goes on
        delayed_[u] = 1;
        continue;
      }
      auto row = param_record(run, u);
      identity_[u] = row.second;
      begin.params.push_back(std::move(row.first));
    }
    plan(run);

    // The run's row is in the store already (store_state::begin_run): its parameters now.
    begin.run = run_id_;
    st_->w.push(std::move(begin));
    begun_ = true;
    heartbeat_ =
        detail::start_thread("the run store's heartbeat thread", [this] { heartbeat_loop(); });
  }

  bool restore(const run_view& run, std::uint32_t u, detail::box& out, bool selected) override {
    const auto& nd = def_->nodes[u];
    if (!selected) {
      switch (mode_[u]) {
        case mode::load:
          load_into(nd, artifact_[u], out);
          cached_[u] = 1;
          return true;
        case mode::stub:  // only its status is needed: nothing downstream in the run reads it
          cached_[u] = 1;
          return true;
        default: return false;
      }
    }
    const auto& key = key_of(run, u);
    if (l_.no_cache || !caches(nd) || key.empty()) return false;
    std::optional<store_state::cache_entry> entry;
    try {
      entry = st_->lookup_cache(key);
    } catch (const std::exception&) {
      return false;  // the cache cannot be read now: run the step
    }
    if (!entry) return false;
    if (!entry->artifact) {
      if (!returns_void(nd)) return false;
      identity_[u] = "void:" + key;
      cached_[u] = 1;
      return true;
    }
    const std::string& hash = *entry->artifact;
    if (nd.codec == nullptr || !persists(nd)) return false;
    try {
      if (entry->bytes) {
        if (hash128(*entry->bytes) != hash) return false;  // damaged: run the step
        nd.codec->decode(*entry->bytes, out);
      } else {
        load_into(nd, hash, out);
      }
    } catch (const std::exception&) {
      out.reset();  // a damaged or vanished entry is a miss: the step runs again
      return false;
    }
    identity_[u] = hash;
    artifact_[u] = hash;
    cached_[u] = 1;
    return true;
  }

  void produced(const run_view& run, std::uint32_t u, const detail::box& out) override {
    const auto& nd = def_->nodes[u];
    const auto& key = key_of(run, u);
    const bool cacheable = caches(nd) && !key.empty();
    if (!out.has_value()) {
      if (returns_void(nd)) identity_[u] = key.empty() ? std::string{} : "void:" + key;
      return;
    }
    if (nd.codec == nullptr || !persists(nd)) {
      identity_[u] = cacheable ? "k:" + key : std::string{};
      return;
    }
    op_artifact op;
    op.run = run_id_;
    op.type = nd.codec->type_name();
    op.codec_version = nd.codec->version();
    auto bytes = std::make_shared<std::vector<std::byte>>();
    std::vector<detail::codec_span> spans;
    nd.codec->encode_gathered(out.get(), *bytes, spans);
    if (spans.empty()) {
      op.hash = hash128(*bytes);
      op.size = bytes->size();
      op.bytes = std::move(bytes);
    } else {
      // Long runs of the output's own memory: hashed and written from where they are, here,
      // while the output is alive; no copy of a large output waits in the writer's queue.
      auto parts = gathered_parts(*bytes, spans);
      op.hash = hash128(parts);
      for (auto part : parts) op.size += part.size();
      // An artifact that is there already goes to the writer as a copy, as small ones do: a
      // delete in another process may collect it before this run's rows refer to it, and the
      // writer then writes it again.
      bool written = false;
      if (op.size > st_->cfg.inline_limit) {
        try {
          written = st_->files.write(op.hash, parts);  // false: it was there already
        } catch (const store_error&) {  // the writer tries again with a copy, and reports it
        }
      }
      if (!written) {
        auto joined = std::make_shared<std::vector<std::byte>>();
        joined->reserve(op.size);
        for (auto part : parts) joined->insert(joined->end(), part.begin(), part.end());
        op.bytes = std::move(joined);
      }
    }
    identity_[u] = op.hash;
    artifact_[u] = op.hash;
    st_->w.push(std::move(op));
  }

  /// The encoding in order: copied bytes between the referred spans.
  static std::vector<std::span<const std::byte>> gathered_parts(
      const std::vector<std::byte>& copied, const std::vector<detail::codec_span>& spans) {
    std::vector<std::span<const std::byte>> parts;
    parts.reserve(2 * spans.size() + 1);
    std::size_t at = 0;
    for (const auto& s : spans) {
      if (s.at > at) parts.emplace_back(copied.data() + at, s.at - at);
      parts.emplace_back(s.data, s.size);
      at = s.at;
    }
    if (copied.size() > at) parts.emplace_back(copied.data() + at, copied.size() - at);
    return parts;
  }

  // ------------------------------------------------------------------- observer
  void on_event(const event& e) override {
    switch (e.kind) {
      case event_kind::step_started: {
        op_step s;
        s.run = run_id_;
        s.step = std::string(e.step);
        s.node = e.node;
        s.status = "running";
        s.attempts = e.attempt;
        s.started = to_us(e.time);
        st_->w.push(std::move(s));
        break;
      }
      case event_kind::step_succeeded:
      case event_kind::step_failed:
      case event_kind::step_timed_out:
      case event_kind::step_skipped:
      case event_kind::step_cancelled: {
        op_step s;
        s.run = run_id_;
        s.step = std::string(e.step);
        s.node = e.node;
        const bool own_node = e.node < cached_.size() && def_->nodes[e.node].name == e.step;
        const bool cached = own_node && cached_[e.node] != 0;
        s.status = cached ? "cached" : std::string(to_string(status_of(e.kind)));
        s.attempts = e.attempt;
        s.ended = to_us(e.time);
        s.started = to_us(e.time - e.duration);
        s.message = std::string(e.message);
        s.finished = true;
        s.cache_hit = cached;
        if (own_node && !key_[e.node].empty()) s.cache_key = key_[e.node];
        if (own_node && !artifact_[e.node].empty() && produced_outputs(status_of(e.kind))) {
          s.artifact = artifact_[e.node];
        }
        st_->w.push(std::move(s));
        break;
      }
      case event_kind::metric:
        st_->w.push(op_metric{run_id_, std::string(e.step), std::string(e.metric), e.value, e.index,
                              to_us(e.time)});
        break;
      case event_kind::step_log: {
        // A map element's lines come under its own name, train[3]: they go to train.3/.
        std::optional<std::size_t> element;
        if (e.node < def_->nodes.size() && def_->nodes[e.node].name != e.step) {
          if (auto ref = parse_step_ref(e.step)) element = ref->element;
        }
        const auto step = e.node < def_->nodes.size() ? def_->nodes[e.node].name : e.step;
        st_->w.push(op_log{run_id_,
                           attempt_log_path(st_->dir, run_id_, step, element, e.attempt).string(),
                           std::string(e.message)});
        break;
      }
      case event_kind::run_finished:
        record_delayed_params();
        st_->w.push(op_run_end{run_id_, std::string(to_string(e.status)), {}, to_us(e.time)});
        break;
      default: break;
    }
  }

  /// After the run: stops the heartbeat and waits until every record is committed.
  void finish() {
    stop_heartbeat();
    st_->w.flush();
  }

  /// The id of the run's row, inserted before the run starts.
  void reserved(std::string id) { reserved_ = std::move(id); }

  /// When the run could not start, or failed in the engine: a run that got as far as
  /// prepare() is recorded failed with the reason; the row of one that did not goes.
  void abandon(const std::string& why) {
    stop_heartbeat();
    if (begun_) {
      st_->w.push(op_run_end{run_id_, "failed", why, now_us()});
    } else if (!reserved_.empty()) {
      st_->w.push(op_run_discard{reserved_});
    }
    st_->w.flush();
  }

 private:
  enum class mode : std::uint8_t { run, load, stub, skip };

  static step_status status_of(event_kind k) {
    switch (k) {
      case event_kind::step_failed: return step_status::failed;
      case event_kind::step_timed_out: return step_status::timed_out;
      case event_kind::step_skipped: return step_status::skipped;
      case event_kind::step_cancelled: return step_status::cancelled;
      default: return step_status::succeeded;
    }
  }

  /// A parameter's record (text, hash of its encoding) and its identity in cache keys.
  std::pair<param_row, std::string> param_record(const run_view& run, node_id u) const {
    const auto& nd = def_->nodes[u];
    const void* value = run.param_value(u);
    param_row row;
    row.name = std::string(nd.name);
    row.type = nd.param->type_name;
    row.value = param_text(*nd.param, value);
    row.is_default = value == nd.param->default_value.get();
    std::string identity;
    if (nd.codec != nullptr) {
      std::vector<std::byte> bytes;
      nd.codec->encode(value, bytes);
      row.value_hash = hash128(bytes);
      identity = "p:" + *row.value_hash;
    } else if (row.value) {
      identity = "t:" + *row.value;
    }
    return {std::move(row), std::move(identity)};
  }

  /// The identity of an input's source; a delayed parameter's is made when first asked for
  /// (its value is known by then: its consumer is about to run).
  std::string source_identity(const run_view& run, node_id src) {
    if (!delayed_[src]) return identity_[src];
    std::lock_guard lock(delayed_mutex_);
    auto it = delayed_identity_.find(src);
    if (it == delayed_identity_.end()) {
      if (run.param_value(src) == nullptr) return {};
      it = delayed_identity_.emplace(src, param_record(run, src).second).first;
    }
    return it->second;
  }

  void record_delayed_params() {
    if (!run_) return;
    op_run_params op{run_id_, {}};
    for (node_id u = 0; u < delayed_.size(); ++u) {
      if (delayed_[u] && run_->param_value(u) != nullptr)
        op.params.push_back(param_record(*run_, u).first);
    }
    if (!op.params.empty()) st_->w.push(std::move(op));
  }

  /// The cache key of step u, computed once its inputs are known; empty when an input has no
  /// identity (an output that was neither persisted nor cacheable).
  const std::string& key_of(const run_view& run, node_id u) {
    if (!keyed_[u].load(std::memory_order_acquire)) {
      key_[u] = compute_key(run, u);
      keyed_[u].store(true, std::memory_order_release);
    }
    return key_[u];
  }

  std::string compute_key(const run_view& run, node_id u) {
    const auto& d = *def_;
    const auto& nd = d.nodes[u];
    if (is_finally(nd.kind)) return {};  // it reads how the run went, which no key covers
    std::string k = "typeflow-key-1\n" + d.name + "\n" + std::string(nd.name) + "\n" +
                    (nd.policy ? nd.policy->version : std::string{}) + "\n" + type_of(nd) + "\n" +
                    (nd.codec != nullptr ? std::to_string(nd.codec->version()) : "-") + "\n";
    for (std::uint32_t i = 0; i < nd.input_count; ++i) {
      auto p = d.inputs[nd.first_input + i];
      auto src = d.ports[p].node;
      auto id = source_identity(run, src);
      if (id.empty() && src < run.size() && run.record(src).status == step_status::skipped) {
        id = "absent";  // an optional input whose branch did not run
      }
      if (id.empty()) return {};
      k += id;
      k += input_paths_[nd.first_input + i];
      k += '\n';
    }
    return hash128(k);
  }

  void load_into(const detail::node& nd, const std::string& hash, detail::box& out) {
    if (nd.codec == nullptr) {
      throw run_error("typeflow: step '" + std::string(nd.name) + "' has no codec to decode " +
                      hash);
    }
    const std::string name(nd.name);
    auto bytes = st_->read_artifact(
        hash, "the output of step '" + name +
                  (l_.prior.count(name) != 0 ? "' of run " + l_.inputs_from : "' in the cache"));
    nd.codec->decode(bytes, out);
  }

  /// For a partial run: how each step outside the selection is served. Steps the selection
  /// reads are loaded (from inputs_from's run, else the cache); steps only waited for are
  /// marked cached without loading; the rest are skipped. Throws when a value is missing.
  void plan(const run_view& run) {
    const auto& d = *def_;
    const auto& sel = run.selection();
    const auto n = d.nodes.size();
    if (sel.empty()) return;
    detail::dependencies deps{d};
    std::vector<char> needed(n, 0), load(n, 0);
    std::vector<std::vector<node_id>> readers(n);
    for (auto v = n; v-- > 0;) {
      if (!sel[v] && !needed[v]) continue;
      for (const auto& p : deps.preds[v]) {
        if (sel[p.node] || is_param(d.nodes[p.node])) continue;
        needed[p.node] = 1;
        if (sel[v] && p.reads_value) {
          load[p.node] = 1;
          readers[p.node].push_back(static_cast<node_id>(v));
        }
      }
    }
    std::vector<node_id> missing;
    for (node_id u = 0; u < n; ++u) {
      const auto& nd = d.nodes[u];
      if (is_param(nd) || sel[u]) continue;
      if (!needed[u]) {
        mode_[u] = mode::skip;
        continue;
      }
      std::optional<std::string> art;
      if (auto it = l_.prior.find(std::string(nd.name));
          it != l_.prior.end() && produced_outputs(it->second.status)) {
        art = it->second.artifact;
      }
      if (!art && !returns_void(nd)) {
        const auto& key = key_of(run, u);
        if (!key.empty()) {
          if (auto entry = st_->lookup_cache(key)) art = entry->artifact;
        }
      }
      if (art && !st_->artifact_available(*art)) art.reset();
      if (art) {
        identity_[u] = *art;
        artifact_[u] = *art;
      } else if (returns_void(nd) || !persists(nd) || nd.codec == nullptr) {
        // Not stored, but named as a run that made it names it (by its key, from its inputs'
        // identities, known by now: ids are a topological order), so that the cache keys of
        // the steps after it match those of earlier runs.
        const auto& key = key_of(run, u);
        if (!key.empty() && (returns_void(nd) || caches(nd))) {
          identity_[u] = (returns_void(nd) ? "void:" : "k:") + key;
        }
      }
      mode_[u] = load[u] ? mode::load : mode::stub;
      if (load[u] && !art) missing.push_back(u);
    }
    if (missing.empty()) return;
    std::string list;
    for (auto u : missing) {
      list += "\n  '" + std::string(d.nodes[u].name) + "' (read by ";
      for (std::size_t i = 0; i < readers[u].size(); ++i) {
        list += (i == 0 ? "'" : ", '") + std::string(d.nodes[readers[u][i]].name) + "'";
      }
      list += ")";
    }
    throw run_error("typeflow: cannot start this partial run of pipeline '" + d.name +
                    "': the selected steps read outputs that are in neither the run store's cache" +
                    (l_.inputs_from.empty() ? std::string{} : " nor run " + l_.inputs_from) + ":" +
                    list +
                    "\nSelect those steps too, or take their outputs from a run that made them "
                    "with inputs_from(run)");
  }

  void heartbeat_loop() {
    std::unique_lock lock(hb_mutex_);
    for (;;) {
      if (hb_cv_.wait_for(lock, st_->cfg.heartbeat, [&] { return hb_stop_; })) return;
      lock.unlock();
      st_->w.push(op_heartbeat{run_id_, now_us()});
      if (stop_requested()) stop_.request_stop();
      lock.lock();
    }
  }

  bool stop_requested() {
    try {
      std::lock_guard db_lock(st_->db_mutex);
      auto& q = st_->db.cached("SELECT stop_requested FROM runs WHERE id = ?");
      q.bind_all(run_id_);
      bool yes = q.step() && q.int64(0) != 0;
      q.reset();
      return yes;
    } catch (const std::exception&) {
      return false;  // a busy database now is no reason to stop; the next beat asks again
    }
  }

  void stop_heartbeat() {
    {
      std::lock_guard lock(hb_mutex_);
      hb_stop_ = true;
    }
    hb_cv_.notify_all();
    if (heartbeat_.joinable()) heartbeat_.join();
  }

  std::shared_ptr<store_state> st_;
  launch l_;
  std::optional<run_view> run_;  ///< valid from prepare() to the run's end
  const detail::definition* def_ = nullptr;
  std::string run_id_;
  std::string reserved_;  ///< the id begin_run inserted
  bool begun_ = false;
  // Per node. Each entry is written by the thread that resolves the node, before the engine
  // makes its successors ready; readers come after (the engine's counters order them).
  std::vector<std::string> identity_;  ///< the output's content (artifact hash), or a proxy
  std::vector<std::string> key_;
  std::unique_ptr<std::atomic<bool>[]> keyed_;
  std::vector<std::string> artifact_;
  std::vector<char> cached_;
  std::vector<mode> mode_;
  std::vector<std::string> input_paths_;  ///< per data input
  std::vector<char> delayed_;             ///< parameters without a value when the run began
  std::mutex delayed_mutex_;
  std::unordered_map<node_id, std::string> delayed_identity_;

  std::stop_source stop_;
  std::mutex hb_mutex_;
  std::condition_variable hb_cv_;
  bool hb_stop_ = false;
  std::thread heartbeat_;
};

}  // namespace typeflow::store_detail
