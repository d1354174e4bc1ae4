#pragma once
// The store's tables and their migrations. The schema's version lives in a table of its own;
// opening a store applies the migrations it lacks, in one IMMEDIATE transaction, so two
// processes opening a new store at once agree. A store made by a newer typeflow is refused.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <typeflow/store/detail/sqlite.hpp>

namespace typeflow::store_detail {

/// Migration i takes the schema from version i to i + 1. Append, never edit.
inline constexpr std::array<const char*, 5> migrations{
    // 0 -> 1: the first schema. Times are microseconds since the Unix epoch.
    R"sql(
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  structure_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  started INTEGER NOT NULL,
  ended INTEGER,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  experiment TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'run',
  origin TEXT,
  heartbeat INTEGER NOT NULL,
  stop_requested INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_experiment ON runs(experiment, id);
CREATE TABLE run_params (
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  value TEXT,
  value_hash TEXT,
  is_default INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE INDEX run_params_by_value ON run_params(name, value);
CREATE TABLE run_tags (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX run_tags_by_value ON run_tags(key, value);
CREATE TABLE step_runs (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  node INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  started INTEGER,
  ended INTEGER,
  message TEXT NOT NULL DEFAULT '',
  cache_hit INTEGER NOT NULL DEFAULT 0,
  cache_key TEXT,
  artifact TEXT,
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE INDEX step_runs_by_artifact ON step_runs(artifact);
CREATE TABLE metrics (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  idx INTEGER NOT NULL,
  time INTEGER NOT NULL
);
CREATE INDEX metrics_by_run ON metrics(run_id, name);
CREATE TABLE artifacts (
  hash TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  type TEXT NOT NULL,
  codec_version INTEGER NOT NULL,
  created INTEGER NOT NULL,
  inline_bytes BLOB
) WITHOUT ROWID;
CREATE TABLE cache (
  key TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  step TEXT NOT NULL,
  artifact TEXT,
  run_id TEXT NOT NULL,
  created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX cache_by_pipeline ON cache(pipeline);
CREATE INDEX cache_by_artifact ON cache(artifact);
CREATE INDEX cache_by_run ON cache(run_id);
)sql",
    // 1 -> 2: the cache is the step rows themselves (a row with a key whose step produced its
    // outputs is an entry), so an entry goes with its run; artifacts are collected with one
    // NOT IN, so no index on artifact columns is needed.
    R"sql(
DROP TABLE cache;
DROP INDEX step_runs_by_artifact;
CREATE INDEX step_runs_by_cache_key ON step_runs(cache_key) WHERE cache_key IS NOT NULL;
)sql",
    // 2 -> 3: a run records when its process started (liveness.hpp: host + pid + start time
    // tell a paused process from a dead one, and from another that got the pid again); NULL in
    // runs of older typeflows. Rows of runs that no longer exist (left by a process that went
    // on writing after its run was deleted) go: no row outlives its run.
    R"sql(
ALTER TABLE runs ADD COLUMN process_start TEXT;
DELETE FROM run_params WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM run_tags WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM step_runs WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM metrics WHERE run_id NOT IN (SELECT id FROM runs);
)sql",
    // 3 -> 4: a metric's value may be NaN, which SQLite stores as NULL (a REAL column holds
    // +-inf as they are), so `value` is nullable: NULL is NaN. SQLite cannot drop a NOT NULL,
    // so the table is made anew; rows keep their rowids (points are read back in rowid order).
    R"sql(
CREATE TABLE metrics_3 (
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  idx INTEGER NOT NULL,
  time INTEGER NOT NULL
);
INSERT INTO metrics_3 (rowid, run_id, step, name, value, idx, time)
  SELECT rowid, run_id, step, name, value, idx, time FROM metrics;
DROP TABLE metrics;
ALTER TABLE metrics_3 RENAME TO metrics;
CREATE INDEX metrics_by_run ON metrics(run_id, name);
)sql",
    // 4 -> 5: delayed parameters a running run waits for (the command line records one when
    // no terminal can answer) and their answers (`answer RUN NAME=VALUE`). `requested` is
    // NULL for an answer given before the run recorded its request.
    R"sql(
CREATE TABLE param_requests (
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  requested INTEGER,
  answer TEXT,
  answered INTEGER,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
)sql",
};

inline constexpr int schema_version = static_cast<int>(migrations.size());

/// The version in the schema_version table, checked (see migrate); nullopt when it has no row.
inline std::optional<std::int64_t> stored_schema_version(database& db) {
  std::optional<std::int64_t> version;
  auto q = db.prepare("SELECT version, typeof(version) FROM schema_version");
  int rows = 0;
  while (q.step()) {
    if (++rows > 1) continue;
    if (q.text(1) != "integer") {
      throw store_error(
          "typeflow: run store: the database's schema version is not an " +
          ("integer (" + q.text(1) + " '" + q.text(0).substr(0, 40) + "'): runs.db is damaged"));
    }
    version = q.int64(0);
  }
  if (rows > 1) {
    throw store_error("typeflow: run store: the database's schema_version table has " +
                      std::to_string(rows) + " rows, not one: runs.db is damaged");
  }
  return version;
}

/// Refuses a stored schema version outside 0..schema_version: a negative one no typeflow
/// writes (a damaged runs.db), a larger one is a newer typeflow's.
inline void check_version_range(std::int64_t version) {
  if (version < 0) {
    throw store_error("typeflow: run store: the database has schema version " +
                      std::to_string(version) + ", which no typeflow writes: runs.db is damaged");
  }
  if (version > schema_version) {
    throw store_error("typeflow: run store: the database has schema version " +
                      std::to_string(version) + ", newer than this typeflow's " +
                      std::to_string(schema_version) + "; use a newer typeflow to open it");
  }
}

/// Brings the database to schema_version; returns the version it found. The version is read
/// as the 64-bit integer SQLite holds and checked before it is used: one row, an integer,
/// 0..schema_version (a newer one is a store from a newer typeflow, anything else a damaged
/// one), so a damaged value never indexes past the migrations nor is truncated into range.
inline int migrate(database& db) {
  transaction tx{db};
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  auto stored = stored_schema_version(db);
  if (!stored) db.prepare("INSERT INTO schema_version (version) VALUES (0)").run();
  const std::int64_t version = stored.value_or(0);
  check_version_range(version);
  const int found = static_cast<int>(version);
  for (int v = found; v < schema_version; ++v) {
    db.exec(migrations[static_cast<std::size_t>(v)]);
  }
  if (found != schema_version) {
    db.prepare("UPDATE schema_version SET version = ?").bind_all(schema_version).run();
  }
  tx.commit();
  return found;
}

/// For a store opened read-only: checks, without writing, that the database has this
/// typeflow's schema; returns it. A database without one is not a run store (or one never
/// opened); an older one needs its migrations, which write: it is refused, saying so.
inline int check_schema(database& db) {
  {
    // An empty runs.db (a store whose creation was cut short: a full disk, a kill) holds no
    // run: it reads as a store without runs. Its tables are made in the connection's TEMP
    // database (memory), which a read-only connection may write; runs.db is not touched.
    auto all = db.prepare("SELECT count(*) FROM sqlite_master");
    const bool empty = all.step() && all.int64(0) == 0;
    all.reset();
    if (empty) {
      for (const char* m : migrations) {
        std::string sql = m;
        for (std::size_t at = 0; (at = sql.find("CREATE TABLE ", at)) != std::string::npos;) {
          sql.replace(at, 13, "CREATE TEMP TABLE ");
          at += 18;
        }
        db.exec(sql.c_str());
      }
      return schema_version;
    }
  }
  auto q = db.prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  const bool has_table = q.step() && q.int64(0) != 0;
  q.reset();
  auto stored = has_table ? stored_schema_version(db) : std::nullopt;
  if (!stored) {
    throw store_error(
        "typeflow: run store: runs.db has no schema: it is not a run store, or one never used");
  }
  const std::int64_t version = *stored;
  check_version_range(version);
  if (version < schema_version) {
    throw store_error("typeflow: run store: the database has schema version " +
                      std::to_string(version) + ", older than this typeflow's " +
                      std::to_string(schema_version) +
                      ", and is open read-only: it needs migrating, which writes it; open it "
                      "once for writing (start a run in it) as a user who may write it");
  }
  return static_cast<int>(version);
}

}  // namespace typeflow::store_detail
