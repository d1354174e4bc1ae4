// The executor's ready queues: priority order with ties by declaration order, stealing the best
// item and half of the rest in one go, and no item lost or taken twice under real threads.
#include <typeflow/exec/detail/work_queues.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

using typeflow::exec_detail::ready_item;
using typeflow::exec_detail::work_queues;

namespace {
std::vector<std::uint32_t> drain(work_queues& q, unsigned worker) {
  std::vector<std::uint32_t> out;
  while (auto item = q.pop(worker)) out.push_back(item->node);
  return out;
}
}  // namespace

TEST_CASE("a worker takes its own items by priority, ties by declaration order") {
  work_queues q(1);
  const std::vector<ready_item> items{{1.0, 7}, {3.0, 9}, {1.0, 2}, {3.0, 4}, {2.0, 5}};
  q.push(0, items.data(), items.size());
  REQUIRE(drain(q, 0) == std::vector<std::uint32_t>{4, 9, 5, 2, 7});
}

TEST_CASE("an idle worker steals the best item and half of the rest") {
  work_queues q(2);
  std::vector<ready_item> items;
  for (std::uint32_t i = 0; i < 9; ++i) items.push_back({1.0, i});
  items.push_back({5.0, 100});  // the most urgent
  q.push(0, items.data(), items.size());

  auto stolen = q.pop(1);  // worker 1 has nothing of its own
  REQUIRE(stolen);
  REQUIRE(stolen->node == 100);
  REQUIRE(q.queued(1) == 4);  // the half it took along, in its own queue now
  REQUIRE(q.queued(0) == 5);  // what stayed
  // The owner keeps the most urgent of the rest: the earliest declared.
  REQUIRE(q.pop(0)->node == 0);
  std::vector<std::uint32_t> thief;
  for (int i = 0; i < 4; ++i) thief.push_back(q.pop(1)->node);
  REQUIRE(std::is_sorted(thief.begin(), thief.end()));
  std::vector<std::uint32_t> all = drain(q, 0);
  REQUIRE(all.size() == 4);
  all.push_back(0);
  all.insert(all.end(), thief.begin(), thief.end());
  std::sort(all.begin(), all.end());
  REQUIRE(all == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("a steal of a single item leaves the victim empty") {
  work_queues q(2);
  ready_item one{1.0, 3};
  q.push(0, &one, 1);
  auto stolen = q.pop(1);
  REQUIRE(stolen);
  REQUIRE(stolen->node == 3);
  REQUIRE(q.queued(0) == 0);
  REQUIRE(q.queued(1) == 0);
  REQUIRE_FALSE(q.pop(0));
  REQUIRE_FALSE(q.pop(1));
}

TEST_CASE("stacks: a worker takes its newest batch first, each batch most urgent first") {
  work_queues q(1, false);
  const std::vector<ready_item> first{{1.0, 1}, {1.0, 2}, {1.0, 3}};  // declaration order
  q.push(0, first.data(), first.size());
  const std::vector<ready_item> mixed{{1.0, 7}, {3.0, 9}, {2.0, 5}};
  q.push(0, mixed.data(), mixed.size());
  const std::vector<ready_item> rising{{1.0, 8}, {2.0, 6}};  // already least urgent first
  q.push(0, rising.data(), rising.size());
  REQUIRE(drain(q, 0) == std::vector<std::uint32_t>{6, 8, 9, 5, 7, 1, 2, 3});
}

TEST_CASE("stacks: a thief takes the top item and the older half of the rest") {
  work_queues q(2, false);
  for (std::uint32_t i = 0; i < 9; ++i) {
    ready_item item{1.0, i};
    q.push(0, &item, 1);  // 8 on top
  }
  auto stolen = q.pop(1);
  REQUIRE(stolen);
  REQUIRE(stolen->node == 8);
  REQUIRE(q.queued(1) == 4);  // 0-3, the oldest
  REQUIRE(q.queued(0) == 4);  // 4-7
  std::vector<std::uint32_t> thief, owner;
  for (int i = 0; i < 4; ++i) thief.push_back(q.pop(1)->node);
  for (int i = 0; i < 4; ++i) owner.push_back(q.pop(0)->node);
  REQUIRE(thief == std::vector<std::uint32_t>{3, 2, 1, 0});  // their stack order kept
  REQUIRE(owner == std::vector<std::uint32_t>{7, 6, 5, 4});
  REQUIRE_FALSE(q.pop(0));
}

TEST_CASE("under four threads that push, pop and steal, every item is taken exactly once") {
  constexpr unsigned workers = 4;
  constexpr std::uint32_t per_worker = 20000;
  const bool by_priority = GENERATE(true, false);
  INFO("by priority: " << by_priority);
  work_queues q(workers, by_priority);
  std::vector<std::atomic<int>> taken(workers * per_worker);
  std::atomic<std::uint32_t> done{0};
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      // Worker w pushes its items in batches of up to 7 with mixed priorities, popping (and so
      // stealing, once its own queue is empty) between batches; the others steal meanwhile.
      std::uint32_t next = w * per_worker;
      const std::uint32_t end = next + per_worker;
      std::vector<ready_item> batch;
      while (done.load() < workers * per_worker) {
        if (next < end) {
          batch.clear();
          for (unsigned k = 0; k < 7 && next < end; ++k, ++next) {
            batch.push_back({static_cast<double>(next % 5), next});
          }
          q.push(w, batch.data(), batch.size());
        }
        for (int k = 0; k < 3; ++k) {
          if (auto item = q.pop(w)) {
            taken[item->node].fetch_add(1);
            done.fetch_add(1);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < taken.size(); ++i) {
    INFO("item " << i);
    REQUIRE(taken[i].load() == 1);
  }
}
