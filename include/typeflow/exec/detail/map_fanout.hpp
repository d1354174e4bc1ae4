#pragma once
// A map step's fan-out: one unit of work per element of its vector input, each with its own
// record, retries and resources, and how the elements' ends decide the map step's.

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/core/definition.hpp>
#include <typeflow/detail/box.hpp>
#include <typeflow/exec/run_view.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow::exec_detail {

/// The scheduler's side of a map step being run; the records live in the run's data.
struct map_run {
  element_records* elements = nullptr;
  std::unique_ptr<detail::box[]> results;
  std::unique_ptr<std::atomic<bool>[]> retry_scheduled;
  std::unique_ptr<bool[]> holds_resources;
  void* items = nullptr;  ///< the vector being mapped
  bool move_items = false;
  std::atomic<std::size_t> remaining{0};
};

/// The fan-out of map step `name` over `count` elements: their names and records go into
/// `records` (the run's data), their results, flags and count into the returned map_run. A
/// function rather than a constructor, which compilers emit twice (complete and base object).
inline std::unique_ptr<map_run> start_map(std::string_view name, std::size_t count,
                                          element_records& records, void* vector, bool move) {
  auto m = std::make_unique<map_run>();
  m->elements = &records;
  m->items = vector;
  m->move_items = move;
  records.names.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    records.names.push_back(std::string(name) + "[" + std::to_string(i) + "]");
  }
  records.records.resize(count);
  for (std::size_t i = 0; i < count; ++i) records.records[i].name = records.names[i];
  m->results = std::make_unique<detail::box[]>(count);
  m->retry_scheduled = std::make_unique<std::atomic<bool>[]>(count);
  m->holds_resources = std::make_unique<bool[]>(count);
  m->remaining.store(count);
  return m;
}

/// How a map's elements ended.
struct map_summary {
  std::vector<std::size_t> succeeded;  ///< element indices, in order
  std::size_t failed = 0, cancelled = 0, total = 0;
  std::string first_error;  ///< "name[i]: message" of the first failed element

  explicit map_summary(const element_records& e) : total(e.records.size()) {
    for (std::size_t i = 0; i < total; ++i) {
      const auto s = e.records[i].status;
      if (s == step_status::succeeded) {
        succeeded.push_back(i);
      } else if (s == step_status::cancelled) {
        ++cancelled;
      } else if (failed++ == 0) {
        first_error = e.names[i] + ": " + e.records[i].message;
      }
    }
  }

  /// "3 of 10 elements failed"
  [[nodiscard]] std::string failed_text() const {
    return std::to_string(failed) + " of " + std::to_string(total) + " elements failed";
  }
};

}  // namespace typeflow::exec_detail
