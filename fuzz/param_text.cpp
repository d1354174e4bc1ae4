// Fuzz target: the text form of every parameter type (--param, TYPEFLOW_PARAM_*, run_options
// overrides): bool, each integer width, the floating-point types, strings, an enum, vectors
// (comma lists and JSON arrays) and nlohmann::json. The first byte picks the type; the rest
// is the text. A value that parses must format to text that parses to the same value.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/core.hpp>

#include "fuzz_input.hpp"

namespace {

enum class Optimizer { adam, sgd, rms_prop = 5 };

template <class T>
void check(const std::string& text) {
  using codec = typeflow::detail::param_codec<T>;
  T value{};
  std::string expected;
  if (!codec::parse(text, value, expected)) {
    if (expected.empty()) std::abort();  // a refusal must say what was expected
    return;
  }
  // Formatting and parsing again gives the same value (NaN-free: floats are compared as text).
  const std::string again = codec::format(value);
  T reparsed{};
  std::string ignored;
  if (!codec::parse(again, reparsed, ignored)) std::abort();
  if (codec::format(reparsed) != again) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  typeflow::fuzz::input in(data, size);
  const auto kind = in.byte();
  const std::string text = in.rest();
  switch (kind % 20) {
    case 0: check<bool>(text); break;
    case 1: check<std::int8_t>(text); break;
    case 2: check<std::uint8_t>(text); break;
    case 3: check<std::int16_t>(text); break;
    case 4: check<std::uint16_t>(text); break;
    case 5: check<std::int32_t>(text); break;
    case 6: check<std::uint32_t>(text); break;
    case 7: check<std::int64_t>(text); break;
    case 8: check<std::uint64_t>(text); break;
    case 9: check<float>(text); break;
    case 10: check<double>(text); break;
    case 11: check<long double>(text); break;
    case 12: check<std::string>(text); break;
    case 13: check<Optimizer>(text); break;
    case 14: check<std::vector<int>>(text); break;
    case 15: check<std::vector<double>>(text); break;
    case 16: check<std::vector<std::string>>(text); break;
    case 17: check<std::vector<Optimizer>>(text); break;
    case 18: check<std::vector<bool>>(text); break;
    default: check<nlohmann::json>(text); break;
  }
  return 0;
}
