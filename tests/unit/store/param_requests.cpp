// Delayed parameters asked for through the store: a running run records a request
// (store::request_param) and waits (store::await_param) until another thread or process
// answers (store::answer_param, checked like --param); a run waiting shows it in run_info's
// waiting_for; a stop ends the wait; deleting the run removes its requests; a store of schema
// version 2 gains the table and keeps its runs.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/schema.hpp>  // migrations

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>

#include <sqlite3.h>

#include "store_inspection.hpp"
#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::eventually;
using tyf::test::temp_dir;

namespace {

struct delayed {
  tyf::pipeline p{"asking"};
  delayed() {
    auto cutoff = p.param<double>("cutoff").range(0.0, 1.0).delayed();
    auto rows = p.param<int>("rows", 3);
    p.step(
        "use", [](double c, int n) { return c * n; }, cutoff, rows);
  }
};

/// The id of the newest run once it waits for `name` (as another process would see it).
std::string waiting_run(tyf::store& st, const std::string& name) {
  std::string id;
  REQUIRE(eventually([&] {
    auto runs = st.runs();
    if (runs.empty() || runs.front().waiting_for != std::vector<std::string>{name}) return false;
    id = runs.front().id;
    return true;
  }));
  return id;
}

}  // namespace

TEST_CASE("a run waits for a delayed parameter asked through the store until it is answered") {
  temp_dir dir;
  delayed d;
  tyf::store st{dir.path()};
  std::atomic<int> asked{0};
  const auto run_id = tyf::make_run_id();
  std::stop_source stop;
  auto provider = [&](const tyf::param_info& info) {
    ++asked;
    st.request_param(run_id, info);
    auto answer = st.await_param(run_id, info.name, stop.get_token());
    if (!answer) {
      stop.request_stop();  // asked to stop through the store: the run stops now
      throw std::runtime_error("stopped");
    }
    return *answer;
  };
  std::optional<tyf::stored_run> r;
  std::thread running([&] {
    r.emplace(st.run(d.p, tyf::store_options{}.base(
                              tyf::run_options{}.run_id(run_id).param_provider(provider).stop_token(
                                  stop.get_token()))));
  });
  tyf::store other{dir.path()};  // as another process would: its own connection
  const auto id = waiting_run(other, "cutoff");
  REQUIRE(id == run_id);
  CHECK(other.runs().front().status == tyf::run_status::running);

  SECTION("bad answers are refused by name; a good one is used and recorded") {
    CHECK_THROWS_WITH(other.answer_param(d.p, id, "cutoff", "2"),
                      Catch::Contains("parameter 'cutoff' (double) got '2', expected a value from "
                                      "0 to 1 (set by answer)"));
    CHECK_THROWS_AS(other.answer_param(d.p, id, "cutoff", "2"), tyf::run_error);
    CHECK_THROWS_WITH(other.answer_param(d.p, id, "cutof", "0.5"),
                      Catch::Contains("did you mean 'cutoff'?"));
    CHECK_THROWS_WITH(other.answer_param(d.p, id, "rows", "5"),
                      Catch::Contains("parameter 'rows' is not delayed"));
    tyf::pipeline stranger{"stranger"};
    CHECK_THROWS_WITH(other.answer_param(stranger, id, "cutoff", "0.5"),
                      Catch::Contains("of pipeline 'asking' with pipeline 'stranger'"));
    CHECK(other.answer_param(d.p, id.substr(0, 5), "cutoff", "0.5") == id);
    CHECK_THROWS_WITH(
        other.answer_param(d.p, id, "cutoff", "0.75"),
        Catch::Contains("was answered already ('0.5')") || Catch::Contains("is not running"));
    running.join();
    REQUIRE(r->ok());
    CHECK(asked == 1);
    auto shown = other.show(id);
    CHECK(shown.run.params.at("cutoff") == "0.5");
    CHECK(shown.run.waiting_for.empty());
  }
  SECTION("stop() ends the wait: the run ends stopped, its readers cancelled") {
    other.stop(id);
    running.join();
    CHECK(r->status() == tyf::run_status::stopped);
    CHECK(other.show(id).run.waiting_for.empty());
    CHECK_THROWS_WITH(other.answer_param(d.p, id, "cutoff", "0.5"),
                      Catch::Contains("is not running (it is stopped)"));
    SECTION("deleting the run removes its requests") {
      REQUIRE(other.param_requests(id).size() == 1);
      other.remove({id});
      sqlite3* db = nullptr;
      REQUIRE(sqlite3_open((dir.path() / "runs.db").c_str(), &db) == SQLITE_OK);
      sqlite3_stmt* q = nullptr;
      REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM param_requests", -1, &q, nullptr) ==
              SQLITE_OK);
      REQUIRE(sqlite3_step(q) == SQLITE_ROW);
      CHECK(sqlite3_column_int(q, 0) == 0);
      sqlite3_finalize(q);
      sqlite3_close(db);
    }
  }
}

TEST_CASE("an answer given before the run records its request is kept and found") {
  temp_dir dir;
  delayed d;
  tyf::store st{dir.path()};
  std::string seen;
  const auto id = tyf::make_run_id();
  auto provider = [&](const tyf::param_info& info) {
    st.flush();  // the run's row, for answer_param's checks
    // A notifier that answers at once may win the race with the request.
    tyf::store{dir.path()}.answer_param(d.p, id, info.name, "0.25");
    st.request_param(id, info);
    auto answer = st.await_param(id, info.name, {});
    seen = answer.value_or("(none)");
    return seen;
  };
  auto r = st.run(
      d.p, tyf::store_options{}.base(tyf::run_options{}.run_id(id).param_provider(provider)));
  REQUIRE(r.ok());
  CHECK(seen == "0.25");
  auto asked = st.param_requests(r.run_id());
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].requested.has_value());
  CHECK(asked[0].answer == "0.25");
}

TEST_CASE("await_param returns nothing when its stop token is triggered") {
  temp_dir dir;
  delayed d;
  tyf::store st{dir.path()};
  std::stop_source stop;
  std::optional<std::string> answer{"unset"};
  const auto id = tyf::make_run_id();
  auto provider = [&](const tyf::param_info& info) -> std::string {
    st.request_param(id, info);
    answer = st.await_param(id, info.name, stop.get_token());
    throw std::runtime_error("stopped");
  };
  std::optional<tyf::stored_run> r;
  std::thread running([&] {
    r.emplace(st.run(d.p, tyf::store_options{}.base(
                              tyf::run_options{}.run_id(id).param_provider(provider).stop_token(
                                  stop.get_token()))));
  });
  tyf::store other{dir.path()};
  (void)waiting_run(other, "cutoff");
  stop.request_stop();
  running.join();
  CHECK_FALSE(answer.has_value());
  // The provider threw after the run was stopped: the parameter is cancelled, not failed.
  CHECK(r->status() == tyf::run_status::stopped);
  CHECK(r->step("use").status == tyf::step_status::cancelled);
}

TEST_CASE("request_param refuses a run that is not running") {
  temp_dir dir;
  tyf::store st{dir.path()};
  tyf::pipeline p{"plain"};
  p.step("one", [] { return 1; });
  auto r = st.run(p);
  REQUIRE(r.ok());
  tyf::param_info info;
  info.name = "x";
  info.type = "int";
  CHECK_THROWS_WITH(st.request_param(r.run_id(), info),
                    Catch::Contains("is not running (it is succeeded)"));
  CHECK_THROWS_WITH(st.request_param("000000000000", info), Catch::Contains("no run"));
}

TEST_CASE("a store of schema version 2 gains param_requests and keeps its runs") {
  temp_dir dir;
  tyf::test::old_store(dir.path(), 2,
                       "INSERT INTO runs (id, pipeline, structure_hash, status, started, ended, "
                       "host, pid, heartbeat) VALUES ('000000000old', 'x', 'h', 'succeeded', 1, 2, "
                       "'h', 1, 2)");
  tyf::store st{dir.path()};
  CHECK(st.show("000000000old").run.status == tyf::run_status::succeeded);
  CHECK(st.param_requests("000000000old").empty());
  CHECK(tyf::test::number(dir.path(), "SELECT version FROM schema_version") ==
        tyf::store_detail::schema_version);
}
