#pragma once
// The definitions of core/name.hpp's messages.

#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/name.hpp>

namespace typeflow {

namespace detail {
TYPEFLOW_INLINE std::string describe_bad_name(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name.size() > max_name_length) {
    return "it has " + std::to_string(name.size()) + " characters, more than " +
           std::to_string(max_name_length);
  }
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(name.front())) return "it does not start with a letter";
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-') {
      return std::string("it contains '") + c + "'";
    }
  }
  return "it is valid";
}

TYPEFLOW_INLINE void throw_bad_name(std::string_view what, std::string_view name) {
  throw definition_error("typeflow: invalid " + std::string(what) + " name '" + std::string(name) +
                         "': " + detail::describe_bad_name(name) +
                         "; a name has 1-64 characters, a letter first, then letters, digits, "
                         "'_' or '-'");
}

}  // namespace detail
}  // namespace typeflow
