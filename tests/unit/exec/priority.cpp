// Among ready steps, those on the longest remaining path (by step count, or by .cost()) go
// first.
#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace tyf = typeflow;

namespace {
struct order_log {
  std::mutex m;
  std::vector<std::string> names;
  auto step(const char* name) {
    return [this, name](tyf::context&) {
      std::lock_guard lock(m);
      names.emplace_back(name);
    };
  }
};
}  // namespace

TEST_CASE("the step heading the longest remaining path runs first") {
  order_log log;
  tyf::pipeline p{"critical"};
  auto root = p.step("root", log.step("root"));
  p.step("short", log.step("short")).after(root);            // path length 1
  auto l1 = p.step("long1", log.step("long1")).after(root);  // path length 3
  auto l2 = p.step("long2", log.step("long2")).after(l1);
  p.step("long3", log.step("long3")).after(l2);
  auto r = tyf::run(p, tyf::run_options{}.threads(1));
  REQUIRE(r.ok());
  REQUIRE(log.names.size() == 5);
  REQUIRE(log.names[0] == "root");
  REQUIRE(log.names[1] == "long1");
  REQUIRE(log.names.back() == "short");
}

TEST_CASE("a user cost estimate outweighs step counts") {
  order_log log;
  tyf::pipeline p{"costs"};
  auto root = p.step("root", log.step("root"));
  p.step("expensive", log.step("expensive")).after(root).cost(100);
  auto c1 = p.step("cheap1", log.step("cheap1")).after(root);
  p.step("cheap2", log.step("cheap2")).after(c1);
  auto r = tyf::run(p, tyf::run_options{}.threads(1));
  REQUIRE(r.ok());
  REQUIRE(log.names == std::vector<std::string>{"root", "expensive", "cheap1", "cheap2"});
}

TEST_CASE("ready roots are taken by priority too") {
  order_log log;
  tyf::pipeline p{"roots"};
  p.step("a", log.step("a"));
  auto b = p.step("b", log.step("b"));
  p.step("b2", log.step("b2")).after(b);
  auto r = tyf::run(p, tyf::run_options{}.threads(1));
  REQUIRE(r.ok());
  REQUIRE(log.names == std::vector<std::string>{"b", "b2", "a"});
}

namespace {
/// root -> a -> c -> d, a -> e, root -> b -> f: after d, both b (remaining path 2) and e (1)
/// wait in the queue; e became ready last.
std::vector<std::string> run_queued_choice(bool declare_costs) {
  order_log log;
  tyf::pipeline p{"queued"};
  auto root = p.step("root", log.step("root"));
  auto a = p.step("a", log.step("a")).after(root);
  auto b = p.step("b", log.step("b")).after(root);
  auto c = p.step("c", log.step("c")).after(a);
  p.step("d", log.step("d")).after(c);
  p.step("e", log.step("e")).after(a);
  auto f = p.step("f", log.step("f")).after(b);
  if (declare_costs) f.cost(1.5);  // one step costs more than the others: priorities rule
  auto r = tyf::run(p, tyf::run_options{}.threads(1));
  REQUIRE(r.ok());
  return log.names;
}
}  // namespace

TEST_CASE("with equal costs, queued steps are taken newest first (depth-first)") {
  REQUIRE(run_queued_choice(false) ==
          std::vector<std::string>{"root", "a", "c", "d", "e", "b", "f"});
}

TEST_CASE("when costs differ, queued steps are taken by their remaining path") {
  REQUIRE(run_queued_choice(true) ==
          std::vector<std::string>{"root", "a", "c", "d", "b", "f", "e"});
}
