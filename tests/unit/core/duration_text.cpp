// typeflow::format_duration: the one duration format of the command line, the HTML report,
// the notifier and the executor's messages.
#include <typeflow/core/duration_text.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace tyf = typeflow;
using namespace std::chrono_literals;

TEST_CASE("format_duration: nanoseconds below a microsecond, as integers") {
  CHECK(tyf::format_duration(0ns) == "0ns");
  CHECK(tyf::format_duration(850ns) == "850ns");
  CHECK(tyf::format_duration(999ns) == "999ns");
}

TEST_CASE("format_duration: three significant digits below a minute, trailing zeros dropped") {
  CHECK(tyf::format_duration(1000ns) == "1us");
  CHECK(tyf::format_duration(1234ns) == "1.23us");
  CHECK(tyf::format_duration(37us) == "37us");
  CHECK(tyf::format_duration(12345us) == "12.3ms");
  CHECK(tyf::format_duration(50ms) == "50ms");
  CHECK(tyf::format_duration(300ms) == "300ms");
  CHECK(tyf::format_duration(1200ms) == "1.2s");
  CHECK(tyf::format_duration(1520ms) == "1.52s");
  CHECK(tyf::format_duration(2s) == "2s");
  CHECK(tyf::format_duration(3000ms) == "3s");
  CHECK(tyf::format_duration(59900ms) == "59.9s");
}

TEST_CASE("format_duration: rounding to the nearest, carrying into the next unit") {
  CHECK(tyf::format_duration(1235ns) == "1.24us");
  CHECK(tyf::format_duration(999999ns) == "1ms");
  CHECK(tyf::format_duration(999'600us) == "1s");
  CHECK(tyf::format_duration(1'004ms) == "1s");
  CHECK(tyf::format_duration(59'960ms) == "1m00s");
  CHECK(tyf::format_duration(3'599'600ms) == "1h00m");
}

TEST_CASE("format_duration: minutes and seconds below an hour, then hours and minutes") {
  CHECK(tyf::format_duration(60s) == "1m00s");
  CHECK(tyf::format_duration(125s) == "2m05s");
  CHECK(tyf::format_duration(59min + 59s) == "59m59s");
  CHECK(tyf::format_duration(62min) == "1h02m");
  CHECK(tyf::format_duration(26h) == "26h00m");
}

TEST_CASE("format_duration: a negative duration keeps its sign") {
  CHECK(tyf::format_duration(-1500ms) == "-1.5s");
  CHECK(tyf::format_duration(-5ns) == "-5ns");
  CHECK(tyf::format_duration(std::chrono::nanoseconds::min()).rfind("-", 0) == 0);
  CHECK(tyf::format_duration(std::chrono::nanoseconds::max()).find("h") != std::string::npos);
}
