// The store against real processes: a process killed in the middle of a run (kill -9), a stop
// requested from another process, and two processes writing one store at once.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/hash.hpp>  // hash128

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

#ifndef TYPEFLOW_STORE_CHILD
#error "TYPEFLOW_STORE_CHILD must name the helper executable"
#endif

namespace {
/// Every artifact the database lists reads back whole: its bytes match its hash.
std::size_t check_artifacts(const std::filesystem::path& dir) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir / "runs.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT hash, inline_bytes FROM artifacts", -1, &q, nullptr) ==
          SQLITE_OK);
  std::size_t n = 0;
  while (sqlite3_step(q) == SQLITE_ROW) {
    std::string hash = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    std::string bytes;
    if (sqlite3_column_type(q, 1) != SQLITE_NULL) {
      bytes.assign(static_cast<const char*>(sqlite3_column_blob(q, 1)),
                   static_cast<std::size_t>(sqlite3_column_bytes(q, 1)));
    } else {
      bytes = tyf::test::read_file(dir / "artifacts" / hash.substr(0, 2) / hash.substr(2));
    }
    REQUIRE(tyf::store_detail::hash128(bytes) == hash);
    ++n;
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}
}  // namespace

TEST_CASE("a run whose process is killed is found interrupted; retry completes it") {
  temp_dir dir;
  auto err = dir.path() / "child.err";
  tyf::test::child c({TYPEFLOW_STORE_CHILD, "hang", dir.str()}, err.string(),
                     {"TYPEFLOW_TEST_HANG=1"});
  {
    tyf::store watcher{dir.path()};
    REQUIRE(tyf::test::eventually([&] {
      auto runs = watcher.runs();
      if (runs.empty()) return false;
      auto d = watcher.show(runs.front().id);
      auto* split = d.step("split");
      auto* train = d.step("train");
      return split != nullptr && split->artifact && train != nullptr &&
             train->status == tyf::step_status::running;
    }));
  }
  c.kill_hard();
  REQUIRE(c.wait() == 128 + SIGKILL);

  tyf::store st{dir.path()};  // opening finds the dead run
  auto runs = st.runs();
  REQUIRE(runs.size() == 1);
  REQUIRE(runs[0].status == tyf::run_status::interrupted);
  REQUIRE(runs[0].message.find("died") != std::string::npos);
  auto d = st.show(runs[0].id);
  REQUIRE(d.step("load")->status == tyf::step_status::succeeded);
  REQUIRE(d.step("train")->status == tyf::step_status::failed);
  REQUIRE(d.step("train")->message.find("interrupted") == 0);
  REQUIRE(d.step("evaluate") == nullptr);  // never started
  REQUIRE(check_artifacts(dir.path()) >= 2);

  tyf::test::step_counts n;
  auto p = tyf::test::crash_pipeline(n);
  auto again = st.retry(p, runs[0].id);
  REQUIRE(again.ok());
  REQUIRE(n.load == 0);
  REQUIRE(n.split == 0);
  REQUIRE(n.train == 1);
  REQUIRE(n.evaluate == 1);
  REQUIRE(again.step("split").status == tyf::step_status::cached);
  REQUIRE(st.show(again.run_id()).run.origin == runs[0].id);
}

TEST_CASE("a process killed while writing artifacts leaves no half-written artifact") {
  temp_dir dir;
  auto err = dir.path() / "child.err";
  const auto tmp = dir.path() / "artifacts" / "tmp";
  auto part_files = [&] {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(tmp, ec)) {
      if (e.path().extension() == ".part") ++n;
    }
    return n;
  };
  auto artifact_files = [&] {  // the files in place: artifacts/<2 hex>/<30 hex>
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e :
         std::filesystem::recursive_directory_iterator(dir.path() / "artifacts", ec)) {
      if (e.is_regular_file() && e.path().parent_path() != tmp) out.push_back(e.path());
    }
    return out;
  };
  {
    tyf::test::child c({TYPEFLOW_STORE_CHILD, "big-writes", dir.str()}, err.string());
    // 32 outputs of 16 MiB, each written to a temporary file, synced and renamed: the child
    // spends most of its run with a .part file open. Kill it in the middle of one, once two
    // are in place.
    // (And once the store shows the run: its writer thread commits the row.)
    tyf::store watcher{dir.path()};
    bool seen = false;
    for (int i = 0; i < 60000 && !seen; ++i) {  // up to a minute, every millisecond
      seen = part_files() > 0 && artifact_files().size() >= 2 && !watcher.runs().empty();
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(seen);
    c.kill_hard();
    REQUIRE(c.wait() == 128 + SIGKILL);
  }
  // Usually the dead process's half-written file is still there; rarely its rename won the
  // race with the kill. Either way, nothing half-written may remain in use:

  tyf::store st{dir.path()};  // opening finds the dead run and removes its temporaries
  REQUIRE(part_files() == 0);
  auto runs = st.runs();
  REQUIRE(runs.size() == 1);
  REQUIRE(runs[0].status == tyf::run_status::interrupted);
  // Every artifact file in place is whole: its bytes hash to its name.
  const auto files = artifact_files();
  REQUIRE(files.size() >= 2);
  REQUIRE(files.size() < 32);
  for (const auto& f : files) {
    const auto hash = f.parent_path().filename().string() + f.filename().string();
    REQUIRE(tyf::store_detail::hash128(tyf::test::read_file(f)) == hash);
  }
  check_artifacts(dir.path());  // and every one the database lists reads back whole
}

TEST_CASE("a stop requested from another process stops the run there") {
  temp_dir dir;
  auto err = dir.path() / "child.err";
  tyf::test::child c({TYPEFLOW_STORE_CHILD, "wait-stop", dir.str()}, err.string());
  tyf::store st{dir.path()};
  REQUIRE(tyf::test::eventually([&] {
    auto runs = st.runs();
    if (runs.empty()) return false;
    auto d = st.show(runs.front().id);
    return d.step("wait") != nullptr && d.step("wait")->status == tyf::step_status::running;
  }));
  st.stop("latest");
  REQUIRE(c.wait() == 0);
  REQUIRE(st.show("latest").run.status == tyf::run_status::stopped);
}

TEST_CASE("two processes use one store at once without a single lock error") {
  temp_dir dir;
  { tyf::store make{dir.path()}; }
  auto err1 = dir.path() / "child1.err", err2 = dir.path() / "child2.err";
  tyf::test::child c1({TYPEFLOW_STORE_CHILD, "runs", dir.str(), "50", "0"}, err1.string());
  tyf::test::child c2({TYPEFLOW_STORE_CHILD, "runs", dir.str(), "50", "1000"}, err2.string());
  int rc1 = c1.wait(), rc2 = c2.wait();
  auto text1 = tyf::test::read_file(err1), text2 = tyf::test::read_file(err2);
  INFO(text1 << text2);
  REQUIRE(rc1 == 0);
  REQUIRE(rc2 == 0);
  REQUIRE(text1.find("locked") == std::string::npos);
  REQUIRE(text2.find("locked") == std::string::npos);
  tyf::store st{dir.path()};
  auto runs = st.runs(tyf::run_query{}.experiment("concurrent"));
  REQUIRE(runs.size() == 100);
  for (const auto& r : runs) REQUIRE(r.status == tyf::run_status::succeeded);
  auto d = st.show(runs.front().id);
  REQUIRE(d.steps.size() == 3);
  REQUIRE(d.metrics.size() == 1);
  check_artifacts(dir.path());
}
