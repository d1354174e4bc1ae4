#pragma once
// The run store: where runs live. A directory (./.typeflow by default) holding runs.db (SQLite:
// runs, steps, parameters, metrics, artifacts, the cache) and artifacts/. Runs started through
// it are recorded, cached, retried, copied, sliced, compared, stopped and deleted.
//
//     typeflow::store st;                       // ./.typeflow, or $TYPEFLOW_STORE
//     auto r = st.run(p, typeflow::store_options{}.experiment("baseline").tag("data", "v2"));
//     auto again = st.retry(p, r.run_id());     // re-runs what failed, reuses what succeeded
//
// The store's member functions are defined in store/impl/store.hpp (compiled into
// typeflow::store in compiled mode); this header names no SQLite, xxHash or recorder type: the
// open store's state is held through a pointer to a type declared here only.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/codec.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/result.hpp>
#include <typeflow/exec/run.hpp>
#include <typeflow/exec/run_id.hpp>
#include <typeflow/graph/slice.hpp>
#include <typeflow/store/errors.hpp>
#include <typeflow/store/options.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

namespace store_detail {
struct store_state;  // store/detail/state.hpp: the open database, the files, the writer
}  // namespace store_detail

/// A finished run started through the store: the run_result (run_id() is the recorded id)
/// plus how many of its records could not be written.
class stored_run : public run_result {
 public:
  stored_run(run_result r, std::size_t errors, std::string first_error, std::string lost = {})
      : run_result(std::move(r)), store_errors_(errors), first_store_error_(std::move(first_error)),
        lost_(std::move(lost)) {}
  /// Records (rows, artifacts) the store failed to write for this run; 0 when all is stored.
  [[nodiscard]] std::size_t store_errors() const noexcept { return store_errors_; }
  [[nodiscard]] const std::string& first_store_error() const noexcept { return first_store_error_; }
  /// What could not be stored, in words ("2 metrics, the run's end"); empty when all is stored.
  [[nodiscard]] const std::string& lost_records() const noexcept { return lost_; }

 private:
  std::size_t store_errors_;
  std::string first_store_error_;
  std::string lost_;
};

/// What store::remove() removed.
struct removal {
  std::size_t runs = 0;
  std::size_t artifacts = 0;
  std::uint64_t bytes = 0;
};

class store {
 public:
  /// The store in $TYPEFLOW_STORE, else ./.typeflow.
  TYPEFLOW_INLINE store();
  /// Opens (creating when needed) the store in `dir`. Runs left `running` by processes that
  /// died are marked interrupted.
  TYPEFLOW_INLINE explicit store(std::filesystem::path dir, store_config cfg = {});

  /// $TYPEFLOW_STORE when set and not empty, else ".typeflow".
  [[nodiscard]] TYPEFLOW_INLINE static std::filesystem::path default_path();
  [[nodiscard]] TYPEFLOW_INLINE const std::filesystem::path& path() const noexcept;

  // ------------------------------------------------------------------------- running
  /// Runs the pipeline and records it: parameters, step statuses, metrics, artifacts. Steps
  /// whose cache key the store knows are served from the cache (status `cached`).
  TYPEFLOW_INLINE stored_run run(const pipeline& p, const store_options& o = {});

  /// A new run, linked to `run`, with its parameters: it re-runs the steps that failed, timed
  /// out, were stopped, cancelled, skipped or never finished, and reuses the artifacts of those
  /// that succeeded (a succeeded step whose output was not stored runs again if it is read).
  TYPEFLOW_INLINE stored_run retry(const pipeline& p, std::string_view run,
                                   const store_options& o = {});

  /// A new run with the parameters of `run` (then the overrides in `o`), linked to it.
  TYPEFLOW_INLINE stored_run copy(const pipeline& p, std::string_view run,
                                  const store_options& o = {});

  /// Asks a running run to stop (in this process or another: the run polls its record at
  /// every heartbeat). It ends `stopped`.
  TYPEFLOW_INLINE void stop(std::string_view run);

  // ------------------------------------------------------------------------- delayed parameters
  /// Records that running run `run` waits for the delayed parameter `info` (once; asking again
  /// keeps the first request and any answer given already). Throws store_error when the run is
  /// unknown or not running. The command line does this when no terminal can answer.
  TYPEFLOW_INLINE void request_param(std::string_view run, const param_info& info);

  /// The answer given to run `run`'s parameter `name` (answer_param()), if any yet.
  [[nodiscard]] TYPEFLOW_INLINE std::optional<std::string> param_answer(
      std::string_view run, std::string_view name) const;

  /// Waits until answer_param() gives run `run`'s parameter `name` a value, and returns its
  /// text; nothing when `stop` is triggered or the run is asked to stop (stop()) first: the
  /// caller then stops the run through its stop token at once (the run itself sees a stop()
  /// only at its next heartbeat). Polls runs.db with a backoff from 10 ms to 250 ms (one small
  /// read each time).
  [[nodiscard]] TYPEFLOW_INLINE std::optional<std::string> await_param(std::string_view run,
                                                                       std::string_view name,
                                                                       std::stop_token stop);

  /// Gives the delayed parameter `name` of running run `run` (of pipeline `p`) its value, from
  /// another process or thread than the run's. `text` is parsed and checked like a --param
  /// value (run_error naming the parameter and what it expects). Throws store_error for an
  /// unknown run, a run of another pipeline or one that is not running, a parameter that is not
  /// delayed or has its value already, and one answered before; run_error for a name that is
  /// no parameter of `p`. Returns the run's full id.
  TYPEFLOW_INLINE std::string answer_param(const pipeline& p, std::string_view run,
                                           std::string_view name, std::string_view text);

  /// The delayed parameters run `run` asked for through the store, and their answers, by name.
  [[nodiscard]] TYPEFLOW_INLINE std::vector<param_request> param_requests(
      std::string_view run) const;

  // ------------------------------------------------------------------------- queries
  /// The full id of `run`: an id, a unique prefix of one, or "latest" (the newest run).
  [[nodiscard]] TYPEFLOW_INLINE std::string resolve(std::string_view run) const;

  /// Runs matching `q`, newest first. A damaged runs row is a store_error naming it.
  [[nodiscard]] TYPEFLOW_INLINE std::vector<run_info> runs(const run_query& q = {}) const;
  /// The same, leaving out runs whose row is damaged: the store_error message refusing each
  /// (naming its row) is appended to `refused`, and the good runs are listed.
  [[nodiscard]] TYPEFLOW_INLINE std::vector<run_info> runs(const run_query& q,
                                                           std::vector<std::string>& refused) const;

  /// One run with its steps, their artifacts, and every metric point.
  [[nodiscard]] TYPEFLOW_INLINE run_details show(std::string_view run) const;

  /// Runs side by side: parameters, and the final value of every metric ("step.metric").
  [[nodiscard]] TYPEFLOW_INLINE comparison compare(const std::vector<std::string>& runs) const;

  /// The output of a step (or a part of it, for a projected handle) as `run` stored it.
  template <class T>
  [[nodiscard]] T load(std::string_view run, const handle<T>& h) const {
    auto* def = detail::handle_access::def(h);
    if (def == nullptr) throw store_error("typeflow: store.load() with an empty handle");
    const auto& nd = def->nodes[detail::handle_access::node(h)];
    detail::box whole;
    nd.codec->decode(stored_output(run, nd), whole);
    return std::move(*static_cast<T*>(def->resolve(detail::handle_access::port(h), whole.get())));
  }

  // ------------------------------------------------------------------------- deleting
  /// Deletes runs (their steps, parameters, tags and metrics; the cache entries they made go
  /// with their steps), then the artifacts that no run references any more. A run whose
  /// process is alive is refused (a store_error naming its pid and host): one still `running`,
  /// however old its heartbeat, and one marked interrupted whose process is alive here.
  TYPEFLOW_INLINE removal remove(const std::vector<std::string>& runs);

  /// Deletes artifacts that no run references, and artifact files that no artifacts row
  /// names (left by a write whose row could not be stored) once they are older than an hour
  /// (a younger one may belong to a run whose row is about to be committed).
  TYPEFLOW_INLINE removal collect_garbage();

  // ------------------------------------------------------------------------- crash recovery
  /// Marks runs left `running` by a process that is gone as interrupted: on this host, no
  /// process has the run's pid with the start time it recorded (a paused one is alive); of
  /// another host, its heartbeat is older than store_config::stale_after. Returns how many.
  /// Done on open.
  TYPEFLOW_INLINE std::size_t recover();

  /// Waits until every record written so far is committed.
  TYPEFLOW_INLINE void flush();

 private:
  [[nodiscard]] TYPEFLOW_INLINE std::string path_text() const;
  /// A full disk: removes the artifact files that only runs `ids` use; how many.
  TYPEFLOW_INLINE std::size_t free_files_of(const std::vector<std::string>& ids);
  /// Adds parameters and tags; the caller holds the lock.
  TYPEFLOW_INLINE void fill_run(run_info& r) const;
  [[nodiscard]] TYPEFLOW_INLINE run_info info(const std::string& id) const;
  /// The parameter values of an earlier run as overrides, for the parameters `p` still has.
  [[nodiscard]] TYPEFLOW_INLINE std::vector<std::pair<std::string, std::string>> params_of(
      const pipeline& p, const run_info& r) const;
  /// The encoded output of step `nd` in `run` (load()'s non-template part): throws a
  /// store_error when the run stored none or the step has no codec.
  [[nodiscard]] TYPEFLOW_INLINE std::vector<std::byte> stored_output(std::string_view run,
                                                                     const detail::node& nd) const;

  std::shared_ptr<store_detail::store_state> st_;
};

/// Runs `p` with the store named by `o.store(...)` (default: $TYPEFLOW_STORE, else ./.typeflow).
TYPEFLOW_INLINE stored_run run(const pipeline& p, const store_options& o);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/store/impl/param_requests.hpp>
#include <typeflow/store/impl/store.hpp>
#endif
