#pragma once
// The one naming rule for pipelines, steps and parameters:
// 1-64 characters, a letter first, then letters, digits, '_' or '-'.

#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>

namespace typeflow {

inline constexpr std::size_t max_name_length = 64;

namespace detail {
/// Per byte: 1 a letter, 2 a digit, '_' or '-'; 0 anything else.
inline constexpr auto name_chars = [] {
  struct table {
    unsigned char kind[256] = {};
  } t;
  for (int c = 'a'; c <= 'z'; ++c) t.kind[c] = 1;
  for (int c = 'A'; c <= 'Z'; ++c) t.kind[c] = 1;
  for (int c = '0'; c <= '9'; ++c) t.kind[c] = 2;
  t.kind[static_cast<unsigned char>('_')] = 2;
  t.kind[static_cast<unsigned char>('-')] = 2;
  return t;
}();
}  // namespace detail

/// True when `name` follows the naming rule. One table look-up per character, without a
/// branch per character (declaring a step checks its name: a character-class test per
/// character was ~110 instructions of the ~800 that declaring a chain step took).
[[nodiscard]] constexpr bool is_valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_name_length) return false;
  const auto kind = [](char c) { return detail::name_chars.kind[static_cast<unsigned char>(c)]; };
  if (kind(name.front()) != 1) return false;
  bool ok = true;
  for (char c : name) ok &= kind(c) != 0;
  return ok;
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
