#pragma once
// The run store's member functions (store/store.hpp): included by store.hpp in header-only
// mode, compiled once into typeflow::store (src/store.cpp) in compiled mode.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/result.hpp>
#include <typeflow/exec/run.hpp>
#include <typeflow/exec/run_id.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/slice.hpp>
#include <typeflow/store/detail/recorder.hpp>
#include <typeflow/store/detail/state.hpp>
#include <typeflow/store/errors.hpp>
#include <typeflow/store/logs.hpp>
#include <typeflow/store/options.hpp>
#include <typeflow/store/records.hpp>
#include <typeflow/store/store.hpp>
#include <typeflow/store/structure_hash.hpp>

namespace typeflow {

namespace store_detail {

inline constexpr const char* run_columns =
    "id, pipeline, structure_hash, status, started, ended, heartbeat, host, pid, experiment, "
    "kind, coalesce(origin, ''), message, stop_requested";

/// The directories a run has under the store's, named by its id: its steps' logs (logs/, see
/// store/logs.hpp) and its jobs' task and result files (jobs/, launch/job_files.hpp).
inline constexpr const char* run_dirs[] = {"logs", "jobs"};

/// Removes the per-run directories (logs/<run id>/, jobs/<run id>/) of runs that have no row:
/// deleted by a process that could not remove them, or written by a run deleted while it ran.
/// A run's row is committed before it can write there, so the listing is made first, then the
/// rows are read.
inline void remove_orphan_logs(store_state& st) {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const char* kind : run_dirs) {
    for (fs::directory_iterator it(st.dir / kind, ec), end; !ec && it != end; it.increment(ec)) {
      dirs.push_back(it->path());
    }
    ec.clear();
  }
  if (dirs.empty()) return;
  std::unordered_set<std::string> ids;
  {
    std::lock_guard lock(st.db_mutex);
    auto q = st.db.prepare("SELECT id FROM runs");
    while (q.step()) ids.insert(q.text(0));
  }
  for (const auto& d : dirs) {
    const auto id = d.filename().string();
    if (ids.count(id) != 0 || !usable_run_id(id)) continue;
    fs::remove_all(d, ec);
  }
}

/// Every artifact hash (32 digits of 0-9a-f standing alone) that a file below `dir` names.
inline std::unordered_set<std::string> hashes_named_under(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::unordered_set<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->file_size(ec) > (std::uint64_t{1} << 20)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    for (std::size_t i = 0; i + 32 <= text.size(); ++i) {
      if (!hex(text[i]) || (i > 0 && hex(text[i - 1]))) continue;
      std::size_t n = 0;
      while (i + n < text.size() && hex(text[i + n])) ++n;
      if (n == 32) out.insert(text.substr(i, 32));
      i += n;
    }
  }
  return out;
}

/// Seconds since a time in the store, for messages.
inline std::string seconds_ago(std::int64_t us) {
  return std::to_string(std::max<std::int64_t>(0, now_us() - us) / 1000000) + " s ago";
}

/// Where a step's row is, for errors about values read back from it.
inline std::string step_row(const std::string& run, const std::string& step) {
  return "the step_runs row of run " + shown(run) + ", step '" + shown(step) + "',";
}

/// A step's status read back from runs.db; an unknown one is refused by name.
inline step_status checked_step_status(const std::string& text, const std::string& run,
                                       const std::string& step) {
  auto st = parse_status<step_status>(text);
  if (!st) damaged(step_row(run, step), "has an unknown status '" + shown(text) + "'");
  return *st;
}

inline run_info read_run(const statement& s) {
  run_info r;
  r.id = s.text(0);
  if (!usable_run_id(r.id)) damaged("a runs row", "has run id '" + shown(r.id) + "'");
  r.pipeline = s.text(1);
  r.structure_hash = s.text(2);
  auto status = parse_status<run_status>(s.text(3));
  if (!status) {
    damaged("the runs row of run " + r.id, "has an unknown status '" + shown(s.text(3)) + "'");
  }
  r.status = *status;
  r.started = from_us(s.int64(4));
  if (auto e = s.maybe_int64(5)) r.ended = from_us(*e);
  r.heartbeat = from_us(s.int64(6));
  r.host = s.text(7);
  r.pid = s.int64(8);
  r.experiment = s.text(9);
  r.kind = s.text(10);
  r.origin = s.text(11);
  r.message = s.text(12);
  r.stop_requested = s.int64(13) != 0;
  return r;
}

/// Why a `running` run's process is taken for dead, or "" while it may be alive. On this host
/// the process itself tells (a paused one is alive, however old its heartbeat); of another
/// host's run, or one whose process start is not known, only the heartbeat's age (older than
/// `stale` microseconds).
inline std::string death_of(const std::string& host, std::int64_t pid, const std::string& start,
                            std::int64_t heartbeat, const std::string& this_host,
                            std::int64_t stale) {
  const auto alive = process_liveness(host, pid, start, this_host);
  const auto process = "its process (pid " + std::to_string(pid) + " on " + host + ")";
  if (alive == liveness::alive) return {};
  if (alive == liveness::dead) return process + " died";
  const auto now = now_us();
  if (now - heartbeat > stale) {
    return process + " stopped reporting " + std::to_string((now - heartbeat) / 1000000) + "s ago";
  }
  return {};
}

/// The steps of run `id` by name; the caller does not hold the lock.
inline std::unordered_map<std::string, prior_step> prior_steps(store_state& st,
                                                               const std::string& id) {
  std::unordered_map<std::string, prior_step> out;
  std::lock_guard lock(st.db_mutex);
  auto& q = st.db.cached("SELECT step, status, artifact FROM step_runs WHERE run_id = ?");
  q.bind_all(id);
  try {
    while (q.step()) {
      auto step = q.text(0);
      auto artifact = q.maybe_text(2);
      if (artifact) checked_hash(*artifact, step_row(id, step));
      out[step] = {checked_step_status(q.text(1), id, step), std::move(artifact)};
    }
  } catch (...) {
    q.reset();
    throw;
  }
  q.reset();
  return out;
}

inline launch base_launch(const store_options& o) {
  launch l;
  l.experiment = o.experiment().value_or("");
  l.tags = o.tags();
  l.no_cache = o.no_cache();
  return l;
}

inline void check_same_pipeline(const pipeline& p, const run_info& r, std::string_view what) {
  if (r.pipeline != p.name()) {
    throw store_error("typeflow: cannot " + std::string(what) + " run " + r.id + " of pipeline '" +
                      r.pipeline + "' with pipeline '" + std::string(p.name()) + "'");
  }
}

struct forward_stop {
  std::stop_source* target;
  void operator()() const noexcept { target->request_stop(); }
};

/// Runs `p` recorded by a recorder on `st`, with the selection and parameter overrides given.
inline stored_run launch_run(const std::shared_ptr<store_state>& st, const pipeline& p,
                             const store_options& o, launch l, std::vector<bool> selection,
                             const std::vector<std::pair<std::string, std::string>>& overrides) {
  if (st->disk_full()) {
    throw store_error("typeflow: run store: cannot record a run in '" + st->dir.string() +
                      "': it could be opened for reading and deleting only, as on a full disk (" +
                      st->db.why_exclusive() + "); free space, for one by deleting runs");
  }
  run_row row;
  row.pipeline = p.name();
  row.structure_hash = structure_hash(*p.definition());
  row.host = st->host;
  row.pid = st->pid;
  row.process_start = st->start;
  row.started = now_us();
  row.experiment = l.experiment;
  row.kind = l.kind;
  if (!l.origin.empty()) row.origin = l.origin;
  row.tags = l.tags;
  auto rec = std::make_shared<recorder>(st, std::move(l));
  run_options ro = o.base();
  for (const auto& extra : o.observers()) ro.observe(extra);
  ro.hooks(rec).observe(std::shared_ptr<observer>(rec)).select(std::move(selection));
  const bool chosen = !ro.run_id().empty();
  if (!chosen) ro.run_id(make_run_id());
  if (!usable_run_id(ro.run_id())) {
    throw store_error("typeflow: run id '" + shown(ro.run_id()) +
                      "' cannot be stored: it is empty, '.' or '..', or has '/', '\\' or control "
                      "characters");
  }
  for (const auto& [k, v] : overrides) ro.set(k, v);
  // The run stops on a request recorded in the store, and on the caller's own token.
  std::optional<std::stop_callback<forward_stop>> link;
  if (o.base().external_stop().stop_possible()) {
    link.emplace(o.base().external_stop(), forward_stop{&rec->stop_source()});
  }
  ro.stop_token(rec->stop_token());
  // The run's row first, last before it starts: an id already in the store is never given to
  // a second run (a generated one is drawn again, a chosen one refused).
  row.id = ro.run_id();
  std::function<std::string()> fresh;
  if (!chosen) fresh = [] { return make_run_id(); };
  ro.run_id(st->begin_run(std::move(row), fresh));
  rec->reserved(ro.run_id());
  std::optional<run_result> result;
  try {
    result.emplace(o.sequential() ? typeflow::run(p, sequential, ro) : typeflow::run(p, ro));
  } catch (const std::exception& e) {
    rec->abandon(e.what());
    throw;
  }
  rec->finish();
  auto errors = st->w.errors_of(result->run_id());
  return stored_run{std::move(*result), errors.count, errors.first, errors.lost_text()};
}

}  // namespace store_detail

TYPEFLOW_INLINE store::store() : store(default_path()) {}

TYPEFLOW_INLINE store::store(std::filesystem::path dir, store_config cfg)
    : st_(std::make_shared<store_detail::store_state>(std::move(dir), cfg)) {
  if (cfg.read_only) return;     // finds no runs interrupted, removes nothing
  if (st_->disk_full()) return;  // a full disk: reading and deleting only
  try {
    recover();
  } catch (const store_detail::sqlite_error& e) {
    if (!e.disk()) throw;  // a full disk: the next open marks them
  }
  st_->files.clean_temporaries(st_->host);
  st_->keep_reserve();
}

TYPEFLOW_INLINE std::filesystem::path store::default_path() {
  if (const char* env = std::getenv("TYPEFLOW_STORE"); env != nullptr && *env != '\0') return env;
  return ".typeflow";
}

TYPEFLOW_INLINE const std::filesystem::path& store::path() const noexcept { return st_->dir; }

TYPEFLOW_INLINE stored_run store::run(const pipeline& p, const store_options& o) {
  st_->require_writable("start a run");
  auto l = store_detail::base_launch(o);
  auto selection = typeflow::slice(*p.definition(), o.selection());
  if (!selection.empty()) l.kind = "partial";
  if (!o.inputs_from().empty()) {
    l.inputs_from = resolve(o.inputs_from());
    l.origin = l.inputs_from;
    l.prior = store_detail::prior_steps(*st_, l.inputs_from);
  }
  return store_detail::launch_run(st_, p, o, std::move(l), std::move(selection), o.overrides());
}

TYPEFLOW_INLINE stored_run store::retry(const pipeline& p, std::string_view run,
                                        const store_options& o) {
  st_->require_writable("retry a run");
  auto origin = info(resolve(run));
  store_detail::check_same_pipeline(p, origin, "retry");
  if (origin.status == run_status::running) {
    throw store_error("typeflow: run " + origin.id + " is still running; stop it first");
  }
  if (origin.status == run_status::succeeded) {
    throw store_error("typeflow: run " + origin.id +
                      " succeeded: there is nothing to retry (copy() runs it again)");
  }
  if (!o.overrides().empty()) {
    throw store_error("typeflow: retry() reuses the parameters of run " + origin.id +
                      "; to change them, copy() the run");
  }
  auto l = store_detail::base_launch(o);
  if (!o.experiment()) l.experiment = origin.experiment;
  if (o.tags().empty()) l.tags.assign(origin.tags.begin(), origin.tags.end());
  l.kind = "retry";
  l.origin = origin.id;
  l.inputs_from = origin.id;
  l.prior = store_detail::prior_steps(*st_, origin.id);

  const auto& d = *p.definition();
  const auto n = d.nodes.size();
  std::vector<bool> selection(n, true);
  auto available = [&](detail::node_id u) {
    auto it = l.prior.find(std::string(d.nodes[u].name));
    if (it == l.prior.end() || !produced_outputs(it->second.status)) return false;
    if (store_detail::returns_void(d.nodes[u])) return true;
    return it->second.artifact && st_->artifact_available(*it->second.artifact);
  };
  for (detail::node_id u = 0; u < n; ++u) {
    if (store_detail::is_param(d.nodes[u])) continue;
    auto it = l.prior.find(std::string(d.nodes[u].name));
    selection[u] = it == l.prior.end() || !produced_outputs(it->second.status);
  }
  // A step that runs again reads its inputs; one whose output was not stored runs too.
  detail::dependencies deps{d};
  for (auto v = n; v-- > 0;) {
    if (!selection[v]) continue;
    for (const auto& pr : deps.preds[v]) {
      if (!selection[pr.node] && pr.reads_value && !available(pr.node)) selection[pr.node] = true;
    }
  }
  return store_detail::launch_run(st_, p, o, std::move(l), std::move(selection),
                                  params_of(p, origin));
}

TYPEFLOW_INLINE stored_run store::copy(const pipeline& p, std::string_view run,
                                       const store_options& o) {
  st_->require_writable("copy a run");
  auto origin = info(resolve(run));
  store_detail::check_same_pipeline(p, origin, "copy");
  auto l = store_detail::base_launch(o);
  if (!o.experiment()) l.experiment = origin.experiment;
  if (o.tags().empty()) l.tags.assign(origin.tags.begin(), origin.tags.end());
  l.kind = "copy";
  l.origin = origin.id;
  auto selection = typeflow::slice(*p.definition(), o.selection());
  if (!o.inputs_from().empty()) {
    l.inputs_from = resolve(o.inputs_from());
    l.prior = store_detail::prior_steps(*st_, l.inputs_from);
  }
  auto overrides = params_of(p, origin);
  overrides.insert(overrides.end(), o.overrides().begin(), o.overrides().end());
  return store_detail::launch_run(st_, p, o, std::move(l), std::move(selection), overrides);
}

TYPEFLOW_INLINE void store::stop(std::string_view run) {
  st_->require_writable("stop a run");
  auto id = resolve(run);
  std::lock_guard lock(st_->db_mutex);
  store_detail::transaction tx{st_->db};
  st_->db.cached("UPDATE runs SET stop_requested = 1 WHERE id = ? AND status = 'running'")
      .bind_all(id)
      .run();
  bool changed = st_->db.changes() != 0;
  tx.commit();
  if (!changed) throw store_error("typeflow: run " + id + " is not running");
}

TYPEFLOW_INLINE std::string store::resolve(std::string_view run) const {
  std::lock_guard lock(st_->db_mutex);
  if (run == "latest") {
    auto& q = st_->db.cached("SELECT id FROM runs ORDER BY id DESC LIMIT 1");
    if (!q.step())
      throw store_error("typeflow: the run store in '" + path_text() + "' has no runs yet");
    auto id = q.text(0);
    q.reset();
    if (!store_detail::usable_run_id(id)) {
      store_detail::damaged("the newest runs row", "has run id '" + store_detail::shown(id) + "'");
    }
    return id;
  }
  if (run.empty() || run.size() > 12 || !std::all_of(run.begin(), run.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
      })) {
    throw unknown_run_error(
        "typeflow: '" + std::string(run) +
        "' is not a run id (12 characters of 0-9 and a-z, a prefix, or 'latest')");
  }
  // A range of the primary key, then the exact test: the ids that start with the prefix sort
  // from it up to it + '{' (the character after 'z'). Not a scan of every run (1.4 ms a
  // request with 10,000 runs, the UI's load check: docs/performance.md).
  auto& q = st_->db.cached(
      "SELECT id FROM runs WHERE id >= ?2 AND id < ?3 AND substr(id, 1, ?1) = ?2 ORDER BY id "
      "LIMIT 3");
  q.bind_all(static_cast<std::int64_t>(run.size()), run, std::string(run) + "{");
  std::vector<std::string> found;
  while (q.step()) found.push_back(q.text(0));
  q.reset();
  if (found.empty()) {
    throw unknown_run_error("typeflow: no run '" + std::string(run) + "' in the run store in '" +
                            path_text() + "'");
  }
  if (found.size() > 1 && found[0] != run) {
    std::string list;
    for (const auto& f : found) list += (list.empty() ? "" : ", ") + store_detail::shown(f);
    throw unknown_run_error("typeflow: run prefix '" + std::string(run) +
                            "' is ambiguous: it matches " + list +
                            (found.size() > 2 ? ", ..." : ""));
  }
  if (!store_detail::usable_run_id(found[0])) {
    store_detail::damaged("a runs row", "has run id '" + store_detail::shown(found[0]) + "'");
  }
  return found[0];
}

TYPEFLOW_INLINE std::vector<run_info> store::runs(const run_query& q) const {
  std::vector<std::string> refused;
  auto out = runs(q, refused);
  if (!refused.empty()) throw store_error(refused.front());
  return out;
}

TYPEFLOW_INLINE std::vector<run_info> store::runs(const run_query& q,
                                                  std::vector<std::string>& refused) const {
  std::string sql = "SELECT " + std::string(store_detail::run_columns) + " FROM runs WHERE 1 = 1";
  std::vector<std::string> args;
  if (q.status()) {
    sql += " AND status = ?";
    args.emplace_back(to_string(*q.status()));
  }
  if (q.pipeline()) {
    sql += " AND pipeline = ?";
    args.push_back(*q.pipeline());
  }
  if (q.experiment()) {
    sql += " AND experiment = ?";
    args.push_back(*q.experiment());
  }
  for (const auto& [k, v] : q.tags()) {
    sql +=
        " AND EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.key = ? AND "
        "t.value = ?)";
    args.push_back(k);
    args.push_back(v);
  }
  for (const auto& [k, v] : q.params()) {
    sql +=
        " AND EXISTS (SELECT 1 FROM run_params p WHERE p.run_id = runs.id AND p.name = ? AND "
        "p.value = ?)";
    args.push_back(k);
    args.push_back(v);
  }
  if (q.since()) {
    sql += " AND started >= CAST(? AS INTEGER)";
    args.push_back(std::to_string(store_detail::to_us(*q.since())));
  }
  if (q.until()) {
    sql += " AND started <= CAST(? AS INTEGER)";
    args.push_back(std::to_string(store_detail::to_us(*q.until())));
  }
  sql += " ORDER BY id DESC";
  if (q.limit() != 0 || q.offset() != 0) {
    // SQLite's OFFSET needs a LIMIT; -1 is none.
    sql += " LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)";
    args.push_back(q.limit() != 0 ? std::to_string(q.limit()) : std::string("-1"));
    args.push_back(std::to_string(q.offset()));
  }
  std::lock_guard lock(st_->db_mutex);
  auto stmt = st_->db.prepare(sql);
  for (std::size_t i = 0; i < args.size(); ++i) stmt.bind(static_cast<int>(i + 1), args[i]);
  std::vector<run_info> out;
  while (stmt.step()) {
    try {
      out.push_back(store_detail::read_run(stmt));
    } catch (const store_error& e) {  // a damaged row: named, the others listed
      refused.emplace_back(e.what());
    }
  }
  for (auto& r : out) fill_run(r);
  return out;
}

TYPEFLOW_INLINE run_details store::show(std::string_view run) const {
  run_details d;
  d.run = info(resolve(run));
  std::lock_guard lock(st_->db_mutex);
  auto& s = st_->db.cached(
      "SELECT s.step, s.status, s.attempts, s.started, s.ended, s.message, s.cache_hit, "
      "s.cache_key, s.artifact, a.size, a.type, a.codec_version FROM step_runs s "
      "LEFT JOIN artifacts a ON a.hash = s.artifact WHERE s.run_id = ? ORDER BY s.node, s.step");
  s.bind_all(d.run.id);
  // Values read back are checked before use: a damaged row is refused by name.
  auto check = [&](const step_info& si, const std::string& what, bool ok) {
    if (!ok) {
      s.reset();
      store_detail::damaged(store_detail::step_row(d.run.id, si.name), what);
    }
  };
  while (s.step()) {
    step_info si;
    si.name = s.text(0);
    auto status = parse_status<step_status>(s.text(1));
    check(si, "has an unknown status '" + store_detail::shown(s.text(1)) + "'", status.has_value());
    si.status = status.value_or(step_status::pending);
    check(si, "has attempts " + std::to_string(s.int64(2)),
          s.int64(2) >= 0 && s.int64(2) <= std::numeric_limits<unsigned>::max());
    si.attempts = static_cast<unsigned>(s.int64(2));
    if (auto t = s.maybe_int64(3)) si.started = store_detail::from_us(*t);
    if (auto t = s.maybe_int64(4)) si.ended = store_detail::from_us(*t);
    si.message = s.text(5);
    si.cache_hit = s.int64(6) != 0;
    si.cache_key = s.text(7);
    if (!s.null(8)) {
      auto hash = s.text(8);
      check(
          si,
          "has artifact hash '" + store_detail::shown(hash) + "', which is not 32 digits of 0-9a-f",
          store_detail::is_hash128(hash));
      check(si, "has an artifact of size " + std::to_string(s.int64(9)), s.int64(9) >= 0);
      check(si, "has an artifact of codec version " + std::to_string(s.int64(11)),
            s.int64(11) >= 0 && s.int64(11) <= std::numeric_limits<std::uint32_t>::max());
      si.artifact = artifact_info{s.text(8), static_cast<std::uint64_t>(s.int64(9)), s.text(10),
                                  static_cast<std::uint32_t>(s.int64(11))};
    }
    d.steps.push_back(std::move(si));
  }
  s.reset();
  auto& m = st_->db.cached(
      "SELECT step, name, value, idx, time FROM metrics WHERE run_id = ? ORDER BY rowid");
  m.bind_all(d.run.id);
  while (m.step()) {
    // A NULL value is a NaN (the writer stores NaN so; see schema.hpp's migration 2 -> 3).
    const double value = m.null(2) ? std::numeric_limits<double>::quiet_NaN() : m.real(2);
    d.metrics.push_back(
        {m.text(0), m.text(1), value, m.int64(3), store_detail::from_us(m.int64(4))});
  }
  m.reset();
  return d;
}

TYPEFLOW_INLINE comparison store::compare(const std::vector<std::string>& runs) const {
  comparison c;
  std::vector<run_details> all;
  for (const auto& r : runs) {
    all.push_back(show(r));
    c.runs.push_back(all.back().run.id);
  }
  std::set<std::string> params, metrics;
  for (const auto& d : all) {
    for (const auto& [k, v] : d.run.params) params.insert(k);
    for (const auto& m : d.metrics) metrics.insert(m.step + "." + m.name);
  }
  for (const auto& name : params) {
    comparison::row<std::string> row{name, {}};
    for (const auto& d : all) {
      auto it = d.run.params.find(name);
      row.values.push_back(it == d.run.params.end() ? std::nullopt
                                                    : std::optional<std::string>{it->second});
    }
    c.params.push_back(std::move(row));
  }
  for (const auto& name : metrics) {
    comparison::row<double> row{name, {}};
    for (const auto& d : all) {
      const metric_record* best = nullptr;
      for (const auto& m : d.metrics) {
        if (m.step + "." + m.name != name) continue;
        if (best == nullptr || m.index > best->index ||
            (m.index == best->index && m.time >= best->time)) {
          best = &m;
        }
      }
      row.values.push_back(best ? std::optional<double>{best->value} : std::nullopt);
    }
    c.metrics.push_back(std::move(row));
  }
  return c;
}

TYPEFLOW_INLINE removal store::remove(const std::vector<std::string>& runs) {
  st_->require_writable("delete runs");
  std::vector<std::string> ids;
  for (const auto& r : runs) ids.push_back(resolve(r));
  try {
    recover();  // a run whose process died since the store was opened can go
  } catch (const store_detail::sqlite_error& e) {
    if (!e.disk()) throw;  // a full disk: a dead run stays `running` (and is refused) for now
  }
  for (const auto& id : ids) (void)info(id);  // a damaged runs row is refused by name
  removal out;
  auto drop_rows = [&] {
    out.runs = 0;
    std::lock_guard lock(st_->db_mutex);
    store_detail::transaction tx{st_->db};
    for (const auto& id : ids) {
      // A run whose process is alive goes on writing: it is not deleted. (Runs whose process
      // died were marked interrupted by recover() just now.)
      auto& s = st_->db.cached(
          "SELECT status, host, pid, coalesce(process_start, ''), heartbeat FROM runs "
          "WHERE id = ?");
      s.bind_all(id);
      if (s.step()) {
        const auto status = s.text(0), host = s.text(1), start = s.text(3);
        const auto pid = s.int64(2), heartbeat = s.int64(4);
        s.reset();
        const auto alive = store_detail::process_liveness(host, pid, start, st_->host);
        const auto process = "pid " + std::to_string(pid) + " on host " + host;
        if (status == "running") {
          throw store_error("typeflow: run " + id + " is still running (" + process +
                            (alive == store_detail::liveness::alive
                                 ? ", alive"
                                 : ", last heard from " + store_detail::seconds_ago(heartbeat)) +
                            "); stop it and let it end before deleting it");
        }
        if (status == "interrupted" && alive == store_detail::liveness::alive) {
          throw store_error("typeflow: run " + id + " is marked interrupted but its process (" +
                            process +
                            ") is alive and may go on writing it; end that process before "
                            "deleting the run");
        }
      }
      s.reset();
      // Its artifacts become garbage: refuse a damaged row before anything is deleted.
      auto& a = st_->db.cached(
          "SELECT step, artifact FROM step_runs WHERE run_id = ? AND artifact IS NOT NULL");
      a.bind_all(id);
      while (a.step()) {
        auto hash = a.text(1);
        if (!store_detail::is_hash128(hash)) {
          auto step = a.text(0);
          a.reset();
          store_detail::checked_hash(hash, store_detail::step_row(id, step));
        }
      }
      a.reset();
      for (const char* sql :
           {"DELETE FROM run_params WHERE run_id = ?", "DELETE FROM run_tags WHERE run_id = ?",
            "DELETE FROM step_runs WHERE run_id = ?", "DELETE FROM metrics WHERE run_id = ?",
            "DELETE FROM param_requests WHERE run_id = ?", "DELETE FROM runs WHERE id = ?"}) {
        st_->db.cached(sql).bind_all(id).run();
      }
      ++out.runs;
    }
    tx.commit();
  };
  try {
    drop_rows();
  } catch (const store_detail::sqlite_error& e) {
    if (!e.disk()) throw;
    // A full disk: deleting rows needs room in the WAL. The store's reserve gives it; without
    // one, the files that the deletion makes garbage are removed first, then the rows (should
    // that fail again, a later delete of the same runs finishes; their outputs then read as
    // missing).
    bool retried = false;
    if (st_->release_reserve()) {
      try {
        drop_rows();
        retried = true;
      } catch (const store_detail::sqlite_error& again) {
        if (!again.disk()) throw;
      }
    }
    if (!retried) {
      if (free_files_of(ids) == 0) {
        throw store_error(std::string(e.what()) +
                          "; the disk is full, the store has no space reserve left and these "
                          "runs hold no artifact files to free first");
      }
      drop_rows();
    }
  }
  // Their logs and job files go with them (a directory left behind, e.g. unreadable, goes with the next
  // collection of garbage once it can).
  for (const auto& id : ids) {
    std::error_code ec;
    std::filesystem::remove_all(run_log_dir(st_->dir, id), ec);
    if (store_detail::usable_run_id(id)) std::filesystem::remove_all(st_->dir / "jobs" / id, ec);
  }
  auto gc = collect_garbage();
  st_->keep_reserve();
  out.artifacts = gc.artifacts;
  out.bytes = gc.bytes;
  return out;
}

TYPEFLOW_INLINE std::size_t store::free_files_of(const std::vector<std::string>& ids) {
  std::set<std::string> runs(ids.begin(), ids.end());
  std::set<std::string> hashes;
  std::lock_guard lock(st_->db_mutex);
  for (const auto& id : ids) {
    auto& q = st_->db.cached(
        "SELECT DISTINCT s.artifact FROM step_runs s JOIN artifacts a ON a.hash = s.artifact "
        "WHERE s.run_id = ? AND a.inline_bytes IS NULL");
    q.bind_all(id);
    while (q.step()) hashes.insert(q.text(0));
    q.reset();
  }
  std::size_t freed = 0;
  for (const auto& hash : hashes) {
    if (!store_detail::is_hash128(hash)) continue;  // refused by name when the rows go
    bool shared = false;
    auto& q = st_->db.cached("SELECT DISTINCT run_id FROM step_runs WHERE artifact = ?");
    q.bind_all(hash);
    while (!shared && q.step()) shared = runs.count(q.text(0)) == 0;
    q.reset();
    if (shared || !st_->files.exists(hash)) continue;
    st_->files.remove(hash);
    ++freed;
  }
  return freed;
}

TYPEFLOW_INLINE removal store::collect_garbage() {
  st_->require_writable("collect garbage");
  removal out;
  std::vector<std::pair<std::string, bool>> files;  // hash, is a file
  {
    std::lock_guard lock(st_->db_mutex);
    store_detail::transaction tx{st_->db};
    auto q = st_->db.prepare(
        "SELECT hash, size, inline_bytes IS NULL FROM artifacts WHERE hash NOT IN "
        "(SELECT artifact FROM step_runs WHERE artifact IS NOT NULL)");
    while (q.step()) {
      // Checked before anything is deleted: a damaged row is refused by name.
      auto hash = q.text(0);
      auto where = "the artifacts row '" + store_detail::shown(hash) + "'";
      store_detail::checked_hash(hash, where);
      if (q.int64(1) < 0) store_detail::damaged(where, "has size " + std::to_string(q.int64(1)));
      files.emplace_back(std::move(hash), q.int64(2) != 0);
      out.bytes += static_cast<std::uint64_t>(q.int64(1));
    }
    q.reset();
    for (const auto& [hash, is_file] : files) {
      st_->db.cached("DELETE FROM artifacts WHERE hash = ?").bind_all(hash).run();
    }
    tx.commit();
  }
  for (const auto& [hash, is_file] : files) {
    if (is_file) st_->files.remove(hash);
  }
  out.artifacts = files.size();
  store_detail::remove_orphan_logs(*st_);
  // Files without a row: their row could not be stored (a full disk), or a process died
  // between the file and its row. Only old ones: a young one's row may be on its way.
  const auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  auto old_files = st_->files.older_than(cutoff);
  if (old_files.empty()) return out;
  std::unordered_set<std::string> rows;  // read after the listing: a row committed meanwhile counts
  {
    std::lock_guard lock(st_->db_mutex);
    auto q = st_->db.prepare("SELECT hash FROM artifacts");
    while (q.step()) rows.insert(q.text(0));
  }
  // Inputs and outputs of jobs (launch/job_files.hpp) are files without rows until the driver
  // records them, and a job may wait in a queue for hours: a hash a file under jobs/ names is
  // kept. Those directories go with their runs.
  const auto named = store_detail::hashes_named_under(st_->dir / "jobs");
  for (const auto& [hash, bytes] : old_files) {
    if (rows.count(hash) != 0 || named.count(hash) != 0) continue;
    st_->files.remove(hash);
    ++out.artifacts;
    out.bytes += bytes;
  }
  return out;
}

TYPEFLOW_INLINE std::size_t store::recover() {
  st_->require_writable("recover interrupted runs");
  struct suspect {
    std::string id, host, start;
    std::int64_t pid, heartbeat;
  };
  std::vector<suspect> suspects;
  std::lock_guard lock(st_->db_mutex);
  {
    auto& q = st_->db.cached(
        "SELECT id, host, pid, heartbeat, coalesce(process_start, '') FROM runs "
        "WHERE status = 'running'");
    while (q.step()) suspects.push_back({q.text(0), q.text(1), q.text(4), q.int64(2), q.int64(3)});
    q.reset();
  }
  const auto stale =
      std::chrono::duration_cast<std::chrono::microseconds>(st_->cfg.stale_after).count();
  std::size_t marked = 0;
  for (const auto& s : suspects) {
    const auto why = store_detail::death_of(s.host, s.pid, s.start, s.heartbeat, st_->host, stale);
    if (why.empty()) continue;
    store_detail::transaction tx{st_->db};
    st_->db
        .cached(
            "UPDATE runs SET status = 'interrupted', ended = heartbeat, message = ? "
            "WHERE id = ? AND status = 'running'")
        .bind_all(why, s.id)
        .run();
    if (st_->db.changes() != 0) {
      st_->db
          .cached(
              "UPDATE step_runs SET status = 'failed', message = ? WHERE run_id = ? AND "
              "status = 'running'")
          .bind_all("interrupted: " + why + " while this step ran", s.id)
          .run();
      ++marked;
    }
    tx.commit();
  }
  return marked;
}

TYPEFLOW_INLINE void store::flush() { st_->w.flush(); }

TYPEFLOW_INLINE std::string store::path_text() const { return st_->dir.string(); }

TYPEFLOW_INLINE void store::fill_run(run_info& r) const {
  auto& p = st_->db.cached("SELECT name, coalesce(value, '') FROM run_params WHERE run_id = ?");
  p.bind_all(r.id);
  while (p.step()) r.params.emplace(p.text(0), p.text(1));
  p.reset();
  auto& t = st_->db.cached("SELECT key, value FROM run_tags WHERE run_id = ?");
  t.bind_all(r.id);
  while (t.step()) r.tags.emplace(t.text(0), t.text(1));
  t.reset();
  if (r.status == run_status::running && st_->cfg.read_only) {
    // A reader marks nothing (recover() writes), but does not show a dead run as running.
    auto& q = st_->db.cached("SELECT coalesce(process_start, '') FROM runs WHERE id = ?");
    q.bind_all(r.id);
    const std::string start = q.step() ? q.text(0) : std::string{};
    q.reset();
    const auto stale =
        std::chrono::duration_cast<std::chrono::microseconds>(st_->cfg.stale_after).count();
    auto why = store_detail::death_of(r.host, r.pid, start, store_detail::to_us(r.heartbeat),
                                      st_->host, stale);
    if (!why.empty()) {
      r.status = run_status::interrupted;
      r.ended = r.heartbeat;
      r.message = std::move(why);
      return;
    }
  }
  if (r.status == run_status::running) {
    auto& w = st_->db.cached(
        "SELECT name FROM param_requests WHERE run_id = ? AND requested IS NOT NULL AND "
        "answer IS NULL ORDER BY name");
    w.bind_all(r.id);
    while (w.step()) r.waiting_for.push_back(w.text(0));
    w.reset();
  }
}

TYPEFLOW_INLINE run_info store::info(const std::string& id) const {
  std::lock_guard lock(st_->db_mutex);
  auto& q = st_->db.cached("SELECT " + std::string(store_detail::run_columns) +
                           " FROM runs WHERE id = ?");
  q.bind_all(id);
  if (!q.step())
    throw unknown_run_error("typeflow: no run '" + id + "' in the run store in '" + path_text() +
                            "'");
  auto r = store_detail::read_run(q);
  q.reset();
  fill_run(r);
  return r;
}

TYPEFLOW_INLINE std::vector<std::pair<std::string, std::string>> store::params_of(
    const pipeline& p, const run_info& r) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::lock_guard lock(st_->db_mutex);
  auto& q = st_->db.cached("SELECT name, value, is_default FROM run_params WHERE run_id = ?");
  q.bind_all(r.id);
  while (q.step()) {
    auto name = q.text(0);
    auto u = p.definition()->find(name);
    if (u == detail::none || !store_detail::is_param(p.definition()->nodes[u])) continue;
    if (auto v = q.maybe_text(1)) {
      out.emplace_back(std::move(name), std::move(*v));
    } else if (q.int64(2) == 0) {
      q.reset();
      throw store_error("typeflow: parameter '" + name + "' of run " + r.id +
                        " has no text form, so its value cannot be given to a new run");
    }
  }
  q.reset();
  return out;
}

TYPEFLOW_INLINE std::vector<std::byte> store::stored_output(std::string_view run,
                                                            const detail::node& nd) const {
  auto id = resolve(run);
  std::optional<std::string> hash;
  {
    std::lock_guard lock(st_->db_mutex);
    auto& q = st_->db.cached("SELECT artifact FROM step_runs WHERE run_id = ? AND step = ?");
    q.bind_all(id, std::string_view{nd.name});
    if (q.step()) hash = q.maybe_text(0);
    q.reset();
  }
  if (!hash) {
    throw store_error("typeflow: run " + id + " stored no output for step '" +
                      std::string(nd.name) + "'");
  }
  if (nd.codec == nullptr) {
    throw store_error("typeflow: step '" + std::string(nd.name) + "' has no codec to decode with");
  }
  store_detail::checked_hash(*hash, store_detail::step_row(id, std::string(nd.name)));
  return st_->read_artifact(*hash,
                            "the output of step '" + std::string(nd.name) + "' of run " + id);
}

TYPEFLOW_INLINE stored_run run(const pipeline& p, const store_options& o) {
  store st{o.store_path() ? *o.store_path() : store::default_path()};
  return st.run(p, o);
}

}  // namespace typeflow
