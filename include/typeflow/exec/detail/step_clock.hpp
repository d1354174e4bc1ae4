#pragma once
// The wall-clock time of step starts and ends, read twice per step. On x86-64 with an invariant
// TSC, a read is the time stamp counter scaled from a per-thread anchor (a system_clock reading)
// taken at most every 10 ms, which costs a fraction of a clock_gettime call; the scale is measured
// once per process over 2 ms with each clock read bracketed by two TSC reads. Without an invariant
// TSC, and elsewhere than x86-64, it is system_clock::now().
//
// Extrapolated times may differ from system_clock by a few microseconds (scale error, NTP
// slewing), and each thread has its own anchor, so two guarantees are made by construction rather
// than by accuracy:
//  - per thread, readings never go backwards (a step's end is never before its start);
//  - latest(t) is at least every reading taken on any thread before the call, and at least t: the
//    engine's run end is latest(system_clock::now()), so every step lies inside its run.
// Each thread publishes its newest reading in a slot it owns (a relaxed store to its own cache
// line); latest() reads all slots under the registry's mutex, once per run.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <x86intrin.h>
#define TYPEFLOW_STEP_CLOCK_TSC 1
#endif

namespace typeflow::exec_detail {

class step_clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  using duration = time_point::duration;

  static time_point now() noexcept {
    thread_state& ts = state();
    const time_point t = std::max(read(ts), ts.last);
    ts.last = t;
    ts.mine->store(t.time_since_epoch().count(), std::memory_order_relaxed);
    return t;
  }

  /// At least `floor` and every reading taken on any thread that happens-before this call.
  static time_point latest(time_point floor) noexcept {
    auto& r = slots();
    std::lock_guard lock(r.mutex);
    auto v = floor.time_since_epoch().count();
    for (const auto& s : r.all) v = std::max(v, s.value.load(std::memory_order_relaxed));
    return time_point(duration(v));
  }

 private:
  struct alignas(64) slot {
    std::atomic<duration::rep> value{0};
    bool in_use = false;
  };
  struct registry {
    std::mutex mutex;
    std::deque<slot> all;  // never shrinks: a slot's address is stable; a freed one is reused
  };
  static registry& slots() noexcept {
    static registry* r = new registry;  // leaked: threads may outlive static destruction
    return *r;
  }
  struct thread_state {
    std::atomic<duration::rep>* mine = nullptr;
    time_point last{};
#if defined(TYPEFLOW_STEP_CLOCK_TSC)
    std::uint64_t anchor_tsc = 0;
    time_point anchor_sys{};
#endif
    thread_state() {
      auto& r = slots();
      std::lock_guard lock(r.mutex);
      for (auto& s : r.all) {
        if (!s.in_use) {
          s.in_use = true;
          mine = &s.value;
          return;
        }
      }
      auto& s = r.all.emplace_back();
      s.in_use = true;
      mine = &s.value;
    }
    ~thread_state() {
      auto& r = slots();
      std::lock_guard lock(r.mutex);
      for (auto& s : r.all) {
        if (&s.value == mine) s.in_use = false;  // its value stays: a valid lower bound
      }
    }
    thread_state(const thread_state&) = delete;
    thread_state& operator=(const thread_state&) = delete;
  };
  static thread_state& state() noexcept {
    thread_local thread_state ts;
    return ts;
  }

#if defined(TYPEFLOW_STEP_CLOCK_TSC)
  static time_point read(thread_state& ts) noexcept {
    const calibration& c = calibrated();
    if (!c.usable) return std::chrono::system_clock::now();
    const std::uint64_t t = __rdtsc();
    if (ts.anchor_tsc == 0 || t - ts.anchor_tsc > c.reanchor_ticks || t < ts.anchor_tsc) {
      ts.anchor_sys = std::chrono::system_clock::now();
      ts.anchor_tsc = __rdtsc();
      return ts.anchor_sys;
    }
    const auto ns =
        static_cast<std::int64_t>(static_cast<double>(t - ts.anchor_tsc) * c.ns_per_tick);
    return ts.anchor_sys + std::chrono::duration_cast<duration>(std::chrono::nanoseconds(ns));
  }

  struct calibration {
    bool usable = false;
    double ns_per_tick = 0;
    std::uint64_t reanchor_ticks = 0;
  };
  static bool invariant_tsc() noexcept {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (static_cast<unsigned>(__get_cpuid_max(0x80000000u, nullptr)) < 0x80000007u) return false;
    __cpuid(0x80000007u, a, b, c, d);
    return (d & (1u << 8)) != 0;  // CPUID.80000007H:EDX[8]: the TSC runs at a constant rate
  }
  static const calibration& calibrated() noexcept {
    static const calibration c = [] {
      calibration out;
      if (!invariant_tsc()) return out;
      using steady = std::chrono::steady_clock;
      // The TSC at a steady-clock reading: the middle of two TSC reads around it.
      auto sample = [](steady::time_point& s) {
        const std::uint64_t a = __rdtsc();
        s = steady::now();
        const std::uint64_t b = __rdtsc();
        return a + (b - a) / 2;
      };
      steady::time_point s0, s1;
      const std::uint64_t t0 = sample(s0);
      do {
        s1 = steady::now();
      } while (s1 - s0 < std::chrono::milliseconds(2));
      const std::uint64_t t1 = sample(s1);
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(s1 - s0).count();
      if (t1 <= t0 || ns <= 0) return out;
      out.ns_per_tick = static_cast<double>(ns) / static_cast<double>(t1 - t0);
      out.reanchor_ticks = static_cast<std::uint64_t>(10e6 / out.ns_per_tick);  // 10 ms
      out.usable = out.ns_per_tick > 0.01 && out.ns_per_tick < 100;
      return out;
    }();
    return c;
  }
#else
  static time_point read(thread_state&) noexcept { return std::chrono::system_clock::now(); }
#endif
};

}  // namespace typeflow::exec_detail
