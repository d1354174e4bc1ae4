// Whether a run's process is alive (issue 15, defect 1): a process paused for longer than the
// heartbeat limit is still alive on this host (host + pid + start time, not heartbeat age), a
// live run cannot be deleted, and no row ever outlives its run: a run deleted while its process
// was paused gets no rows when the process resumes, which reports it.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/files.hpp>   // now_us, host_name
#include <typeflow/store/detail/schema.hpp>  // migrations

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include "store_inspection.hpp"
#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

#ifndef TYPEFLOW_STORE_CHILD
#error "TYPEFLOW_STORE_CHILD must name the helper executable"
#endif

namespace {

/// A plain SQLite connection to a store's runs.db, as another program would open it.
class raw_db {
 public:
  explicit raw_db(const std::filesystem::path& dir) {
    REQUIRE(sqlite3_open((dir / "runs.db").c_str(), &db_) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 10000);
  }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;
  ~raw_db() { sqlite3_close(db_); }
  int exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  /// The first column of the first row of `sql`, as an integer (0 for none).
  std::int64_t number(const std::string& sql) {
    sqlite3_stmt* q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &q, nullptr) == SQLITE_OK);
    std::int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return v;
  }
  std::vector<std::string> texts(const std::string& sql) {
    sqlite3_stmt* q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &q, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(q) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    }
    sqlite3_finalize(q);
    return out;
  }
  [[nodiscard]] sqlite3* get() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

/// Rows naming `run` in any table of the store, and rows naming a run that does not exist:
/// every table with a run_id column is asked (tables added later included).
std::string rows_of(const std::filesystem::path& dir, const std::string& run) {
  raw_db db{dir};
  std::string out;
  for (const auto& table : db.texts("SELECT name FROM sqlite_master WHERE type = 'table'")) {
    auto columns = db.texts("SELECT name FROM pragma_table_info('" + table + "')");
    for (const auto& column : columns) {
      if (column != "run_id" && !(table == "runs" && column == "id")) continue;
      auto mine =
          db.number("SELECT count(*) FROM " + table + " WHERE " + column + " = '" + run + "'");
      if (mine != 0) out += table + ": " + std::to_string(mine) + " rows of run " + run + "\n";
      if (column == "run_id") {
        auto orphans = db.number("SELECT count(*) FROM " + table +
                                 " WHERE run_id NOT IN (SELECT id FROM runs)");
        if (orphans != 0) out += table + ": " + std::to_string(orphans) + " orphan rows\n";
      }
    }
  }
  return out;
}

/// The newest run's id once its step `wait` is running (up to a minute).
std::string wait_running(const std::filesystem::path& dir) {
  tyf::store watcher{dir};
  REQUIRE(tyf::test::newest_step_running(watcher, "wait"));
  return watcher.runs().front().id;
}

/// Stops the child with SIGSTOP at a moment when it holds no write lock on runs.db (a process
/// paused inside a transaction keeps everyone else waiting: that is another test's matter).
void pause_outside_transaction(tyf::test::child& c, const std::filesystem::path& dir) {
  raw_db db{dir};
  sqlite3_busy_timeout(db.get(), 0);
  for (int i = 0; i < 1000; ++i) {
    c.signal(SIGSTOP);
    // The signal is delivered before kill() returns for a process of this user; wait until
    // the kernel shows it stopped.
    REQUIRE(tyf::test::eventually([&] {
      auto stat = tyf::test::read_file("/proc/" + std::to_string(c.pid()) + "/stat");
      auto close = stat.rfind(')');
      return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'T';
    }));
    if (db.exec("BEGIN IMMEDIATE") == SQLITE_OK) {
      REQUIRE(db.exec("ROLLBACK") == SQLITE_OK);
      return;
    }
    c.signal(SIGCONT);
    std::this_thread::yield();
  }
  FAIL("the child held the write lock every time it was paused");
}

/// Waits (up to a minute) until run `id`'s last heartbeat is older than `age`.
void wait_heartbeat_older(const std::filesystem::path& dir, const std::string& id,
                          std::chrono::milliseconds age) {
  raw_db db{dir};
  REQUIRE(tyf::test::eventually([&] {
    auto hb = db.number("SELECT heartbeat FROM runs WHERE id = '" + id + "'");
    return tyf::store_detail::now_us() - hb > age.count() * 1000;
  }));
}

}  // namespace

TEST_CASE("a paused run is alive: not interrupted, not deletable, and it finishes when resumed") {
  temp_dir dir;
  auto err = dir.path() / "child.err", go = dir.path() / "go";
  tyf::test::child c({TYPEFLOW_STORE_CHILD, "wait-file", dir.str(), go.string()}, err.string());
  const auto id = wait_running(dir.path());
  pause_outside_transaction(c, dir.path());
  // Paused for longer than the heartbeat limit of the store opened next.
  tyf::store_config cfg;
  cfg.stale_after = std::chrono::milliseconds(200);
  wait_heartbeat_older(dir.path(), id, std::chrono::milliseconds(600));
  {
    tyf::store st{dir.path(), cfg};
    auto r = st.show(id).run;
    INFO(r.message);
    REQUIRE(r.status == tyf::run_status::running);
    REQUIRE(st.recover() == 0);
    REQUIRE_THROWS_WITH(st.remove({id}), Catch::Contains(id) && Catch::Contains("still running") &&
                                             Catch::Contains("pid " + std::to_string(c.pid())));
    REQUIRE(st.show(id).run.status == tyf::run_status::running);
  }
  std::ofstream(go) << "go";
  c.signal(SIGCONT);
  auto rc = c.wait_for(std::chrono::seconds(60));
  INFO(tyf::test::read_file(err));
  REQUIRE(rc == 0);
  tyf::store st{dir.path(), cfg};
  auto d = st.show(id);
  REQUIRE(d.run.status == tyf::run_status::succeeded);
  REQUIRE(d.step("wait")->status == tyf::step_status::succeeded);
  REQUIRE(d.step("after")->status == tyf::step_status::succeeded);
  REQUIRE(d.final_metric("waited") == 1.0);
  REQUIRE(rows_of(dir.path(), "none") == "");
  auto removed = st.remove({id});  // ended: now it can go
  REQUIRE(removed.runs == 1);
  REQUIRE(rows_of(dir.path(), id) == "");
}

TEST_CASE("a run deleted while its process was paused gets no rows when it resumes, and says so") {
  temp_dir dir;
  auto err = dir.path() / "child.err", go = dir.path() / "go";
  tyf::test::child c({TYPEFLOW_STORE_CHILD, "wait-file", dir.str(), go.string()}, err.string());
  const auto id = wait_running(dir.path());
  pause_outside_transaction(c, dir.path());
  // As the store sees a run of another host (a store shared between machines): its process
  // cannot be asked, so only its heartbeat tells; a silent one is taken for dead and deleted.
  {
    raw_db db{dir.path()};
    REQUIRE(db.exec("UPDATE runs SET host = 'another-host' WHERE id = '" + id + "'") == SQLITE_OK);
  }
  tyf::store_config cfg;
  cfg.stale_after = std::chrono::milliseconds(200);
  wait_heartbeat_older(dir.path(), id, std::chrono::milliseconds(600));
  {
    tyf::store st{dir.path(), cfg};
    REQUIRE(st.show(id).run.status == tyf::run_status::interrupted);
    REQUIRE(st.remove({id}).runs == 1);
  }
  REQUIRE(rows_of(dir.path(), id) == "");
  std::ofstream(go) << "go";
  c.signal(SIGCONT);
  auto rc = c.wait_for(std::chrono::seconds(60));
  auto text = tyf::test::read_file(err);
  INFO(text);
  REQUIRE(rc == 4);  // records not stored, and the process says why
  REQUIRE_THAT(text, Catch::Contains("run " + id + " was deleted"));
  REQUIRE(rows_of(dir.path(), id) == "");
  tyf::store st{dir.path()};
  REQUIRE(st.runs().empty());
}

TEST_CASE("deleting a run whose process was killed leaves no row of it in any table") {
  temp_dir dir;
  auto err = dir.path() / "child.err", go = dir.path() / "go";
  tyf::test::child c({TYPEFLOW_STORE_CHILD, "wait-file", dir.str(), go.string()}, err.string());
  const auto id = wait_running(dir.path());
  c.kill_hard();
  REQUIRE(c.wait() == 128 + SIGKILL);
  // And a run that ended, for rows that must stay.
  auto p = tyf::test::small_pipeline();
  tyf::store st{dir.path()};
  REQUIRE(st.show(id).run.status == tyf::run_status::interrupted);
  auto kept = st.run(p, tyf::store_options{}.tag("k", "v"));
  REQUIRE(kept.ok());
  st.flush();
  REQUIRE_FALSE(rows_of(dir.path(), id).empty());
  REQUIRE(st.remove({id}).runs == 1);
  REQUIRE(rows_of(dir.path(), id) == "");
  auto d = st.show(kept.run_id());
  REQUIRE(d.steps.size() == 3);
  REQUIRE(d.metrics.size() == 1);
  REQUIRE(d.run.params.size() == 1);
  REQUIRE(d.run.tags.size() == 1);
}

TEST_CASE("a pid now used by another process is not taken for the run's process") {
  temp_dir dir;
  { tyf::store st{dir.path()}; }
  // A run recorded by this host with this test's own pid but another start time: the process
  // that recorded it is gone, and the pid was given again. Its heartbeat is fresh.
  {
    raw_db db{dir.path()};
    auto now = std::to_string(tyf::store_detail::now_us());
    REQUIRE(db.exec("INSERT INTO runs (id, pipeline, structure_hash, status, started, host, pid, "
                    "heartbeat, process_start) VALUES ('000000000abc', 'x', 'h', 'running', " +
                    now + ", '" + tyf::store_detail::host_name() + "', " +
                    std::to_string(::getpid()) + ", " + now + ", 'another-boot/1')") == SQLITE_OK);
  }
  tyf::store st{dir.path()};
  auto r = st.show("000000000abc").run;
  REQUIRE(r.status == tyf::run_status::interrupted);
  REQUIRE_THAT(r.message, Catch::Contains("died"));
}

TEST_CASE(
    "a store of schema 2 opens: its rows kept, rows of deleted runs gone, start times unknown") {
  temp_dir dir;
  tyf::test::old_store(dir.path(), 2);
  {
    raw_db db{dir.path()};
    const auto here = "'" + tyf::store_detail::host_name() + "'";
    const auto me = std::to_string(::getpid());
    const auto now = std::to_string(tyf::store_detail::now_us());
    REQUIRE(
        db.exec("INSERT INTO runs (id, pipeline, structure_hash, status, started, ended, host, "
                "pid, heartbeat) VALUES ('000000000old', 'x', 'h', 'succeeded', 1, 2, 'h', 1, 2); "
                "INSERT INTO run_params VALUES ('000000000old', 'seed', 'int', '3', NULL, 0); "
                "INSERT INTO run_tags VALUES ('000000000old', 'k', 'v'); "
                "INSERT INTO step_runs (run_id, step, node, status) VALUES "
                "('000000000old', 'a', 1, 'succeeded'); "
                "INSERT INTO metrics VALUES ('000000000old', 'a', 'm', 0.5, 0, 2); "
                // Rows of a run deleted while its process was paused, written when it resumed.
                "INSERT INTO step_runs (run_id, step, node, status) VALUES "
                "('00000000gone', 'a', 1, 'succeeded'); "
                "INSERT INTO metrics VALUES ('00000000gone', 'a', 'm', 0.5, 0, 2); "
                "INSERT INTO run_params VALUES ('00000000gone', 'seed', 'int', '3', NULL, 0); "
                "INSERT INTO run_tags VALUES ('00000000gone', 'k', 'v'); "
                // Running runs of this host recorded without a start time: a live pid, so only
                // the heartbeat can tell (as before).
                "INSERT INTO runs (id, pipeline, structure_hash, status, started, host, pid, "
                "heartbeat) VALUES ('00000000mute', 'x', 'h', 'running', 1, " +
                here + ", " + me + ", 1), ('0000000fresh', 'x', 'h', 'running', 1, " + here + ", " +
                me + ", " + now + ")") == SQLITE_OK);
  }
  tyf::store st{dir.path()};
  auto d = st.show("000000000old");
  REQUIRE(d.run.status == tyf::run_status::succeeded);
  REQUIRE(d.run.params.at("seed") == "3");
  REQUIRE(d.run.tags.at("k") == "v");
  REQUIRE(d.steps.size() == 1);
  REQUIRE(d.metrics.size() == 1);
  REQUIRE(rows_of(dir.path(), "00000000gone") == "");
  REQUIRE(st.show("00000000mute").run.status == tyf::run_status::interrupted);
  REQUIRE(st.show("0000000fresh").run.status == tyf::run_status::running);
  raw_db db{dir.path()};
  REQUIRE(db.number("SELECT version FROM schema_version") == tyf::store_detail::schema_version);
  REQUIRE(db.number("SELECT count(*) FROM runs WHERE process_start IS NOT NULL") == 0);
}
