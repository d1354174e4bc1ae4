// The launcher seam (exec/launcher.hpp): steps a launcher accepts run through it, one attempt
// at a time, from the whole outputs they read; the executor still plans, evaluates conditions,
// retries and records. The launcher here runs each attempt as a job elsewhere would: on a
// thread of its own, from copies made by the outputs' codecs, through run_attempt().
#include <typeflow/core/codec.hpp>
#include <typeflow/exec/launcher.hpp>
#include <typeflow/exec/run.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tyf = typeflow;
using namespace std::chrono_literals;

namespace {
struct Split {
  std::vector<double> train;
  std::vector<double> test;
};
}  // namespace
BOOST_HANA_ADAPT_STRUCT(Split, train, test);

namespace {

/// A box holding a copy of `whole` made through `codec`, as a job reads an artifact.
tyf::detail::box copied(const tyf::detail::codec_ops& codec, const tyf::detail::box& whole) {
  std::vector<std::byte> bytes;
  codec.encode(whole.get(), bytes);
  tyf::detail::box out;
  codec.decode(bytes, out);
  return out;
}

/// Metrics a job logs, replayed to the driver's context when the attempt has ended.
class metric_buffer final : public tyf::detail::context_sink {
 public:
  void metric(const tyf::context&, std::string_view name, double value,
              std::int64_t index) override {
    points.emplace_back(std::string(name), value, index);
  }
  void progress(const tyf::context&, std::uint64_t, std::uint64_t) override {}
  void log(const tyf::context&, std::string_view text) override { lines.emplace_back(text); }
  std::vector<std::tuple<std::string, double, std::int64_t>> points;
  std::vector<std::string> lines;
};

/// Runs the attempts of every step but those named `here` on a thread of its own.
class thread_launcher final : public tyf::launcher {
 public:
  explicit thread_launcher(std::set<std::string> here = {}) : here_(std::move(here)) {}

  [[nodiscard]] bool launches(const tyf::run_view& run, tyf::detail::node_id u) const override {
    return here_.count(std::string(run.definition().nodes[u].name)) == 0;
  }

  tyf::attempt_result launch(const tyf::launch_request& r) override {
    const auto& d = r.run.definition();
    const auto& nd = d.nodes[r.node];
    {
      std::lock_guard lock(m_);
      launched_.emplace_back(std::string(nd.name), r.element, r.attempt);
    }
    if (fail_launch_) throw std::runtime_error("the queue refused the job");
    std::vector<tyf::detail::box> inputs(r.inputs.size());
    std::vector<const tyf::detail::box*> pointers(r.inputs.size(), nullptr);
    for (std::size_t i = 0; i < r.inputs.size(); ++i) {
      if (r.inputs[i] == nullptr) continue;
      const auto producer = d.ports[d.inputs[nd.first_input + i]].node;
      inputs[i] = copied(*d.nodes[producer].codec, *r.inputs[i]);
      pointers[i] = &inputs[i];
    }
    const std::string name = r.element == tyf::detail::none
                                 ? std::string(nd.name)
                                 : std::string(nd.name) + "[" + std::to_string(r.element) + "]";
    metric_buffer sink;
    tyf::detail::box out;
    auto job = std::async(std::launch::async, [&] {
      return tyf::run_attempt(
          d, r.node, r.element, pointers, out,
          tyf::attempt_context{r.run.run_id(), name, r.attempt, &sink, r.ctx.stop_token()},
          r.limit);
    });
    auto result = job.get();
    for (const auto& [metric, value, index] : sink.points) r.ctx.log_metric(metric, value, index);
    for (const auto& line : sink.lines) r.ctx.log(line);
    if (result.succeeded() && out.get() != nullptr) {
      const auto* codec = r.element == tyf::detail::none ? nd.codec : nd.map->element_codec;
      // Not REQUIRE: this runs on the run's worker threads, and Catch's assertions are not
      // thread-safe (TSan). A throw fails the attempt, and the test then.
      if (codec == nullptr) throw std::logic_error("no codec for the output of " + name);
      r.out = copied(*codec, out);
    }
    return result;
  }

  std::vector<std::tuple<std::string, std::uint32_t, unsigned>> launched() {
    std::lock_guard lock(m_);
    return launched_;
  }
  bool fail_launch_ = false;

 private:
  std::set<std::string> here_;
  std::mutex m_;
  std::vector<std::tuple<std::string, std::uint32_t, unsigned>> launched_;
};

/// A pipeline with a parameter, a projection, a map, a condition with both branches, a step
/// that skips itself and a step that stays in memory.
struct sweep {
  tyf::pipeline p{"sweep"};
  tyf::param<int> scale = p.param<int>("scale", 3);
  tyf::handle<Split> split = p.step("split", [] { return Split{{1, 2, 3, 4}, {5, 6}}; });
  tyf::map_handle<double> trained = p.map(
      "train",
      [](double x, int s, tyf::context& ctx) {
        ctx.log_metric("x", x, static_cast<std::int64_t>(x));
        return x * s;
      },
      split[&Split::train], scale);
  tyf::handle<double> total = p.step(
      "total",
      [](const std::vector<double>& v) {
        double sum = 0;
        for (double x : v) sum += x;
        return sum;
      },
      trained);
  tyf::branch big = p.when("big", total, [](double t) { return t > 20; });
  tyf::handle<tyf::maybe<std::string>> ship = big.step(
      "ship", [](double t) { return "shipped " + std::to_string(static_cast<int>(t)); }, total);
  tyf::handle<tyf::maybe<std::string>> hold = big.otherwise().step(
      "hold", [](double) { return std::string("held"); }, total);
  tyf::handle<std::string> outcome = p.first_of(ship, hold);
  tyf::handle<int> lazy = p.step(
      "lazy", [](const Split&) -> int { throw tyf::skip_step("nothing to do"); }, split);
  tyf::handle<std::string> memo = p.step(
      tyf::in_memory, "memo", [](const std::string& s) { return s + "!"; }, outcome);
};

}  // namespace

TEST_CASE("launched steps give the outputs, statuses and metrics of a run on worker threads") {
  sweep plain;
  auto local = tyf::run(plain.p);
  REQUIRE(local.ok());

  sweep s;
  auto l = std::make_shared<thread_launcher>(std::set<std::string>{"memo"});
  auto remote = tyf::run(s.p, tyf::run_options{}.launcher(l).keep(s.total).keep(s.outcome));
  REQUIRE(remote.ok());
  REQUIRE(remote.get(s.total) == 30.0);
  REQUIRE(remote.get(s.outcome) == "shipped 30");
  REQUIRE(remote.get(s.memo) == "shipped 30!");
  for (const char* name : {"split", "train", "total", "big", "ship", "hold", "lazy", "memo"}) {
    INFO(name);
    REQUIRE(remote.step(name).status == local.step(name).status);
    REQUIRE(remote.step(name).message == local.step(name).message);
  }
  REQUIRE(remote.step("lazy").message == "nothing to do");
  REQUIRE(remote.metrics().size() == 4);
  // Every step but memo went through the launcher, the map as its four elements; the
  // condition's false branch was never launched, nor the parameter.
  std::set<std::string> names;
  for (const auto& [name, element, attempt] : l->launched()) {
    names.insert(element == tyf::detail::none ? name : name + "[" + std::to_string(element) + "]");
    REQUIRE(attempt == 1);
  }
  REQUIRE(names == std::set<std::string>{"split", "train[0]", "train[1]", "train[2]", "train[3]",
                                         "total", "big", "ship", "first-of-1", "lazy"});
}

TEST_CASE("a launched step's failures are retried as new attempts; a timeout ends one") {
  tyf::pipeline p{"flaky"};
  auto attempts = std::make_shared<std::atomic<int>>(0);
  p.step("flaky", [attempts]() -> int {
     if (++*attempts < 3) throw std::runtime_error("attempt " + std::to_string(*attempts));
     return 1;
   }).retry(2);
  p.step("slow", [](tyf::context& ctx) {
     while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
     return 0;
   }).timeout(50ms);
  p.step("bad", []() -> int { throw std::invalid_argument("no such column"); }).retry(1);
  auto l = std::make_shared<thread_launcher>();
  auto r = tyf::run(p, tyf::run_options{}.launcher(l));
  REQUIRE(r.step("flaky").status == tyf::step_status::succeeded);
  REQUIRE(r.step("flaky").attempts == 3);
  REQUIRE(r.step("slow").status == tyf::step_status::timed_out);
  REQUIRE(r.step("slow").message == "timed out after 50ms");
  REQUIRE(r.step("bad").status == tyf::step_status::failed);
  REQUIRE(r.step("bad").attempts == 2);
  REQUIRE(r.step("bad").message == "no such column");
  std::map<std::string, unsigned> last;
  for (const auto& [name, element, attempt] : l->launched()) {
    last[name] = std::max(last[name], attempt);
  }
  REQUIRE(last == std::map<std::string, unsigned>{{"bad", 2}, {"flaky", 3}, {"slow", 1}});
}

TEST_CASE("a launcher that throws fails the attempt with its message; the run's stop ends one") {
  tyf::pipeline p{"refused"};
  p.step("a", [] { return 1; });
  auto l = std::make_shared<thread_launcher>();
  l->fail_launch_ = true;
  auto r = tyf::run(p, tyf::run_options{}.launcher(l));
  REQUIRE(r.step("a").status == tyf::step_status::failed);
  REQUIRE(r.step("a").message == "the queue refused the job");

  tyf::pipeline q{"stopped"};
  std::atomic<bool> started{false};
  q.step("wait", [&](tyf::context& ctx) {
    started = true;
    while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
    throw std::runtime_error("stopped");
    return 0;
  });
  auto handle = tyf::run_async(q, tyf::run_options{}.launcher(std::make_shared<thread_launcher>()));
  while (!started) std::this_thread::sleep_for(1ms);
  handle.stop();
  auto s = handle.wait();
  REQUIRE(s.status() == tyf::run_status::stopped);
  REQUIRE(s.step("wait").status == tyf::step_status::failed);
}
