#pragma once
// Control-flow vocabulary shared by steps and the executor: maybe<T> (an output that a
// condition may skip), skip_step (a step declining to run), run_outcome (what a finally
// handler receives).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <typeflow/core/status.hpp>

namespace typeflow {

/// The edge type of an output produced inside a condition branch: it may be absent, so a
/// consumer outside the branch must take std::optional<T>. Never holds a value itself.
template <class T>
struct maybe {
  maybe() = delete;
};

/// Thrown by a step to end as `skipped` with `reason` instead of failing (quality gates that
/// only skip their downstream use it). Never retried.
class skip_step : public std::runtime_error {
 public:
  explicit skip_step(const std::string& reason) : std::runtime_error(reason) {}
};

/// What a failed quality gate (p.require) does.
enum class gate : std::uint8_t {
  fail_run,         ///< the gate step fails, and with it the run
  skip_downstream,  ///< the gate step is skipped, and so is everything ordered after it
};

/// What a finally handler receives: how the rest of the run ended.
struct run_outcome {
  std::string run_id;
  std::string pipeline;
  run_status status = run_status::succeeded;
  std::vector<std::string> failed_steps;  ///< failed or timed out, in declaration order
};

namespace detail {
template <class T>
struct maybe_traits {
  static constexpr bool is_maybe = false;
  using value_type = T;
};
template <class T>
struct maybe_traits<maybe<T>> {
  static constexpr bool is_maybe = true;
  using value_type = T;
};
template <class T>
struct optional_traits {
  static constexpr bool is_optional = false;
};
template <class T>
struct optional_traits<std::optional<T>> {
  static constexpr bool is_optional = true;
  using value_type = T;
};
}  // namespace detail

}  // namespace typeflow
