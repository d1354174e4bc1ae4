#pragma once
// One attempt of a step: its policies (retries, backoff, timeout) and the call itself, with
// the step's stop token (the run's, or its own when a timeout can trigger it). How the
// attempt ended is returned as data; the engine decides what follows (finish, retry).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>

#include <typeflow/core/context.hpp>
#include <typeflow/core/control.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/exec/detail/timer.hpp>
#include <typeflow/exec/options.hpp>

namespace typeflow::exec_detail {

[[nodiscard]] inline unsigned retries_of(const detail::node& nd, const run_options& opts) noexcept {
  return nd.policy && nd.policy->has_retry ? nd.policy->retries : opts.default_retries();
}

[[nodiscard]] inline std::chrono::nanoseconds timeout_of(const detail::node& nd,
                                                         const run_options& opts) noexcept {
  return nd.policy && nd.policy->has_timeout ? nd.policy->timeout : opts.default_timeout();
}

/// The wait before attempt `attempt + 1`: base * factor^(attempt - 1), at most an hour.
[[nodiscard]] inline std::chrono::nanoseconds backoff_of(const detail::node& nd,
                                                         const run_options& opts,
                                                         unsigned attempt) noexcept {
  const bool own = nd.policy && nd.policy->has_retry;
  const auto base = own ? nd.policy->backoff : opts.default_backoff();
  const double factor = own ? nd.policy->backoff_factor : opts.default_backoff_factor();
  const double scaled = static_cast<double>(base.count()) * std::pow(factor, attempt - 1);
  return std::chrono::nanoseconds{static_cast<std::int64_t>(std::min(scaled, 3.6e12))};
}

/// How one attempt ended.
struct attempt_outcome {
  enum class how : std::uint8_t { succeeded, skipped, failed, timed_out };
  how end = how::succeeded;
  std::exception_ptr error;  ///< failed: what the step threw
  std::string skip_reason;   ///< skipped: the skip_step's text

  [[nodiscard]] bool succeeded() const noexcept { return end == how::succeeded; }
};

/// Who is calling: what the step's context shows.
struct attempt_caller {
  std::string_view run_id;
  std::string_view name;
  detail::node_id node;
  unsigned number;  ///< 1-based attempt
  detail::context_sink* sink;
};

/// Calls the step with context `ctx`; how it ended, but for a timeout.
inline attempt_outcome call_step(detail::step_base& step, detail::invocation call, context& ctx) {
  call.ctx = &ctx;
  attempt_outcome out;
  try {
    step.invoke(call);
  } catch (const skip_step& skip) {
    out.end = attempt_outcome::how::skipped;
    out.skip_reason = skip.what();
  } catch (...) {
    out.end = attempt_outcome::how::failed;
    out.error = std::current_exception();
  }
  return out;
}

/// Calls the step once, with a stop token of its own that the timer triggers after `limit`
/// (and that the run's stop triggers too).
inline attempt_outcome invoke_with_timeout(detail::step_base& step, detail::invocation call,
                                           const attempt_caller& who,
                                           std::chrono::nanoseconds limit, timer& clock,
                                           std::stop_source& run_stop) {
  struct stop_relay {
    std::stop_source* target;
    void operator()() const noexcept { target->request_stop(); }
  };
  std::stop_source own;
  std::stop_callback<stop_relay> relay(run_stop.get_token(), stop_relay{&own});
  std::atomic<bool> expired{false};
  std::uint64_t deadline = 0;
  try {
    deadline = clock.schedule(std::chrono::steady_clock::now() + limit, [&expired, &own] {
      expired.store(true, std::memory_order_release);
      own.request_stop();
    });
  } catch (const std::system_error&) {
    // No timer thread (a limit on threads): the step is not run without its time limit; it
    // fails, naming the cause.
    attempt_outcome out;
    out.end = attempt_outcome::how::failed;
    out.error = std::current_exception();
    return out;
  }
  const std::stop_token own_token = own.get_token();
  context ctx{who.run_id, who.name, who.node, who.number, own_token, who.sink};
  attempt_outcome out = call_step(step, call, ctx);
  clock.cancel(deadline);
  if (out.end != attempt_outcome::how::skipped && expired.load(std::memory_order_acquire)) {
    out.end = attempt_outcome::how::timed_out;
  }
  return out;
}

/// Calls the step once. `limit` > 0 gives it a stop token of its own that the timer triggers
/// after `limit` (and that the run's stop triggers too); else it sees `run_token`, and nothing
/// but the call itself is set up.
inline attempt_outcome invoke_attempt(detail::step_base& step, detail::invocation call,
                                      const attempt_caller& who, std::chrono::nanoseconds limit,
                                      timer& clock, std::stop_source& run_stop,
                                      const std::stop_token& run_token) {
  if (limit.count() > 0) return invoke_with_timeout(step, call, who, limit, clock, run_stop);
  context ctx{who.run_id, who.name, who.node, who.number, run_token, who.sink};
  return call_step(step, call, ctx);
}

}  // namespace typeflow::exec_detail
