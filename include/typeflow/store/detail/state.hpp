#pragma once
// What one open store holds: its directory and settings, the artifact files, a connection for
// queries and direct writes (under a lock), and the writer thread. Runs share it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <typeflow/store/detail/files.hpp>
#include <typeflow/store/detail/hash.hpp>
#include <typeflow/store/detail/schema.hpp>
#include <typeflow/store/detail/sqlite.hpp>
#include <typeflow/store/detail/writer.hpp>
#include <typeflow/store/options.hpp>

namespace typeflow {

namespace store_detail {

struct store_state {
  store_state(fs::path d, store_config c)
      : dir(std::move(d)), cfg(c), host(host_name()), pid(process_id()),
        files((make_dir(dir), dir / "artifacts")),
        db((dir / "runs.db").string(), cfg.busy_timeout, true), found_schema(migrate(db)),
        w((dir / "runs.db").string(), files, cfg.inline_limit, cfg.busy_timeout, read_only()) {}

  /// The disk is full: runs.db is open in exclusive locking mode, for reading and deleting
  /// (see database), and nothing can be recorded.
  [[nodiscard]] bool read_only() const noexcept { return db.exclusive(); }

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

  /// The bytes of an artifact (from the database or its file), checked against its hash.
  std::vector<std::byte> read_artifact(const std::string& hash) {
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
    if (!in_db) bytes = files.read(hash);
    if (hash128(bytes) != hash) {
      throw store_error("typeflow: run store: artifact " + hash +
                        " is damaged: its bytes no longer match their hash");
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

  /// True when the artifact's bytes can be read (a row with inline bytes, or a file).
  bool artifact_available(const std::string& hash) {
    {
      std::lock_guard lock(db_mutex);
      auto& q = db.cached("SELECT inline_bytes IS NOT NULL FROM artifacts WHERE hash = ?");
      q.bind_all(hash);
      bool row = q.step();
      bool inline_bytes = row && q.int64(0) != 0;
      q.reset();
      if (!row) return false;
      if (inline_bytes) return true;
    }
    return files.exists(hash);
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
    return std::make_unique<database>((dir / "runs.db").string(), cfg.busy_timeout);
  }
  void release_reader(std::unique_ptr<database> db) {
    std::lock_guard lock(readers_mutex);
    if (readers.size() < 16) readers.push_back(std::move(db));
  }

  fs::path dir;
  store_config cfg;
  std::string host;
  std::int64_t pid;
  artifact_files files;
  std::mutex db_mutex;  ///< guards db
  database db;
  int found_schema;
  std::mutex readers_mutex;
  std::vector<std::unique_ptr<database>> readers;  ///< idle connections for cache lookups
  writer w;                                        ///< last: stops (and drains) first

 private:
  static bool make_dir(const fs::path& d) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec)
      throw store_error("typeflow: run store: cannot create '" + d.string() + "': " + ec.message());
    return true;
  }
};

}  // namespace store_detail
}  // namespace typeflow
