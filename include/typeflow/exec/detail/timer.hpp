#pragma once
// One thread per run that fires deadlines: step timeouts and delayed retries. Started on first
// use only, so runs without timeouts or backoff never pay for it. Callbacks run under the
// timer's lock, so cancel() returns only once a callback that was firing has finished.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <utility>
#include <typeflow/detail/threads.hpp>

namespace typeflow::exec_detail {

class timer {
 public:
  using clock = std::chrono::steady_clock;

  timer() = default;
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  ~timer() { shutdown(); }

  /// Calls `fn` at `when` (on the timer thread); returns an id for cancel(). Throws
  /// std::system_error, scheduling nothing, when the timer thread cannot be started.
  std::uint64_t schedule(clock::time_point when, std::function<void()> fn) {
    std::unique_lock lock(mutex_);
    if (!thread_.joinable() && !stopping_) {
      // May throw (a limit on threads): nothing is scheduled then; the caller decides.
      thread_ = detail::start_thread("the run's timer thread (step timeouts, retry delays)",
                                     [this] { loop(); });
    }
    auto id = ++next_id_;
    pending_.emplace(std::make_pair(when, id), std::move(fn));
    changed_.notify_one();
    return id;
  }

  /// Cancels a deadline that has not fired; waits for one that is firing now.
  void cancel(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->first.second == id) {
        pending_.erase(it);
        return;
      }
    }
  }

  /// Fires nothing more and joins the thread. Pending deadlines are dropped.
  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      pending_.clear();
      changed_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (pending_.empty()) {
        changed_.wait(lock);
        continue;
      }
      auto first = pending_.begin();
      // A copy: wait_until reads the deadline again after the lock is released and retaken,
      // when the entry may be gone.
      const clock::time_point deadline = first->first.first;
      if (clock::now() < deadline) {
        changed_.wait_until(lock, deadline);
        continue;
      }
      auto fn = std::move(first->second);
      pending_.erase(first);
      fn();  // under the lock: cancel() waits for it
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::pair<clock::time_point, std::uint64_t>, std::function<void()>> pending_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace typeflow::exec_detail
