// Cron expressions: every field form, the errors (exact messages), and next_after across
// minute, hour, day, month and year boundaries, Feb 29, the day-of-month/day-of-week OR rule
// and daylight saving — with the time zone fixed by each test.
#include <typeflow/cli/cron.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace tyf = typeflow;
using clock_type = std::chrono::system_clock;

namespace {
/// Sets TZ for one test and puts the old value back.
class fixed_zone {
 public:
  explicit fixed_zone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  fixed_zone(const fixed_zone&) = delete;
  fixed_zone& operator=(const fixed_zone&) = delete;
  ~fixed_zone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

/// "YYYY-MM-DD HH:MM[:SS]" in UTC.
clock_type::time_point utc(const std::string& text) {
  std::tm tm{};
  int sec = 0;
  REQUIRE(std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &sec) >= 5);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = sec;
  return clock_type::from_time_t(::timegm(&tm));
}

/// A time as "YYYY-MM-DD HH:MM:SS Www" in UTC.
std::string utc_text(clock_type::time_point t) {
  const std::time_t tt = clock_type::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a", &tm);
  return buf;
}

std::string next(std::string_view expr, const std::string& after) {
  return utc_text(tyf::cron_expr::parse(expr).next_after(utc(after)));
}

/// The n fire times after `after`, each computed from the previous one.
std::vector<std::string> series(std::string_view expr, const std::string& after, int n) {
  auto c = tyf::cron_expr::parse(expr);
  std::vector<std::string> out;
  auto t = utc(after);
  for (int i = 0; i < n; ++i) {
    t = c.next_after(t);
    out.push_back(utc_text(t));
  }
  return out;
}

std::string error_of(std::string_view expr) {
  try {
    (void)tyf::cron_expr::parse(expr);
  } catch (const tyf::cron_error& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("cron: cron_error is an invalid_argument; text() gives the expression back") {
  STATIC_REQUIRE(std::is_base_of_v<std::invalid_argument, tyf::cron_error>);
  auto c = tyf::cron_expr::parse("*/5 * * * *");
  REQUIRE(c.text() == "*/5 * * * *");
  REQUIRE(tyf::cron_expr::parse("@daily").text() == "@daily");
}

TEST_CASE("cron: numbers, lists, ranges and steps") {
  fixed_zone tz{"UTC"};
  // "*": every minute, strictly after t.
  REQUIRE(next("* * * * *", "2026-11-28 18:00") == "2026-11-28 18:01:00 Sat");
  REQUIRE(next("* * * * *", "2026-11-28 18:00:59") == "2026-11-28 18:01:00 Sat");
  // A number.
  REQUIRE(next("17 * * * *", "2026-11-28 18:00") == "2026-11-28 18:17:00 Sat");
  REQUIRE(next("17 * * * *", "2026-11-28 18:17") == "2026-11-28 19:17:00 Sat");
  // A list, a range, steps over * and over a range.
  REQUIRE(series("5,20,40 * * * *", "2026-11-28 18:10", 4) ==
          std::vector<std::string>{"2026-11-28 18:20:00 Sat", "2026-11-28 18:40:00 Sat",
                                   "2026-11-28 19:05:00 Sat", "2026-11-28 19:20:00 Sat"});
  REQUIRE(series("58-59,1 * * * *", "2026-11-28 18:57", 4) ==
          std::vector<std::string>{"2026-11-28 18:58:00 Sat", "2026-11-28 18:59:00 Sat",
                                   "2026-11-28 19:01:00 Sat", "2026-11-28 19:58:00 Sat"});
  REQUIRE(series("*/20 * * * *", "2026-11-28 18:00", 4) ==
          std::vector<std::string>{"2026-11-28 18:20:00 Sat", "2026-11-28 18:40:00 Sat",
                                   "2026-11-28 19:00:00 Sat", "2026-11-28 19:20:00 Sat"});
  REQUIRE(series("10-30/10 9-10 * * *", "2026-11-28 18:00", 7) ==
          std::vector<std::string>{"2026-11-29 09:10:00 Sun", "2026-11-29 09:20:00 Sun",
                                   "2026-11-29 09:30:00 Sun", "2026-11-29 10:10:00 Sun",
                                   "2026-11-29 10:20:00 Sun", "2026-11-29 10:30:00 Sun",
                                   "2026-11-30 09:10:00 Mon"});
  // Spaces and tabs between fields.
  REQUIRE(next("  0\t12  * *   *  ", "2026-11-28 18:00") == "2026-11-29 12:00:00 Sun");
}

TEST_CASE("cron: month and day names in any case; day-of-week 0 and 7 are Sunday") {
  fixed_zone tz{"UTC"};
  REQUIRE(next("0 0 1 mar *", "2026-11-28 18:00") == "2027-03-01 00:00:00 Mon");
  REQUIRE(next("0 0 1 Jun-AUG *", "2026-11-28 18:00") == "2027-06-01 00:00:00 Tue");
  REQUIRE(next("0 8 * * sat", "2026-11-28 08:00") == "2026-12-05 08:00:00 Sat");
  REQUIRE(next("0 8 * * MON-fri", "2026-11-28 18:00") == "2026-11-30 08:00:00 Mon");
  REQUIRE(next("0 8 * * 0", "2026-11-28 18:00") == "2026-11-29 08:00:00 Sun");
  REQUIRE(next("0 8 * * 7", "2026-11-28 18:00") == "2026-11-29 08:00:00 Sun");
  REQUIRE(next("0 8 * * SUN", "2026-11-28 18:00") == "2026-11-29 08:00:00 Sun");
  REQUIRE(series("0 8 * * 5-7", "2026-11-26 18:00", 4) ==
          std::vector<std::string>{"2026-11-27 08:00:00 Fri", "2026-11-28 08:00:00 Sat",
                                   "2026-11-29 08:00:00 Sun", "2026-12-04 08:00:00 Fri"});
}

TEST_CASE("cron: the macros") {
  fixed_zone tz{"UTC"};
  const std::string t = "2026-11-28 18:30";
  REQUIRE(next("@hourly", t) == "2026-11-28 19:00:00 Sat");
  REQUIRE(next("@daily", t) == "2026-11-29 00:00:00 Sun");
  REQUIRE(next("@midnight", t) == "2026-11-29 00:00:00 Sun");
  REQUIRE(next("@weekly", t) == "2026-11-29 00:00:00 Sun");
  REQUIRE(next("@monthly", t) == "2026-12-01 00:00:00 Tue");
  REQUIRE(next("@yearly", t) == "2027-01-01 00:00:00 Fri");
  REQUIRE(next("@ANNUALLY", t) == "2027-01-01 00:00:00 Fri");
}

TEST_CASE("cron: next_after crosses hour, day, month and year boundaries") {
  fixed_zone tz{"UTC"};
  REQUIRE(next("0 * * * *", "2026-11-28 18:59:30") == "2026-11-28 19:00:00 Sat");
  REQUIRE(next("30 23 * * *", "2026-11-28 23:30") == "2026-11-29 23:30:00 Sun");
  REQUIRE(next("0 0 * * *", "2026-11-30 23:59:59") == "2026-12-01 00:00:00 Tue");
  REQUIRE(next("59 23 31 12 *", "2026-12-31 23:59") == "2027-12-31 23:59:00 Fri");
  REQUIRE(next("0 0 1 1 *", "2026-12-31 23:59") == "2027-01-01 00:00:00 Fri");
  // The 31st skips the months that do not have one.
  REQUIRE(series("0 12 31 * *", "2026-11-28 00:00", 3) ==
          std::vector<std::string>{"2026-12-31 12:00:00 Thu", "2027-01-31 12:00:00 Sun",
                                   "2027-03-31 12:00:00 Wed"});
  // Seconds before t's minute never count; the result is always on a whole minute.
  REQUIRE(next("* * * * *", "2026-11-28 18:00:01") == "2026-11-28 18:01:00 Sat");
}

TEST_CASE("cron: Feb 29 fires only in leap years, skipping 2100") {
  fixed_zone tz{"UTC"};
  REQUIRE(series("0 0 29 2 *", "2026-11-28 00:00", 2) ==
          std::vector<std::string>{"2028-02-29 00:00:00 Tue", "2032-02-29 00:00:00 Sun"});
  REQUIRE(next("0 0 29 2 *", "2096-03-01 00:00") == "2104-02-29 00:00:00 Fri");
  REQUIRE(next("0 0 29 2 *", "2000-01-01 00:00") == "2000-02-29 00:00:00 Tue");
}

TEST_CASE("cron: day-of-month and day-of-week both restricted: either one matches") {
  fixed_zone tz{"UTC"};
  // The 13th, or any Friday.
  REQUIRE(series("0 0 13 * FRI", "2026-11-28 00:00", 5) ==
          std::vector<std::string>{"2026-12-04 00:00:00 Fri", "2026-12-11 00:00:00 Fri",
                                   "2026-12-13 00:00:00 Sun", "2026-12-18 00:00:00 Fri",
                                   "2026-12-25 00:00:00 Fri"});
  // Day-of-week "*": only the day of the month counts, and the other way round.
  REQUIRE(next("0 0 13 * *", "2026-11-28 00:00") == "2026-12-13 00:00:00 Sun");
  REQUIRE(next("0 0 * * FRI", "2026-11-28 00:00") == "2026-12-04 00:00:00 Fri");
  // A field starting with * counts as unrestricted, as in classic cron: 1-31/2 is not.
  REQUIRE(next("0 0 */2 * MON", "2026-11-28 00:00") == "2026-11-30 00:00:00 Mon");
  REQUIRE(next("0 0 1-31/2 * MON", "2026-11-28 00:00") == "2026-11-29 00:00:00 Sun");
}

TEST_CASE("cron: an expression that can never fire is refused when parsed") {
  REQUIRE(error_of("0 0 30 2 *") ==
          "typeflow: cron expression \"0 0 30 2 *\": day-of-month: it never matches: none of the "
          "days 30 exists in the months 2");
  REQUIRE(error_of("0 0 31 apr,jun,sep,nov *") ==
          "typeflow: cron expression \"0 0 31 apr,jun,sep,nov *\": day-of-month: it never "
          "matches: none of the days 31 exists in the months apr,jun,sep,nov");
  // With a day-of-week as well, the Mondays of February still fire.
  fixed_zone tz{"UTC"};
  REQUIRE(next("0 0 30 2 MON", "2026-11-28 00:00") == "2027-02-01 00:00:00 Mon");
}

TEST_CASE("cron: bad expressions are refused with one message naming the field and token") {
  const auto msg = [](std::string_view expr, const std::string& why) {
    return "typeflow: cron expression \"" + std::string(expr) + "\": " + why;
  };
  REQUIRE(error_of("61 * * * *") == msg("61 * * * *", "minute: 61 is out of range 0-59"));
  REQUIRE(error_of("0 24 * * *") == msg("0 24 * * *", "hour: 24 is out of range 0-23"));
  REQUIRE(error_of("0 0 0 * *") == msg("0 0 0 * *", "day-of-month: 0 is out of range 1-31"));
  REQUIRE(error_of("0 0 * 13 *") == msg("0 0 * 13 *", "month: 13 is out of range 1-12"));
  REQUIRE(error_of("0 0 * * 8") == msg("0 0 * * 8", "day-of-week: 8 is out of range 0-7"));
  REQUIRE(error_of("99999999999 * * * *") ==
          msg("99999999999 * * * *", "minute: 99999999999 is out of range 0-59"));
  REQUIRE(error_of("") ==
          msg("",
              "it is empty; expected 5 fields (minute hour day-of-month month day-of-week) "
              "or a macro such as @daily"));
  REQUIRE(error_of("   ") == msg("   ",
                                 "it is empty; expected 5 fields (minute hour day-of-month month "
                                 "day-of-week) or a macro such as @daily"));
  REQUIRE(error_of("* * * *") ==
          msg("* * * *", "4 fields, expected 5 (minute hour day-of-month month day-of-week)"));
  REQUIRE(error_of("* * * * * *") ==
          msg("* * * * * *", "6 fields, expected 5 (minute hour day-of-month month day-of-week)"));
  REQUIRE(error_of("hello") ==
          msg("hello", "1 field, expected 5 (minute hour day-of-month month day-of-week)"));
  REQUIRE(error_of("x * * * *") == msg("x * * * *", "minute: 'x' is not a number"));
  REQUIRE(error_of("1x * * * *") == msg("1x * * * *", "minute: '1x' is not a number"));
  REQUIRE(error_of("0 0 * FOO *") ==
          msg("0 0 * FOO *", "month: 'FOO' is not a number or a name (JAN-DEC)"));
  REQUIRE(error_of("0 0 * * MONDAY") ==
          msg("0 0 * * MONDAY", "day-of-week: 'MONDAY' is not a number or a name (SUN-SAT)"));
  REQUIRE(error_of("0 JAN * * *") == msg("0 JAN * * *", "hour: 'JAN' is not a number"));
  REQUIRE(error_of("30-10 * * * *") ==
          msg("30-10 * * * *", "minute: range 30-10 is reversed (its start is after its end)"));
  REQUIRE(error_of("0 0 * DEC-JAN *") ==
          msg("0 0 * DEC-JAN *", "month: range DEC-JAN is reversed (its start is after its end)"));
  REQUIRE(error_of("*/0 * * * *") ==
          msg("*/0 * * * *", "minute: step 0 in '*/0' (a step is at least 1)"));
  REQUIRE(error_of("*/x * * * *") ==
          msg("*/x * * * *", "minute: step 'x' in '*/x' is not a number"));
  REQUIRE(error_of("*/ * * * *") == msg("*/ * * * *", "minute: step '' in '*/' is not a number"));
  REQUIRE(error_of("5/10 * * * *") ==
          msg("5/10 * * * *",
              "minute: step in '5/10' needs a range or * before the / (e.g. */10 or 5-59/10)"));
  REQUIRE(error_of("1,,2 * * * *") == msg("1,,2 * * * *", "minute: empty item in list '1,,2'"));
  REQUIRE(error_of("1, * * * *") == msg("1, * * * *", "minute: empty item in list '1,'"));
  REQUIRE(error_of("-5 * * * *") == msg("-5 * * * *", "minute: '-5' is missing a number"));
  REQUIRE(error_of("5- * * * *") == msg("5- * * * *", "minute: '5-' is missing a number"));
  REQUIRE(error_of("@often") ==
          msg("@often",
              "unknown macro '@often' (known: @hourly @daily @midnight @weekly @monthly @yearly "
              "@annually)"));
  REQUIRE_THROWS_AS(tyf::cron_expr::parse("61 * * * *"), std::invalid_argument);
}

TEST_CASE("cron: next_after uses local time, and daylight saving changes are handled") {
  SECTION("a fixed offset: 09:00 local in UTC+5:30 is 03:30 UTC") {
    fixed_zone tz{"IST-5:30"};
    REQUIRE(next("0 9 * * *", "2026-11-28 00:00") == "2026-11-28 03:30:00 Sat");
    REQUIRE(next("0 9 * * *", "2026-11-28 03:30") == "2026-11-29 03:30:00 Sun");
  }
  // US Eastern as a POSIX rule (needs no zone database): DST from the second Sunday of March
  // 02:00 to the first Sunday of November 02:00.
  SECTION("a local time skipped when the clocks go forward does not fire that day") {
    fixed_zone tz{"EST5EDT,M3.2.0,M11.1.0"};
    // 2026-03-08 02:30 EST does not exist; the next 02:30 is on 03-09 (EDT, UTC-4).
    REQUIRE(next("30 2 * * *", "2026-03-08 05:00") == "2026-03-09 06:30:00 Mon");
    // Every-15-minutes jumps from 01:45 EST to 03:00 EDT.
    REQUIRE(series("*/15 * * * *", "2026-03-08 06:40", 2) ==
            std::vector<std::string>{"2026-03-08 06:45:00 Sun", "2026-03-08 07:00:00 Sun"});
  }
  SECTION("a local time repeated when the clocks go back fires once") {
    fixed_zone tz{"EST5EDT,M3.2.0,M11.1.0"};
    // 2026-11-01 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    REQUIRE(series("30 1 * * *", "2026-11-01 04:00", 2) ==
            std::vector<std::string>{"2026-11-01 05:30:00 Sun", "2026-11-02 06:30:00 Mon"});
    // Starting inside the repeated hour (01:10 EST), its 01:30 still comes.
    REQUIRE(next("30 1 * * *", "2026-11-01 06:10") == "2026-11-01 06:30:00 Sun");
  }
}
