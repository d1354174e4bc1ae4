// The store as untrusted input: values read back from runs.db (the schema version) are
// checked before they are used.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/schema.hpp>  // schema_version

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <sqlite3.h>

#include "store_testing.hpp"

namespace tyf = typeflow;
namespace fs = std::filesystem;
using tyf::test::temp_dir;

namespace {

void sql(const fs::path& store, const std::string& text) {
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
