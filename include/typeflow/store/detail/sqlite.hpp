#pragma once
// A thin RAII layer over SQLite's C API: a connection with the store's settings (WAL, a busy
// timeout), statements with bound parameters only, and IMMEDIATE transactions (a writer takes
// the write lock up front, so two processes never deadlock upgrading a read lock).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <sqlite3.h>

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

[[noreturn]] inline void sqlite_fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "typeflow: run store: " + std::string(what) + ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (SQLite error " + std::to_string(rc) + ")";
  throw sqlite_error(msg, rc);
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

/// One connection. Not shared between threads without a lock of the caller's.
class database {
 public:
  /// Opens runs.db. With `may_lock`, a database whose WAL index (runs.db-shm) cannot be
  /// created or grown (a full disk: the first connection rebuilds that file) is opened again
  /// in exclusive locking mode, where SQLite keeps the index in memory: reading then needs no
  /// disk space, and this connection is the only one of the file while it is open.
  database(const std::string& path, std::chrono::milliseconds busy_timeout, bool may_lock = false) {
    try {
      open(path, busy_timeout, false);
    } catch (const sqlite_error& e) {
      close();
      if (!may_lock || !e.disk()) throw;
      why_exclusive_ = e.what();
      try {
        open(path, busy_timeout, true);
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
                             " (SQLite error " + std::to_string(rc) + ")",
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

 private:
  void open(const std::string& path, std::chrono::milliseconds busy_timeout, bool exclusive) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      throw sqlite_error("typeflow: run store: cannot open '" + path + "': " + msg, rc);
    }
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    sqlite3_extended_result_codes(db_, 1);
    // Before the first access to a WAL database: the WAL index then lives in memory.
    if (exclusive) exec("PRAGMA locking_mode = EXCLUSIVE");
    exec("PRAGMA foreign_keys = ON");
    // WAL: readers never block the writer nor the writer the readers; NORMAL sync is
    // durable against process crashes (and consistent, if not durable, across power loss).
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
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
