// Run ids in the store (issue 15): an id already in the store is never given to a second run,
// so two runs are never merged into one; a generated id that collides is replaced by a fresh
// one, a chosen one (run_options::run_id) is refused.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/state.hpp>

#include <catch2/catch.hpp>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

TEST_CASE("a run id already in the store is refused: the second run never merges into the first") {
  temp_dir dir;
  tyf::store st{dir.path()};
  auto p = tyf::test::small_pipeline();
  const std::string id = "000000000dup";
  auto first = st.run(p, tyf::store_options{}
                             .set("seed", "1")
                             .tag("which", "first")
                             .base(tyf::run_options{}.run_id(id)));
  REQUIRE(first.ok());
  REQUIRE(first.run_id() == id);
  REQUIRE_THROWS_WITH(st.run(p, tyf::store_options{}
                                    .set("seed", "2")
                                    .tag("which", "second")
                                    .base(tyf::run_options{}.run_id(id))),
                      Catch::Contains(id) && Catch::Contains("already"));
  st.flush();
  auto d = st.show(id);
  REQUIRE(d.run.status == tyf::run_status::succeeded);
  REQUIRE(d.run.params.at("seed") == "1");
  REQUIRE(d.run.tags.at("which") == "first");
  REQUIRE(d.metrics.size() == 1);
  REQUIRE(d.metrics[0].value == 2.0);
  REQUIRE(st.runs().size() == 1);
}

TEST_CASE(
    "a generated run id that collides is replaced by a fresh one, a bounded number of times") {
  temp_dir dir;
  tyf::store_detail::store_state st{dir.path(), tyf::store_config{}};
  auto row = [](std::string id) {
    tyf::store_detail::run_row r;
    r.id = std::move(id);
    r.pipeline = "x";
    r.structure_hash = "h";
    r.host = "here";
    r.pid = 1;
    r.started = 1;
    r.kind = "run";
    return r;
  };
  // Two processes that drew the same id in the same millisecond: the second one's insert
  // finds it taken and draws again.
  int drawn = 0;
  auto same_then_fresh = [&] {
    return ++drawn == 1 ? std::string("000000000aaa") : "000000000bbb";
  };
  REQUIRE(st.begin_run(row("000000000aaa"), same_then_fresh) == "000000000aaa");
  REQUIRE(drawn == 0);
  REQUIRE(st.begin_run(row(same_then_fresh()), same_then_fresh) == "000000000bbb");
  REQUIRE(drawn == 2);
  {
    tyf::store view{dir.path()};
    auto runs = view.runs();
    REQUIRE(runs.size() == 2);
    REQUIRE(runs[0].id == "000000000bbb");
    REQUIRE(runs[1].id == "000000000aaa");
  }
  // A generator that never gives a free id: refused after a few tries, never merged.
  auto always_taken = [&] {
    ++drawn;
    return std::string("000000000aaa");
  };
  drawn = 0;
  REQUIRE_THROWS_WITH(st.begin_run(row("000000000aaa"), always_taken),
                      Catch::Contains("000000000aaa") && Catch::Contains("free run id"));
  REQUIRE(drawn >= 3);
  REQUIRE(drawn <= 16);
  // A chosen id (no generator) is refused at once.
  REQUIRE_THROWS_WITH(st.begin_run(row("000000000bbb"), nullptr),
                      Catch::Contains("000000000bbb") && Catch::Contains("already"));
}
