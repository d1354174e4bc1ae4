#pragma once
// Content hashes for artifacts, cache keys and structure hashes: xxHash's XXH3 in its
// header-only mode (XXH_INLINE_ALL), so that no library needs linking.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#define TYPEFLOW_DEFINED_XXH_INLINE_ALL
#endif
#include <xxhash.h>
#ifdef TYPEFLOW_DEFINED_XXH_INLINE_ALL
#undef XXH_INLINE_ALL
#undef TYPEFLOW_DEFINED_XXH_INLINE_ALL
#endif

namespace typeflow::store_detail {

inline void append_hex(std::string& out, std::uint64_t v, int digits = 16) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += hex[(v >> (4 * i)) & 0xf];
}

/// A 128-bit hash as 32 hex digits.
inline std::string hex128(XXH128_hash_t h) {
  std::string out;
  out.reserve(32);
  append_hex(out, h.high64);
  append_hex(out, h.low64);
  return out;
}

/// XXH3-128 of the bytes, as 32 hex digits.
inline std::string hash128(const void* data, std::size_t n) {
  return hex128(XXH3_128bits(data, n));
}
inline std::string hash128(std::span<const std::byte> bytes) {
  return hash128(bytes.data(), bytes.size());
}
inline std::string hash128(std::string_view text) { return hash128(text.data(), text.size()); }

/// XXH3-128 of the concatenation of the parts (the same as hash128 of the joined bytes).
inline std::string hash128(std::span<const std::span<const std::byte>> parts) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  for (auto part : parts) XXH3_128bits_update(&state, part.data(), part.size());
  return hex128(XXH3_128bits_digest(&state));
}

/// True when `text` is a hash as hash128 writes it: exactly 32 digits of 0-9a-f. Hashes read
/// back from runs.db are checked with this before they name a file.
inline bool is_hash128(std::string_view text) noexcept {
  if (text.size() != 32) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// XXH3-64 of the text, as 16 hex digits.
inline std::string hash64(std::string_view text) {
  std::string out;
  append_hex(out, XXH3_64bits(text.data(), text.size()));
  return out;
}

}  // namespace typeflow::store_detail
