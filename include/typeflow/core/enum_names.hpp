#pragma once
// The names of an enum's values, so that enum parameters are given and shown by name
// ("adam", not 0). Found automatically for enums with a fixed underlying type (every enum class)
// whose values lie in 0..127; any enum can instead list its names by specialising enum_names.

#include <cstddef>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace typeflow {

/// Specialise to name an enum's values yourself (for values outside 0..127, for an unscoped
/// enum without a fixed underlying type, or for names other than the enumerators'):
///
///     template <> struct typeflow::enum_names<Color> {
///       static constexpr std::pair<Color, std::string_view> value[] = {
///           {Color::red, "red"}, {Color::green, "green"}};
///     };
///
/// `value` may be any range of std::pair<E, std::string_view>. Without a specialisation the
/// enumerators' own names are read from the compiler (see enum_entries).
template <class E>
struct enum_names {};

namespace detail {

template <class E>
concept named_by_user = requires {
  { *std::begin(enum_names<E>::value) } -> std::convertible_to<std::pair<E, std::string_view>>;
};

/// An enum whose every value of its underlying type is a valid value (C++17: a fixed
/// underlying type, as every enum class has), so the compiler can name candidate values.
template <class E>
concept fixed_enum = std::is_enum_v<E> && requires {
  E{std::underlying_type_t<E>{}};
};

/// The highest value (exclusive) that automatic naming tries.
inline constexpr int enum_reflection_end = 128;

template <auto V>
constexpr const char* enum_signature() noexcept {
  return __PRETTY_FUNCTION__;  // "... [with auto V = ns::Color::red]" or "... [V = Color::red]"
}

/// The enumerator name the compiler prints for V, or empty when V has no name (it prints a
/// cast such as "(Color)5").
template <auto V>
constexpr std::string_view enum_value_name() noexcept {
  std::string_view s = enum_signature<V>();
  auto close = s.rfind(']');
  auto eq = s.rfind("= ", close);
  if (close == std::string_view::npos || eq == std::string_view::npos) return {};
  s = s.substr(eq + 2, close - eq - 2);
  if (auto semi = s.find(';'); semi != std::string_view::npos) s = s.substr(0, semi);
  if (auto colon = s.rfind(':'); colon != std::string_view::npos) s = s.substr(colon + 1);
  // A name is an identifier; anything else ("(Color)5", "Anon)7") is an unnamed value.
  if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return {};
  for (char c : s) {
    bool word =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word) return {};
  }
  return s;
}

template <class E, int... I>
std::vector<std::pair<E, std::string_view>> reflect_enum(std::integer_sequence<int, I...>) {
  using U = std::underlying_type_t<E>;
  std::vector<std::pair<E, std::string_view>> out;
  auto add = [&]<int V>(std::integral_constant<int, V>) {
    constexpr auto highest = static_cast<long long>(std::numeric_limits<U>::max());
    if constexpr (static_cast<long long>(V) <= highest) {
      constexpr std::string_view name = enum_value_name<static_cast<E>(V)>();
      if constexpr (!name.empty()) out.emplace_back(static_cast<E>(V), name);
    }
  };
  (add(std::integral_constant<int, I>{}), ...);
  return out;
}

/// The named values of E: from enum_names<E> when specialised, else read from the compiler
/// for the values 0..127 of an enum with a fixed underlying type.
template <class E>
const std::vector<std::pair<E, std::string_view>>& enum_entries() {
  static const auto entries = [] {
    if constexpr (named_by_user<E>) {
      std::vector<std::pair<E, std::string_view>> out;
      for (const auto& entry : enum_names<E>::value) out.emplace_back(entry);
      return out;
    } else {
      return reflect_enum<E>(std::make_integer_sequence<int, enum_reflection_end>{});
    }
  }();
  return entries;
}

}  // namespace detail
}  // namespace typeflow
