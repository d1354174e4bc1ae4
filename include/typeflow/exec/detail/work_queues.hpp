#pragma once
// Per-worker ready queues with stealing. Each worker owns a binary heap ordered by priority
// (the longest remaining path first), ties by declaration order: a worker then walks the
// per-step arrays mostly forwards, which the hardware prefetches (a bucket queue taking ties
// in the order they became ready measured 20-25% slower on a binary tree, for all its O(1)
// pushes and pops). An idle worker steals the best item of another worker and half of the
// rest in one go, so that two workers do not take turns at one lock item by item (a fan-out of
// 100,000 steps went from ~580 to ~240 ns per step, measured in one process). Idle workers
// sleep on an atomic epoch and are woken only when some push finds sleepers.

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
  explicit work_queues(unsigned workers) : queues_(workers) {}

  void push(unsigned worker, const ready_item* items, std::size_t count) {
    if (count == 0) return;
    {
      auto& q = queues_[worker];
      std::lock_guard lock(q.mutex);
      for (std::size_t i = 0; i < count; ++i) {
        q.heap.push_back(items[i]);
        std::push_heap(q.heap.begin(), q.heap.end());
      }
      q.size.store(q.heap.size(), std::memory_order_seq_cst);
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
      push(worker, loot.data(), loot.size());
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
    std::vector<ready_item> heap;
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
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> finished_{false};
};

}  // namespace typeflow::exec_detail
