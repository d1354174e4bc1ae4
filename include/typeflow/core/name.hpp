#pragma once
// The one naming rule for pipelines, steps and parameters:
// 1-64 characters, a letter first, then letters, digits, '_' or '-'.

#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>

namespace typeflow {

inline constexpr std::size_t max_name_length = 64;

/// True when `name` follows the naming rule.
[[nodiscard]] constexpr bool is_valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_name_length) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!letter(name.front())) return false;
  for (char c : name) {
    if (!letter(c) && !digit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

namespace detail {
/// Why `name` breaks the naming rule, in words ("it is empty", "it contains ' '").
TYPEFLOW_INLINE std::string describe_bad_name(std::string_view name);
/// Throws definition_error naming `what` and why `name` breaks the rule.
[[noreturn]] TYPEFLOW_INLINE void throw_bad_name(std::string_view what, std::string_view name);
}  // namespace detail

/// Throws definition_error naming `what` ("step", "parameter", "pipeline") and the reason.
inline void check_name(std::string_view what, std::string_view name) {
  if (!is_valid_name(name)) detail::throw_bad_name(what, name);
}

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/core/impl/name.hpp>
#endif
