#pragma once
// Parameter values from text (overrides, environment, the command line): one parser per type,
// strict: the whole text must parse, and numbers must fit the type.

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace typeflow::detail {

template <class T>
std::shared_ptr<const void> parse_param_text(std::string_view text, std::string& expected) {
  if constexpr (std::is_same_v<T, bool>) {
    expected = "a boolean (true/false, yes/no, on/off, 1/0)";
    for (auto [word, value] : {std::pair<std::string_view, bool>{"true", true},
                               {"false", false},
                               {"yes", true},
                               {"no", false},
                               {"on", true},
                               {"off", false},
                               {"1", true},
                               {"0", false}}) {
      if (text == word) return std::make_shared<const bool>(value);
    }
    return nullptr;
  } else if constexpr (std::is_integral_v<T>) {
    expected = std::is_signed_v<T> ? "an integer" : "a non-negative integer";
    expected += " from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
                std::to_string(std::numeric_limits<T>::max());
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return nullptr;
    return std::make_shared<const T>(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    expected = "a finite number";
    std::string copy(text);  // strtod needs a terminated string
    if (copy.empty() || copy.front() == ' ') return nullptr;
    char* end = nullptr;
    errno = 0;
    long double value = std::strtold(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || errno == ERANGE) return nullptr;
    // NaN and infinity are refused: no parameter means them, and a list's JSON has no form for
    // them (it wrote NaN as null, which did not parse back).
    if (value != value) return nullptr;
    if (value > std::numeric_limits<T>::max() || value < std::numeric_limits<T>::lowest()) {
      return nullptr;
    }
    return std::make_shared<const T>(static_cast<T>(value));
  } else if constexpr (std::is_same_v<T, std::string>) {
    expected = "a string";
    return std::make_shared<const std::string>(text);
  } else {
    expected = "a value of a type that has no text form";
    return nullptr;
  }
}

}  // namespace typeflow::detail
