#pragma once
// A thin RAII layer over SQLite's C API: a connection with the store's settings (WAL, a
// bounded wait for another process's lock that says what it waits for), statements with bound
// parameters only, and IMMEDIATE transactions (a writer takes the write lock up front, so two
// processes never deadlock upgrading a read lock).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <sqlite3.h>
#include <unistd.h>

#include <typeflow/store/errors.hpp>

namespace typeflow::store_detail {

/// A failed SQLite call, with SQLite's (extended) result code.
class sqlite_error : public store_error {
 public:
  sqlite_error(const std::string& what, int code) : store_error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }
  /// SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock longer than we waited.
  [[nodiscard]] bool busy() const noexcept {
    return (code_ & 0xff) == SQLITE_BUSY || (code_ & 0xff) == SQLITE_LOCKED;
  }
  /// SQLITE_FULL or SQLITE_IOERR: the disk is full, or failed a write.
  [[nodiscard]] bool disk() const noexcept {
    return (code_ & 0xff) == SQLITE_FULL || (code_ & 0xff) == SQLITE_IOERR;
  }

 private:
  int code_;
};

/// What a busy or locked result means for the user: which file, and that another process
/// holds it (SQLite says only "database is locked").
inline std::string lock_explained(sqlite3* db, int rc) {
  if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) return {};
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return std::string("; another process held the lock on '") +
         (file != nullptr ? file : "runs.db") +
         "' for longer than store_config::busy_timeout allows to wait";
}

[[noreturn]] inline void sqlite_fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "typeflow: run store: " + std::string(what) + ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (SQLite error " + std::to_string(rc) + ")";
  msg += lock_explained(db, rc);
  throw sqlite_error(msg, rc);
}

/// A wait, for messages: "250 ms", "1.5 s", "120 s".
inline std::string seconds_text(std::chrono::steady_clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  auto tenths = ms / 100;
  return std::to_string(tenths / 10) + (tenths % 10 != 0 ? "." + std::to_string(tenths % 10) : "") +
         " s";
}

class statement {
 public:
  statement(sqlite3* db, std::string_view sql) : db_(db) {
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) sqlite_fail(db, rc, "cannot prepare '" + std::string(sql) + "'");
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)) {}
  statement& operator=(statement&&) = delete;
  ~statement() { sqlite3_finalize(stmt_); }

  statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, unsigned v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, std::size_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  statement& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  statement& bind(int i, std::string_view v) {
    return check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view{v}); }
  statement& bind(int i, const char* v) { return bind(i, std::string_view{v}); }
  statement& bind(int i, std::nullptr_t) { return check(sqlite3_bind_null(stmt_, i)); }
  statement& bind_blob(int i, const void* data, std::size_t n) {
    return check(sqlite3_bind_blob64(stmt_, i, n == 0 ? "" : data, n, SQLITE_TRANSIENT));
  }
  template <class T>
  statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind(i, nullptr);
  }
  /// Binds every argument, from parameter 1 on.
  template <class... A>
  statement& bind_all(const A&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  /// True when a row is ready; false when done.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string sql = sqlite3_sql(stmt_) != nullptr ? sqlite3_sql(stmt_) : "";
    sqlite3_reset(stmt_);
    sqlite_fail(db_, rc, "'" + sql + "' failed");
  }
  /// Runs to the end (statements without rows), then resets for reuse.
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  [[nodiscard]] bool null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  [[nodiscard]] std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] double real(int col) const { return sqlite3_column_double(stmt_, col); }
  [[nodiscard]] std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  [[nodiscard]] std::optional<std::string> maybe_text(int col) const {
    if (null(col)) return std::nullopt;
    return text(col);
  }
  [[nodiscard]] std::optional<std::int64_t> maybe_int64(int col) const {
    if (null(col)) return std::nullopt;
    return int64(col);
  }
  /// A blob column's bytes, valid until the next step or reset.
  [[nodiscard]] std::pair<const void*, std::size_t> blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
  }

 private:
  statement& check(int rc) {
    if (rc != SQLITE_OK) sqlite_fail(db_, rc, "cannot bind a parameter");
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// How a connection opens its database: for reading and writing (created when missing), or
/// for reading only (see database's constructor).
enum class open_mode { read_write, read_only };

/// `path` as a file: URI's path (RFC 3986: '%', '?' and '#' and bytes outside ASCII escaped).
inline std::string uri_path(const std::string& path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '%' || c == '?' || c == '#' || c < 0x21 || c >= 0x7f) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

/// One connection. Not shared between threads without a lock of the caller's.
///
/// When another connection holds the lock it needs, a call waits (polling, with a growing
/// pause) for at most `busy_timeout`; once it has waited a while (a quarter of the timeout, at
/// most 5 s) it says so on stderr, naming the file and that another process holds it. Within
/// a patience scope, the waits of all calls add up against one timeout (a writer's tries).
class database {
 public:
  /// Opens runs.db. Read-only connections write nothing, create nothing (not even the -wal
  /// and -shm files a WAL reader makes), so that a store the user cannot write can be read:
  /// when runs.db-wal exists (a connection has the database open, or one died) the database is
  /// read through it; otherwise no connection has it open and it is read as immutable (URI
  /// immutable=1), which needs no -shm file. A process that starts writing while an immutable
  /// read goes on may make that read fail (never the writer); the command can be run again.
  ///
  /// With `may_lock`, a read-write database whose WAL index (runs.db-shm) cannot be created or
  /// grown (a full disk: the first connection rebuilds that file) is opened again in exclusive
  /// locking mode, where SQLite keeps the index in memory: reading then needs no disk space,
  /// and this connection is the only one of the file while it is open.
  database(const std::string& path, std::chrono::milliseconds busy_timeout,
           open_mode mode = open_mode::read_write, bool may_lock = false)
      : path_(path), timeout_(busy_timeout) {
    try {
      open(mode, false);
    } catch (const sqlite_error& e) {
      close();
      if (!may_lock || mode == open_mode::read_only || !e.disk()) throw;
      why_exclusive_ = e.what();
      try {
        open(mode, true);
      } catch (...) {
        close();
        throw;
      }
      exclusive_ = true;
    }
  }
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database() { close(); }

  /// Opened in exclusive locking mode (see the constructor): the disk was full.
  [[nodiscard]] bool exclusive() const noexcept { return exclusive_; }
  /// Why: the error of the normal open.
  [[nodiscard]] const std::string& why_exclusive() const noexcept { return why_exclusive_; }

  void exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw sqlite_error("typeflow: run store: '" + std::string(sql) + "' failed: " + msg +
                             " (SQLite error " + std::to_string(rc) + ")" + lock_explained(db_, rc),
                         rc);
    }
  }
  [[nodiscard]] statement prepare(std::string_view sql) { return statement{db_, sql}; }
  /// A statement prepared once per connection and reused (reset before it is handed out).
  statement& cached(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(std::string(sql), statement{db_, sql}).first;
    it->second.reset();
    return it->second;
  }
  [[nodiscard]] std::int64_t changes() const { return sqlite3_changes64(db_); }
  [[nodiscard]] sqlite3* get() const noexcept { return db_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::chrono::milliseconds busy_timeout() const noexcept { return timeout_; }

  /// While it lives, the calls on the connection share one busy_timeout: a write tried again
  /// after SQLite gave up (or did not wait) waits only for what is left of it.
  class patience {
   public:
    explicit patience(database& db) : db_(db) {
      db_.scoped_ = true;
      db_.since_ = std::chrono::steady_clock::now();
      db_.told_ = false;
    }
    patience(const patience&) = delete;
    patience& operator=(const patience&) = delete;
    ~patience() {
      if (db_.told_) {
        std::fprintf(stderr, "typeflow: run store: '%s' is free again after %s\n",
                     db_.path_.c_str(),
                     seconds_text(std::chrono::steady_clock::now() - db_.since_).c_str());
      }
      db_.scoped_ = false;
      db_.told_ = false;
    }
    /// True once the whole timeout is spent.
    [[nodiscard]] bool spent() const {
      return std::chrono::steady_clock::now() - db_.since_ >= db_.timeout_;
    }
    /// Gives up saying it is free again (the caller reports the failure instead).
    void failed() noexcept { db_.told_ = false; }

   private:
    database& db_;
  };

 private:
  /// SQLite's busy handler: true (go on waiting) until the timeout is spent.
  static int on_busy(void* self, int count) {
    auto& db = *static_cast<database*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0 && !db.scoped_) {
      db.since_ = now;
      db.told_ = false;
    }
    const auto waited = now - db.since_;
    if (waited >= db.timeout_) return 0;
    const auto notice =
        std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(5), db.timeout_ / 4);
    if (!db.told_ && waited >= notice) {
      db.told_ = true;
      std::fprintf(stderr,
                   "typeflow: run store: waiting for '%s': another process holds its lock "
                   "(%s so far; giving up after %s, store_config::busy_timeout)\n",
                   db.path_.c_str(), seconds_text(waited).c_str(),
                   seconds_text(db.timeout_).c_str());
    }
    // A growing pause: 1 ms at first (a short transaction), up to 50 ms.
    auto pause = std::chrono::milliseconds(std::min(50, 1 + count * 2));
    auto left = db.timeout_ - waited;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, left));
    return 1;
  }

  std::string path_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point since_{};
  bool scoped_ = false;
  bool told_ = false;

  void open(open_mode mode, bool exclusive) {
    const bool read_only = mode == open_mode::read_only;
    int rc = 0;
    if (!read_only) {
      rc = sqlite3_open_v2(path_.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
    } else {
      std::string wal = path_ + "-wal";
      std::string uri = "file:" + uri_path(path_);
      if (::access(wal.c_str(), F_OK) != 0) uri += "?immutable=1";
      rc = sqlite3_open_v2(uri.c_str(), &db_,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    }
    if (rc != SQLITE_OK) {
      std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      throw sqlite_error("typeflow: run store: cannot open '" + path_ + "': " + msg, rc);
    }
    sqlite3_busy_handler(db_, &database::on_busy, this);
    sqlite3_extended_result_codes(db_, 1);
    // Before the first access to a WAL database: the WAL index then lives in memory.
    if (exclusive) exec("PRAGMA locking_mode = EXCLUSIVE");
    exec("PRAGMA foreign_keys = ON");
    // WAL: readers never block the writer nor the writer the readers; NORMAL sync is
    // durable against process crashes (and consistent, if not durable, across power loss).
    if (!read_only) {
      // Setting WAL needs a lock that SQLite may refuse at once, without its busy handler (a
      // process creating the store at the same moment): tried again within busy_timeout.
      patience wait{*this};
      for (int attempt = 0;; ++attempt) {
        try {
          exec("PRAGMA journal_mode = WAL");
          break;
        } catch (const sqlite_error& e) {
          if (!e.busy() || wait.spent()) {
            wait.failed();
            throw;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + attempt * 2, 50)));
        }
      }
      exec("PRAGMA synchronous = NORMAL");
    }
    // A larger page cache and memory-mapped reads: inserts into the key-ordered tables touch
    // pages all over them, and copying each through read() dominated the writer's time.
    exec("PRAGMA cache_size = -32768");
    exec("PRAGMA mmap_size = 268435456");
    exec("PRAGMA temp_store = MEMORY");
  }
  void close() noexcept {
    cache_.clear();
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  std::map<std::string, statement, std::less<>> cache_;
  bool exclusive_ = false;
  std::string why_exclusive_;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back when left by an exception.
class transaction {
 public:
  explicit transaction(database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  database& db_;
  bool done_ = false;
};

}  // namespace typeflow::store_detail
