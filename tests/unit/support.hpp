#pragma once
// Test helpers: a value type that counts its copies and moves, and an observer that records.

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <typeflow/exec/event.hpp>

namespace typeflow::test {

struct counts {
  std::atomic<int> copies{0};
  std::atomic<int> moves{0};
  std::atomic<int> alive{0};
};

/// A payload that reports every copy and move to a shared counter.
struct counted {
  counts* c = nullptr;
  int value = 0;
  counted(counts& cs, int v) : c(&cs), value(v) { ++c->alive; }
  counted(const counted& o) : c(o.c), value(o.value) {
    ++c->copies;
    ++c->alive;
  }
  counted(counted&& o) noexcept : c(o.c), value(o.value) {
    ++c->moves;
    ++c->alive;
  }
  counted& operator=(const counted&) = delete;
  counted& operator=(counted&&) = delete;
  ~counted() { --c->alive; }
};

/// Records every event it sees (thread-safe).
class recorder : public observer {
 public:
  void on_event(const event& e) override {
    std::lock_guard lock(mutex_);
    entries_.push_back({e.kind, std::string(e.step), std::string(e.message), e.attempt});
  }
  struct entry {
    event_kind kind;
    std::string step;
    std::string message;
    unsigned attempt;
  };
  std::vector<entry> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  std::size_t count(event_kind k, const std::string& step = {}) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : entries_) {
      if (e.kind == k && (step.empty() || e.step == step)) ++n;
    }
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<entry> entries_;
};

}  // namespace typeflow::test
