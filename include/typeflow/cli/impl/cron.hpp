#pragma once
// cron_expr's member functions (cli/cron.hpp): included by that header in header-only mode,
// compiled once into typeflow::cli (src/cli.cpp) in compiled mode.

#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/cli/cron.hpp>
#include <typeflow/config.hpp>

namespace typeflow {

TYPEFLOW_INLINE cron_expr cron_expr::parse(std::string_view text) {
  cron_expr c;
  c.text_ = std::string(text);
  std::string_view body = trim(text);
  if (body.empty()) {
    fail(c.text_,
         "it is empty; expected 5 fields (minute hour day-of-month month day-of-week) "
         "or a macro such as @daily");
  }
  if (body.front() == '@') body = expand_macro(c.text_, body);

  std::vector<std::string_view> fields;
  for (std::size_t i = 0; i < body.size();) {
    while (i < body.size() && is_space(body[i])) ++i;
    if (i == body.size()) break;
    std::size_t j = i;
    while (j < body.size() && !is_space(body[j])) ++j;
    fields.push_back(body.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 5) {
    fail(c.text_, std::to_string(fields.size()) + (fields.size() == 1 ? " field" : " fields") +
                      ", expected 5 (minute hour day-of-month month day-of-week)");
  }
  std::array<std::uint64_t, 5> bits{};
  for (std::size_t f = 0; f < 5; ++f)
    bits[f] = parse_field(c.text_, detail::cron_fields[f], fields[f]);
  c.minutes_ = bits[0];
  c.hours_ = static_cast<std::uint32_t>(bits[1]);
  c.mdays_ = static_cast<std::uint32_t>(bits[2]);
  c.months_ = static_cast<std::uint16_t>(bits[3]);
  // 7 is Sunday too.
  c.wdays_ = static_cast<std::uint8_t>((bits[4] | (bits[4] >> 7)) & 0x7f);
  c.mday_any_ = fields[2].front() == '*';
  c.wday_any_ = fields[4].front() == '*';

  // Only a day-of-month restriction without a day-of-week one can exclude every day: check
  // that some chosen month has some chosen day (February counts 29 days).
  if (!c.mday_any_ && c.wday_any_) {
    bool possible = false;
    for (unsigned m = 1; m <= 12 && !possible; ++m) {
      if ((c.months_ >> m & 1u) == 0) continue;
      for (unsigned d = 1; d <= detail::cron_days_in_month(2000, m); ++d) {
        if ((c.mdays_ >> d & 1u) != 0) {
          possible = true;
          break;
        }
      }
    }
    if (!possible) {
      fail(c.text_, "day-of-month: it never matches: none of the days " + std::string(fields[2]) +
                        " exists in the months " + std::string(fields[3]));
    }
  }
  return c;
}

TYPEFLOW_INLINE std::chrono::system_clock::time_point cron_expr::next_after(
    std::chrono::system_clock::time_point t) const {
  using namespace std::chrono;
  const std::time_t after = system_clock::to_time_t(floor<seconds>(t));
  std::tm now{};
  if (::localtime_r(&after, &now) == nullptr) {
    throw cron_error("typeflow: cron expression \"" + text_ +
                     "\": the time to start from is out of range");
  }
  // Wall-clock candidates strictly after t's minute.
  std::int64_t year = now.tm_year + 1900;
  auto month = static_cast<unsigned>(now.tm_mon + 1);
  auto mday = static_cast<unsigned>(now.tm_mday);
  int first_minute = now.tm_hour * 60 + now.tm_min + 1;
  std::int64_t days = detail::cron_days_from_civil(year, month, mday);
  // Feb 29 recurs within 8 years (2096 -> 2104); 9 years of days bound every search.
  for (int n = 0; n < 366 * 9; ++n) {
    if (day_matches(month, mday, detail::cron_weekday(days))) {
      for (int hm = first_minute; hm < 24 * 60; ++hm) {
        const int h = hm / 60, mi = hm % 60;
        if ((hours_ >> h & 1u) == 0) {
          hm = h * 60 + 59;  // next hour
          continue;
        }
        if ((minutes_ >> mi & 1u) == 0) continue;
        if (auto when = resolve_local(year, month, mday, h, mi, after)) {
          return system_clock::from_time_t(*when);
        }
      }
    }
    first_minute = 0;
    ++days;
    if (++mday > detail::cron_days_in_month(year, month)) {
      mday = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
  }
  throw cron_error("typeflow: cron expression \"" + text_ +
                   "\": it does not fire in the 9 years after the given time");
}

TYPEFLOW_INLINE void cron_expr::fail(const std::string& text, const std::string& why) {
  throw cron_error("typeflow: cron expression \"" + text + "\": " + why);
}

TYPEFLOW_INLINE std::string cron_expr::upper(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

TYPEFLOW_INLINE std::string_view cron_expr::expand_macro(const std::string& text,
                                                         std::string_view macro) {
  const auto m = upper(macro);
  if (m == "@HOURLY") return "0 * * * *";
  if (m == "@DAILY" || m == "@MIDNIGHT") return "0 0 * * *";
  if (m == "@WEEKLY") return "0 0 * * 0";
  if (m == "@MONTHLY") return "0 0 1 * *";
  if (m == "@YEARLY" || m == "@ANNUALLY") return "0 0 1 1 *";
  fail(text, "unknown macro '" + std::string(macro) +
                 "' (known: @hourly @daily @midnight @weekly @monthly @yearly @annually)");
}

TYPEFLOW_INLINE int cron_expr::parse_value(const std::string& text,
                                           const detail::cron_field_spec& f,
                                           std::string_view token) {
  const std::string where = std::string(f.name) + ": ";
  if (token.empty()) fail(text, where + "a number is missing");
  if (std::isdigit(static_cast<unsigned char>(token.front())) != 0) {
    int v = 0;
    for (char ch : token) {
      if (std::isdigit(static_cast<unsigned char>(ch)) == 0) {
        fail(text, where + "'" + std::string(token) + "' is not a number");
      }
      v = v * 10 + (ch - '0');
      if (v > 1000) break;
    }
    if (v < f.lo || v > f.hi) {
      fail(text, where + std::string(token) + " is out of range " + std::to_string(f.lo) + "-" +
                     std::to_string(f.hi));
    }
    return v;
  }
  if (f.names != nullptr) {
    const auto u = upper(token);
    const int count = f.hi - f.lo + 1 - (f.names_base == 0 ? 1 : 0);  // SUN..SAT: 7, JAN..DEC: 12
    for (int i = 0; i < count; ++i) {
      if (u == f.names[i]) return i + f.names_base;
    }
    fail(text, where + "'" + std::string(token) + "' is not a number or a name (" +
                   (f.names_base == 1 ? "JAN-DEC" : "SUN-SAT") + ")");
  }
  fail(text, where + "'" + std::string(token) + "' is not a number");
}

TYPEFLOW_INLINE std::uint64_t cron_expr::parse_field(const std::string& text,
                                                     const detail::cron_field_spec& f,
                                                     std::string_view field) {
  const std::string where = std::string(f.name) + ": ";
  std::uint64_t bits = 0;
  std::size_t start = 0;
  for (;;) {
    const auto comma = field.find(',', start);
    const auto item =
        field.substr(start, comma == std::string_view::npos ? field.npos : comma - start);
    if (item.empty()) fail(text, where + "empty item in list '" + std::string(field) + "'");
    int lo = f.lo, hi = f.hi, step = 1;
    auto range = item;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const auto s = item.substr(slash + 1);
      if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) {
        fail(text, where + "step '" + std::string(s) + "' in '" + std::string(item) +
                       "' is not a number");
      }
      step = 0;
      for (char ch : s) {
        step = step * 10 + (ch - '0');
        if (step > 1000) break;
      }
      if (step == 0)
        fail(text, where + "step 0 in '" + std::string(item) + "' (a step is at least 1)");
      if (range != "*" && range.find('-') == std::string_view::npos) {
        fail(text, where + "step in '" + std::string(item) +
                       "' needs a range or * before the / (e.g. */" + std::string(s) + " or " +
                       std::string(range) + "-" + std::to_string(f.hi) + "/" + std::string(s) +
                       ")");
      }
    }
    if (range != "*") {
      if (const auto dash = range.find('-'); dash != std::string_view::npos) {
        if (dash == 0 || dash + 1 == range.size()) {
          fail(text, where + "'" + std::string(range) + "' is missing a number");
        }
        lo = parse_value(text, f, range.substr(0, dash));
        hi = parse_value(text, f, range.substr(dash + 1));
        if (lo > hi) {
          fail(text,
               where + "range " + std::string(range) + " is reversed (its start is after its end)");
        }
      } else {
        lo = hi = parse_value(text, f, range);
      }
    }
    for (int v = lo; v <= hi; v += step) bits |= std::uint64_t{1} << v;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return bits;
}

TYPEFLOW_INLINE bool cron_expr::day_matches(unsigned month, unsigned mday,
                                            unsigned wday) const noexcept {
  if ((months_ >> month & 1u) == 0) return false;
  const bool by_mday = (mdays_ >> mday & 1u) != 0;
  const bool by_wday = (wdays_ >> wday & 1u) != 0;
  if (mday_any_ && wday_any_) return true;
  if (mday_any_) return by_wday;
  if (wday_any_) return by_mday;
  return by_mday || by_wday;  // both restricted: either one
}

TYPEFLOW_INLINE std::optional<std::time_t> cron_expr::resolve_local(std::int64_t year,
                                                                    unsigned month, unsigned mday,
                                                                    int hour, int minute,
                                                                    std::time_t after) {
  std::optional<std::time_t> best;
  for (int dst : {-1, 0, 1}) {
    std::tm tm{};
    tm.tm_year = static_cast<int>(year - 1900);
    tm.tm_mon = static_cast<int>(month) - 1;
    tm.tm_mday = static_cast<int>(mday);
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = dst;
    const std::time_t when = std::mktime(&tm);
    if (when == static_cast<std::time_t>(-1) || when <= after) continue;
    std::tm back{};
    if (::localtime_r(&when, &back) == nullptr) continue;
    if (back.tm_year != static_cast<int>(year - 1900) ||
        back.tm_mon != static_cast<int>(month) - 1 || back.tm_mday != static_cast<int>(mday) ||
        back.tm_hour != hour || back.tm_min != minute) {
      continue;  // normalised into another local time: this one does not exist
    }
    if (!best || when < *best) best = when;
  }
  return best;
}

}  // namespace typeflow
