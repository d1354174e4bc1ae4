// Steps' own output (store/logs.hpp): context::log lines kept per attempt in files under the
// store's directory, through real runs (a real runs.db, real worker threads): a retried step's
// attempts, a map's elements, lines from threads of the step's own, a run that logs nothing,
// deletion, a log directory that cannot be written, and the paths' refusals of bad names.

#include <typeflow/store.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store_testing.hpp"

namespace tyf = typeflow;
namespace fs = std::filesystem;
using tyf::test::temp_dir;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A step that fails its first attempt and succeeds its second, logging in each; a map whose
/// elements log; a step that logs nothing.
tyf::pipeline logging_pipeline() {
  using namespace std::chrono_literals;
  tyf::pipeline p{"logging"};
  auto a = p.step("prepare", [](tyf::context& ctx) {
              ctx.log("attempt " + std::to_string(ctx.attempt()) + " starts");
              if (ctx.attempt() == 1) {
                ctx.log("first\nsecond\n");
                throw std::runtime_error("the first attempt fails");
              }
              ctx.log("done");
              return 3;
            }).retry(2, 1ms);
  auto items = p.step(
      "items", [](int n) { return std::vector<int>(static_cast<std::size_t>(n), 7); }, a);
  p.map(
      "each",
      [](int x, tyf::context& ctx) {
        ctx.log(std::string(ctx.step_name()) + " got " + std::to_string(x));
        return x;
      },
      items);
  p.step(
      "silent", [](int n) { return n + 1; }, a);
  return p;
}

}  // namespace

TEST_CASE("logs: a retried step's attempts each get their file; a map's elements theirs") {
  temp_dir dir;
  const auto store_dir = dir.path() / "store";
  tyf::store st{store_dir};
  auto p = logging_pipeline();
  auto r = st.run(p);
  INFO(r.first_store_error());
  REQUIRE(r.ok());
  REQUIRE(r.store_errors() == 0);
  const auto id = r.run_id();

  CHECK(tyf::attempt_log_path(store_dir, id, "prepare", std::nullopt, 1) ==
        store_dir / "logs" / id / "prepare" / "1.log");
  CHECK(read_text(tyf::attempt_log_path(store_dir, id, "prepare", std::nullopt, 1)) ==
        "attempt 1 starts\nfirst\nsecond\n");
  CHECK(read_text(tyf::attempt_log_path(store_dir, id, "prepare", std::nullopt, 2)) ==
        "attempt 2 starts\ndone\n");
  CHECK(tyf::logged_attempts(store_dir, id, "prepare") == std::vector<unsigned>{1, 2});

  // Elements: each/<i> as each.<i>/1.log, under the element's own name.
  CHECK(tyf::logged_elements(store_dir, id, "each") == std::vector<std::size_t>{0, 1, 2});
  for (std::size_t i = 0; i < 3; ++i) {
    const auto path = tyf::attempt_log_path(store_dir, id, "each", i, 1);
    CHECK(path == store_dir / "logs" / id / ("each." + std::to_string(i)) / "1.log");
    CHECK(read_text(path) == "each[" + std::to_string(i) + "] got 7\n");
  }
  CHECK(tyf::logged_attempts(store_dir, id, "each").empty());  // the map step itself: none

  // A step that logs nothing has no file, nor a directory.
  CHECK(tyf::logged_attempts(store_dir, id, "silent").empty());
  CHECK_FALSE(fs::exists(store_dir / "logs" / id / "silent"));
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(store_dir / "logs" / id))
    names.insert(e.path().filename().string());
  CHECK(names == std::set<std::string>{"prepare", "each.0", "each.1", "each.2"});

  // A later run of the same pipeline is served from the cache: its steps log nothing, and no
  // directory is made for it.
  auto again = st.run(p);
  REQUIRE(again.ok());
  CHECK_FALSE(fs::exists(store_dir / "logs" / again.run_id()));
}

TEST_CASE("logs: a run whose steps log nothing creates no log files") {
  temp_dir dir;
  tyf::store st{dir.path() / "store"};
  tyf::pipeline p{"quiet"};
  auto a = p.step("a", [](tyf::context& ctx) { return static_cast<int>(ctx.attempt()); });
  p.step(
      "b", [](int x) { return x + 1; }, a);
  auto r = st.run(p);
  REQUIRE(r.ok());
  CHECK_FALSE(fs::exists(dir.path() / "store" / "logs"));
}

TEST_CASE("logs: lines from threads of a step's own are all kept, each whole") {
  temp_dir dir;
  const auto store_dir = dir.path() / "store";
  tyf::store st{store_dir};
  tyf::pipeline p{"threads"};
  constexpr int threads = 4, lines = 500;
  p.step("busy", [](tyf::context& ctx) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&ctx, t] {
        for (int i = 0; i < lines; ++i)
          ctx.log("thread " + std::to_string(t) + " line " + std::to_string(i));
      });
    }
    for (auto& th : pool) th.join();
    return 0;
  });
  auto r = st.run(p);
  REQUIRE(r.ok());
  REQUIRE(r.store_errors() == 0);
  std::istringstream in(read_text(tyf::attempt_log_path(store_dir, r.run_id(), "busy", {}, 1)));
  std::vector<int> next(threads, 0);  // each thread's lines come in its order
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    int t = -1, i = -1;
    REQUIRE(std::sscanf(line.c_str(), "thread %d line %d", &t, &i) == 2);
    REQUIRE(t >= 0);
    REQUIRE(t < threads);
    CHECK(i == next[static_cast<std::size_t>(t)]++);
    ++count;
  }
  CHECK(count == threads * lines);
}

TEST_CASE("logs: deleting a run removes its logs; garbage collection removes orphans") {
  temp_dir dir;
  const auto store_dir = dir.path() / "store";
  tyf::store st{store_dir};
  auto p = logging_pipeline();
  auto first = st.run(p);
  auto second = st.run(p, tyf::store_options{}.no_cache());
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(fs::is_directory(store_dir / "logs" / first.run_id()));
  REQUIRE(fs::is_directory(store_dir / "logs" / second.run_id()));

  st.remove({first.run_id()});
  CHECK_FALSE(fs::exists(store_dir / "logs" / first.run_id()));
  CHECK(tyf::logged_attempts(store_dir, second.run_id(), "prepare") == std::vector<unsigned>{1, 2});

  // A directory of a run the store has no row of (its delete could not remove it) goes with
  // the next collection; the runs' own stay.
  fs::create_directories(store_dir / "logs" / "zzzzzzzzzzzz" / "a");
  std::ofstream(store_dir / "logs" / "zzzzzzzzzzzz" / "a" / "1.log") << "orphan\n";
  st.collect_garbage();
  CHECK_FALSE(fs::exists(store_dir / "logs" / "zzzzzzzzzzzz"));
  CHECK(fs::is_directory(store_dir / "logs" / second.run_id()));
}

TEST_CASE("logs: lines that cannot be written are counted as lost, and the run goes on") {
  temp_dir dir;
  const auto store_dir = dir.path() / "store";
  fs::create_directories(store_dir);
  std::ofstream(store_dir / "logs") << "a file where the logs directory would be\n";
  tyf::store st{store_dir};
  tyf::pipeline p{"unwritable"};
  auto a = p.step("a", [](tyf::context& ctx) {
    ctx.log("one");
    ctx.log("two");
    return 1;
  });
  auto r = st.run(p);
  REQUIRE(r.ok());
  CHECK(r.get(a) == 1);
  CHECK(r.store_errors() == 2);
  CHECK(r.lost_records() == "2 log lines");
  CHECK_THAT(r.first_store_error(),
             Catch::Contains("cannot create '" + (store_dir / "logs" / r.run_id()).string()));
  CHECK(st.show(r.run_id()).run.status == tyf::run_status::succeeded);
}

TEST_CASE("logs: paths refuse run ids, step names and attempts that could name another file") {
  const fs::path store_dir = "/tmp/some-store";
  for (const char* bad_run : {"", ".", "..", "a/b", "..\\x", "a\nb"}) {
    INFO(bad_run);
    CHECK_THROWS_AS(tyf::attempt_log_path(store_dir, bad_run, "a", std::nullopt, 1),
                    tyf::store_error);
    CHECK_THROWS_AS(tyf::run_log_dir(store_dir, bad_run), tyf::store_error);
  }
  for (const char* bad_step : {"", "..", "a/b", "../a", "a b", "a.1", "1a", "a[1]"}) {
    INFO(bad_step);
    CHECK_THROWS_AS(tyf::attempt_log_path(store_dir, "run1", bad_step, std::nullopt, 1),
                    tyf::store_error);
    CHECK_THROWS_AS(tyf::logged_attempts(store_dir, "run1", bad_step), tyf::store_error);
  }
  CHECK_THROWS_WITH(tyf::attempt_log_path(store_dir, "run1", "a", std::nullopt, 0),
                    Catch::Contains("attempts count from 1"));
  CHECK_THROWS_WITH(tyf::attempt_log_path(store_dir, "run1", "a b", std::nullopt, 1),
                    Catch::Contains("'a b': it is not a step name"));
  CHECK(tyf::attempt_log_path(store_dir, "run1", "train_2", 12, 3) ==
        store_dir / "logs" / "run1" / "train_2.12" / "3.log");
  // Nothing logged (no directory at all): no attempts, no elements.
  CHECK(tyf::logged_attempts(store_dir, "run1", "a").empty());
  CHECK(tyf::logged_elements(store_dir, "run1", "a").empty());
}

TEST_CASE("logs: parse_step_ref reads `step` and `step[i]`, and nothing else") {
  auto plain = tyf::parse_step_ref("train");
  REQUIRE(plain);
  CHECK(plain->step == "train");
  CHECK_FALSE(plain->element);
  auto element = tyf::parse_step_ref("train[12]");
  REQUIRE(element);
  CHECK(element->step == "train");
  CHECK(element->element == std::optional<std::size_t>{12});
  for (const char* bad : {"", "[1]", "train[", "train[]", "train[x]", "train[-1]", "train[1]x",
                          "train]", "train[1][2]", "train[99999999999999999999999]"}) {
    INFO(bad);
    CHECK_FALSE(tyf::parse_step_ref(bad));
  }
}

TEST_CASE("logs: a run id that would name no directory of its own is refused by the store") {
  temp_dir dir;
  tyf::store st{dir.path() / "store"};
  tyf::pipeline p{"ids"};
  p.step("a", [] { return 1; });
  for (const char* bad : {".", ".."}) {
    CHECK_THROWS_WITH(st.run(p, tyf::store_options{}.base(tyf::run_options{}.run_id(bad))),
                      Catch::Contains("cannot be stored: it is empty, '.' or '..'"));
  }
}
