#pragma once
// Cron expressions for scheduled runs (`schedule --cron`): the standard five fields, parsed
// once, and the next local time at which an expression fires.
//
//     auto c = typeflow::cron_expr::parse("30 2 * * MON-FRI");
//     auto when = c.next_after(std::chrono::system_clock::now());

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/config.hpp>

namespace typeflow {

/// A cron expression that cannot be parsed, or that can never fire.
class cron_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {

struct cron_field_spec {
  std::string_view name;
  int lo, hi;
  const char* const* names;  ///< JAN..DEC or SUN..SAT (index + names_base = value); or null
  int names_base;
};

inline constexpr const char* cron_month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
inline constexpr const char* cron_day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

inline constexpr std::array<cron_field_spec, 5> cron_fields{{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, cron_month_names, 1},
    {"day-of-week", 0, 7, cron_day_names, 0},
}};

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
constexpr std::int64_t cron_days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
constexpr bool cron_leap(std::int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}
constexpr unsigned cron_days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && cron_leap(y) ? 29 : days[m - 1];
}
/// 0 = Sunday.
constexpr unsigned cron_weekday(std::int64_t days) noexcept {
  return static_cast<unsigned>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

}  // namespace detail

/// A parsed cron expression: minute hour day-of-month month day-of-week.
///
/// Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
/// those. Months may be named JAN-DEC and days SUN-SAT (any case); day-of-week 0 and 7 are
/// both Sunday. When day-of-month and day-of-week are both restricted (neither starts with
/// `*`), a day matching either one fires (the classic cron rule). The macros `@hourly`,
/// `@daily` (`@midnight`), `@weekly`, `@monthly` and `@yearly` (`@annually`) stand for their
/// usual expressions. An expression that can never fire (`0 0 30 2 *`) is refused by parse().
class cron_expr {
 public:
  /// Parses `text`; throws cron_error naming the expression, the field and the bad token.
  TYPEFLOW_INLINE static cron_expr parse(std::string_view text);

  /// The first time strictly after `t`, at a whole minute of local time (TZ, via
  /// localtime_r/mktime), at which the expression fires.
  ///
  /// Daylight saving: a local time skipped when the clocks go forward does not fire that
  /// day; a local time that occurs twice when they go back fires once, at its first
  /// occurrence after `t` (a time is not revisited once the wall clock has passed it).
  [[nodiscard]] TYPEFLOW_INLINE std::chrono::system_clock::time_point next_after(
      std::chrono::system_clock::time_point t) const;

  /// The expression as given to parse().
  [[nodiscard]] std::string_view text() const noexcept { return text_; }

 private:
  cron_expr() = default;  // only parse() makes one

  std::string text_;
  std::uint64_t minutes_ = 0;
  std::uint32_t hours_ = 0;
  std::uint32_t mdays_ = 0;
  std::uint16_t months_ = 0;
  std::uint8_t wdays_ = 0;
  bool mday_any_ = true;
  bool wday_any_ = true;

  [[noreturn]] TYPEFLOW_INLINE static void fail(const std::string& text, const std::string& why);
  static bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }
  static std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
  }
  TYPEFLOW_INLINE static std::string upper(std::string_view s);

  TYPEFLOW_INLINE static std::string_view expand_macro(const std::string& text,
                                                       std::string_view macro);

  /// A number or (where the field has them) a name; range-checked.
  TYPEFLOW_INLINE static int parse_value(const std::string& text, const detail::cron_field_spec& f,
                                         std::string_view token);

  /// One field as a bit set (bit v set: value v allowed).
  TYPEFLOW_INLINE static std::uint64_t parse_field(const std::string& text,
                                                   const detail::cron_field_spec& f,
                                                   std::string_view field);

  [[nodiscard]] TYPEFLOW_INLINE bool day_matches(unsigned month, unsigned mday,
                                                 unsigned wday) const noexcept;

  /// The earliest instant after `after` whose local time is this wall-clock minute; none
  /// when that local time does not exist (skipped by a daylight-saving jump).
  TYPEFLOW_INLINE static std::optional<std::time_t> resolve_local(std::int64_t year, unsigned month,
                                                                  unsigned mday, int hour,
                                                                  int minute, std::time_t after);
};

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/cli/impl/cron.hpp>
#endif
