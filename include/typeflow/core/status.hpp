#pragma once
// The states of steps and runs, with the names used in events, records and the command line.
// Part of core: steps (finally handlers) read them; the executor sets them.

#include <cstdint>
#include <optional>
#include <string_view>

namespace typeflow {

enum class step_status : std::uint8_t {
  pending,    ///< not started yet
  running,    ///< started, not finished
  succeeded,  ///< returned normally
  failed,     ///< threw on its last attempt
  timed_out,  ///< its timeout triggered its stop token
  skipped,    ///< not run: an upstream step did not succeed, or a condition skipped it
  cancelled,  ///< not run: the run was stopped first
  cached,     ///< not run: its outputs came from the run store
};

enum class run_status : std::uint8_t {
  pending,
  running,
  succeeded,    ///< every step succeeded (or was served from the cache)
  failed,       ///< a step failed or timed out
  stopped,      ///< stopped on request
  interrupted,  ///< the process running it died (found by the run store)
};

[[nodiscard]] constexpr std::string_view to_string(step_status s) noexcept {
  switch (s) {
    case step_status::pending: return "pending";
    case step_status::running: return "running";
    case step_status::succeeded: return "succeeded";
    case step_status::failed: return "failed";
    case step_status::timed_out: return "timed_out";
    case step_status::skipped: return "skipped";
    case step_status::cancelled: return "cancelled";
    case step_status::cached: return "cached";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view to_string(run_status s) noexcept {
  switch (s) {
    case run_status::pending: return "pending";
    case run_status::running: return "running";
    case run_status::succeeded: return "succeeded";
    case run_status::failed: return "failed";
    case run_status::stopped: return "stopped";
    case run_status::interrupted: return "interrupted";
  }
  return "unknown";
}

template <class Status>
[[nodiscard]] constexpr std::optional<Status> parse_status(std::string_view text) noexcept {
  for (std::uint8_t i = 0; i < 8; ++i) {
    auto s = static_cast<Status>(i);
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

/// True for the states a step ends in having produced its outputs.
[[nodiscard]] constexpr bool produced_outputs(step_status s) noexcept {
  return s == step_status::succeeded || s == step_status::cached;
}

}  // namespace typeflow
