#pragma once
// Counted resources (gpu, mem_gb, ...) shared by the steps of one run. A step runs only while
// it holds all it asked for; one that does not fit waits, ordered by priority, and is admitted
// when enough is released.

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include <typeflow/exec/detail/work_queues.hpp>
#include <typeflow/exec/plan.hpp>

namespace typeflow::exec_detail {

class resource_pool {
 public:
  explicit resource_pool(std::vector<double> capacity) : available_(std::move(capacity)) {}

  /// Takes `needs` now, or queues `item` to be admitted later and returns false.
  bool acquire_or_wait(const std::vector<resource_need>& needs, ready_item item) {
    std::lock_guard lock(mutex_);
    if (fits(needs)) {
      take(needs);
      return true;
    }
    waiting_.push_back(item);
    std::push_heap(waiting_.begin(), waiting_.end());
    return false;
  }

  /// Returns `needs`, then admits waiting steps that now fit (best priority first); the
  /// admitted steps hold their resources when they are returned in `admitted`.
  template <class NeedsOf>
  void release(const std::vector<resource_need>& needs, NeedsOf&& needs_of,
               std::vector<ready_item>& admitted) {
    std::lock_guard lock(mutex_);
    for (const auto& n : needs) available_[n.resource] += n.amount;
    std::vector<ready_item> still;
    while (!waiting_.empty()) {
      std::pop_heap(waiting_.begin(), waiting_.end());
      ready_item item = waiting_.back();
      waiting_.pop_back();
      const auto& wanted = needs_of(item.node);
      if (fits(wanted)) {
        take(wanted);
        admitted.push_back(item);
      } else {
        still.push_back(item);
      }
    }
    for (auto& item : still) {
      waiting_.push_back(item);
      std::push_heap(waiting_.begin(), waiting_.end());
    }
  }

  /// Removes and returns every waiting step (the run is stopping).
  std::vector<ready_item> drain() {
    std::lock_guard lock(mutex_);
    return std::exchange(waiting_, {});
  }

 private:
  [[nodiscard]] bool fits(const std::vector<resource_need>& needs) const {
    // A tolerance, so that capacities like 0.1 + 0.2 still admit 0.3.
    return std::all_of(needs.begin(), needs.end(), [&](const resource_need& n) {
      return available_[n.resource] + 1e-9 >= n.amount;
    });
  }
  void take(const std::vector<resource_need>& needs) {
    for (const auto& n : needs) available_[n.resource] -= n.amount;
  }

  std::mutex mutex_;
  std::vector<double> available_;
  std::vector<ready_item> waiting_;
};

}  // namespace typeflow::exec_detail
