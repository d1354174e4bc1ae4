#pragma once
// range-v3 adaptors over listed runs, to narrow or reshape store::runs() results lazily:
//
//     for (const auto& r : st.runs() | typeflow::run_views::with_status(run_status::failed)
//                                    | typeflow::run_views::tagged("data", "v2")) { ... }

#include <string>
#include <utility>

#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>

#include <typeflow/exec/status.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow::run_views {

inline auto with_status(run_status s) {
  return ranges::views::filter([s](const run_info& r) { return r.status == s; });
}
inline auto in_experiment(std::string name) {
  return ranges::views::filter(
      [name = std::move(name)](const run_info& r) { return r.experiment == name; });
}
inline auto tagged(std::string key, std::string value) {
  return ranges::views::filter([key = std::move(key), value = std::move(value)](const run_info& r) {
    auto it = r.tags.find(key);
    return it != r.tags.end() && it->second == value;
  });
}
inline auto with_param(std::string name, std::string value) {
  return ranges::views::filter(
      [name = std::move(name), value = std::move(value)](const run_info& r) {
        auto it = r.params.find(name);
        return it != r.params.end() && it->second == value;
      });
}
/// The runs' ids.
inline auto ids() {
  return ranges::views::transform([](const run_info& r) -> const std::string& { return r.id; });
}

}  // namespace typeflow::run_views
