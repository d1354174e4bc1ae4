// Runs whose worker threads cannot be created (issue 15, defect 2: a pids limit or ulimit -u
// made pthread_create fail with EAGAIN, and the run hung for ever in the engine's destructor).
// Hidden ([.]): CTest's faults.exec-threads runs them with the fault library preloaded
// (tests/faults/preload.cpp, TYPEFLOW_FAULT=pthread_create:1+:EAGAIN: every thread creation
// fails), under a timeout that fails a hang.

#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <system_error>
#include <thread>

namespace tyf = typeflow;

namespace {

/// True when thread creation fails here (the fault library is preloaded).
bool threads_fail() {
  try {
    std::thread([] {}).join();
    return false;
  } catch (const std::system_error&) {
    return true;
  }
}

/// A fan: 8 independent steps, then one that reads them all.
tyf::pipeline fan(std::atomic<int>& ran) {
  tyf::pipeline p{"fan"};
  std::vector<tyf::handle<int>> parts;
  for (int i = 0; i < 8; ++i) {
    parts.push_back(p.step("part" + std::to_string(i), [&ran, i] {
      ran.fetch_add(1);
      return i;
    }));
  }
  p.step(
      "sum",
      [&ran](int a, int b, int c, int d, int e, int f, int g, int h) {
        ran.fetch_add(1);
        return a + b + c + d + e + f + g + h;
      },
      parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7]);
  return p;
}

}  // namespace

TEST_CASE("a run whose worker threads cannot be created runs on the calling thread",
          "[.][faults]") {
  REQUIRE(threads_fail());
  std::atomic<int> ran{0};
  auto p = fan(ran);
  auto r = tyf::run(p, tyf::run_options{}.threads(4));
  CHECK(r.ok());
  CHECK(ran.load() == 9);
}

TEST_CASE("run_async without a thread fails at once, naming the cause", "[.][faults]") {
  REQUIRE(threads_fail());
  std::atomic<int> ran{0};
  auto p = fan(ran);
  for (bool sequential : {false, true}) {
    INFO("sequential: " << sequential);
    try {
      auto h = sequential ? tyf::run_async(p, tyf::sequential) : tyf::run_async(p);
      FAIL("run_async started without a thread");
    } catch (const std::system_error& e) {
      CHECK(std::string(e.what()).find("cannot start a worker thread") != std::string::npos);
      CHECK(std::string(e.what()).find("limit") != std::string::npos);
    }
    CHECK(ran.load() == 0);
  }
}

TEST_CASE(
    "without a timer thread a step with a time limit fails naming the cause, and a "
    "retry goes without its wait",
    "[.][faults]") {
  using namespace std::chrono_literals;
  REQUIRE(threads_fail());
  tyf::pipeline p{"timed"};
  std::atomic<int> limited{0}, tries{0};
  p.step("limited", [&limited] { return ++limited; }).timeout(10s);
  p.step("flaky", [&tries] {
     if (++tries == 1) throw std::runtime_error("first try fails");
     return tries.load();
   }).retry(2, 1h);  // waiting an hour would hang the test: the retry must not wait
  auto r = tyf::run(p, tyf::run_options{}.threads(2));
  CHECK(limited.load() == 0);  // never run without its limit
  CHECK(r.step("limited").status == tyf::step_status::failed);
  CHECK_THAT(r.step("limited").message,
             Catch::Contains("cannot start the run's timer thread") && Catch::Contains("limit"));
  CHECK(r.step("flaky").status == tyf::step_status::succeeded);
  CHECK(tries.load() == 2);
}
