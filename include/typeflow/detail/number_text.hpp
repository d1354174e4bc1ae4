#pragma once
// A double as every text output shows it (the command line, the run store's comparison table,
// the HTML report): printf's "%.6g" for a finite number, and "nan", "inf" or "-inf" for the
// others, never printf's "-nan" (a NaN's sign says nothing, and x86 sets it on 0.0 / 0.0).

#include <cmath>
#include <cstdio>
#include <string>

namespace typeflow::detail {

/// "nan", "inf" or "-inf" for a number that is not finite; nullptr for a finite one.
inline const char* non_finite_text(double v) noexcept {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return nullptr;
}

/// `v` formatted by printf's `format` (one double conversion) when finite, else its
/// non_finite_text.
inline std::string number_text(double v, const char* format = "%.6g") {
  if (const char* word = non_finite_text(v)) return word;
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, format, v);
  if (n <= 0) return {};
  return std::string(buf, n < static_cast<int>(sizeof buf) ? static_cast<std::size_t>(n)
                                                           : sizeof buf - 1);  // cut to fit
}

}  // namespace typeflow::detail
