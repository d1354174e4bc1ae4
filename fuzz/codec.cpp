// Fuzz target: decoding stored artifacts (what the run store does with a file of
// <store>/artifacts: typeflow::decode<T>, the header then the payload) for strings, numbers,
// containers, nesting, optionals, tuples, enums and a Boost.Hana struct. The first byte picks
// the type. Bad bytes must be a codec_error; a value that decodes must encode to bytes that
// decode again to a value that encodes the same (the encoding is a fixed point).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include <typeflow/core/codec.hpp>

#include "fuzz_input.hpp"

namespace {

enum class Color : std::uint8_t { red, green, blue };

struct Sample {
  BOOST_HANA_DEFINE_STRUCT(Sample, (std::string, name), (std::vector<float>, x),
                           (std::optional<std::int64_t>, label),
                           (std::map<std::string, double>, scores));
};

template <class T>
void check(std::span<const std::byte> bytes) {
  T value;
  try {
    value = typeflow::decode<T>(bytes);
  } catch (const typeflow::codec_error&) {
    return;
  }
  const auto once = typeflow::encode(value);
  const auto twice = typeflow::encode(typeflow::decode<T>(once));
  if (once != twice) std::abort();
}

template <class T>
void check_payload(std::span<const std::byte> payload) {
  // The same payload behind a well-formed header, so that the fuzzer need not find the
  // type's name hash to reach the payload's decoding.
  std::vector<std::byte> bytes;
  typeflow::codec_writer w{bytes};
  const auto length_at = typeflow::detail::begin_artifact(w, typeflow::detail::version_of<T>(),
                                                          typeflow::detail::type_hash_of<T>());
  const auto start = w.written();
  w.raw(payload.data(), payload.size());
  typeflow::detail::end_artifact(w, length_at, start);
  check<T>(bytes);
}

template <class T>
void run(bool whole, std::span<const std::byte> bytes) {
  if (whole) {
    check<T>(bytes);
  } else {
    check_payload<T>(bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto kind = data[0];
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  const bool whole = (kind & 0x80) != 0;  // else: the bytes are the payload after a header
  switch (kind % 12) {
    case 0: run<std::string>(whole, bytes); break;
    case 1: run<std::vector<std::int32_t>>(whole, bytes); break;
    case 2: run<std::vector<double>>(whole, bytes); break;
    case 3: run<std::vector<std::string>>(whole, bytes); break;
    case 4: run<std::map<std::string, std::vector<double>>>(whole, bytes); break;
    case 5: run<std::optional<std::string>>(whole, bytes); break;
    case 6: run<std::tuple<std::int64_t, std::string, bool>>(whole, bytes); break;
    case 7: run<std::set<std::int32_t>>(whole, bytes); break;
    case 8: run<std::unordered_map<std::string, std::int32_t>>(whole, bytes); break;
    case 9: run<std::vector<std::vector<std::uint8_t>>>(whole, bytes); break;
    case 10: run<std::pair<Color, std::array<float, 3>>>(whole, bytes); break;
    default: run<std::vector<Sample>>(whole, bytes); break;
  }
  return 0;
}
