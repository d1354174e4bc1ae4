#include <typeflow/core/name.hpp>

#include <catch2/catch.hpp>

namespace tyf = typeflow;

TEST_CASE("names follow one rule: 1-64 characters, a letter first, then letters, digits, _ or -") {
  STATIC_REQUIRE(tyf::is_valid_name("train"));
  STATIC_REQUIRE(tyf::is_valid_name("a"));
  STATIC_REQUIRE(tyf::is_valid_name("Split_2-b"));
  STATIC_REQUIRE_FALSE(tyf::is_valid_name(""));
  STATIC_REQUIRE_FALSE(tyf::is_valid_name("2split"));
  STATIC_REQUIRE_FALSE(tyf::is_valid_name("_x"));
  STATIC_REQUIRE_FALSE(tyf::is_valid_name("has space"));
  STATIC_REQUIRE_FALSE(tyf::is_valid_name("dot.ted"));
  REQUIRE(tyf::is_valid_name(std::string(64, 'a')));
  REQUIRE_FALSE(tyf::is_valid_name(std::string(65, 'a')));
}

TEST_CASE("check_name says what is wrong with a name and names it") {
  REQUIRE_NOTHROW(tyf::check_name("step", "ok"));
  REQUIRE_THROWS_WITH(tyf::check_name("step", "9lives"),
                      Catch::Contains("invalid step name '9lives'") &&
                          Catch::Contains("does not start with a letter"));
  REQUIRE_THROWS_WITH(
      tyf::check_name("parameter", "a b"),
      Catch::Contains("invalid parameter name 'a b'") && Catch::Contains("contains ' '"));
  REQUIRE_THROWS_WITH(tyf::check_name("step", ""), Catch::Contains("it is empty"));
  REQUIRE_THROWS_WITH(tyf::check_name("step", std::string(65, 'x')),
                      Catch::Contains("65 characters, more than 64"));
  REQUIRE_THROWS_AS(tyf::check_name("step", "-"), tyf::definition_error);
}
