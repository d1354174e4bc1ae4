// Operations on stored runs: retry (re-run what did not succeed, reuse what did), copy,
// compare, delete (then collect unreferenced artifacts), stop, and crash recovery.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/files.hpp>  // host_name

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

namespace {
struct flaky {
  std::atomic<bool> fail{true};
  std::atomic<int> prep{0}, train{0}, side{0}, eval{0};
  tyf::pipeline p{"flaky"};
  flaky() {
    auto lr = p.param<double>("lr", 0.5);
    auto data = p.step("prep", [this] {
      ++prep;
      return std::vector<int>{1, 2, 3};
    });
    auto model = p.step(
        "train",
        [this](const std::vector<int>& d, double rate, tyf::context& ctx) {
          ++train;
          if (fail) throw std::runtime_error("out of memory");
          ctx.log_metric("loss", rate / static_cast<double>(d.size()));
          return rate * 2;
        },
        data, lr);
    p.step(
        "side",
        [this](const std::vector<int>& d) {
          ++side;
          return d.size();
        },
        data);
    p.step(
        "eval",
        [this](double m, tyf::context& ctx) {
          ++eval;
          ctx.log_metric("acc", m / 2);
          return m;
        },
        model);
  }
};

/// Records, through a store object of its own, a stop for the newest run once its step `step`
/// is running.
void stop_once_running(const std::filesystem::path& dir, const char* step) {
  tyf::store other{dir};
  REQUIRE(tyf::test::newest_step_running(other, step));
  other.stop("latest");
}
}  // namespace

TEST_CASE("retry re-runs the steps that did not succeed and reuses the others' outputs") {
  temp_dir dir;
  tyf::store st{dir.path()};
  flaky f;
  auto first = st.run(f.p, tyf::store_options{}.set("lr", "0.25").experiment("x").tag("t", "1"));
  REQUIRE(first.status() == tyf::run_status::failed);
  REQUIRE(first.step("eval").status == tyf::step_status::skipped);
  f.fail = false;
  auto again = st.retry(f.p, first.run_id(), tyf::store_options{}.no_cache());
  REQUIRE(again.ok());
  REQUIRE(f.prep == 1);
  REQUIRE(f.side == 1);
  REQUIRE(f.train == 2);
  REQUIRE(f.eval == 1);
  REQUIRE(again.step("prep").status == tyf::step_status::cached);
  REQUIRE(again.step("side").status == tyf::step_status::skipped);  // succeeded before, not needed
  auto d = st.show(again.run_id());
  REQUIRE(d.run.kind == "retry");
  REQUIRE(d.run.origin == first.run_id());
  REQUIRE(d.run.params.at("lr") == "0.25");  // the origin's parameters
  REQUIRE(d.run.experiment == "x");
  REQUIRE(d.run.tags.at("t") == "1");
  REQUIRE(d.final_metric("acc") == Approx(0.25));
  REQUIRE_THROWS_WITH(st.retry(f.p, again.run_id()), Catch::Contains("nothing to retry"));
  REQUIRE_THROWS_WITH(st.retry(f.p, first.run_id(), tyf::store_options{}.set("lr", "1")),
                      Catch::Contains("copy() the run"));
  tyf::pipeline other{"other"};
  REQUIRE_THROWS_WITH(st.retry(other, first.run_id()),
                      Catch::Contains("of pipeline 'flaky' with pipeline 'other'"));
}

TEST_CASE("retry runs again a succeeded step whose output was not stored, when it is read") {
  temp_dir dir;
  tyf::store st{dir.path()};
  flaky f;
  tyf::detail::handle_access::make<std::vector<int>>(f.p.definition().get(), 1,
                                                     f.p.definition()->nodes[1].whole)
      .persist(false);
  REQUIRE(st.run(f.p).status() == tyf::run_status::failed);
  f.fail = false;
  auto again = st.retry(f.p, "latest");
  REQUIRE(again.ok());
  REQUIRE(f.prep == 2);
  REQUIRE(f.train == 2);
}

TEST_CASE("copy runs again with the origin's parameters plus overrides") {
  temp_dir dir;
  tyf::store st{dir.path()};
  flaky f;
  f.fail = false;
  auto first = st.run(f.p, tyf::store_options{}.set("lr", "0.25"));
  auto copy = st.copy(f.p, first.run_id(), tyf::store_options{}.tag("copy", "yes"));
  REQUIRE(copy.ok());
  auto d = st.show(copy.run_id());
  REQUIRE(d.run.kind == "copy");
  REQUIRE(d.run.origin == first.run_id());
  REQUIRE(d.run.params.at("lr") == "0.25");
  REQUIRE(copy.step("train").status == tyf::step_status::cached);
  auto changed = st.copy(f.p, first.run_id(), tyf::store_options{}.set("lr", "1"));
  REQUIRE(st.show(changed.run_id()).run.params.at("lr") == "1");
  REQUIRE(changed.step("train").status == tyf::step_status::succeeded);

  auto c = st.compare({first.run_id(), changed.run_id()});
  REQUIRE(c.runs == std::vector<std::string>{first.run_id(), changed.run_id()});
  REQUIRE(c.params.size() == 1);
  REQUIRE(c.params[0].name == "lr");
  REQUIRE(c.params[0].values == std::vector<std::optional<std::string>>{"0.25", "1"});
  REQUIRE(c.params[0].differs());
  REQUIRE(c.metrics.size() == 2);
  REQUIRE(c.metrics[0].name == "eval.acc");
  REQUIRE(c.metrics[0].values[0] == Approx(0.25));
  REQUIRE(c.metrics[0].values[1] == Approx(1.0));
  REQUIRE(c.metrics[1].name == "train.loss");
  auto table = c.table();
  REQUIRE(table.find("* lr") != std::string::npos);
  REQUIRE(table.find("0.25") != std::string::npos);
}

TEST_CASE("delete removes runs, then the artifacts that nothing references") {
  temp_dir dir;
  tyf::store_config cfg;
  cfg.inline_limit = 0;
  tyf::store st{dir.path(), cfg};
  tyf::pipeline p{"del"};
  auto x = p.param<int>("x", 1);
  auto a = p.step(
      "a", [](int v) { return std::vector<int>(100, v); }, x);
  p.step(
      "b", [](const std::vector<int>& v) { return v.size(); }, a);
  auto r1 = st.run(p);
  auto r2 = st.run(p, tyf::store_options{}.set("x", "2"));
  auto r3 = st.run(p);  // all cached: references r1's artifacts
  REQUIRE(r3.step("a").status == tyf::step_status::cached);
  auto count_files = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() / "artifacts")) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  };
  REQUIRE(count_files() == 3);  // a(x=1), a(x=2), and b's size (shared by both runs)
  auto gone = st.remove({r2.run_id()});
  REQUIRE(gone.runs == 1);
  REQUIRE(gone.artifacts == 1);  // a(x=2); b's output is still referenced by r1 and r3
  REQUIRE(gone.bytes > 400);
  REQUIRE(count_files() == 2);
  REQUIRE(st.runs().size() == 2);
  REQUIRE_THROWS_WITH(st.show(r2.run_id()), Catch::Contains("no run"));
  st.remove({r1.run_id()});  // r3 still references the artifacts through its cache hits
  REQUIRE(count_files() == 2);
  auto last = st.remove({"latest"});
  REQUIRE(last.artifacts == 2);
  REQUIRE(count_files() == 0);
  REQUIRE(st.runs().empty());
  // The cache entries went with the runs that made them: the next run runs.
  REQUIRE(st.run(p).step("a").status == tyf::step_status::succeeded);
}

TEST_CASE("a stop recorded in the store stops a run, whoever recorded it") {
  temp_dir dir;
  tyf::store_config cfg;
  cfg.heartbeat = std::chrono::milliseconds(20);
  tyf::store st{dir.path(), cfg};
  auto p = tyf::test::stoppable_pipeline();
  std::optional<tyf::stored_run> result;
  std::thread runner([&] { result.emplace(st.run(p)); });
  stop_once_running(dir.path(), "wait");
  runner.join();
  REQUIRE(result->status() == tyf::run_status::stopped);
  REQUIRE(st.show(result->run_id()).run.status == tyf::run_status::stopped);
  REQUIRE(st.show(result->run_id()).run.stop_requested);
  REQUIRE_THROWS_WITH(st.stop(result->run_id()), Catch::Contains("is not running"));
}

TEST_CASE("retry completes a stopped run (its stopped and cancelled steps) and a timed-out one") {
  temp_dir dir;
  tyf::store_config cfg;
  cfg.heartbeat = std::chrono::milliseconds(20);
  tyf::store st{dir.path(), cfg};
  std::atomic<bool> block{true};
  std::atomic<int> prep{0}, wait{0}, after{0};
  tyf::pipeline p{"stop_then_retry"};
  auto data = p.step("prep", [&] {
    ++prep;
    return 3;
  });
  auto waited = p.step(
      "wait",
      [&](int x, tyf::context& ctx) {
        ++wait;
        while (block && !ctx.stop_requested())
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (ctx.stop_requested()) throw std::runtime_error("stopped while waiting");
        return x + 1;
      },
      data);
  auto last = p.step(
      "after",
      [&](int x) {
        ++after;
        return x * 2;
      },
      waited);

  std::optional<tyf::stored_run> first;
  std::thread runner([&] { first.emplace(st.run(p)); });
  stop_once_running(dir.path(), "wait");
  runner.join();
  REQUIRE(first->status() == tyf::run_status::stopped);
  REQUIRE(first->step("prep").status == tyf::step_status::succeeded);
  REQUIRE(first->step("wait").status != tyf::step_status::succeeded);
  REQUIRE(first->step("after").status == tyf::step_status::cancelled);
  REQUIRE(after == 0);

  block = false;
  auto again = st.retry(p, first->run_id());
  REQUIRE(again.ok());
  REQUIRE(again.step("prep").status == tyf::step_status::cached);
  REQUIRE(again.step("wait").status == tyf::step_status::succeeded);
  REQUIRE(again.step("after").status == tyf::step_status::succeeded);
  REQUIRE(again.get(last) == 8);
  REQUIRE(prep == 1);
  REQUIRE(wait == 2);
  REQUIRE(after == 1);
  REQUIRE(st.show(again.run_id()).run.origin == first->run_id());

  // A timed-out step is retried the same way.
  std::atomic<bool> slow{true};
  tyf::pipeline q{"timeout_then_retry"};
  auto patient = q.step("patient", [&](tyf::context& ctx) {
    while (slow && !ctx.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (ctx.stop_requested()) throw std::runtime_error("gave up");
    return 5;
  });
  patient.timeout(std::chrono::milliseconds(300));  // the retry returns at once, well within it
  auto timed = st.run(q);
  REQUIRE(timed.status() == tyf::run_status::failed);
  REQUIRE(timed.step("patient").status == tyf::step_status::timed_out);
  slow = false;
  auto retried = st.retry(q, timed.run_id());
  REQUIRE(retried.ok());
  REQUIRE(retried.get(patient) == 5);
}

TEST_CASE("a run whose heartbeat went stale is found interrupted when the store opens") {
  temp_dir dir;
  { tyf::store st{dir.path()}; }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "runs.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(
      sqlite3_exec(db,
                   "INSERT INTO runs (id, pipeline, structure_hash, status, started, host, pid, "
                   "heartbeat) VALUES ('000000000abc', 'x', 'h', 'running', 1, 'elsewhere', "
                   "42, 1000000)",
                   nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  tyf::store st{dir.path()};
  auto r = st.show("000000000abc");
  REQUIRE(r.run.status == tyf::run_status::interrupted);
  REQUIRE(r.run.message.find("stopped reporting") != std::string::npos);
  REQUIRE(st.recover() == 0);
}

TEST_CASE("opening a store removes temporary files left by processes that died mid-write") {
  temp_dir dir;
  { tyf::store st{dir.path()}; }
  auto tmp = dir.path() / "artifacts" / "tmp";
  auto host = tyf::store_detail::host_name();
  auto dead = tmp / (host + "-999999999-0.part");                            // no such process
  auto alive = tmp / (host + "-" + std::to_string(::getpid()) + "-7.part");  // this one
  std::ofstream(dead) << "half an artifact";
  std::ofstream(alive) << "being written";
  tyf::store st{dir.path()};
  REQUIRE_FALSE(std::filesystem::exists(dead));
  REQUIRE(std::filesystem::exists(alive));
}
