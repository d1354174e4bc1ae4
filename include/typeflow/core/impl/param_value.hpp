#pragma once
// The definitions of core/param_value.hpp's JSON helpers (vector parameters' JSON arrays).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/config.hpp>
#include <typeflow/core/param_value.hpp>
#include <typeflow/detail/json_text.hpp>

namespace typeflow::detail {

TYPEFLOW_INLINE std::size_t json_too_deep_at(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

TYPEFLOW_INLINE std::string json_array_text(const std::vector<json_scalar>& items) {
  auto array = nlohmann::json::array();
  for (const auto& item : items) {
    switch (item.type) {
      case json_scalar::kind::string: array.push_back(item.text); break;
      case json_scalar::kind::boolean: array.push_back(item.boolean); break;
      case json_scalar::kind::integer: array.push_back(item.integer); break;
      case json_scalar::kind::unsigned_integer: array.push_back(item.unsigned_integer); break;
      case json_scalar::kind::floating: array.push_back(item.floating); break;
    }
  }
  return json_text(array);
}

TYPEFLOW_INLINE bool json_array_items(std::string_view text, std::vector<std::string>& items) {
  if (json_too_deep_at(text, param_json_max_depth) != std::string_view::npos) return false;
  auto array = nlohmann::json::parse(text, nullptr, false);
  if (array.is_discarded() || !array.is_array()) return false;
  items.clear();
  items.reserve(array.size());
  for (const auto& item : array) {
    items.push_back(item.is_string() ? item.get<std::string>() : json_text(item));
  }
  return true;
}

}  // namespace typeflow::detail
