// The store as untrusted input: values read back from runs.db (artifact hashes, run ids,
// statuses, sizes, the schema version) are checked before they are used, and a damaged row is
// refused by name without touching anything outside the store; temporary files are told
// apart by their exact host name.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/files.hpp>   // artifact_files
#include <typeflow/store/detail/schema.hpp>  // schema_version

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_inspection.hpp"
#include "store_testing.hpp"

namespace tyf = typeflow;
namespace fs = std::filesystem;
using tyf::test::sql;
using tyf::test::temp_dir;

namespace {

void touch(const fs::path& p) {
  std::ofstream out{p};
  out << "not the store's";
}

/// The pid of a process that has exited (and been reaped).
std::int64_t dead_pid() {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return pid;
}

/// One step whose output (24 kB) is stored as a file.
struct small {
  tyf::pipeline p{"small"};
  tyf::handle<std::vector<double>> made = p.step(
      "make", [](int k) { return std::vector<double>(static_cast<std::size_t>(k) * 1000, 1.5); },
      p.param<int>("n", 3));
};

}  // namespace

TEST_CASE("a corrupt schema_version is refused, never used as an index nor truncated") {
  temp_dir dir;
  { tyf::store st{dir.path()}; }
  SECTION("-1") {
    sql(dir.path(), "UPDATE schema_version SET version = -1");
    REQUIRE_THROWS_WITH(tyf::store{dir.path()},
                        Catch::Contains("schema version -1") && Catch::Contains("damaged"));
  }
  SECTION("2^32 + 2 (2 when truncated to 32 bits)") {
    sql(dir.path(), "UPDATE schema_version SET version = 4294967298");
    REQUIRE_THROWS_WITH(tyf::store{dir.path()},
                        Catch::Contains("schema version 4294967298, newer than this typeflow's " +
                                        std::to_string(tyf::store_detail::schema_version)));
  }
  SECTION("not an integer") {
    sql(dir.path(), "UPDATE schema_version SET version = 'two'");
    REQUIRE_THROWS_WITH(tyf::store{dir.path()}, Catch::Contains("not an integer"));
  }
  SECTION("two rows") {
    sql(dir.path(), "INSERT INTO schema_version VALUES (1)");
    REQUIRE_THROWS_WITH(tyf::store{dir.path()}, Catch::Contains("2 rows"));
  }
}

TEST_CASE("temporary files are cleaned up for their exact host only, not one sharing a prefix") {
  temp_dir dir;
  tyf::store_detail::artifact_files files{dir.path() / "artifacts"};
  const auto tmp = dir.path() / "artifacts" / "tmp";
  const auto pid = std::to_string(dead_pid());
  const auto of_a = tmp / ("a-" + pid + "-0.part");
  const auto of_ab = tmp / ("a-b-" + pid + "-0.part");
  const auto of_a1 = tmp / ("a-1-" + pid + "-0.part");  // host "a-1", not host "a" with pid 1
  const auto odd = tmp / ("a-" + pid + "-x.part");      // not a name the store writes
  for (const auto& p : {of_a, of_ab, of_a1, odd}) touch(p);

  files.clean_temporaries("a");
  CHECK_FALSE(fs::exists(of_a));
  CHECK(fs::exists(of_ab));
  CHECK(fs::exists(of_a1));
  CHECK(fs::exists(odd));

  touch(of_a);
  files.clean_temporaries("a-b");
  CHECK(fs::exists(of_a));
  CHECK_FALSE(fs::exists(of_ab));
  CHECK(fs::exists(of_a1));
}

TEST_CASE("an artifact hash read from runs.db never becomes a path outside the store") {
  temp_dir dir;
  const auto store_dir = dir.path() / "store";
  const auto sentinel = dir.path() / "sentinel";  // store/artifacts/.. + ../sentinel
  const auto absolute = dir.path() / "absolute";
  touch(sentinel);
  touch(absolute);
  small s;
  std::string id;
  {
    tyf::store st{store_dir};
    id = st.run(s.p).run_id();
  }
  const std::string relative_hash = "..../sentinel";
  const std::string absolute_hash = "xx" + absolute.string();

  SECTION("a step's artifact: load and delete refuse it, naming the run and the step") {
    sql(store_dir, "INSERT INTO artifacts (hash, size, type, codec_version, created) VALUES ('" +
                       relative_hash + "', 10, 'x', 1, 0); UPDATE step_runs SET artifact = '" +
                       relative_hash + "' WHERE step = 'make'");
    tyf::store st{store_dir};
    REQUIRE_THROWS_WITH(st.load(id, s.made), Catch::Contains("run " + id) &&
                                                 Catch::Contains("step 'make'") &&
                                                 Catch::Contains("not 32 digits of 0-9a-f"));
    REQUIRE_THROWS_WITH(st.show(id), Catch::Contains("run " + id) &&
                                         Catch::Contains("step 'make'") &&
                                         Catch::Contains("not 32 digits of 0-9a-f"));
    REQUIRE_THROWS_WITH(st.remove({id}), Catch::Contains("run " + id) &&
                                             Catch::Contains("step 'make'") &&
                                             Catch::Contains("not 32 digits of 0-9a-f"));
    CHECK(fs::exists(sentinel));
    CHECK(st.runs().size() == 1);  // refused before anything was deleted
  }
  SECTION("an artifacts row no run references: garbage collection refuses it by name") {
    sql(store_dir, "INSERT INTO artifacts (hash, size, type, codec_version, created) VALUES ('" +
                       relative_hash + "', 10, 'x', 1, 0), ('" + absolute_hash +
                       "', 10, 'x', 1, 0)");
    tyf::store st{store_dir};
    REQUIRE_THROWS_WITH(st.collect_garbage(), Catch::Contains("artifacts row") &&
                                                  Catch::Contains("not 32 digits of 0-9a-f"));
    REQUIRE_THROWS_WITH(st.remove({id}), Catch::Contains("artifacts row"));
    CHECK(fs::exists(sentinel));
    CHECK(fs::exists(absolute));
  }
  SECTION("a cache entry's artifact is a miss: the step runs again") {
    sql(store_dir, "UPDATE step_runs SET artifact = '" + absolute_hash + "'");
    tyf::store st{store_dir};
    auto again = st.run(s.p);
    CHECK(again.ok());
    CHECK(fs::exists(absolute));
  }
}

TEST_CASE("run ids with '/', unknown statuses and negative sizes in runs.db are refused by name") {
  temp_dir dir;
  small s;
  std::string id;
  {
    tyf::store st{dir.path()};
    id = st.run(s.p).run_id();
  }
  SECTION("a run id with '/'") {
    sql(dir.path(), "UPDATE runs SET id = 'zz/../x' WHERE id = '" + id + "'");
    tyf::store st{dir.path()};
    REQUIRE_THROWS_WITH(st.runs(), Catch::Contains("run id 'zz/../x'"));
  }
  SECTION("an unknown run status") {
    sql(dir.path(), "UPDATE runs SET status = 'bogus'");
    tyf::store st{dir.path()};
    REQUIRE_THROWS_WITH(st.runs(), Catch::Contains("run " + id) && Catch::Contains("'bogus'"));
    // The other runs are listed, the damaged row named.
    auto good = st.run(s.p).run_id();
    std::vector<std::string> refused;
    auto listed = st.runs({}, refused);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].id == good);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].find("the runs row of run " + id + " has an unknown status 'bogus'") !=
          std::string::npos);
    REQUIRE_THROWS_WITH(st.remove({id}), Catch::Contains("'bogus'"));
    CHECK(st.runs({}, refused).size() == 1);
  }
  SECTION("an unknown step status") {
    sql(dir.path(), "UPDATE step_runs SET status = 'bogus'");
    tyf::store st{dir.path()};
    REQUIRE_THROWS_WITH(st.show(id), Catch::Contains("run " + id) &&
                                         Catch::Contains("step 'make'") &&
                                         Catch::Contains("'bogus'"));
  }
  SECTION("a negative artifact size") {
    sql(dir.path(), "UPDATE artifacts SET size = -5");
    tyf::store st{dir.path()};
    REQUIRE_THROWS_WITH(st.show(id), Catch::Contains("size -5"));
    sql(dir.path(), "UPDATE step_runs SET artifact = NULL");
    REQUIRE_THROWS_WITH(st.collect_garbage(), Catch::Contains("size -5"));
  }
}

TEST_CASE("a damaged artifact file is refused by name and repaired by a run producing it again") {
  const bool no_cache = GENERATE(false, true);
  temp_dir dir;
  small s;
  std::string id;
  fs::path file;
  {
    tyf::store st{dir.path()};
    id = st.run(s.p).run_id();
    auto hash = st.show(id).step("make")->artifact->hash;
    file = dir.path() / "artifacts" / hash.substr(0, 2) / hash.substr(2);
  }
  REQUIRE(fs::exists(file));
  const auto size = fs::file_size(file);
  SECTION("truncated") { fs::resize_file(file, size / 2); }
  SECTION("a byte flipped") {
    std::fstream f{file, std::ios::in | std::ios::out | std::ios::binary};
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(size / 2));
    c = static_cast<char>(c ^ 0x20);
    f.write(&c, 1);
  }
  SECTION("emptied") { fs::resize_file(file, 0); }
  tyf::store st{dir.path()};
  // Reading it is an error naming the file, the step and the run; never wrong data.
  REQUIRE_THROWS_WITH(st.load(id, s.made), Catch::Contains(file.string()) &&
                                               Catch::Contains("step 'make'") &&
                                               Catch::Contains("run " + id));
  // A run producing the same bytes (from the cache, the damaged entry is a miss; without
  // it, the step runs anyway) writes the file again instead of trusting the one there.
  auto again = st.run(s.p, tyf::store_options{}.no_cache(no_cache));
  REQUIRE(again.ok());
  CHECK(fs::file_size(file) == size);
  CHECK(st.load(id, s.made) == std::vector<double>(3000, 1.5));
  CHECK(st.load(again.run_id(), s.made) == std::vector<double>(3000, 1.5));
}
