#pragma once
// The types a pipeline parameter may have, and how each is read from text and written back:
// bool, integers, floating point, std::string, enums (by name), std::vector of those (a JSON
// array or a comma-separated list), and nlohmann::json for free-form settings.

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <typeflow/config.hpp>
#include <typeflow/core/enum_names.hpp>
#include <typeflow/core/param_text.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/detail/type_name.hpp>

namespace typeflow {
namespace detail {

template <class T>
inline constexpr bool is_character =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

template <class T>
concept param_integer = std::integral<T> && !std::is_same_v<T, bool> && !is_character<T>;

/// An enum typeflow can name: enum_names<E> is specialised, or E has a fixed underlying type.
template <class T>
concept param_enum = std::is_enum_v<T> &&(named_by_user<T> || fixed_enum<T>);

template <class T>
concept param_scalar = std::is_same_v<T, bool> || param_integer<T> || std::floating_point<T> ||
    std::is_same_v<T, std::string> || param_enum<T>;

template <class T>
struct param_vector : std::false_type {};
template <class E>
requires param_scalar<E>
struct param_vector<std::vector<E>> : std::true_type {
};

/// The type range() and choices() constrain: a vector's element, else the type itself.
template <class T>
struct param_element {
  using type = T;
};
template <class E, class A>
struct param_element<std::vector<E, A>> {
  using type = E;
};
template <class T>
using param_element_t = typename param_element<T>::type;

}  // namespace detail

/// A type a pipeline parameter may have: bool, an integer type (not a character type), a
/// floating-point type, std::string, an enum typeflow can name (see enum_names), a
/// std::vector of those, or nlohmann::json.
template <class T>
concept param_type =
    detail::param_scalar<T> || detail::param_vector<T>::value || std::is_same_v<T, nlohmann::json>;

namespace detail {

/// One element of a vector parameter's value, as its JSON text writes it (json_array_text).
struct json_scalar {
  enum class kind : std::uint8_t { string, boolean, integer, unsigned_integer, floating };
  kind type = kind::string;
  bool boolean = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double floating = 0;
  std::string text;  ///< kind::string
};

/// The deepest nesting of arrays and objects a parameter's JSON text may have (a vector's
/// array, a JSON parameter, a params file): nlohmann::json's dump and copies recurse once per
/// level, so deeper text would overflow the stack. Counted before anything is parsed.
inline constexpr std::size_t param_json_max_depth = 512;

/// The byte at which `text` nests arrays and objects deeper than `limit` (counted outside
/// strings), or npos.
TYPEFLOW_INLINE std::size_t json_too_deep_at(std::string_view text, std::size_t limit);

/// The JSON array of `items`, as nlohmann::json writes it (`[1,2.5,"adam"]`).
TYPEFLOW_INLINE std::string json_array_text(const std::vector<json_scalar>& items);

/// The elements of the JSON array `text`, each as the text its element type parses: a string
/// element as the string itself, any other value as its JSON text. False when `text` is not a
/// JSON array, or nests deeper than param_json_max_depth.
TYPEFLOW_INLINE bool json_array_items(std::string_view text, std::vector<std::string>& items);

template <class T>
struct param_codec;

template <class T>
requires param_scalar<T>
struct param_codec<T> {
  static std::string type_name() {
    if constexpr (std::is_same_v<T, std::string>) {
      return "std::string";
    } else {
      return demangle(typeid(T));
    }
  }

  static bool parse(std::string_view text, T& out, std::string& expected) {
    if constexpr (std::is_enum_v<T>) {
      const auto& entries = enum_entries<T>();
      for (const auto& [value, name] : entries) {
        if (name == text) {
          out = value;
          return true;
        }
      }
      if (entries.empty()) {
        expected = "the name of a value of " + type_name() +
                   ", but typeflow knows no names for it; specialise typeflow::enum_names<" +
                   type_name() + ">";
      } else {
        expected = "one of: ";
        for (std::size_t i = 0; i < entries.size(); ++i) {
          expected += (i == 0 ? "" : ", ") + std::string(entries[i].second);
        }
      }
      return false;
    } else {
      auto value = parse_param_text<T>(text, expected);
      if (!value) return false;
      out = *static_cast<const T*>(value.get());
      return true;
    }
  }

  static std::string format(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      return value ? "true" : "false";
    } else if constexpr (std::is_same_v<T, std::string>) {
      return value;
    } else if constexpr (std::is_enum_v<T>) {
      for (const auto& [v, name] : enum_entries<T>()) {
        if (v == value) return std::string(name);
      }
      return std::to_string(static_cast<std::underlying_type_t<T>>(value));
    } else {
      std::array<char, 64> buffer{};
      auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
      if (ec != std::errc{}) return "?";
      return std::string(buffer.data(), end);
    }
  }

  /// The value as a JSON element of a list (numbers and booleans stay typed).
  static json_scalar to_json(const T& value) {
    json_scalar out;
    if constexpr (std::is_enum_v<T>) {
      out.text = format(value);
    } else if constexpr (std::is_same_v<T, bool>) {
      out.type = json_scalar::kind::boolean;
      out.boolean = value;
    } else if constexpr (std::is_same_v<T, std::string>) {
      out.text = value;
    } else if constexpr (std::floating_point<T>) {
      out.type = json_scalar::kind::floating;
      out.floating = static_cast<double>(value);
    } else if constexpr (std::is_signed_v<T>) {
      out.type = json_scalar::kind::integer;
      out.integer = static_cast<std::int64_t>(value);
    } else {
      out.type = json_scalar::kind::unsigned_integer;
      out.unsigned_integer = static_cast<std::uint64_t>(value);
    }
    return out;
  }
};

template <class E>
struct param_codec<std::vector<E>> {
  using element_codec = param_codec<E>;

  static std::string type_name() { return "std::vector<" + element_codec::type_name() + ">"; }

  static bool parse(std::string_view text, std::vector<E>& out, std::string& expected) {
    E probe{};
    std::string element_expected;
    element_codec::parse("", probe, element_expected);  // fills in what an element is
    expected = "a JSON array or a comma-separated list, each element " + element_expected;
    out.clear();
    std::string_view trimmed = trim(text);
    if (!trimmed.empty() && trimmed.front() == '[') {
      std::vector<std::string> items;
      if (!json_array_items(trimmed, items)) return false;
      for (const auto& item_text : items) {
        E value{};
        std::string ignored;
        if (!element_codec::parse(item_text, value, ignored)) return false;
        out.push_back(std::move(value));
      }
      return true;
    }
    if (trimmed.empty()) return true;
    for (std::size_t start = 0;;) {
      auto comma = trimmed.find(',', start);
      auto length = comma == std::string_view::npos ? comma : comma - start;
      auto item = trim(trimmed.substr(start, length));
      E value{};
      std::string ignored;
      if (!element_codec::parse(item, value, ignored)) return false;
      out.push_back(std::move(value));
      if (comma == std::string_view::npos) return true;
      start = comma + 1;
    }
  }

  static std::string format(const std::vector<E>& value) {
    std::vector<json_scalar> items;
    items.reserve(value.size());
    for (const auto& item : value) items.push_back(element_codec::to_json(item));
    return json_array_text(items);
  }

  static std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
  }
};

template <class T>
concept complete_type = requires {
  sizeof(T);
};

/// nlohmann::json: a template only so that its bodies are compiled where a JSON parameter is
/// declared, which needs the full <nlohmann/json.hpp> there (this header has json_fwd.hpp).
template <class T>
requires std::is_same_v<T, nlohmann::json>
struct param_codec<T> {
  static_assert(complete_type<T>,
                "typeflow: a parameter of type nlohmann::json needs #include "
                "<nlohmann/json.hpp> (typeflow's headers include only json_fwd.hpp)");
  static std::string type_name() { return "nlohmann::json"; }
  static bool parse(std::string_view text, T& out, std::string& expected) {
    expected = "a JSON value";
    if (json_too_deep_at(text, param_json_max_depth) != std::string_view::npos) {
      expected += " nesting arrays and objects at most " + std::to_string(param_json_max_depth) +
                  " levels deep";
      return false;
    }
    out = T::parse(text, nullptr, false);
    return !out.is_discarded();
  }
  static std::string format(const T& value) { return detail::json_text(value); }
};

/// Type-erased entry points stored in a parameter's spec.
template <class T>
std::shared_ptr<const void> parse_param(std::string_view text, std::string& expected) {
  T value{};
  if (!param_codec<T>::parse(text, value, expected)) return nullptr;
  return std::make_shared<const T>(std::move(value));
}

template <class T>
std::string format_param(const void* value) {
  return param_codec<T>::format(*static_cast<const T*>(value));
}

}  // namespace detail
}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/core/impl/param_value.hpp>
#endif
