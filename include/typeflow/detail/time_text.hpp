#pragma once
// A time point as text through strftime, in UTC or local time: one routine for the run
// store's JSON, the notifier, the HTML report and the command line.

#include <chrono>
#include <ctime>
#include <string>

namespace typeflow::detail {

enum class time_zone { utc, local };

/// `t` (to the second) formatted by strftime's `format`; empty if it does not fit 64 bytes.
inline std::string time_text(std::chrono::system_clock::time_point t, const char* format,
                             time_zone zone) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (zone == time_zone::utc) {
    ::gmtime_r(&tt, &tm);
  } else {
    ::localtime_r(&tt, &tm);
  }
  char buf[64];
  const auto n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace typeflow::detail
