#pragma once
// A store as the tests see it from outside: SQL run on its runs.db by a plain connection (to
// damage rows, as another program could), and a snapshot of its files (to show that a reader
// wrote, created or removed nothing), and stores of an older schema.

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include <sqlite3.h>
#include <sys/stat.h>

#include <typeflow/store/detail/schema.hpp>  // migrations

namespace typeflow::test {

/// Runs `text` on `store`/runs.db; a failure fails the test, naming the SQL and SQLite's error.
inline void sql(const std::filesystem::path& store, const std::string& text) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((store / "runs.db").c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err);
  std::string msg = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  INFO(text << ": " << msg);
  REQUIRE(rc == SQLITE_OK);
}

/// The integer in the first column of the first row `query` gives on `store`/runs.db; no row
/// fails the test.
inline std::int64_t number(const std::filesystem::path& store, const std::string& query) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((store / "runs.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  const int prepared = sqlite3_prepare_v2(db, query.c_str(), -1, &q, nullptr);
  const int stepped = prepared == SQLITE_OK ? sqlite3_step(q) : prepared;
  const std::int64_t value = stepped == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
  std::string msg = sqlite3_errmsg(db);
  sqlite3_finalize(q);
  sqlite3_close(db);
  INFO(query << ": " << msg);
  REQUIRE(stepped == SQLITE_ROW);
  return value;
}

/// Makes `store`/runs.db a store of schema `version` as the typeflow of that version made it
/// (its first `version` migrations), then runs `rows` on it (the rows the test keeps).
inline void old_store(const std::filesystem::path& store, std::size_t version,
                      const std::string& rows = {}) {
  std::string text =
      "CREATE TABLE schema_version (version INTEGER NOT NULL); "
      "INSERT INTO schema_version VALUES (" +
      std::to_string(version) + ");";
  for (std::size_t v = 0; v < version; ++v)
    text += std::string(store_detail::migrations.at(v)) + ";";
  sql(store, text + rows);
}

/// Every file and directory under `root` (and root itself), one a line, named relative to
/// root's parent: its kind, size, modification time (ns) and inode, so that a write, a new file
/// or a removed one shows.
inline std::string snapshot(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> files;
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return;
    files[fs::relative(p, root.parent_path()).string()] =
        std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
        std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " " +
        std::to_string(st.st_ino);
  };
  add(root);
  std::error_code ec;
  if (fs::is_directory(root, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(root, ec)) add(e.path());
  }
  std::string text;
  for (const auto& [k, v] : files) text += k + " " + v + "\n";
  return text;
}

}  // namespace typeflow::test
