#pragma once
// What a run keeps about each step and each metric point.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <typeflow/exec/status.hpp>

namespace typeflow {

struct step_record {
  std::string_view name;
  step_status status = step_status::pending;
  unsigned attempts = 0;  ///< how many times the step was started
  std::chrono::system_clock::time_point started{};
  std::chrono::system_clock::time_point finished{};
  /// The last error (what() of the exception, or the timeout), or why the step did not run.
  std::string message;

  [[nodiscard]] std::chrono::nanoseconds duration() const noexcept {
    if (status == step_status::pending || finished < started) return {};  // clocks of two threads
    return finished - started;
  }
};

struct metric_record {
  std::string step;
  std::string name;
  double value = 0;
  std::int64_t index = 0;
  std::chrono::system_clock::time_point time{};
};

}  // namespace typeflow
