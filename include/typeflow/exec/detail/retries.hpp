#pragma once
// Retries waiting for their backoff: each goes back to the ready queues when its time comes,
// or at once when the run stops (so that it can end as failed without waiting).

#include <atomic>
#include <chrono>
#include <mutex>
#include <system_error>
#include <vector>

#include <typeflow/exec/detail/timer.hpp>
#include <typeflow/exec/detail/work_queues.hpp>

namespace typeflow::exec_detail {

class retry_queue {
 public:
  retry_queue(work_queues& queues, timer& clock) noexcept : queues_(queues), clock_(clock) {}

  /// Puts `item` back on the queues after `delay`. `waiting` is the unit's own flag: set while
  /// it waits, so that whichever of the timer and flush() comes first releases it, once.
  void schedule(ready_item item, std::atomic<bool>& waiting, std::chrono::nanoseconds delay) {
    {
      std::lock_guard lock(mutex_);
      waiting.store(true, std::memory_order_release);
      waiting_.push_back({item, &waiting});
    }
    try {
      clock_.schedule(std::chrono::steady_clock::now() + delay,
                      [this, item, &waiting] { release(item, waiting); });
    } catch (const std::system_error&) {
      release(item, waiting);  // no timer thread (a limit on threads): retried without the wait
    }
  }

  /// Releases every retry still waiting (the run is stopping).
  void flush() {
    std::vector<entry> items;
    {
      std::lock_guard lock(mutex_);
      items.swap(waiting_);
    }
    for (const auto& e : items) release(e.item, *e.waiting);
  }

 private:
  struct entry {
    ready_item item;
    std::atomic<bool>* waiting;
  };

  void release(ready_item item, std::atomic<bool>& waiting) {
    if (!waiting.exchange(false, std::memory_order_acq_rel)) return;
    queues_.push(0, &item, 1);
  }

  work_queues& queues_;
  timer& clock_;
  std::mutex mutex_;
  std::vector<entry> waiting_;
};

}  // namespace typeflow::exec_detail
