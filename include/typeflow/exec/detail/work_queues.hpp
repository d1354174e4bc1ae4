#pragma once
// Per-worker ready queues with stealing. Each worker owns a binary heap ordered by priority
// (the longest remaining path first); an idle worker steals the best item of another worker.
// Idle workers sleep on an atomic epoch and are woken only when some push finds sleepers.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace typeflow::exec_detail {

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

  /// The best item of `worker`'s own queue, else one stolen from another worker.
  std::optional<ready_item> pop(unsigned worker) {
    if (auto item = pop_from(worker)) return item;
    const auto n = static_cast<unsigned>(queues_.size());
    for (unsigned i = 1; i < n; ++i) {
      if (auto item = pop_from((worker + i) % n)) return item;
    }
    return std::nullopt;
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
    std::mutex mutex;
    std::vector<ready_item> heap;
    std::atomic<std::size_t> size{0};
  };

  std::optional<ready_item> pop_from(unsigned worker) {
    auto& q = queues_[worker];
    if (q.size.load(std::memory_order_relaxed) == 0) return std::nullopt;
    std::lock_guard lock(q.mutex);
    if (q.heap.empty()) return std::nullopt;
    std::pop_heap(q.heap.begin(), q.heap.end());
    auto item = q.heap.back();
    q.heap.pop_back();
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
