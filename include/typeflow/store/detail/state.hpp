#pragma once
// What one open store holds: its directory and settings, the artifact files, a connection for
// queries and direct writes (under a lock), and the writer thread. Runs share it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <typeflow/store/detail/files.hpp>
#include <typeflow/store/detail/hash.hpp>
#include <typeflow/store/detail/liveness.hpp>
#include <typeflow/store/detail/schema.hpp>
#include <typeflow/store/detail/sqlite.hpp>
#include <typeflow/store/detail/writer.hpp>
#include <typeflow/store/options.hpp>

namespace typeflow {

namespace store_detail {

/// A run's row as it starts: everything known before its parameters' values.
struct run_row {
  std::string id, pipeline, structure_hash, host, process_start, experiment, kind;
  std::optional<std::string> origin;
  std::int64_t pid = 0, started = 0;
  std::vector<std::pair<std::string, std::string>> tags;
};

struct store_state {
  store_state(fs::path d, store_config c)
      : dir(std::move(d)), cfg(c), host(host_name()), pid(process_id()), start(process_start(pid)),
        files((prepare_dir(dir, cfg.read_only), dir / "artifacts"), !cfg.read_only),
        db((dir / "runs.db").string(), cfg.busy_timeout, mode(), true),
        found_schema(cfg.read_only ? check_schema(db) : migrate(db)),
        w((dir / "runs.db").string(), files, cfg.inline_limit, cfg.busy_timeout,
          cfg.read_only || disk_full()) {}

  /// The disk is full: runs.db is open in exclusive locking mode, for reading and deleting
  /// (see database), and nothing can be recorded.
  [[nodiscard]] bool disk_full() const noexcept { return db.exclusive(); }

  /// Space kept for a full disk: deleting runs needs room in runs.db's WAL, which this file
  /// gives back (release_reserve()) when a delete finds the disk full. Made on open when it
  /// is missing and the disk has room (best effort).
  static constexpr off_t reserve_bytes = 4 << 20;
  [[nodiscard]] fs::path reserve_path() const { return dir / "space-reserve"; }
  void keep_reserve() const noexcept {
    const auto p = reserve_path();
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && st.st_size >= reserve_bytes) return;
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    const bool made = ::posix_fallocate(fd, 0, reserve_bytes) == 0;
    ::close(fd);
    if (!made) ::unlink(p.c_str());  // a partial reserve is no reserve
  }
  /// Removes the reserve; false when there was none.
  bool release_reserve() const noexcept { return ::unlink(reserve_path().c_str()) == 0; }

  /// Inserts the row of a run that starts (and its tags) before anything else is recorded for
  /// it, and returns its id. An id already in the store is never reused, so two runs are never
  /// merged: a generated one (`fresh` given) is replaced by `fresh()` and tried again, a few
  /// times; a chosen one (`fresh` empty) is refused.
  std::string begin_run(run_row row, const std::function<std::string()>& fresh) {
    require_writable("start a run");
    constexpr int tries = 8;
    std::lock_guard lock(db_mutex);
    for (int attempt = 1;; ++attempt) {
      transaction tx{db};
      auto& taken = db.cached("SELECT 1 FROM runs WHERE id = ?");
      taken.bind_all(row.id);
      const bool exists = taken.step();
      taken.reset();
      if (!exists) {
        db.cached(
              "INSERT INTO runs (id, pipeline, structure_hash, status, started, host, pid, "
              "process_start, experiment, kind, origin, heartbeat) "
              "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind_all(row.id, row.pipeline, row.structure_hash, row.started, row.host, row.pid,
                      row.process_start, row.experiment, row.kind, row.origin, row.started)
            .run();
        auto& tag = db.cached("INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)");
        for (const auto& [k, v] : row.tags) {
          tag.reset();
          tag.bind_all(row.id, k, v).run();
        }
        tx.commit();
        return row.id;
      }
      if (!fresh) {
        throw store_error("typeflow: run id '" + row.id + "' is already in the run store in '" +
                          dir.string() + "': a run's id must be new (give another, or none)");
      }
      if (attempt == tries) {
        throw store_error("typeflow: run store: no free run id after " + std::to_string(tries) +
                          " tries (the last, '" + row.id + "', is taken too)");
      }
      row.id = fresh();
    }
  }

  [[nodiscard]] open_mode mode() const noexcept {
    return cfg.read_only ? open_mode::read_only : open_mode::read_write;
  }

  /// Refuses `what` (a call that writes) on a store opened read-only.
  void require_writable(const std::string& what) const {
    if (cfg.read_only) {
      throw store_error("typeflow: cannot " + what + ": the run store in '" + dir.string() +
                        "' is open read-only");
    }
  }

  /// The bytes of an artifact (from the database or its file), checked against its hash. An
  /// artifact that cannot be read or is damaged is a store_error naming its file and `whose`
  /// (the step and run it is the output of), never wrong bytes.
  std::vector<std::byte> read_artifact(const std::string& hash, const std::string& whose) {
    std::vector<std::byte> bytes;
    bool in_db = false;
    {
      auto reader = acquire_reader();
      try {
        auto& q = reader->cached("SELECT inline_bytes FROM artifacts WHERE hash = ?");
        q.bind_all(hash);
        if (q.step() && !q.null(0)) {
          auto [p, n] = q.blob(0);
          bytes.resize(n);
          if (n != 0) std::memcpy(bytes.data(), p, n);
          in_db = true;
        }
        q.reset();
      } catch (...) {
        release_reader(std::move(reader));
        throw;
      }
      release_reader(std::move(reader));
    }
    const std::string where = in_db ? "artifact " + hash + " in runs.db"
                                    : "artifact file '" + files.path_of(hash).string() + "'";
    if (!in_db) {
      try {
        bytes = files.read(hash);
      } catch (const store_error& e) {
        throw store_error(e.what() + (" (" + whose + ")"));
      }
    }
    if (hash128(bytes) != hash) {
      throw store_error("typeflow: run store: " + where + " (" + whose +
                        ") is damaged: its bytes no longer match their hash; a run that "
                        "produces the same output again repairs it");
    }
    return bytes;
  }

  /// A cache entry: the artifact of a step that produced its outputs under the key (none for
  /// a step returning void), with the artifact's bytes when they live in the database.
  struct cache_entry {
    std::optional<std::string> artifact;
    std::optional<std::vector<std::byte>> bytes;
  };

  /// The cache entry for `key`, if any. Workers look up concurrently, each on a connection of
  /// its own from a small pool (WAL readers do not block each other nor the writer).
  std::optional<cache_entry> lookup_cache(const std::string& key) {
    auto db = acquire_reader();
    std::optional<cache_entry> out;
    try {
      auto& q = db->cached(
          "SELECT s.artifact, a.inline_bytes, s.run_id, s.step FROM step_runs s LEFT JOIN "
          "artifacts a ON a.hash = s.artifact WHERE s.cache_key = ? AND s.status IN "
          "('succeeded', 'cached') ORDER BY s.artifact IS NULL LIMIT 1");
      q.bind_all(key);
      if (q.step()) {
        out.emplace();
        out->artifact = q.maybe_text(0);
        if (out->artifact) {
          checked_hash(*out->artifact, "the step_runs row of run " + shown(q.text(2)) + ", step '" +
                                           shown(q.text(3)) + "',");
        }
        if (!q.null(1)) {
          auto [p, n] = q.blob(1);
          out->bytes.emplace(n);
          if (n != 0) std::memcpy(out->bytes->data(), p, n);
        }
      }
      q.reset();
    } catch (...) {
      release_reader(std::move(db));
      throw;
    }
    release_reader(std::move(db));
    return out;
  }

  /// True when the artifact's bytes can be read (a row with inline bytes, or a file of the
  /// size recorded: a truncated file is not available, and its step runs again).
  bool artifact_available(const std::string& hash) {
    std::int64_t size = 0;
    {
      std::lock_guard lock(db_mutex);
      auto& q = db.cached("SELECT inline_bytes IS NOT NULL, size FROM artifacts WHERE hash = ?");
      q.bind_all(hash);
      bool row = q.step();
      bool inline_bytes = row && q.int64(0) != 0;
      if (row) size = q.int64(1);
      q.reset();
      if (!row) return false;
      if (inline_bytes) return true;
    }
    return size >= 0 && files.has_size(hash, static_cast<std::uint64_t>(size));
  }

  std::unique_ptr<database> acquire_reader() {
    {
      std::lock_guard lock(readers_mutex);
      if (!readers.empty()) {
        auto db = std::move(readers.back());
        readers.pop_back();
        return db;
      }
    }
    return std::make_unique<database>((dir / "runs.db").string(), cfg.busy_timeout, mode());
  }
  void release_reader(std::unique_ptr<database> db) {
    std::lock_guard lock(readers_mutex);
    if (readers.size() < 16) readers.push_back(std::move(db));
  }

  fs::path dir;
  store_config cfg;
  std::string host;
  std::int64_t pid;
  std::string start;  ///< this process's start (liveness.hpp), recorded with its runs
  artifact_files files;
  std::mutex db_mutex;  ///< guards db
  database db;
  int found_schema;
  std::mutex readers_mutex;
  std::vector<std::unique_ptr<database>> readers;  ///< idle connections for cache lookups
  writer w;                                        ///< last: stops (and drains) first

 private:
  /// Creates the store's directory; for a store opened read-only, checks that it has a
  /// runs.db instead (nothing is created).
  static bool prepare_dir(const fs::path& d, bool read_only) {
    std::error_code ec;
    if (read_only) {
      if (!fs::is_regular_file(d / "runs.db", ec)) {
        throw store_error("typeflow: no run store in '" + d.string() + "' (no runs.db there)");
      }
      return true;
    }
    fs::create_directories(d, ec);
    if (ec)
      throw store_error("typeflow: run store: cannot create '" + d.string() + "': " + ec.message());
    return true;
  }
};

}  // namespace store_detail
}  // namespace typeflow
