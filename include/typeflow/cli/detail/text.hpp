#pragma once
// The command line's text helpers: numbers, local clock and date texts, aligned columns, a
// run's status.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <typeflow/detail/number_text.hpp>
#include <typeflow/detail/time_text.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

namespace cli_detail {

/// "%.6g", or nan, inf, -inf.
inline std::string format_number(double v) { return detail::number_text(v); }

/// "HH:MM:SS" in local time.
inline std::string clock_text(std::chrono::system_clock::time_point t) {
  return detail::time_text(t, "%H:%M:%S", detail::time_zone::local);
}

/// "YYYY-MM-DD HH:MM:SS" in local time.
inline std::string date_text(std::chrono::system_clock::time_point t) {
  return detail::time_text(t, "%Y-%m-%d %H:%M:%S", detail::time_zone::local);
}

/// Left-aligned columns separated by two spaces; no line ends in a space.
inline std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);  // an empty last cell leaves no padding
    out += line + "\n";
  }
  return out;
}

/// A run's status as `runs` and `show` print it: "waiting for cutoff" while a running run
/// waits for delayed parameters (`answer` gives them), else the status's name.
inline std::string status_text(const run_info& r) {
  if (r.status != run_status::running || r.waiting_for.empty())
    return std::string(to_string(r.status));
  std::string out = "waiting for ";
  for (std::size_t i = 0; i < r.waiting_for.size(); ++i)
    out += (i == 0 ? "" : ",") + r.waiting_for[i];
  return out;
}

inline std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace cli_detail

}  // namespace typeflow
