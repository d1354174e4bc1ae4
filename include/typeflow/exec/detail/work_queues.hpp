#pragma once
// Per-worker ready queues with stealing, in one of two orders.
//
// By priority (a run where some step declares .cost()): each worker owns a binary heap ordered
// by priority (the longest remaining path first), ties by declaration order: a worker then walks
// the per-step arrays mostly forwards, which the hardware prefetches (a bucket queue taking ties
// in the order they became ready measured 20-25% slower on a binary tree, for all its O(1)
// pushes and pops). An idle worker steals the best item of another worker and half of the rest
// in one go, so that two workers do not take turns at one lock item by item (a fan-out of
// 100,000 steps went from ~580 to ~240 ns per step, measured in one process).
//
// Newest first (every step costs the same, the default): each worker owns a stack, which it
// pops from the top; a thief takes the top item and the bottom half of the rest, the oldest
// items. Each batch a worker pushes goes on in priority order, the most urgent on top. The engine has already run the most
// urgent successor of each step itself, so among the steps one step makes ready the longest
// remaining path still goes first; what a stack gives up is the global order. A heap taken by
// priority runs a binary tree breadth-first: its heap held a quarter of the tree (a 2^20-node
// tree: 4 MB, 18 levels of cache misses per push and pop; 266 ns per step on one worker), where
// a stack runs it depth-first in a few cache lines.
//
// Idle workers sleep on an atomic epoch and are woken only when some push finds sleepers.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace typeflow::exec_detail {

/// A lock for critical sections of a few dozen instructions (a queue's push or pop): waiting
/// spins, then yields, and never sleeps in the kernel. A std::mutex parks a contended waiter
/// with a futex call and wakes it with another, which cost more than the section itself.
class spin_lock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;; ++spins) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 64) {
          pause();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  std::atomic<bool> locked_{false};
};

struct ready_item {
  double priority;
  std::uint32_t node;
  std::uint32_t element = ~std::uint32_t{0};  ///< for a map node's element task
  /// Heap order: higher priority first, then the earlier declared node, then the earlier
  /// element.
  friend bool operator<(const ready_item& a, const ready_item& b) noexcept {
    if (a.priority != b.priority) return a.priority < b.priority;
    if (a.node != b.node) return a.node > b.node;
    return a.element > b.element;
  }
};

class work_queues {
 public:
  /// `by_priority`: heaps; otherwise stacks, newest first (see the top of this file).
  explicit work_queues(unsigned workers, bool by_priority = true)
      : queues_(workers), by_priority_(by_priority) {}

  /// Chooses the order; only before the first push.
  void order_by_priority(bool yes) noexcept { by_priority_ = yes; }
  [[nodiscard]] bool by_priority() const noexcept { return by_priority_; }

  /// Adds items to `worker`'s queue. `in_stack_order`: a stack's items as they lay in another
  /// stack (a thief's loot), which keep their order.
  void push(unsigned worker, const ready_item* items, std::size_t count,
            bool in_stack_order = false) {
    if (count == 0) return;
    {
      auto& q = queues_[worker];
      std::lock_guard lock(q.mutex);
      if (in_stack_order && !by_priority_) {
        q.heap.insert(q.heap.end(), items, items + count);
      } else if (by_priority_) {
        for (std::size_t i = 0; i < count; ++i) {
          q.heap.push_back(items[i]);
          std::push_heap(q.heap.begin(), q.heap.end());
        }
      } else {
        stack_push(q.heap, items, count);
      }
      // Relaxed: wake()'s fence orders it before the look at the sleepers.
      q.size.store(q.heap.size(), std::memory_order_relaxed);
    }
    wake(count);
  }

  /// The best item of `worker`'s own queue, else one stolen from another worker, with half of
  /// that worker's other items, which go to `worker`'s queue.
  std::optional<ready_item> pop(unsigned worker) {
    if (auto item = pop_from(worker)) return item;
    const auto n = static_cast<unsigned>(queues_.size());
    for (unsigned i = 1; i < n; ++i) {
      auto& loot = queues_[worker].loot;
      auto item = pop_from((worker + i) % n, &loot);
      if (!item) continue;
      push(worker, loot.data(), loot.size(), true);
      loot.clear();
      return item;
    }
    return std::nullopt;
  }

  /// How many items wait in `worker`'s own queue (a snapshot).
  [[nodiscard]] std::size_t queued(unsigned worker) const noexcept {
    return queues_[worker].size.load(std::memory_order_relaxed);
  }

  /// Blocks until there may be work: a push or finish() after `seen` was read from epoch().
  /// Pushes bump the epoch only when someone sleeps, so a sleeper announces itself first and
  /// then looks at the queues once more (the two sides order through seq_cst operations).
  void wait(std::uint64_t seen) {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    bool work = false;
    for (auto& q : queues_) work = work || q.size.load(std::memory_order_seq_cst) != 0;
    if (!work && epoch_.load(std::memory_order_seq_cst) == seen) {
      epoch_.wait(seen, std::memory_order_seq_cst);
    }
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  }
  [[nodiscard]] std::uint64_t epoch() const noexcept {
    return epoch_.load(std::memory_order_seq_cst);
  }

  /// Wakes every sleeper for good (the run is over).
  void finish() {
    finished_.store(true, std::memory_order_release);
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    epoch_.notify_all();
  }
  [[nodiscard]] bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }

 private:
  struct alignas(64) queue {
    spin_lock mutex;
    std::vector<ready_item> heap;  ///< a binary heap, or a stack (top at the back)
    std::atomic<std::size_t> size{0};
    std::vector<ready_item> loot;  ///< the owner's last steal (only the owner touches it)
  };

  /// The best item of `worker`'s queue; with `loot`, also the back half of the rest of its
  /// heap, moved there (a heap cut short is still a heap; the back holds the least urgent).
  std::optional<ready_item> pop_from(unsigned worker, std::vector<ready_item>* loot = nullptr) {
    auto& q = queues_[worker];
    if (q.size.load(std::memory_order_relaxed) == 0) return std::nullopt;
    std::lock_guard lock(q.mutex);
    if (q.heap.empty()) return std::nullopt;
    if (!by_priority_) return stack_pop(q, loot);
    std::pop_heap(q.heap.begin(), q.heap.end());
    auto item = q.heap.back();
    q.heap.pop_back();
    if (loot != nullptr) {
      const auto keep =
          q.heap.begin() + static_cast<std::ptrdiff_t>(q.heap.size() - q.heap.size() / 2);
      loot->assign(keep, q.heap.end());
      q.heap.erase(keep, q.heap.end());
    }
    q.size.store(q.heap.size(), std::memory_order_relaxed);
    return item;
  }

  /// Pushes a batch onto a stack so that the most urgent item ends on top: a batch in
  /// declaration order with equal priorities (a fan-out's) goes on reversed, without a sort.
  static void stack_push(std::vector<ready_item>& stack, const ready_item* items,
                         std::size_t count) {
    const auto more_urgent = [](const ready_item& a, const ready_item& b) { return b < a; };
    if (count == 1 || std::is_sorted(items, items + count)) {
      stack.insert(stack.end(), items, items + count);
    } else if (std::is_sorted(items, items + count, more_urgent)) {
      for (std::size_t i = count; i-- > 0;) stack.push_back(items[i]);
    } else {
      const auto first = stack.insert(stack.end(), items, items + count);
      std::sort(first, stack.end());
    }
  }

  /// The top of a stack; with `loot`, also the bottom half of the rest (the oldest items: in a
  /// tree, the roots of the largest subtrees left), in stack order. A thief thus starts with
  /// what the owner would have run next, as with heaps (a map's elements start in about their
  /// order on any number of workers), and takes the bulk of the work from the other end.
  std::optional<ready_item> stack_pop(queue& q, std::vector<ready_item>* loot) {
    const ready_item item = q.heap.back();
    q.heap.pop_back();
    if (loot != nullptr) {
      const auto take = static_cast<std::ptrdiff_t>(q.heap.size() / 2);
      loot->assign(q.heap.begin(), q.heap.begin() + take);
      q.heap.erase(q.heap.begin(), q.heap.begin() + take);
    }
    q.size.store(q.heap.size(), std::memory_order_relaxed);
    return item;
  }

  void wake(std::size_t count) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) == 0) return;  // busy workers find the work
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    if (count > 1) {
      epoch_.notify_all();
    } else {
      epoch_.notify_one();
    }
  }

  std::vector<queue> queues_;
  bool by_priority_;
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> finished_{false};
};

}  // namespace typeflow::exec_detail
