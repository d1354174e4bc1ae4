#pragma once
// The definitions of core/param_value.hpp's JSON helpers (vector parameters' JSON arrays).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/config.hpp>
#include <typeflow/core/param_value.hpp>
#include <typeflow/detail/json_text.hpp>

namespace typeflow::detail {

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
