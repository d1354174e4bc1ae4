#pragma once
// The scheduler's state of one node while a run goes on, what a worker carries from step to
// step (the successors it made ready), and a unit of work: a step, or one element of a map.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/core/definition.hpp>
#include <typeflow/detail/box.hpp>
#include <typeflow/exec/detail/work_queues.hpp>
#include <typeflow/exec/record.hpp>

namespace typeflow::exec_detail {

using detail::node_id;
using detail::none;

/// What a worker's steps hand back: the successors they made ready, and how many steps they
/// resolved since the worker last counted them into the run (at its idle points only: one
/// shared counter touched per step is a cache line that bounces between workers).
struct ready_list : std::vector<ready_item> {
  std::size_t resolved = 0;
  /// When the worker goes straight on from the step it finished to the next one: the end time
  /// of the first, which serves as the start time of the second (see engine::start_stamp).
  std::chrono::system_clock::time_point boundary{};
  /// The last successor whose pending count this worker found other predecessors still
  /// counting down (a join, such as a fan-in's sink): its count is decremented at once, not
  /// first loaded (a load, then a locked decrement, moves the contended cache line twice).
  node_id joining = none;
};

/// One node's state in a run: one 64-byte record, read together when the node resolves.
struct node_state {
  std::atomic<std::uint32_t> pending{0};     ///< predecessors not yet resolved
  std::atomic<std::uint32_t> readers{0};     ///< reads of the output still to come
  std::atomic<std::uint32_t> blocker{none};  ///< earliest predecessor without outputs
  std::atomic<bool> retry_scheduled{false};
  bool holds_resources = false;
  bool absent = false;  ///< skipped by its condition: optional readers see std::nullopt
  bool kept = false;
  std::uint32_t succ_first = 0, succ_last = 0;
  double priority = 0;
  detail::box out;
};

/// A unit of work: a node, or one element of a map node. A step and an element go through the
/// same attempt and finish; these are the places where they differ.
struct unit {
  node_id node;
  std::uint32_t element;  ///< none for a node
  step_record* rec;
  std::string_view name;
  detail::box* out;
  bool* holds_resources;
  std::atomic<bool>* retry_scheduled;

  [[nodiscard]] bool is_element() const noexcept { return element != none; }
};

/// The text of an exception, for records and events.
inline std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace typeflow::exec_detail
