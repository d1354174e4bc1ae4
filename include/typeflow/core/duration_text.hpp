#pragma once
// A duration as short text, one format for everything a person reads: the command line's
// progress and tables, the HTML report, the notifier's messages and the executor's events.

#include <chrono>
#include <string>

#include <typeflow/config.hpp>

namespace typeflow {

/// `d` as short text: three significant digits below a minute (trailing zeros dropped), then
/// minutes and seconds, then hours and minutes, rounded to the nearest unit shown:
///
///     850ns  37us  12.3ms  300ms  1.52s  2s  59.9s  2m05s  1h02m  26h00m
///
/// No space before the unit; `us` for microseconds (ASCII). Negative durations (a clock set
/// back between two readings) keep their sign: `-1.5s`.
[[nodiscard]] TYPEFLOW_INLINE std::string format_duration(std::chrono::nanoseconds d);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/core/impl/duration_text.hpp>
#endif
