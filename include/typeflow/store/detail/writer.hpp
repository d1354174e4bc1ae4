#pragma once
// The store's writer: one thread with its own connection takes records from a queue and
// commits them in batches, one transaction per batch, so workers only ever pay for a queue
// push. Artifact files are written (and synced) before the rows that point to them; steps' log
// lines are appended to their attempt's file (store/logs.hpp), never to runs.db. A record
// of a run whose row is gone (deleted while its process was paused) is not written: no row
// outlives its run. A batch waits for another process's lock for store_config::busy_timeout
// in all; then its records are counted as not stored, and said so.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <typeflow/detail/threads.hpp>
#include <typeflow/store/detail/files.hpp>
#include <typeflow/store/detail/sqlite.hpp>

namespace typeflow::store_detail {

struct param_row {
  std::string name;
  std::string type;
  std::optional<std::string> value;  ///< text form, when the type has one
  std::optional<std::string> value_hash;
  bool is_default = false;
};

struct op_run_params {  ///< parameter values: when the run starts, and delayed ones at its end
  std::string run;
  std::vector<param_row> params;
};
struct op_run_discard {  ///< a run that never started: its row (store_state::begin_run) goes
  std::string id;
};
struct op_run_end {
  std::string id, status, message;
  std::int64_t ended = 0;
};
struct op_heartbeat {
  std::string id;
  std::int64_t time = 0;
};
struct op_step {
  std::string run, step;
  std::uint32_t node = 0;
  std::string status;
  unsigned attempts = 0;
  std::optional<std::int64_t> started, ended;
  std::string message;
  bool finished = false;
  bool cache_hit = false;
  std::optional<std::string> cache_key, artifact;
};
struct op_artifact {  ///< an output's bytes; the step's row (op_step) points to it
  std::string run;
  std::string hash;
  std::shared_ptr<const std::vector<std::byte>> bytes;  ///< null: its file is written already
  std::size_t size = 0;
  std::string type;
  std::uint32_t codec_version = 0;
};
struct op_metric {
  std::string run, step, name;
  double value = 0;
  std::int64_t index = 0, time = 0;
};
struct op_log {  ///< a line a step logged: appended to its attempt's file (store/logs.hpp)
  std::string run;
  std::string path;  ///< attempt_log_path()
  std::string line;  ///< without its '\n'
};
struct op_barrier {
  std::shared_ptr<std::promise<void>> done;
};

using write_op = std::variant<op_run_params, op_run_discard, op_run_end, op_heartbeat, op_step,
                              op_artifact, op_metric, op_log, op_barrier>;

class writer {
 public:
  /// A writer that is `off` (the store could be opened for reading only: a full disk) has no
  /// connection and no thread; what is pushed to it is lost, and counted as such.
  writer(std::string db_path, const artifact_files& files, std::size_t inline_limit,
         std::chrono::milliseconds busy_timeout, bool off = false)
      : files_(files), inline_limit_(inline_limit) {
    if (off) return;
    db_.emplace(std::move(db_path), busy_timeout);
    thread_ = detail::start_thread("the run store's writer thread", [this] { loop(); });
  }
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  ~writer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  void push(write_op op) {
    if (!db_) {
      if (auto* b = std::get_if<op_barrier>(&op)) {
        b->done->set_value();
      } else if (!std::holds_alternative<op_heartbeat>(op)) {
        record_error(run_of(op), "typeflow: run store: opened for reading only (the disk is full)",
                     what_of(op));
      }
      return;
    }
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(op));
    }
    cv_.notify_one();
  }

  /// Returns when everything pushed before has been committed (or has failed).
  void flush() {
    auto done = std::make_shared<std::promise<void>>();
    auto ready = done->get_future();
    push(op_barrier{std::move(done)});
    ready.wait();
  }

  struct errors {
    std::size_t count = 0;
    std::string first;
    std::map<std::string, std::size_t> lost;  ///< what was lost: "metric", "step record", ...
    /// What was lost, in words: "2 metrics, the run's end".
    [[nodiscard]] std::string lost_text() const {
      std::string out;
      for (const auto& [what, n] : lost) {
        if (!out.empty()) out += ", ";
        if (what.rfind("the ", 0) == 0) {
          out += what;
        } else {
          out += std::to_string(n) + " " + what + (n == 1 ? "" : "s");
        }
      }
      return out;
    }
  };
  /// Writes that failed for a run (after retries): how many, and the first reason.
  [[nodiscard]] errors errors_of(const std::string& run) const {
    std::lock_guard lock(errors_mutex_);
    auto it = errors_.find(run);
    return it == errors_.end() ? errors{} : it->second;
  }

 private:
  void loop() {
    std::vector<write_op> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and drained
        batch.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.end()));
        queue_.clear();
      }
      write_batch(batch);
      batch.clear();
    }
  }

  void write_batch(std::vector<write_op>& batch) {
    // Files first: a row never points to an artifact that is not complete on disk.
    std::vector<char> ok(batch.size(), 1);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (auto* a = std::get_if<op_artifact>(&batch[i]);
          a != nullptr && a->bytes && !is_inline(*a)) {
        try {
          files_.write(a->hash, *a->bytes);
        } catch (const std::exception& e) {
          ok[i] = 0;
          lost_.insert(a->hash);  // the step's row must not point to it
          record_error(a->run, e.what(), "output");
        }
      }
    }
    write_logs(batch, ok);
    // A step that started and finished within one batch needs only its final row.
    std::unordered_set<std::string> finished;
    for (const auto& op : batch) {
      if (const auto* s = std::get_if<op_step>(&op); s != nullptr && s->finished) {
        finished.insert(s->run + '\n' + s->step);
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (const auto* s = std::get_if<op_step>(&batch[i]);
          s != nullptr && !s->finished && finished.count(s->run + '\n' + s->step) != 0) {
        ok[i] = 0;
      }
    }
    try {
      with_retries([&] {
        begin_attempt();
        transaction tx{*db_};
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (ok[i]) apply(batch[i]);
        }
        tx.commit();
      });
      report_gone();
    } catch (const sqlite_error& e) {
      if (e.busy()) {
        lost_to_lock(batch, ok, 0);
      } else {
        write_one_by_one(batch, ok);
      }
    } catch (const std::exception&) {
      write_one_by_one(batch, ok);
    }
    // A concurrent delete may have collected a file this batch found present: write it again.
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (auto* a = std::get_if<op_artifact>(&batch[i]);
          a != nullptr && a->bytes && ok[i] && !is_inline(*a)) {
        if (!files_.exists(a->hash)) {
          try {
            files_.write(a->hash, *a->bytes);
          } catch (const std::exception& e) {
            record_error(a->run, e.what(), "output");
          }
        }
      }
    }
    for (auto& op : batch) {
      if (auto* b = std::get_if<op_barrier>(&op)) b->done->set_value();
    }
  }

  /// Appends the batch's log lines to their files, each file opened once per batch (and
  /// closed, so a crash loses at most the lines still queued); log lines have no rows.
  void write_logs(const std::vector<write_op>& batch, std::vector<char>& ok) {
    struct file_lines {
      const op_log* first;
      std::string text;
      std::size_t lines = 0;
    };
    std::vector<file_lines> files;
    std::unordered_map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto* l = std::get_if<op_log>(&batch[i]);
      if (l == nullptr) continue;
      ok[i] = 0;
      auto [it, added] = index.try_emplace(l->path, files.size());
      if (added) files.push_back({l, {}, 0});
      auto& f = files[it->second];
      f.text.append(l->line).push_back('\n');
      ++f.lines;
    }
    for (const auto& f : files) {
      try {
        append_file(f.first->path, f.text);
      } catch (const std::exception& e) {
        for (std::size_t n = 0; n < f.lines; ++n) record_error(f.first->run, e.what(), "log line");
      }
    }
  }

  /// One bad record must not lose the others: each is written on its own. Once the lock is
  /// not to be had, the rest are not tried (each would wait the whole timeout again).
  void write_one_by_one(std::vector<write_op>& batch, const std::vector<char>& ok) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!ok[i]) continue;
      try {
        with_retries([&] {
          begin_attempt();
          transaction tx{*db_};
          apply(batch[i]);
          tx.commit();
        });
        report_gone();
      } catch (const sqlite_error& e) {
        if (e.busy()) {
          lost_to_lock(batch, ok, i);
          return;
        }
        lost_one(batch[i], e.what());
      } catch (const std::exception& e) {
        lost_one(batch[i], e.what());
      }
    }
  }

  /// `op` could not be stored. A heartbeat is replaced by the next one or the run's end: its
  /// loss loses nothing.
  void lost_one(const write_op& op, const std::string& why) {
    if (!std::holds_alternative<op_heartbeat>(op)) record_error(run_of(op), why, what_of(op));
  }

  /// The records of batch[from...] were not stored: the lock stayed with another process for
  /// the whole busy_timeout. Counted for their runs (heartbeats are not records), and said.
  void lost_to_lock(std::vector<write_op>& batch, const std::vector<char>& ok, std::size_t from) {
    const std::string locked = "'" + db_->path() + "' stayed locked by another process for " +
                               seconds_text(db_->busy_timeout()) + " (store_config::busy_timeout)";
    const std::string why = "typeflow: run store: records not stored: " + locked;
    std::size_t lost = 0;
    for (std::size_t i = from; i < batch.size(); ++i) {
      if (!ok[i] || std::holds_alternative<op_heartbeat>(batch[i]) ||
          std::holds_alternative<op_barrier>(batch[i])) {
        continue;
      }
      if (auto* a = std::get_if<op_artifact>(&batch[i])) lost_.insert(a->hash);
      record_error(run_of(batch[i]), why, what_of(batch[i]));
      ++lost;
    }
    if (lost != 0) {
      std::fprintf(stderr, "typeflow: run store: %zu records not stored: %s\n", lost,
                   locked.c_str());
    }
  }

  /// Runs `f`, again after a pause while SQLite reports the database busy or locked, until
  /// busy_timeout is spent: the tries share it (SQLite waits within a try; this covers the
  /// cases SQLite does not wait for).
  template <class F>
  void with_retries(F&& f) {
    database::patience wait{*db_};
    for (int attempt = 0;; ++attempt) {
      try {
        f();
        return;
      } catch (const sqlite_error& e) {
        if (!e.busy() || wait.spent()) {
          wait.failed();
          throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(10 + attempt * 5, 100)));
      }
    }
  }

  /// Starts a transaction's try: what it found out so far is forgotten.
  void begin_attempt() {
    gone_.clear();
    exists_.clear();
  }

  /// Whether run `id` has its row; asked once per transaction (which holds the write lock, so
  /// no other process deletes it meanwhile).
  bool run_exists(const std::string& id) {
    auto it = exists_.find(id);
    if (it != exists_.end()) return it->second;
    auto& q = db_->cached("SELECT 1 FROM runs WHERE id = ?");
    q.bind_all(id);
    bool yes = q.step();
    q.reset();
    exists_.emplace(id, yes);
    return yes;
  }

  /// The records skipped in the transaction just committed because their run was deleted.
  void report_gone() {
    for (const auto& run : gone_) {
      record_error(run,
                   "typeflow: run store: run " + run + " was deleted from '" + db_->path() +
                       "' while it ran (by another process): its records are not stored",
                   "deleted run's record");
    }
    gone_.clear();
  }

  [[nodiscard]] bool is_inline(const op_artifact& a) const noexcept {
    return a.bytes && a.size <= inline_limit_;
  }

  template <class O>
  static std::string run_of(const O& o) {
    if constexpr (requires { o.run; }) {
      return o.run;
    } else if constexpr (requires { o.id; }) {
      return o.id;
    } else {
      return std::string{};
    }
  }
  static std::string run_of(const write_op& op) {
    return std::visit([](const auto& o) { return run_of(o); }, op);
  }

  /// What a record is, in words, for the message that says what was lost.
  static std::string what_of(const write_op& op) {
    if (std::holds_alternative<op_run_params>(op)) return "parameter record";
    if (std::holds_alternative<op_run_end>(op))
      return "the run's end (the store still shows the run running)";
    if (std::holds_alternative<op_step>(op)) return "step record";
    if (std::holds_alternative<op_artifact>(op)) return "output";
    if (std::holds_alternative<op_metric>(op)) return "metric";
    if (std::holds_alternative<op_log>(op)) return "log line";
    return "record";
  }

  void record_error(const std::string& run, const std::string& what, const std::string& lost) {
    std::lock_guard lock(errors_mutex_);
    auto& e = errors_[run];
    if (e.count++ == 0) e.first = what;
    ++e.lost[lost];
  }

  /// Writes one record, within the caller's transaction; a record of a run whose row is gone
  /// is skipped (and reported once the transaction commits).
  void apply(const write_op& op) {
    std::visit(
        [this](const auto& o) {
          using O = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<O, op_heartbeat> || std::is_same_v<O, op_run_discard> ||
                        std::is_same_v<O, op_barrier> || std::is_same_v<O, op_log>) {
            apply_one(o);
          } else {
            const std::string run = run_of(o);
            if (run_exists(run)) {
              apply_one(o);
            } else {
              gone_.push_back(run);
            }
          }
        },
        op);
  }

  void apply_one(const op_run_params& r) { insert_params(r.run, r.params); }
  void apply_one(const op_run_discard& r) {
    for (const char* sql :
         {"DELETE FROM run_params WHERE run_id = ?", "DELETE FROM run_tags WHERE run_id = ?",
          "DELETE FROM step_runs WHERE run_id = ?", "DELETE FROM metrics WHERE run_id = ?",
          "DELETE FROM runs WHERE id = ?"}) {
      db_->cached(sql).bind_all(r.id).run();
    }
    exists_.erase(r.id);
  }
  void insert_params(const std::string& run, const std::vector<param_row>& params) {
    auto& param = db_->cached(
        "INSERT OR REPLACE INTO run_params (run_id, name, type, value, value_hash, is_default) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& p : params) {
      param.reset();
      param.bind_all(run, p.name, p.type, p.value, p.value_hash, p.is_default).run();
    }
  }
  void apply_one(const op_run_end& r) {
    // A run already marked (interrupted by another process's recovery) keeps the later truth.
    db_->cached("UPDATE runs SET status = ?, ended = ?, heartbeat = ?, message = ? WHERE id = ?")
        .bind_all(r.status, r.ended, r.ended, r.message, r.id)
        .run();
  }
  void apply_one(const op_heartbeat& h) {
    db_->cached("UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running'")
        .bind_all(h.time, h.id)
        .run();
  }
  void apply_one(const op_step& s) {
    if (!s.finished) {
      db_->cached(
             "INSERT INTO step_runs (run_id, step, node, status, attempts, started) "
             "VALUES (?, ?, ?, 'running', ?, ?) ON CONFLICT (run_id, step) DO UPDATE SET "
             "status = 'running', attempts = excluded.attempts, "
             "started = coalesce(step_runs.started, excluded.started)")
          .bind_all(s.run, s.step, s.node, s.attempts, s.started)
          .run();
      return;
    }
    std::optional<std::string> artifact = s.artifact;
    if (artifact && lost_.count(*artifact) != 0) artifact.reset();
    db_->cached(
           "INSERT INTO step_runs (run_id, step, node, status, attempts, started, ended, message, "
           "cache_hit, cache_key, artifact) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (run_id, step) DO UPDATE SET status = excluded.status, "
           "attempts = excluded.attempts, started = coalesce(step_runs.started, excluded.started), "
           "ended = excluded.ended, message = excluded.message, cache_hit = excluded.cache_hit, "
           "cache_key = coalesce(excluded.cache_key, step_runs.cache_key), "
           "artifact = coalesce(excluded.artifact, step_runs.artifact)")
        .bind_all(s.run, s.step, s.node, s.status, s.attempts, s.started, s.ended, s.message,
                  s.cache_hit, s.cache_key, artifact)
        .run();
  }
  void apply_one(const op_artifact& a) {
    auto& ins = db_->cached(
        "INSERT INTO artifacts (hash, size, type, codec_version, created, inline_bytes) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING");
    ins.bind_all(a.hash, a.size, a.type, a.codec_version, now_us());
    if (is_inline(a)) {
      ins.bind_blob(6, a.bytes->data(), a.bytes->size());
    } else {
      ins.bind(6, nullptr);
    }
    ins.run();
    lost_.erase(a.hash);
  }
  void apply_one(const op_metric& m) {
    db_->cached(
           "INSERT INTO metrics (run_id, step, name, value, idx, time) VALUES (?, ?, ?, ?, ?, ?)")
        .bind_all(m.run, m.step, m.name,
                  std::isnan(m.value) ? std::nullopt : std::optional<double>{m.value}, m.index,
                  m.time)  // NULL is NaN (SQLite would make it NULL anyway); +-inf stay as they are
        .run();
  }
  void apply_one(const op_barrier&) {}
  void apply_one(const op_log&) {}  // written by write_logs, outside runs.db

  std::optional<database> db_;  ///< none when the writer is off
  const artifact_files& files_;
  std::size_t inline_limit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<write_op> queue_;
  bool stopping_ = false;
  mutable std::mutex errors_mutex_;
  std::map<std::string, errors> errors_;
  std::unordered_set<std::string> lost_;  ///< artifacts whose file could not be written
  std::vector<std::string> gone_;         ///< runs of records skipped in this transaction: deleted
  std::unordered_map<std::string, bool> exists_;  ///< runs asked about in this transaction
  std::thread thread_;
};

}  // namespace typeflow::store_detail
