#pragma once
// Delayed parameters asked for through the run store (store/store.hpp): a running run records
// a request, another process answers it, the run reads the answer back. Included by store.hpp
// in header-only mode, compiled once into typeflow::store (src/store.cpp) in compiled mode.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/store/detail/state.hpp>
#include <typeflow/store/errors.hpp>
#include <typeflow/store/impl/store.hpp>
#include <typeflow/store/records.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow {

namespace store_detail {

/// "running", "succeeded", ... of run `id`, and whether it was asked to stop; the caller holds
/// the lock. Throws store_error when there is no such run.
inline std::pair<std::string, bool> run_state(store_state& st, const std::string& id) {
  auto& q = st.db.cached("SELECT status, stop_requested FROM runs WHERE id = ?");
  q.bind_all(id);
  if (!q.step()) {
    q.reset();
    throw unknown_run_error("typeflow: no run '" + id + "' in the run store in '" +
                            st.dir.string() + "'");
  }
  std::pair<std::string, bool> out{q.text(0), q.int64(1) != 0};
  q.reset();
  return out;
}

}  // namespace store_detail

TYPEFLOW_INLINE void store::request_param(std::string_view run, const param_info& info) {
  // The run's row is written by the writer thread: it is there once the queue is drained.
  st_->w.flush();
  const std::string id(run);
  std::lock_guard lock(st_->db_mutex);
  store_detail::transaction tx{st_->db};
  if (const auto state = store_detail::run_state(*st_, id); state.first != "running") {
    throw store_error("typeflow: run " + id + " is not running (it is " +
                      store_detail::shown(state.first) + "): it cannot wait for parameter '" +
                      info.name + "'");
  }
  st_->db
      .cached(
          "INSERT INTO param_requests (run_id, name, type, requested) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (run_id, name) DO UPDATE SET type = excluded.type, "
          "requested = coalesce(param_requests.requested, excluded.requested)")
      .bind_all(id, info.name, info.type, store_detail::now_us())
      .run();
  tx.commit();
}

TYPEFLOW_INLINE std::optional<std::string> store::param_answer(std::string_view run,
                                                               std::string_view name) const {
  std::lock_guard lock(st_->db_mutex);
  auto& q = st_->db.cached("SELECT answer FROM param_requests WHERE run_id = ? AND name = ?");
  q.bind_all(run, name);
  std::optional<std::string> answer;
  if (q.step()) answer = q.maybe_text(0);
  q.reset();
  return answer;
}

TYPEFLOW_INLINE std::optional<std::string> store::await_param(std::string_view run,
                                                              std::string_view name,
                                                              std::stop_token stop) {
  const std::string id(run);
  std::mutex m;
  std::condition_variable_any cv;
  auto delay = std::chrono::milliseconds(10);
  for (;;) {
    if (stop.stop_requested()) return std::nullopt;
    {
      std::lock_guard lock(st_->db_mutex);
      auto& q = st_->db.cached(
          "SELECT (SELECT answer FROM param_requests WHERE run_id = ?1 AND name = ?2), "
          "(SELECT stop_requested FROM runs WHERE id = ?1)");
      q.bind_all(id, name);
      std::optional<std::string> answer;
      bool stopped = false;
      if (q.step()) {
        answer = q.maybe_text(0);
        stopped = q.maybe_int64(1).value_or(0) != 0;
      }
      q.reset();
      if (answer) return answer;
      if (stopped) return std::nullopt;
    }
    std::unique_lock lock(m);
    // Returns at once when `stop` is triggered; an answer is seen within one delay.
    cv.wait_for(lock, stop, delay, [] { return false; });
    delay = std::min<std::chrono::milliseconds>(delay * 3 / 2, std::chrono::milliseconds(250));
  }
}

TYPEFLOW_INLINE std::string store::answer_param(const pipeline& p, std::string_view run,
                                                std::string_view name, std::string_view text) {
  const auto id = resolve(run);
  const auto r = info(id);
  store_detail::check_same_pipeline(p, r, "answer");
  const auto& d = *p.definition();
  const std::string param(name);
  const auto u = detail::find_param(d, param, text, "answer");
  if (!d.nodes[u].param->delayed) {
    throw store_error("typeflow: parameter '" + param + "' is not delayed: run " + id +
                      " took its value when it started (nothing asks for it later)");
  }
  if (r.status != run_status::running) {
    throw store_error("typeflow: run " + id + " is not running (it is " +
                      std::string(to_string(r.status)) + "): it waits for no parameter any more");
  }
  if (auto it = r.params.find(param); it != r.params.end()) {
    throw store_error("typeflow: parameter '" + param + "' of run " + id +
                      " has its value already ('" + it->second + "')");
  }
  (void)detail::parse_param_value(d, u, text, "answer");  // throws run_error naming what fails
  std::lock_guard lock(st_->db_mutex);
  store_detail::transaction tx{st_->db};
  // An answer may come before the run has recorded its request (a notifier that answers at
  // once): it is kept, and the request finds it.
  st_->db
      .cached(
          "INSERT INTO param_requests (run_id, name, type, answer, answered) VALUES (?, ?, ?, ?, "
          "?) ON CONFLICT (run_id, name) DO UPDATE SET answer = excluded.answer, "
          "answered = excluded.answered WHERE param_requests.answer IS NULL")
      .bind_all(id, param, std::string_view{d.nodes[u].param->type_name}, text,
                store_detail::now_us())
      .run();
  if (st_->db.changes() == 0) {
    auto& q = st_->db.cached("SELECT answer FROM param_requests WHERE run_id = ? AND name = ?");
    q.bind_all(id, param);
    const auto before = q.step() ? q.maybe_text(0).value_or("") : std::string{};
    q.reset();
    throw store_error("typeflow: parameter '" + param + "' of run " + id +
                      " was answered already ('" + store_detail::shown(before) + "')");
  }
  tx.commit();
  return id;
}

TYPEFLOW_INLINE std::vector<param_request> store::param_requests(std::string_view run) const {
  const auto id = resolve(run);
  std::vector<param_request> out;
  std::lock_guard lock(st_->db_mutex);
  auto& q = st_->db.cached(
      "SELECT name, type, requested, answer, answered FROM param_requests WHERE run_id = ? "
      "ORDER BY name");
  q.bind_all(id);
  while (q.step()) {
    param_request r;
    r.name = q.text(0);
    r.type = q.text(1);
    if (auto t = q.maybe_int64(2)) r.requested = store_detail::from_us(*t);
    r.answer = q.maybe_text(3);
    if (auto t = q.maybe_int64(4)) r.answered = store_detail::from_us(*t);
    out.push_back(std::move(r));
  }
  q.reset();
  return out;
}

}  // namespace typeflow
