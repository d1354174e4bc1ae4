// The seam for the run store: restore() serves a step from elsewhere (status cached),
// produced() sees every output made by running, and a selection restricts what runs.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

namespace tyf = typeflow;

namespace {
/// A cache of int outputs by node id, as a run store would keep them by content key.
class int_cache : public tyf::run_hooks {
 public:
  bool restore(const tyf::run_view&, std::uint32_t node, tyf::detail::box& out, bool) override {
    std::lock_guard lock(m_);
    auto it = values_.find(node);
    if (it == values_.end()) return false;
    out.emplace<int>(it->second);
    return true;
  }
  void produced(const tyf::run_view&, std::uint32_t node, const tyf::detail::box& out) override {
    if (out.get() == nullptr) return;
    if (fail_) throw std::runtime_error("disk full");
    std::lock_guard lock(m_);
    values_[node] = *static_cast<const int*>(out.get());
  }
  void forget(std::uint32_t node) {
    std::lock_guard lock(m_);
    values_.erase(node);
  }
  bool fail_ = false;

 private:
  std::mutex m_;
  std::map<std::uint32_t, int> values_;
};
}  // namespace

TEST_CASE("hooks restore outputs made by an earlier run: those steps are cached, not run") {
  tyf::pipeline p{"cache"};
  std::atomic<int> runs{0};
  auto a = p.step("a", [&] {
    ++runs;
    return 20;
  });
  auto b = p.step(
      "b",
      [&](int x) {
        ++runs;
        return x + 1;
      },
      a);
  auto c = p.step(
      "c",
      [&](int x) {
        ++runs;
        return x * 2;
      },
      b);
  auto cache = std::make_shared<int_cache>();
  auto first = tyf::run(p, tyf::run_options{}.hooks(cache));
  REQUIRE(first.get(c) == 42);
  REQUIRE(runs == 3);
  cache->forget(2);  // c's output is gone: only c runs again
  auto second = tyf::run(p, tyf::run_options{}.hooks(cache));
  REQUIRE(second.get(c) == 42);
  REQUIRE(runs == 4);
  REQUIRE(second.step("a").status == tyf::step_status::cached);
  REQUIRE(second.step("b").status == tyf::step_status::cached);
  REQUIRE(second.step("c").status == tyf::step_status::succeeded);
  REQUIRE(second.ok());
}

TEST_CASE("a selection runs only the selected steps; the others are restored or skipped") {
  tyf::pipeline p{"select"};
  std::atomic<int> runs{0};
  auto a = p.step("a", [&] {
    ++runs;
    return 1;
  });
  auto b = p.step(
      "b",
      [&](int x) {
        ++runs;
        return x + 1;
      },
      a);
  auto c = p.step(
      "c",
      [&](int x) {
        ++runs;
        return x + 1;
      },
      b);
  auto cache = std::make_shared<int_cache>();
  REQUIRE(tyf::run(p, tyf::run_options{}.hooks(cache)).ok());
  runs = 0;
  cache->forget(2);
  auto only_c = tyf::run(p, tyf::run_options{}.hooks(cache).select({false, false, true}));
  REQUIRE(only_c.get(c) == 3);
  REQUIRE(runs == 1);
  // Without hooks, unselected steps are skipped and so is what needs them.
  auto bare = tyf::run(p, tyf::run_options{}.select({true, false, true}));
  REQUIRE(bare.step("b").status == tyf::step_status::skipped);
  REQUIRE(bare.step("b").message == "not selected for this run");
  REQUIRE(bare.step("c").status == tyf::step_status::skipped);
  REQUIRE_THROWS_WITH(tyf::run(p, tyf::run_options{}.select({true})),
                      Catch::Contains("selection has 1 entries but pipeline 'select' has 3 nodes"));
}

TEST_CASE("a hook that cannot record an output fails that step, with the reason") {
  tyf::pipeline p{"record"};
  auto a = p.step("a", [] { return 1; });
  p.step(
      "b", [](int x) { return x; }, a);
  auto cache = std::make_shared<int_cache>();
  cache->fail_ = true;
  auto r = tyf::run(p, tyf::run_options{}.hooks(cache));
  REQUIRE(r.step("a").status == tyf::step_status::failed);
  REQUIRE(r.step("a").message == "could not record the output: disk full");
  REQUIRE(r.step("b").status == tyf::step_status::skipped);
}
