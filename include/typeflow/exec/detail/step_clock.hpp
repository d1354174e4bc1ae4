#pragma once
// The wall-clock time of step starts and ends, read twice per step. On x86-64 with an invariant
// TSC, a read is the time stamp counter scaled from a per-thread anchor (a system_clock reading)
// taken at most every 50 ms, which costs a fraction of a clock_gettime call; the scale is measured
// once per process over 2 ms (an error of about 1e-5, so under a microsecond between anchors).
// Without an invariant TSC, and elsewhere than x86-64, it is system_clock::now().

#include <chrono>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <x86intrin.h>
#define TYPEFLOW_STEP_CLOCK_TSC 1
#endif

namespace typeflow::exec_detail {

class step_clock {
 public:
  using time_point = std::chrono::system_clock::time_point;

#if defined(TYPEFLOW_STEP_CLOCK_TSC)
  static time_point now() noexcept {
    const calibration& c = calibrated();
    if (!c.usable) return std::chrono::system_clock::now();
    thread_local anchor a;
    const std::uint64_t t = __rdtsc();
    if (a.tsc == 0 || t - a.tsc > c.reanchor_ticks || t < a.tsc) {
      a.sys = std::chrono::system_clock::now();
      a.tsc = __rdtsc();
      return a.sys;
    }
    const auto ns = static_cast<std::int64_t>(static_cast<double>(t - a.tsc) * c.ns_per_tick);
    return a.sys + std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns));
  }

 private:
  struct calibration {
    bool usable = false;
    double ns_per_tick = 0;
    std::uint64_t reanchor_ticks = 0;
  };
  struct anchor {
    std::uint64_t tsc = 0;
    time_point sys{};
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
      const auto s0 = steady::now();
      const std::uint64_t t0 = __rdtsc();
      auto s1 = s0;
      while (s1 - s0 < std::chrono::milliseconds(2)) s1 = steady::now();
      const std::uint64_t t1 = __rdtsc();
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(s1 - s0).count();
      if (t1 <= t0 || ns <= 0) return out;
      out.ns_per_tick = static_cast<double>(ns) / static_cast<double>(t1 - t0);
      out.reanchor_ticks = static_cast<std::uint64_t>(50e6 / out.ns_per_tick);  // 50 ms
      out.usable = out.ns_per_tick > 0.01 && out.ns_per_tick < 100;
      return out;
    }();
    return c;
  }
#else
  static time_point now() noexcept { return std::chrono::system_clock::now(); }
#endif
};

}  // namespace typeflow::exec_detail
