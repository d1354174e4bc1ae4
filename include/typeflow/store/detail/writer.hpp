#pragma once
// The store's writer: one thread with its own connection takes records from a queue and
// commits them in batches, one transaction per batch, so workers only ever pay for a queue
// push. Artifact files are written (and synced) before the rows that point to them.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

struct op_run_begin {
  std::string id, pipeline, structure_hash, host, experiment, kind;
  std::optional<std::string> origin;
  std::int64_t pid = 0, started = 0;
  std::vector<param_row> params;
  std::vector<std::pair<std::string, std::string>> tags;
};
struct op_run_params {  ///< parameter values known only after the run started (delayed ones)
  std::string run;
  std::vector<param_row> params;
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
struct op_barrier {
  std::shared_ptr<std::promise<void>> done;
};

using write_op = std::variant<op_run_begin, op_run_params, op_run_end, op_heartbeat, op_step,
                              op_artifact, op_metric, op_barrier>;

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
        transaction tx{*db_};
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (ok[i]) apply(batch[i]);
        }
        tx.commit();
      });
    } catch (const std::exception&) {
      // One bad record must not lose the others: write them one by one.
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!ok[i]) continue;
        try {
          with_retries([&] {
            transaction tx{*db_};
            apply(batch[i]);
            tx.commit();
          });
        } catch (const std::exception& e) {
          // A heartbeat is replaced by the next one or the run's end: its loss loses nothing.
          if (!std::holds_alternative<op_heartbeat>(batch[i])) {
            record_error(run_of(batch[i]), e.what(), what_of(batch[i]));
          }
        }
      }
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

  /// Runs `f`, again after a pause while SQLite reports the database busy or locked (the busy
  /// timeout already waits; this covers the cases SQLite does not wait for).
  template <class F>
  void with_retries(F&& f) {
    for (int attempt = 0;; ++attempt) {
      try {
        f();
        return;
      } catch (const sqlite_error& e) {
        if (!e.busy() || attempt >= 100) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(10 + attempt * 5));
      }
    }
  }

  [[nodiscard]] bool is_inline(const op_artifact& a) const noexcept {
    return a.bytes && a.size <= inline_limit_;
  }

  static std::string run_of(const write_op& op) {
    return std::visit(
        [](const auto& o) -> std::string {
          if constexpr (requires { o.run; }) {
            return o.run;
          } else if constexpr (requires { o.id; }) {
            return o.id;
          } else {
            return std::string{};
          }
        },
        op);
  }

  /// What a record is, in words, for the message that says what was lost.
  static std::string what_of(const write_op& op) {
    if (std::holds_alternative<op_run_begin>(op))
      return "the run's start (the store has no row for the run)";
    if (std::holds_alternative<op_run_params>(op)) return "parameter record";
    if (std::holds_alternative<op_run_end>(op))
      return "the run's end (the store still shows the run running)";
    if (std::holds_alternative<op_step>(op)) return "step record";
    if (std::holds_alternative<op_artifact>(op)) return "output";
    if (std::holds_alternative<op_metric>(op)) return "metric";
    return "record";
  }

  void record_error(const std::string& run, const std::string& what, const std::string& lost) {
    std::lock_guard lock(errors_mutex_);
    auto& e = errors_[run];
    if (e.count++ == 0) e.first = what;
    ++e.lost[lost];
  }

  void apply(const write_op& op) {
    std::visit([this](const auto& o) { apply_one(o); }, op);
  }

  void apply_one(const op_run_begin& r) {
    db_->cached(
           "INSERT INTO runs (id, pipeline, structure_hash, status, started, host, pid, "
           "experiment, kind, origin, heartbeat) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(r.id, r.pipeline, r.structure_hash, r.started, r.host, r.pid, r.experiment,
                  r.kind, r.origin, r.started)
        .run();
    insert_params(r.id, r.params);
    auto& tag = db_->cached("INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)");
    for (const auto& [k, v] : r.tags) {
      tag.reset();
      tag.bind_all(r.id, k, v).run();
    }
  }
  void apply_one(const op_run_params& r) { insert_params(r.run, r.params); }
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
        .bind_all(m.run, m.step, m.name, m.value, m.index, m.time)
        .run();
  }
  void apply_one(const op_barrier&) {}

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
  std::thread thread_;
};

}  // namespace typeflow::store_detail
