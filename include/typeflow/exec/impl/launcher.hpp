#pragma once
// The definitions of exec/launcher.hpp: run_attempt(), one attempt of a step in this thread.

#include <chrono>
#include <memory>
#include <span>
#include <stop_token>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/exec/detail/attempt.hpp>
#include <typeflow/exec/detail/node_state.hpp>
#include <typeflow/exec/detail/timer.hpp>
#include <typeflow/exec/launcher.hpp>

namespace typeflow {

TYPEFLOW_INLINE attempt_result run_attempt(const detail::definition& d, detail::node_id node,
                                           std::uint32_t element,
                                           std::span<const detail::box* const> inputs,
                                           detail::box& out, const attempt_context& who,
                                           std::chrono::nanoseconds limit) {
  const auto& nd = d.nodes[node];
  attempt_result result;
  if (!nd.impl || inputs.size() != nd.input_count) {
    result.end = attempt_result::how::failed;
    result.message = "typeflow: run_attempt(): node '" + std::string(nd.name) +
                     "' is not a step of " + std::to_string(inputs.size()) + " inputs";
    return result;
  }
  if (nd.kind == detail::node_kind::map && element == detail::none) {
    result.end = attempt_result::how::failed;
    result.message = "typeflow: run_attempt(): step '" + std::string(nd.name) +
                     "' is a map: an attempt runs one of its elements";
    return result;
  }
  std::vector<void*> resolved(nd.input_count);
  const auto movable = std::make_unique<bool[]>(nd.input_count);  // false: the caller keeps them
  for (std::uint32_t i = 0; i < nd.input_count; ++i) {
    void* whole = inputs[i] == nullptr ? nullptr : inputs[i]->get();
    resolved[i] = whole == nullptr ? nullptr : d.resolve(d.inputs[nd.first_input + i], whole);
  }
  if (nd.kind == detail::node_kind::map) {
    if (resolved[0] == nullptr || element >= nd.map->size(resolved[0])) {
      result.end = attempt_result::how::failed;
      result.message = "typeflow: map step '" + std::string(nd.name) + "' has no element " +
                       std::to_string(element);
      return result;
    }
    resolved[0] = nd.map->element(resolved[0], element);
  }
  const detail::invocation call{resolved.data(), movable.get(), &out, nullptr, nullptr};
  std::stop_source stop;
  auto relay = [&stop]() noexcept { stop.request_stop(); };
  std::stop_callback<decltype(relay)> link(who.stop, relay);
  exec_detail::timer clock;
  const exec_detail::attempt_caller caller{who.run_id, who.step_name, node, who.attempt, who.sink};
  const auto outcome =
      exec_detail::invoke_attempt(*nd.impl, call, caller, limit, clock, stop, stop.get_token());
  using how = exec_detail::attempt_outcome::how;
  switch (outcome.end) {
    case how::succeeded: result.end = attempt_result::how::succeeded; break;
    case how::skipped:
      result.end = attempt_result::how::skipped;
      result.message = outcome.skip_reason;
      break;
    case how::failed:
      result.end = attempt_result::how::failed;
      result.message = exec_detail::describe(outcome.error);
      break;
    case how::timed_out:
      result.end = attempt_result::how::timed_out;
      result.message = "timed out after " + format_duration(limit);
      break;
  }
  if (!result.succeeded()) out.reset();
  return result;
}

}  // namespace typeflow
