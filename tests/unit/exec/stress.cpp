// Random DAGs (seeded): thousands of steps with random failures and retries, run on threads,
// must give exactly the sequential executor's results and statuses; and random stops must
// always end the run cleanly.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tyf = typeflow;

namespace {

struct random_dag {
  tyf::pipeline p{"random"};
  std::vector<tyf::handle<std::uint64_t>> nodes;

  // Every step hashes its inputs; a step fails deterministically by its own index (and, when
  // it has retries, only on its first attempts, so retries must recover it).
  random_dag(std::uint32_t seed, int count) {
    std::mt19937 rng(seed);
    for (int i = 0; i < count; ++i) {
      const auto id = static_cast<std::uint64_t>(i);
      const bool fails = rng() % 97 == 0;
      const unsigned retries = rng() % 3 == 0 ? 2 : 0;
      const int arity = i == 0 ? 0 : static_cast<int>(rng() % 3) + (i > 10 ? 1 : 0);
      auto pick = [&] { return nodes[rng() % nodes.size()]; };
      auto mix = [id](std::uint64_t h) -> std::uint64_t {
        return (h ^ (id + 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
      };
      auto fail_if = [fails, retries, id](const tyf::context& ctx) {
        if (fails && ctx.attempt() <= retries + (id % 2 == 0 ? 1 : 0)) {
          throw std::runtime_error("step " + std::to_string(id) + " attempt " +
                                   std::to_string(ctx.attempt()));
        }
      };
      const std::string name = "n" + std::to_string(i);
      tyf::handle<std::uint64_t> h;
      if (arity == 0) {
        h = p.step(name, [=](tyf::context& ctx) {
          fail_if(ctx);
          return mix(1);
        });
      } else if (arity == 1) {
        h = p.step(
            name,
            [=](std::uint64_t a, tyf::context& ctx) {
              fail_if(ctx);
              return mix(a);
            },
            pick());
      } else if (arity == 2) {
        h = p.step(
            name,
            [=](std::uint64_t a, const std::uint64_t& b, tyf::context& ctx) {
              fail_if(ctx);
              return mix(a * 31 + b);
            },
            pick(), pick());
      } else {
        h = p.step(
            name,
            [=](std::uint64_t a, std::uint64_t b, std::uint64_t c, tyf::context& ctx) {
              fail_if(ctx);
              return mix(a * 961 + b * 31 + c);
            },
            pick(), pick(), pick());
      }
      if (retries > 0) h.retry(retries);
      if (i > 0 && rng() % 5 == 0) h.after(pick());
      nodes.push_back(h);
    }
  }
};

}  // namespace

TEST_CASE("random DAGs: the thread pool gives the sequential executor's results") {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
    random_dag dag(seed, 3000);
    auto opts = tyf::run_options{}.keep_all();
    auto seq = tyf::run(dag.p, tyf::sequential, opts);
    for (unsigned threads : {2u, 4u, 8u}) {
      auto par = tyf::run(dag.p, tyf::run_options{opts}.threads(threads));
      REQUIRE(par.status() == seq.status());
      auto a = seq.steps();
      auto b = par.steps();
      REQUIRE(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("seed " << seed << " threads " << threads << " step " << a[i]->name);
        REQUIRE(a[i]->status == b[i]->status);
        REQUIRE(a[i]->attempts == b[i]->attempts);
        REQUIRE(a[i]->message == b[i]->message);
        if (a[i]->status == tyf::step_status::succeeded) {
          REQUIRE(seq.get(dag.nodes[i]) == par.get(dag.nodes[i]));
        }
      }
    }
  }
}

TEST_CASE("random DAGs stopped at random moments always end stopped and consistent") {
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    random_dag dag(100 + static_cast<std::uint32_t>(round), 2000);
    // A step that returns only once stopped, so that the stop always lands mid-run.
    dag.p.step("gate", [](tyf::context& ctx) {
      while (!ctx.stop_requested()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    });
    auto h = tyf::run_async(dag.p, tyf::run_options{}.threads(1 + rng() % 4));
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
    h.stop();
    auto r = h.wait();
    REQUIRE((r.status() == tyf::run_status::stopped));
    for (const auto* s : r.steps()) {
      REQUIRE(s->status != tyf::step_status::pending);
      REQUIRE(s->status != tyf::step_status::running);
    }
  }
}
