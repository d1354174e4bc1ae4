#pragma once
// The definition of format_duration (core/duration_text.hpp).

#include <chrono>
#include <cstdint>
#include <string>

#include <typeflow/config.hpp>
#include <typeflow/core/duration_text.hpp>

namespace typeflow {

TYPEFLOW_INLINE std::string format_duration(std::chrono::nanoseconds d) {
  using u64 = std::uint64_t;
  const bool negative = d.count() < 0;
  // Two's complement: the magnitude of the most negative count still fits.
  const u64 n = negative ? u64{0} - static_cast<u64>(d.count()) : static_cast<u64>(d.count());
  std::string out = negative ? "-" : "";
  if (n < 1000) return out + std::to_string(n) + "ns";

  constexpr u64 us = 1000, ms = 1000 * us, s = 1000 * ms, min = 60 * s;
  // Rounded to three significant digits; 999.7ms becomes 1000ms, shown as 1s below.
  u64 step = 1;
  for (u64 m = n; m >= 1000; m /= 10) step *= 10;
  const u64 r = n / step * step + (n % step >= step / 2 ? step : 0);
  if (r < min) {
    const u64 scale = r < ms ? us : r < s ? ms : s;
    const char* unit = r < ms ? "us" : r < s ? "ms" : "s";
    out += std::to_string(r / scale);
    std::string frac = std::to_string(r % scale + scale).substr(1);  // zero-padded
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (!frac.empty()) out += "." + frac;
    return out + unit;
  }
  auto two = [](u64 v) { return std::string(v < 10 ? "0" : "") + std::to_string(v); };
  if (const u64 secs = (n + s / 2) / s; secs < 60 * 60) {
    return out + std::to_string(secs / 60) + "m" + two(secs % 60) + "s";
  }
  const u64 mins = (n + min / 2) / min;
  return out + std::to_string(mins / 60) + "h" + two(mins % 60) + "m";
}

}  // namespace typeflow
