// A store opened read-only (store_config::read_only): it is never created, migrated or
// recovered, nothing in it is written (not even SQLite's -wal and -shm files), and calls that
// would write are refused.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/schema.hpp>  // migrations, schema_version

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "store_inspection.hpp"
#include "store_testing.hpp"

namespace tyf = typeflow;
namespace fs = std::filesystem;
using tyf::test::snapshot;
using tyf::test::sql;
using tyf::test::temp_dir;

namespace {

tyf::store_config read_only() {
  tyf::store_config c;
  c.read_only = true;
  return c;
}

struct big {
  tyf::pipeline p{"big"};
  tyf::handle<std::vector<double>> made = p.step(
      "make", [](int k) { return std::vector<double>(static_cast<std::size_t>(k) * 1000, 2.5); },
      p.param<int>("n", 3));
};

}  // namespace

TEST_CASE("a store opened read-only is never created") {
  temp_dir dir;
  const auto missing = dir.path() / "new";
  REQUIRE_THROWS_WITH((tyf::store{missing, read_only()}),
                      Catch::Contains("no run store in '" + missing.string() + "'"));
  CHECK_FALSE(fs::exists(missing));
  fs::create_directories(missing);  // a directory without runs.db is no store either
  REQUIRE_THROWS_WITH((tyf::store{missing, read_only()}), Catch::Contains("no run store in"));
  CHECK(fs::is_empty(missing));
}

TEST_CASE("a store opened read-only reads everything and writes nothing") {
  temp_dir dir;
  big b;
  std::string id, other;
  {
    tyf::store st{dir.path()};
    id = st.run(b.p).run_id();
    other = st.run(b.p, tyf::store_options{}.no_cache()).run_id();
  }
  // A run left running by a dead process is not marked interrupted by a reader (that would
  // write), but it is not shown running either.
  sql(dir.path(), "UPDATE runs SET status = 'running', pid = 2147483647 WHERE id = '" + id + "'");
  const auto before = snapshot(dir.path());
  {
    tyf::store st{dir.path(), read_only()};
    CHECK(st.runs().size() == 2);
    CHECK(st.show(id).run.status == tyf::run_status::interrupted);
    CHECK_THAT(st.show(id).run.message, Catch::Contains("died"));
    CHECK(st.load(id, b.made) == std::vector<double>(3000, 2.5));  // an artifact file
    CHECK(st.compare({id, other}).runs.size() == 2);
    CHECK(st.resolve("latest") == std::max(id, other));
    REQUIRE_THROWS_WITH(st.run(b.p),
                        Catch::Contains("cannot start a run") && Catch::Contains("read-only"));
    REQUIRE_THROWS_WITH(st.retry(b.p, id), Catch::Contains("read-only"));
    REQUIRE_THROWS_WITH(st.copy(b.p, id), Catch::Contains("read-only"));
    REQUIRE_THROWS_WITH(st.stop(id), Catch::Contains("read-only"));
    REQUIRE_THROWS_WITH(st.remove({other}), Catch::Contains("read-only"));
    REQUIRE_THROWS_WITH(st.collect_garbage(), Catch::Contains("read-only"));
    REQUIRE_THROWS_WITH(st.recover(), Catch::Contains("read-only"));
  }
  CHECK(snapshot(dir.path()) == before);
  tyf::store st{dir.path()};  // opened for writing: recovered
  CHECK(st.show(id).run.status == tyf::run_status::interrupted);
}

TEST_CASE("a store of an older schema opened read-only says it needs migrating") {
  temp_dir dir;
  // A store of schema version 1, as the first typeflow wrote it.
  sql(dir.path(), "PRAGMA journal_mode = WAL");
  tyf::test::old_store(dir.path(), 1,
                       "INSERT INTO runs (id, pipeline, structure_hash, status, started, host, "
                       "pid, heartbeat) VALUES ('0000000000aa', 'big', 'h', 'succeeded', 1, 'x', "
                       "1, 1)");
  const auto before = snapshot(dir.path());
  REQUIRE_THROWS_WITH((tyf::store{dir.path(), read_only()}),
                      Catch::Contains("schema version 1, older than this typeflow's " +
                                      std::to_string(tyf::store_detail::schema_version)) &&
                          Catch::Contains("needs migrating"));
  CHECK(snapshot(dir.path()) == before);
  { tyf::store st{dir.path()}; }  // migrates
  tyf::store st{dir.path(), read_only()};
  REQUIRE(st.runs().size() == 1);
  CHECK(st.runs()[0].id == "0000000000aa");
}

TEST_CASE("a runs.db that is not a store is refused read-only, and left as it is") {
  temp_dir dir;
  sql(dir.path(), "CREATE TABLE other (x)");
  const auto before = snapshot(dir.path());
  REQUIRE_THROWS_WITH((tyf::store{dir.path(), read_only()}), Catch::Contains("not a run store"));
  CHECK(snapshot(dir.path()) == before);
}
