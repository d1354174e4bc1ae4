#pragma once
// Where the run store keeps steps' log lines (store/logs.hpp): included by that header in
// header-only mode, compiled once into typeflow::store (src/store.cpp) in compiled mode.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/store/detail/files.hpp>
#include <typeflow/store/errors.hpp>
#include <typeflow/store/logs.hpp>

namespace typeflow {

namespace store_detail {

/// `text` as a number of type T when it is all decimal digits and fits; else nothing.
template <class T>
std::optional<T> whole_number(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

/// The name of a step's directory under logs/<run id>/: `train`, or `train.3` for an element.
inline std::string log_step_dir(std::string_view step, std::optional<std::size_t> element) {
  if (!is_valid_name(step)) {
    throw store_error("typeflow: run store: no log for step '" + shown(step) +
                      "': it is not a step name (" + detail::describe_bad_name(step) + ")");
  }
  std::string out(step);
  if (element) out += "." + std::to_string(*element);
  return out;
}

}  // namespace store_detail

TYPEFLOW_INLINE std::optional<step_ref> parse_step_ref(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  const auto open = text.find('[');
  if (open == std::string_view::npos) {
    if (text.find(']') != std::string_view::npos) return std::nullopt;
    return step_ref{text, std::nullopt};
  }
  if (open == 0 || text.back() != ']') return std::nullopt;
  const auto digits = text.substr(open + 1, text.size() - open - 2);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  auto index = store_detail::whole_number<std::size_t>(digits);
  if (!index) return std::nullopt;
  return step_ref{text.substr(0, open), *index};
}

TYPEFLOW_INLINE std::filesystem::path run_log_dir(const std::filesystem::path& store_dir,
                                                  std::string_view run_id) {
  if (!store_detail::usable_run_id(run_id)) {
    throw store_error("typeflow: run store: run id '" + store_detail::shown(run_id) +
                      "' cannot name a log directory: it is empty, '.' or '..', or has '/', "
                      "'\\' or control characters");
  }
  return store_dir / "logs" / std::string(run_id);
}

TYPEFLOW_INLINE std::filesystem::path attempt_log_path(const std::filesystem::path& store_dir,
                                                       std::string_view run_id,
                                                       std::string_view step,
                                                       std::optional<std::size_t> element,
                                                       unsigned attempt) {
  if (attempt == 0) {
    throw store_error("typeflow: run store: no log for attempt 0 of step '" +
                      store_detail::shown(step) + "': attempts count from 1");
  }
  return run_log_dir(store_dir, run_id) / store_detail::log_step_dir(step, element) /
         (std::to_string(attempt) + ".log");
}

TYPEFLOW_INLINE std::vector<unsigned> logged_attempts(const std::filesystem::path& store_dir,
                                                      std::string_view run_id,
                                                      std::string_view step,
                                                      std::optional<std::size_t> element) {
  namespace fs = std::filesystem;
  const auto dir = run_log_dir(store_dir, run_id) / store_detail::log_step_dir(step, element);
  std::vector<unsigned> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".log") != 0) continue;
    auto n =
        store_detail::whole_number<unsigned>(std::string_view(name).substr(0, name.size() - 4));
    std::error_code type_ec;
    if (n && *n != 0 && it->is_regular_file(type_ec)) out.push_back(*n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TYPEFLOW_INLINE std::vector<std::size_t> logged_elements(const std::filesystem::path& store_dir,
                                                         std::string_view run_id,
                                                         std::string_view step) {
  namespace fs = std::filesystem;
  const auto dir = run_log_dir(store_dir, run_id);
  const auto prefix = store_detail::log_step_dir(step, std::nullopt) + ".";
  std::vector<std::size_t> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    auto i = store_detail::whole_number<std::size_t>(std::string_view(name).substr(prefix.size()));
    if (i && !logged_attempts(store_dir, run_id, step, *i).empty()) out.push_back(*i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace typeflow
