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
  /// Heap order: higher priority first, then the earlier declared node.
  friend bool operator<(const ready_item& a, const ready_item& b) noexcept {
    return a.priority < b.priority || (a.priority == b.priority && a.node > b.node);
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
      q.size.store(q.heap.size(), std::memory_order_relaxed);
    }
    wake(count);
  }

  /// The best item of `worker`'s own queue, else one stolen from another worker.
  std::optional<std::uint32_t> pop(unsigned worker) {
    if (auto item = pop_from(worker)) return item;
    const auto n = static_cast<unsigned>(queues_.size());
    for (unsigned i = 1; i < n; ++i) {
      if (auto item = pop_from((worker + i) % n)) return item;
    }
    return std::nullopt;
  }

  /// Blocks until a push or finish() happened after `seen` was read from epoch().
  void wait(std::uint64_t seen) {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    if (epoch_.load(std::memory_order_seq_cst) == seen) epoch_.wait(seen, std::memory_order_seq_cst);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
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

  std::optional<std::uint32_t> pop_from(unsigned worker) {
    auto& q = queues_[worker];
    if (q.size.load(std::memory_order_relaxed) == 0) return std::nullopt;
    std::lock_guard lock(q.mutex);
    if (q.heap.empty()) return std::nullopt;
    std::pop_heap(q.heap.begin(), q.heap.end());
    auto node = q.heap.back().node;
    q.heap.pop_back();
    q.size.store(q.heap.size(), std::memory_order_relaxed);
    return node;
  }

  void wake(std::size_t count) {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      if (count > 1) {
        epoch_.notify_all();
      } else {
        epoch_.notify_one();
      }
    }
  }

  std::vector<queue> queues_;
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> finished_{false};
};

}  // namespace typeflow::exec_detail
