#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "../support.hpp"

namespace tyf = typeflow;

TEST_CASE("observers see run and step events; contexts carry ids, metrics and progress") {
  tyf::pipeline p{"events"};
  std::string seen_run, seen_step;
  auto a = p.step("a", [&](tyf::context& ctx) {
    seen_run = std::string(ctx.run_id());
    seen_step = std::string(ctx.step_name());
    for (int epoch = 0; epoch < 3; ++epoch) {
      ctx.log_metric("loss", 1.0 / (epoch + 1), epoch);
      ctx.progress(static_cast<std::uint64_t>(epoch + 1), 3);
    }
    return 1;
  });
  p.step(
      "b", [](int) -> int { throw std::runtime_error("nope"); }, a);
  tyf::test::recorder rec;
  auto r = tyf::run(p, tyf::run_options{}.observe(rec));
  REQUIRE(seen_run == r.run_id());
  REQUIRE(seen_step == "a");
  auto entries = rec.entries();
  REQUIRE(entries.front().kind == tyf::event_kind::run_started);
  REQUIRE(entries.back().kind == tyf::event_kind::run_finished);
  REQUIRE(rec.count(tyf::event_kind::step_started) == 2);
  REQUIRE(rec.count(tyf::event_kind::step_succeeded, "a") == 1);
  REQUIRE(rec.count(tyf::event_kind::step_failed, "b") == 1);
  REQUIRE(rec.count(tyf::event_kind::metric, "a") == 3);
  REQUIRE(rec.count(tyf::event_kind::progress, "a") == 3);
  auto metrics = r.metrics();
  REQUIRE(metrics.size() == 3);
  REQUIRE(metrics[2].name == "loss");
  REQUIRE(metrics[2].index == 2);
  REQUIRE(metrics[2].value == Approx(1.0 / 3));
  REQUIRE(metrics[2].step == "a");
}

TEST_CASE("a throwing observer never breaks a run") {
  struct thrower : tyf::observer {
    void on_event(const tyf::event&) override { throw std::runtime_error("observer bug"); }
  } bad;
  tyf::test::recorder good;
  tyf::pipeline p{"robust"};
  auto a = p.step("a", [] { return 1; });
  auto b = p.step(
      "b", [](int x) { return x + 1; }, a);
  auto r = tyf::run(p, tyf::run_options{}.observe(bad).observe(good));
  REQUIRE(r.ok());
  REQUIRE(r.get(b) == 2);
  REQUIRE(r.observer_errors() == good.entries().size());
  REQUIRE_THAT(r.first_observer_error(), Catch::Contains("run_started: observer bug"));
}

TEST_CASE("metrics and progress of map elements are reported under the element's name") {
  tyf::pipeline p{"map-metrics"};
  auto items = p.step("items", [] { return std::vector<int>{1, 2, 3}; });
  p.map(
      "train",
      [](int x, tyf::context& ctx) {
        ctx.log_metric("loss", 1.0 / x, 0);
        ctx.progress(1, 1);
        return x;
      },
      items);
  tyf::test::recorder rec;
  auto r = tyf::run(p, tyf::run_options{}.observe(rec));
  REQUIRE(r.ok());
  for (const char* element : {"train[0]", "train[1]", "train[2]"}) {
    REQUIRE(rec.count(tyf::event_kind::metric, element) == 1);
    REQUIRE(rec.count(tyf::event_kind::progress, element) == 1);
  }
  REQUIRE(rec.count(tyf::event_kind::metric, "train") == 0);
}

TEST_CASE("context::log: observers see step_log events with the step, attempt and line") {
  using namespace std::chrono_literals;
  tyf::pipeline p{"logs"};
  auto a = p.step("a", [](tyf::context& ctx) {
              ctx.log("attempt " + std::to_string(ctx.attempt()));
              if (ctx.attempt() == 1) {
                ctx.log("two\nlines\n");  // one final newline adds no empty line
                throw std::runtime_error("first try fails");
              }
              ctx.log("");  // an empty line is a line
              return 1;
            }).retry(1, 1ms);
  auto items = p.step(
      "items",
      [](int) {
        return std::vector<int>{1, 2};
      },
      a);
  p.map(
      "each",
      [](int x, tyf::context& ctx) {
        ctx.log("x=" + std::to_string(x));
        return x;
      },
      items);
  p.step("quiet", [] { return 0; });
  tyf::test::recorder rec;
  auto r = tyf::run(p, tyf::run_options{}.observe(rec));
  REQUIRE(r.ok());
  std::vector<std::tuple<std::string, unsigned, std::string>> lines;
  for (const auto& e : rec.entries()) {
    if (e.kind == tyf::event_kind::step_log) lines.emplace_back(e.step, e.attempt, e.message);
  }
  // One attempt's lines come in the order it wrote them.
  std::vector<std::string> first;
  for (const auto& [step, attempt, line] : lines) {
    if (step == "a" && attempt == 1) first.push_back(line);
  }
  REQUIRE(first == std::vector<std::string>{"attempt 1", "two", "lines"});
  std::sort(lines.begin(), lines.end());
  const std::vector<std::tuple<std::string, unsigned, std::string>> expected{
      {"a", 1, "attempt 1"}, {"a", 1, "lines"},     {"a", 1, "two"},      {"a", 2, ""},
      {"a", 2, "attempt 2"}, {"each[0]", 1, "x=1"}, {"each[1]", 1, "x=2"}};
  REQUIRE(lines == expected);
  REQUIRE(tyf::to_string(tyf::event_kind::step_log) == "step_log");
}

TEST_CASE("context::log without observers goes nowhere, and the step runs as before") {
  tyf::pipeline p{"logs-unobserved"};
  auto a = p.step("a", [](tyf::context& ctx) {
    ctx.log("nobody reads this");
    return 7;
  });
  auto r = tyf::run(p);
  REQUIRE(r.ok());
  REQUIRE(r.get(a) == 7);
}
