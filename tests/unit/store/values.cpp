// Metric values that are not finite numbers (NaN, +inf, -inf: a diverging loss is exactly the
// value a user needs to see) are stored and read back as they were logged, including from a
// store made before they could be stored (issue 15, defect 3).
#include <typeflow/store.hpp>
#include <typeflow/store/detail/schema.hpp>  // migrations

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "store_inspection.hpp"
#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/// One step logging NaN, +inf, -inf and a finite value as the history of "loss", and a NaN as
/// the only point of "grad".
tyf::pipeline diverging_pipeline() {
  tyf::pipeline p{"diverge"};
  p.step("train", [](tyf::context& ctx) {
    volatile double zero = 0.0;  // divided at run time: x86 makes a NaN with its sign bit set
    ctx.log_metric("loss", 0.5, 0);
    ctx.log_metric("loss", zero / zero, 1);
    ctx.log_metric("loss", inf, 2);
    ctx.log_metric("loss", -inf, 3);
    ctx.log_metric("grad", std::numeric_limits<double>::quiet_NaN());
    return 1;
  });
  return p;
}

}  // namespace

TEST_CASE("NaN and infinite metrics are stored and read back as logged") {
  temp_dir dir;
  tyf::store st{dir.path()};
  auto r = st.run(diverging_pipeline());
  INFO(r.first_store_error());
  REQUIRE(r.ok());
  CHECK(r.store_errors() == 0);
  st.flush();
  const auto d = st.show(r.run_id());
  std::vector<double> loss;
  for (const auto& m : d.metrics) {
    if (m.name == "loss") loss.push_back(m.value);
  }
  REQUIRE(loss.size() == 4);
  CHECK(loss[0] == 0.5);
  CHECK(std::isnan(loss[1]));
  CHECK(loss[2] == inf);
  CHECK(loss[3] == -inf);
  REQUIRE(d.final_metric("grad"));
  CHECK(std::isnan(*d.final_metric("grad")));
  CHECK(d.final_metric("loss") == -inf);

  SECTION("compare shows them as nan, inf and -inf; the same NaN in two runs does not differ") {
    auto again = st.run(diverging_pipeline(), tyf::store_options{}.no_cache());
    REQUIRE(again.ok());
    st.flush();
    const auto c = st.compare({r.run_id(), again.run_id()});
    REQUIRE(c.metrics.size() == 2);
    CHECK(c.metrics[0].name == "train.grad");
    CHECK(std::isnan(*c.metrics[0].values[0]));
    CHECK_FALSE(c.metrics[0].differs());
    CHECK(c.metrics[1].values[1] == -inf);
    CHECK_FALSE(c.metrics[1].differs());
    const auto table = c.table();
    INFO(table);
    CHECK(table.find("  train.grad  nan") != std::string::npos);
    CHECK(table.find("  train.loss  -inf") != std::string::npos);
    CHECK(table.find("-nan") == std::string::npos);
  }
}

TEST_CASE("a store of the schema before non-finite metrics migrates with its metrics kept") {
  temp_dir dir;
  // Schema version 2: the last one whose metrics table had `value REAL NOT NULL`.
  tyf::test::old_store(
      dir.path(), 2,
      "INSERT INTO runs (id, pipeline, structure_hash, status, started, ended, host, pid, "
      "heartbeat) VALUES ('000000000old', 'x', 'h', 'succeeded', 1, 2, 'h', 1, 2); "
      "INSERT INTO metrics (run_id, step, name, value, idx, time) VALUES "
      "('000000000old', 's', 'loss', 0.25, 0, 10), ('000000000old', 's', 'loss', 9e999, 1, 11), "
      "('000000000old', 's', 'acc', 0.75, 0, 12)");

  tyf::store st{dir.path()};
  const auto old = st.show("000000000old");
  REQUIRE(old.metrics.size() == 3);
  CHECK(old.metrics[0].name == "loss");
  CHECK(old.metrics[0].value == 0.25);
  CHECK(old.metrics[1].value == inf);
  CHECK(old.metrics[1].index == 1);
  CHECK(old.metrics[2].name == "acc");
  CHECK(old.metrics[2].value == 0.75);
  CHECK(old.metrics[2].step == "s");

  // The migrated store takes NaN.
  auto r = st.run(diverging_pipeline());
  REQUIRE(r.store_errors() == 0);
  st.flush();
  REQUIRE(st.show(r.run_id()).final_metric("grad"));
  CHECK(std::isnan(*st.show(r.run_id()).final_metric("grad")));
}
