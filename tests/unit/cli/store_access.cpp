// The commands that do not start a run, through real processes (tests/helpers/cli_child.cpp):
// they never create a store, runs/show/compare write nothing to one (so a store the user
// cannot write is read), and a store with hostile rows is refused by name by every command
// without anything outside the store being touched.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <typeflow/cli.hpp>
#include <child_process.hpp>
#include <store_inspection.hpp>
#include <store_testing.hpp>

namespace tyf = typeflow;
namespace fs = std::filesystem;
using tyf::test::snapshot;
using tyf::test::sql;
using tyf::test::temp_dir;

namespace {

/// Runs the pipeline program with `args` (no TYPEFLOW_STORE: commands name --store), its
/// output to files in `io`; as user `uid` when given (the test runs as root).
tyf::test::outcome cli(const fs::path& io, const std::vector<std::string>& args,
                       std::optional<uid_t> uid = std::nullopt) {
  tyf::test::process_options o;
  o.uid = uid;
  return tyf::test::process{io, TYPEFLOW_CLI_CHILD, args, o}.finish();
}

/// Two runs of the pipeline program in `store`; their ids, newest first.
std::vector<std::string> two_runs(const temp_dir& dir, const fs::path& store) {
  for (int i = 0; i < 2; ++i) {
    auto r = cli(dir.path(), {"run", "--param", "rows=" + std::to_string(100 + i), "--quiet",
                              "--store", store.string()});
    INFO(r.err);
    REQUIRE(r.code == 0);
  }
  tyf::store st{store};
  std::vector<std::string> ids;
  for (const auto& r : st.runs()) ids.push_back(r.id);
  REQUIRE(ids.size() == 2);
  return ids;
}

}  // namespace

TEST_CASE("cli: only a run creates a store; the other commands say so and create nothing") {
  temp_dir dir;
  const auto missing = dir.path() / "new";
  const std::vector<std::vector<std::string>> commands{{"runs"},
                                                       {"runs", "--json"},
                                                       {"show", "latest"},
                                                       {"show", "latest", "--json"},
                                                       {"compare", "a", "b"},
                                                       {"logs", "latest", "train"},
                                                       {"stop", "latest"},
                                                       {"delete", "latest", "--yes"},
                                                       {"retry", "latest"},
                                                       {"copy", "latest"}};
  for (auto args : commands) {
    args.insert(args.end(), {"--store", missing.string()});
    auto r = cli(dir.path(), args);
    INFO(args[0] << ": " << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find("no run store in '" + missing.string() + "'") != std::string::npos);
    CHECK(r.err.find("hint: a run creates it: run 'typeflow-cli-child run'") != std::string::npos);
    CHECK_FALSE(fs::exists(missing));
  }
}

TEST_CASE("cli: runs, show and compare write nothing to the store") {
  // Without a -wal file the store is read as immutable; with one (another process has the
  // store open: here a connection of this process) it is read through it.
  const bool held_open = GENERATE(false, true);
  temp_dir dir;
  const auto store = dir.path() / "store";
  const auto ids = two_runs(dir, store);
  // A run left `running` by a process that died: a store opened for writing marks it
  // interrupted, one opened to read leaves its row as it is (the snapshot checks) and shows it
  // interrupted.
  sql(store, "UPDATE runs SET status = 'running', ended = NULL, pid = 2147483647 WHERE id = '" +
                 ids[0] + "'");
  sqlite3* held = nullptr;
  if (held_open) {
    REQUIRE(sqlite3_open((store / "runs.db").c_str(), &held) == SQLITE_OK);
    REQUIRE(sqlite3_exec(held, "SELECT count(*) FROM runs", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    REQUIRE(fs::exists(store / "runs.db-wal"));
  } else {
    REQUIRE_FALSE(fs::exists(store / "runs.db-wal"));
  }
  const auto before = snapshot(store);
  const std::vector<std::vector<std::string>> commands{{"runs"},
                                                       {"runs", "--json"},
                                                       {"show", "latest"},
                                                       {"show", ids[1], "--json"},
                                                       {"compare", ids[0], ids[1]}};
  for (auto args : commands) {
    args.insert(args.end(), {"--store", store.string()});
    auto r = cli(dir.path(), args);
    INFO(args[0] << ": " << r.err);
    CHECK(r.code == 0);
    CHECK(snapshot(store) == before);
  }
  auto r = cli(dir.path(), {"show", ids[0], "--store", store.string()});
  CHECK(r.out.find("interrupted") != std::string::npos);
  CHECK(r.out.find("died") != std::string::npos);
  CHECK(snapshot(store) == before);
  sqlite3_close(held);
}

TEST_CASE("cli: a store the user cannot write is read by runs, show and compare") {
  temp_dir dir;
  const auto store = dir.path() / "store";
  const auto ids = two_runs(dir, store);
  // As root, permission bits stop nothing: the commands run as another user (nobody), who can
  // read the store (0755 directories, 0644 files) but write nothing in it. Otherwise the
  // store is made read-only for this user.
  std::optional<uid_t> as;
  if (::geteuid() == 0) {
    as = 65534;
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
  } else {
    for (const auto& e : fs::recursive_directory_iterator(store)) {
      fs::permissions(e.path(),
                      fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                      fs::perm_options::remove);
    }
    fs::permissions(store, fs::perms::owner_write, fs::perm_options::remove);
  }
  // The output goes to a directory that user can write.
  const auto io = dir.path() / "io";
  fs::create_directories(io);
  fs::permissions(io, fs::perms::all);
  const auto before = snapshot(store);
  auto r = cli(io, {"runs", "--store", store.string()}, as);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find(ids[0]) != std::string::npos);
  CHECK(r.out.find(ids[1]) != std::string::npos);
  r = cli(io, {"show", "latest", "--json", "--store", store.string()}, as);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find(ids[0]) != std::string::npos);
  r = cli(io, {"compare", ids[0], ids[1], "--store", store.string()}, as);
  CHECK(r.code == 0);
  // A command that writes says it cannot, and changes nothing.
  r = cli(io, {"delete", ids[0], "--yes", "--store", store.string()}, as);
  CHECK(r.code != 0);
  CHECK(snapshot(store) == before);
  if (!as) fs::permissions(store, fs::perms::owner_all, fs::perm_options::add);
  for (const auto& e : fs::recursive_directory_iterator(store)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
}

namespace {

/// The files next to the store (not the store itself): names, sizes and contents.
std::string outside(const fs::path& dir) {
  std::string out;
  std::map<std::string, std::string> entries;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() == "store") continue;
    entries[e.path().filename().string()] =
        e.is_regular_file() ? std::to_string(e.file_size()) + " " + tyf::test::slurp(e.path())
                            : "(dir)";
  }
  for (const auto& [k, v] : entries) out += k + ": " + v + "\n";
  return out;
}

}  // namespace

TEST_CASE(
    "cli: hostile rows in runs.db are refused by name; nothing outside the store is touched") {
  temp_dir watch, io;  // the store and the files next to it; the commands' output
  const auto store = watch.path() / "store";
  const auto ids = two_runs(io, store);  // newest first
  const auto sentinel = watch.path() / "sentinel", absolute = watch.path() / "absolute";
  std::ofstream(sentinel) << "not the store's";
  std::ofstream(absolute) << "not the store's either";
  const auto before = outside(watch.path());
  const auto s = store.string();
  struct expect {
    std::vector<std::string> args;
    int code;
    std::vector<std::string> in_err;  ///< each must be on stderr
  };
  std::vector<expect> cases;

  SECTION("artifact hashes that are paths") {
    // store/artifacts/.. + ../sentinel is the sentinel; 'xx' + an absolute path.
    sql(store,
        "INSERT INTO artifacts (hash, size, type, codec_version, created) VALUES "
        "('..../sentinel', 10, 'x', 1, 0), ('xx" +
            absolute.string() +
            "', 10, 'x', 1, 0);"
            "UPDATE step_runs SET artifact = '..../sentinel' WHERE run_id = '" +
            ids[0] + "' AND step = 'load'; UPDATE runs SET status = 'failed' WHERE id = '" +
            ids[0] + "'");
    const std::string row = "the step_runs row of run " + ids[0] + ", step 'load',";
    cases = {{{"runs"}, 0, {}},
             {{"show", ids[0]}, 2, {row, "not 32 digits of 0-9a-f"}},
             {{"show", ids[0], "--json"}, 2, {row}},
             {{"compare", ids[0], ids[1]}, 2, {row}},
             {{"retry", ids[0]}, 2, {row}},
             {{"delete", ids[0], "--yes"}, 2, {row}},
             {{"delete", ids[1], "--yes"}, 2, {"the artifacts row 'xx", "not 32 digits"}}};
  }
  SECTION("a run id with '/'") {
    sql(store, "UPDATE runs SET id = 'zz/../x' WHERE id = '" + ids[0] +
                   "'; UPDATE step_runs SET run_id = 'zz/../x' WHERE run_id = '" + ids[0] + "'");
    const std::string named = "run id 'zz/../x'";
    cases = {{{"runs"}, 2, {named}},
             {{"runs", "--json"}, 2, {named}},
             {{"show", "latest"}, 2, {named}},
             {{"show", "zz"}, 2, {named}},
             {{"compare", "latest", ids[1]}, 2, {named}},
             {{"retry", "latest"}, 2, {named}},
             {{"copy", "latest"}, 2, {named}},
             {{"stop", "latest"}, 2, {named}},
             {{"delete", "latest", "--yes"}, 2, {named}},
             {{"show", ids[1]}, 0, {}}};
  }
  SECTION("unknown statuses") {
    sql(store, "UPDATE runs SET status = 'bogus' WHERE id = '" + ids[0] +
                   "'; UPDATE runs SET status = 'failed' WHERE id = '" + ids[1] +
                   "'; UPDATE step_runs SET status = 'weird' WHERE run_id = '" + ids[1] +
                   "' AND step = 'train'");
    const std::string run = "the runs row of run " + ids[0];
    const std::string step = "the step_runs row of run " + ids[1] + ", step 'train',";
    cases = {{{"runs"}, 2, {run, "unknown status 'bogus'"}},
             {{"show", ids[0]}, 2, {run, "'bogus'"}},
             {{"delete", ids[0], "--yes"}, 2, {run, "'bogus'"}},
             {{"retry", ids[0]}, 2, {run}},
             {{"show", ids[1]}, 2, {step, "unknown status 'weird'"}},
             {{"retry", ids[1]}, 2, {step, "'weird'"}},
             {{"compare", ids[0], ids[1]}, 2, {run}}};
  }
  SECTION("negative sizes and huge counts") {
    sql(store,
        "UPDATE artifacts SET size = -5 WHERE hash IN (SELECT artifact FROM step_runs "
        "WHERE run_id = '" +
            ids[0] +
            "' AND step = 'load'); UPDATE step_runs SET "
            "attempts = 1099511627776 WHERE run_id = '" +
            ids[1] +
            "' AND step = 'train';"
            "UPDATE runs SET pid = 1099511627776, status = 'running' WHERE id = '" +
            ids[1] + "'");
    cases = {{{"show", ids[0]}, 2, {"step 'load',", "size -5"}},
             {{"show", ids[1]}, 2, {"step 'train',", "attempts 1099511627776"}},
             {{"delete", ids[0], "--yes"}, 2, {"size -5"}},
             {{"runs"}, 0, {}}};
  }
  for (auto c : cases) {
    c.args.insert(c.args.end(), {"--store", s});
    auto r = cli(io.path(), c.args);
    INFO(c.args[0] << " " << c.args[1] << ": exit " << r.code << "\nstdout:\n"
                   << r.out << "\nstderr:\n"
                   << r.err);
    CHECK(r.code == c.code);
    for (const auto& text : c.in_err) CHECK(r.err.find(text) != std::string::npos);
    CHECK(outside(watch.path()) == before);
  }
}

TEST_CASE("cli: runs lists the good runs and names a damaged row on stderr") {
  temp_dir dir;
  const auto store = dir.path() / "store";
  const auto ids = two_runs(dir, store);
  sql(store, "UPDATE runs SET status = 'bogus' WHERE id = '" + ids[0] + "'");
  auto r = cli(dir.path(), {"runs", "--store", store.string()});
  CHECK(r.code == 2);
  CHECK(r.out.find(ids[1]) != std::string::npos);
  CHECK(r.out.find(ids[0]) == std::string::npos);
  CHECK(r.err.find("the runs row of run " + ids[0] + " has an unknown status 'bogus'") !=
        std::string::npos);
  CHECK(r.err.find("1 damaged run row(s) left out") != std::string::npos);
  r = cli(dir.path(), {"runs", "--json", "--store", store.string()});
  CHECK(r.code == 2);
  CHECK(r.out.find("\"" + ids[1] + "\"") != std::string::npos);
}
