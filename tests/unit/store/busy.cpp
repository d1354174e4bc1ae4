// A store whose lock another process holds (issue 15): the wait is bounded by
// store_config::busy_timeout as a whole (not per try), says on stderr what it waits for, and at
// the deadline the records not stored are counted and reported.
#include <typeflow/store.hpp>

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

#ifndef TYPEFLOW_STORE_CHILD
#error "TYPEFLOW_STORE_CHILD must name the helper executable"
#endif

TEST_CASE("a lock held by another process: the wait is bounded, named, and what is lost counted") {
  temp_dir dir;
  auto err = dir.path() / "child.err", go = dir.path() / "go";
  // The child's busy_timeout: one second for all its tries together.
  tyf::test::child c({TYPEFLOW_STORE_CHILD, "wait-file", dir.str(), go.string(), "1000"},
                     err.string());
  {
    tyf::store watcher{dir.path()};
    REQUIRE(tyf::test::newest_step_running(watcher, "wait"));
  }
  // Another process takes the write lock and keeps it.
  sqlite3* holder = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "runs.db").c_str(), &holder) == SQLITE_OK);
  sqlite3_busy_timeout(holder, 10000);
  REQUIRE(sqlite3_exec(holder, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  std::ofstream(go) << "go";
  const auto start = std::chrono::steady_clock::now();
  auto rc = c.wait_for(std::chrono::seconds(60));  // a minute: 60 times the child's timeout
  const auto took = std::chrono::steady_clock::now() - start;
  auto text = tyf::test::read_file(err);
  INFO(text);
  REQUIRE(rc.has_value());
  REQUIRE(took < std::chrono::seconds(20));
  REQUIRE(*rc == 4);  // the run ended, and said that records were not stored
  REQUIRE_THAT(text, Catch::Contains("waiting for") &&
                         Catch::Contains((dir.path() / "runs.db").string()) &&
                         Catch::Contains("another process"));
  REQUIRE_THAT(text, Catch::Contains("records not stored"));
  REQUIRE_THAT(text, Catch::Contains("busy_timeout"));
  REQUIRE(sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(holder);
  // The run's end was not stored: its process is gone, so the next open marks it interrupted.
  tyf::store st{dir.path()};
  REQUIRE(st.runs().front().status == tyf::run_status::interrupted);
}

TEST_CASE("reading or deleting while another process holds the lock fails after busy_timeout") {
  temp_dir dir;
  {
    tyf::store st{dir.path()};
    REQUIRE(st.run(tyf::test::small_pipeline()).ok());
  }
  tyf::store_config cfg;
  cfg.busy_timeout = std::chrono::milliseconds(300);
  tyf::store st{dir.path(), cfg};
  sqlite3* holder = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "runs.db").c_str(), &holder) == SQLITE_OK);
  REQUIRE(sqlite3_exec(holder, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  REQUIRE(st.runs().size() == 1);  // WAL: readers are not blocked by a writer
  const auto start = std::chrono::steady_clock::now();
  REQUIRE_THROWS_WITH(st.remove({"latest"}), Catch::Contains((dir.path() / "runs.db").string()) &&
                                                 Catch::Contains("another process") &&
                                                 Catch::Contains("busy_timeout"));
  REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  REQUIRE(sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(holder);
  REQUIRE(st.remove({"latest"}).runs == 1);
}

TEST_CASE("two connections creating one store at the same moment both open it") {
  // Setting WAL on a new database needs a lock that SQLite refuses at once, without the busy
  // handler, while another connection creates the schema: opening must try again (found in CI:
  // a store opened while a child process created it failed with "database is locked").
  for (int round = 0; round < 40; ++round) {
    temp_dir dir;
    std::atomic<int> ready{0};
    std::vector<std::string> errors(2);
    auto open = [&](int i) {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      try {
        tyf::store st{dir.path()};
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    };
    std::thread a(open, 0), b(open, 1);
    a.join();
    b.join();
    INFO("round " << round);
    CHECK(errors[0].empty());
    CHECK(errors[1].empty());
  }
}
