#pragma once
// Codecs: how a value becomes bytes and back, for the run store's artifacts and cache keys.
// Binary, little-endian, length-prefixed. Decoding checks every length, flag and version, so a
// truncated or corrupted artifact is a codec_error naming the type, never undefined behaviour.

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <boost/hana/accessors.hpp>
#include <boost/hana/adapt_struct.hpp>  // for users: BOOST_HANA_ADAPT_STRUCT gives a struct a codec
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/define_struct.hpp>  // and BOOST_HANA_DEFINE_STRUCT
#include <boost/hana/first.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/unpack.hpp>

#include <typeflow/detail/box.hpp>
#include <typeflow/detail/type_name.hpp>

namespace typeflow {

/// Bytes that do not decode as the type asked for: truncated, corrupted, written by another
/// codec version, or of another type. The message names the C++ type.
class codec_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A codec: how values of T are written and read. Specialise it for your own types:
///
///     template <> struct typeflow::codec<Model> {
///       static constexpr std::uint32_t version = 1;  // bump when the encoding changes
///       static void encode(typeflow::codec_writer& w, const Model& m) {
///         w.value(m.weights);
///         w.value(m.bias);
///       }
///       static Model decode(typeflow::codec_reader& r) {
///         Model m;
///         m.weights = r.value<std::vector<double>>();
///         m.bias = r.value<double>();
///         return m;
///       }
///     };
///
/// Built in: arithmetic types, enums, std::string, std::vector, std::array, std::map,
/// std::unordered_map, std::set, std::unordered_set, std::optional, std::pair, std::tuple,
/// std::variant, and structs adapted with BOOST_HANA_DEFINE_STRUCT / BOOST_HANA_ADAPT_STRUCT
/// (recursively, when every member has a codec). The primary template is empty: no codec.
template <class T>
struct codec {};

class codec_writer;
class codec_reader;

/// True when typeflow can encode and decode T (a built-in codec or a user specialisation).
template <class T>
concept codec_for = requires(codec_writer& w, codec_reader& r, const T& v) {
  codec<T>::encode(w, v);
  { codec<T>::decode(r) } -> std::same_as<T>;
  { codec<T>::version } -> std::convertible_to<std::uint32_t>;
};

namespace detail {
/// Bytes an encoding refers to instead of copying them: `size` bytes at `data` belong at
/// position `at` of the buffer (before the buffer's byte `at`, after earlier spans at `at`).
struct codec_span {
  std::size_t at = 0;
  const std::byte* data = nullptr;
  std::size_t size = 0;
};
/// Contiguous runs at least this long are referred to, not copied, by a gathering writer.
inline constexpr std::size_t codec_span_threshold = std::size_t{64} << 10;
}  // namespace detail

/// Appends an encoding to a byte buffer. A gathering writer (the run store's, for a step's
/// output) does not copy long runs of the value's own memory (strings, vectors and arrays of
/// numbers: `stable`); it records where they belong, and the store hashes and writes them in
/// place while the value is alive.
class codec_writer {
 public:
  explicit codec_writer(std::vector<std::byte>& out) noexcept : out_(&out) {}
  codec_writer(std::vector<std::byte>& out, std::vector<detail::codec_span>& spans) noexcept
      : out_(&out), spans_(&spans) {}

  /// Raw bytes, as they are.
  void raw(const void* data, std::size_t n) {
    if (n == 0) return;
    const auto* bytes = static_cast<const std::byte*>(data);
    out_->insert(out_->end(), bytes, bytes + n);  // one copy: no zero-filling first
  }
  /// Raw bytes of the value being encoded (not of a temporary): they stay where they are
  /// until the encoding has been used, so a gathering writer may refer to them.
  void stable(const void* data, std::size_t n) {
    if (spans_ == nullptr || n < detail::codec_span_threshold) return raw(data, n);
    spans_->push_back({out_->size(), static_cast<const std::byte*>(data), n});
    referred_ += n;
  }
  /// An unsigned integer, little-endian, in sizeof(U) bytes.
  template <std::unsigned_integral U>
  void uint(U v) {
    std::array<std::byte, sizeof(U)> b{};
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      b[i] = static_cast<std::byte>(static_cast<unsigned char>(v >> (8 * i)));
    }
    raw(b.data(), b.size());
  }
  /// A length or count (8 bytes).
  void size(std::size_t n) { uint<std::uint64_t>(n); }
  /// Any value with a codec.
  template <class U>
  void value(const U& v) {
    static_assert(codec_for<U>,
                  "typeflow: codec_writer::value<U>: U has no codec; specialise "
                  "typeflow::codec<U> or adapt it with BOOST_HANA_ADAPT_STRUCT");
    codec<U>::encode(*this, v);
  }

  /// The length of the encoding so far, referred bytes included.
  [[nodiscard]] std::size_t written() const noexcept { return out_->size() + referred_; }
  /// The copied bytes. With a gathering writer, positions in it are positions in the encoding
  /// only up to the first referred span; use written() for lengths.
  [[nodiscard]] std::vector<std::byte>& buffer() noexcept { return *out_; }

 private:
  std::vector<std::byte>* out_;
  std::vector<detail::codec_span>* spans_ = nullptr;
  std::size_t referred_ = 0;
};

/// Reads an encoding, checking every length against the bytes left.
class codec_reader {
 public:
  /// `type` is the type being decoded as a whole; errors name it.
  codec_reader(std::span<const std::byte> in, const std::type_info& type) noexcept
      : in_(in), type_(&type) {}

  void raw(void* data, std::size_t n) {
    need(n);
    if (n != 0) std::memcpy(data, in_.data() + at_, n);
    at_ += n;
  }
  /// The next `n` bytes, without copying.
  [[nodiscard]] std::span<const std::byte> take(std::size_t n) {
    need(n);
    auto s = in_.subspan(at_, n);
    at_ += n;
    return s;
  }
  template <std::unsigned_integral U>
  [[nodiscard]] U uint() {
    need(sizeof(U));
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) {
      v = static_cast<U>(v | static_cast<U>(static_cast<U>(in_[at_ + i]) << (8 * i)));
    }
    at_ += sizeof(U);
    return v;
  }
  /// A length or count of elements that take at least `min_element_size` bytes each; a count
  /// the remaining bytes cannot hold is corruption, caught before anything is allocated.
  [[nodiscard]] std::size_t size(std::size_t min_element_size = 1) {
    auto n = uint<std::uint64_t>();
    if (min_element_size == 0 ? n > (std::uint64_t{1} << 24) : n > remaining() / min_element_size) {
      fail("a length of " + std::to_string(n) + " does not fit the " + std::to_string(remaining()) +
           " bytes left");
    }
    return static_cast<std::size_t>(n);
  }
  /// Any value with a codec.
  template <class U>
  [[nodiscard]] U value() {
    static_assert(codec_for<U>,
                  "typeflow: codec_reader::value<U>: U has no codec; specialise "
                  "typeflow::codec<U> or adapt it with BOOST_HANA_ADAPT_STRUCT");
    return codec<U>::decode(*this);
  }

  [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - at_; }
  [[nodiscard]] std::size_t offset() const noexcept { return at_; }

  /// Throws codec_error: "typeflow: cannot decode <type>: <what> (at byte N of M)".
  [[noreturn]] void fail(const std::string& what) const {
    throw codec_error("typeflow: cannot decode " + detail::demangle(*type_) + ": " + what +
                      " (at byte " + std::to_string(at_) + " of " + std::to_string(in_.size()) +
                      ")");
  }

 private:
  void need(std::size_t n) const {
    if (n > remaining()) {
      fail("truncated: " + std::to_string(n) + " bytes needed, " + std::to_string(remaining()) +
           " left");
    }
  }

  std::span<const std::byte> in_;
  std::size_t at_ = 0;
  const std::type_info* type_;
};

namespace detail {

/// Mixes codec versions of parts into the version of a whole, so that a change of any part's
/// encoding changes the whole's version (and so every cache key that depends on it).
constexpr std::uint32_t mix_version(std::uint32_t seed, std::uint32_t v) noexcept {
  std::uint64_t h =
      (static_cast<std::uint64_t>(seed) ^ 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
  h ^= v + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

constexpr std::uint32_t mix_text(std::uint32_t seed, std::string_view s) noexcept {
  std::uint32_t h = 2166136261u ^ seed;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

template <class T>
constexpr std::uint32_t version_of() noexcept {
  return static_cast<std::uint32_t>(codec<T>::version);
}

template <class T>
using uint_of_size = std::conditional_t<
    sizeof(T) == 1, std::uint8_t,
    std::conditional_t<sizeof(T) == 2, std::uint16_t,
                       std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;

/// Arithmetic types whose bytes are exactly their value, so arrays of them copy in bulk.
template <class T>
inline constexpr bool plain_bytes =
    std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, long double> &&
    std::endian::native == std::endian::little;

/// Element counts of containers of these can be checked against bytes left (1 byte at least).
template <class T>
inline constexpr std::size_t min_size = std::is_empty_v<T> ? 0 : 1;

template <class T>
constexpr bool hana_members_have_codecs() {
  if constexpr (!std::is_default_constructible_v<T>) {
    return false;
  } else {
    return boost::hana::unpack(boost::hana::accessors<T>(), [](auto... members) {
      return (
          codec_for<
              std::remove_cvref_t<decltype(boost::hana::second(members)(std::declval<T&>()))>> &&
          ...);
    });
  }
}

template <class T>
concept hana_struct = boost::hana::Struct<T>::value;

}  // namespace detail

// ------------------------------------------------------------------------- built-in codecs

template <class T>
requires std::is_arithmetic_v<T>
struct codec<T> {
  static constexpr std::uint32_t version = 1;
  static void encode(codec_writer& w, const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      w.uint<std::uint8_t>(v ? 1 : 0);
    } else if constexpr (std::is_same_v<T, long double>) {
      // x87 extended precision keeps 10 meaningful bytes; the rest is padding, not value.
      constexpr std::size_t n =
          std::numeric_limits<long double>::digits == 64 ? 10 : sizeof(long double);
      std::array<std::byte, sizeof(long double)> b{};
      std::memcpy(b.data(), &v, sizeof v);
      w.raw(b.data(), n);
    } else {
      w.uint(std::bit_cast<detail::uint_of_size<T>>(v));
    }
  }
  static T decode(codec_reader& r) {
    if constexpr (std::is_same_v<T, bool>) {
      auto b = r.uint<std::uint8_t>();
      if (b > 1) r.fail("a bool byte is " + std::to_string(b) + ", not 0 or 1");
      return b == 1;
    } else if constexpr (std::is_same_v<T, long double>) {
      constexpr std::size_t n =
          std::numeric_limits<long double>::digits == 64 ? 10 : sizeof(long double);
      std::array<std::byte, sizeof(long double)> b{};
      r.raw(b.data(), n);
      long double v;
      std::memcpy(&v, b.data(), sizeof v);
      return v;
    } else {
      return std::bit_cast<T>(r.uint<detail::uint_of_size<T>>());
    }
  }
};

template <class T>
requires std::is_enum_v<T>
struct codec<T> {
  using underlying = std::underlying_type_t<T>;
  static constexpr std::uint32_t version = 1;
  static void encode(codec_writer& w, const T& v) {
    codec<underlying>::encode(w, static_cast<underlying>(v));
  }
  static T decode(codec_reader& r) { return static_cast<T>(codec<underlying>::decode(r)); }
};

template <class C, class Traits, class A>
requires std::is_arithmetic_v<C>
struct codec<std::basic_string<C, Traits, A>> {
  using type = std::basic_string<C, Traits, A>;
  static constexpr std::uint32_t version = 1;
  static void encode(codec_writer& w, const type& s) {
    w.size(s.size());
    if constexpr (detail::plain_bytes<C>) {
      w.stable(s.data(), s.size() * sizeof(C));
    } else {
      for (C c : s) codec<C>::encode(w, c);
    }
  }
  static type decode(codec_reader& r) {
    auto n = r.size(sizeof(C));
    type s(n, C{});
    if constexpr (detail::plain_bytes<C>) {
      r.raw(s.data(), n * sizeof(C));
    } else {
      for (auto& c : s) c = codec<C>::decode(r);
    }
    return s;
  }
};

template <class T, class A>
requires codec_for<T>
struct codec<std::vector<T, A>> {
  static constexpr std::uint32_t version = detail::version_of<T>();
  static void encode(codec_writer& w, const std::vector<T, A>& v) {
    w.size(v.size());
    if constexpr (detail::plain_bytes<T>) {
      w.stable(v.data(), v.size() * sizeof(T));
    } else {
      for (const auto& e : v) codec<T>::encode(w, e);
    }
  }
  static std::vector<T, A> decode(codec_reader& r) {
    std::vector<T, A> v;
    if constexpr (detail::plain_bytes<T>) {
      auto n = r.size(sizeof(T));
      v.resize(n);
      r.raw(v.data(), n * sizeof(T));
    } else {
      auto n = r.size(detail::min_size<T>);
      v.reserve(n);
      for (std::size_t i = 0; i < n; ++i) v.push_back(codec<T>::decode(r));
    }
    return v;
  }
};

template <class T, std::size_t N>
requires codec_for<T> && std::is_default_constructible_v<T>
struct codec<std::array<T, N>> {
  static constexpr std::uint32_t version = detail::version_of<T>();
  static void encode(codec_writer& w, const std::array<T, N>& a) {
    w.size(N);
    if constexpr (detail::plain_bytes<T>) {
      w.stable(a.data(), N * sizeof(T));
    } else {
      for (const auto& e : a) codec<T>::encode(w, e);
    }
  }
  static std::array<T, N> decode(codec_reader& r) {
    if (auto n = r.uint<std::uint64_t>(); n != N) {
      r.fail("an array of " + std::to_string(n) + " elements, expected " + std::to_string(N));
    }
    std::array<T, N> a{};
    if constexpr (detail::plain_bytes<T>) {
      r.raw(a.data(), N * sizeof(T));
    } else {
      for (auto& e : a) e = codec<T>::decode(r);
    }
    return a;
  }
};

template <class T>
requires codec_for<T>
struct codec<std::optional<T>> {
  static constexpr std::uint32_t version = detail::version_of<T>();
  static void encode(codec_writer& w, const std::optional<T>& v) {
    w.uint<std::uint8_t>(v ? 1 : 0);
    if (v) codec<T>::encode(w, *v);
  }
  static std::optional<T> decode(codec_reader& r) {
    auto flag = r.uint<std::uint8_t>();
    if (flag > 1) r.fail("an optional's flag is " + std::to_string(flag) + ", not 0 or 1");
    if (flag == 0) return std::nullopt;
    return std::optional<T>{codec<T>::decode(r)};
  }
};

template <class A, class B>
requires codec_for<A> && codec_for<B>
struct codec<std::pair<A, B>> {
  static constexpr std::uint32_t version =
      detail::mix_version(detail::version_of<A>(), detail::version_of<B>());
  static void encode(codec_writer& w, const std::pair<A, B>& v) {
    codec<A>::encode(w, v.first);
    codec<B>::encode(w, v.second);
  }
  static std::pair<A, B> decode(codec_reader& r) {
    // Braced initialisation evaluates left to right.
    return std::pair<A, B>{codec<A>::decode(r), codec<B>::decode(r)};
  }
};

template <class... Ts>
requires(codec_for<Ts>&&...) struct codec<std::tuple<Ts...>> {
  static constexpr std::uint32_t version = [] {
    std::uint32_t v = 1;
    ((v = detail::mix_version(v, detail::version_of<Ts>())), ...);
    return v;
  }();
  static void encode(codec_writer& w, const std::tuple<Ts...>& t) {
    std::apply([&](const Ts&... e) { (codec<Ts>::encode(w, e), ...); }, t);
  }
  static std::tuple<Ts...> decode(codec_reader& r) {
    (void)r;
    return std::tuple<Ts...>{codec<Ts>::decode(r)...};
  }
};

template <class... Ts>
requires(sizeof...(Ts) > 0 && (codec_for<Ts> && ...)) struct codec<std::variant<Ts...>> {
  static constexpr std::uint32_t version = [] {
    std::uint32_t v = 2;
    ((v = detail::mix_version(v, detail::version_of<Ts>())), ...);
    return v;
  }();
  static void encode(codec_writer& w, const std::variant<Ts...>& v) {
    if (v.valueless_by_exception())
      throw codec_error("typeflow: cannot encode a valueless variant");
    w.uint(static_cast<std::uint32_t>(v.index()));
    std::visit([&](const auto& e) { codec<std::remove_cvref_t<decltype(e)>>::encode(w, e); }, v);
  }
  static std::variant<Ts...> decode(codec_reader& r) {
    auto index = r.uint<std::uint32_t>();
    if (index >= sizeof...(Ts)) {
      r.fail("a variant index of " + std::to_string(index) + ", but it has " +
             std::to_string(sizeof...(Ts)) + " alternatives");
    }
    return pick<0>(index, r);
  }

 private:
  template <std::size_t I>
  static std::variant<Ts...> pick(std::uint32_t index, codec_reader& r) {
    using E = std::variant_alternative_t<I, std::variant<Ts...>>;
    if (index == I) return std::variant<Ts...>{std::in_place_index<I>, codec<E>::decode(r)};
    if constexpr (I + 1 < sizeof...(Ts)) {
      return pick<I + 1>(index, r);
    } else {
      r.fail("a bad variant index");
    }
  }
};

namespace detail {

/// Maps and sets: a count, then the entries. Unordered ones are written in the order of their
/// encoded bytes, so that equal contents always encode to equal bytes (and equal hashes).
template <class C, class K, class V, bool ordered>
struct associative_codec {
  static constexpr bool is_map = !std::is_void_v<V>;
  static constexpr std::uint32_t version = [] {
    if constexpr (is_map) {
      return mix_version(version_of<K>(), version_of<V>());
    } else {
      return version_of<K>();
    }
  }();
  static void encode_entry(codec_writer& w, const typename C::value_type& e) {
    if constexpr (is_map) {
      codec<K>::encode(w, e.first);
      codec<V>::encode(w, e.second);
    } else {
      codec<K>::encode(w, e);
    }
  }
  static void encode(codec_writer& w, const C& c) {
    w.size(c.size());
    if constexpr (ordered) {
      for (const auto& e : c) encode_entry(w, e);
    } else {
      std::vector<std::vector<std::byte>> entries;
      entries.reserve(c.size());
      for (const auto& e : c) {
        entries.emplace_back();
        codec_writer one{entries.back()};
        encode_entry(one, e);
      }
      std::sort(entries.begin(), entries.end());
      for (const auto& e : entries) w.raw(e.data(), e.size());
    }
  }
  static C decode(codec_reader& r) {
    auto n = r.size(min_size<K>);
    C c;
    for (std::size_t i = 0; i < n; ++i) {
      bool inserted;
      if constexpr (is_map) {
        K k = codec<K>::decode(r);
        V v = codec<V>::decode(r);
        inserted = c.emplace(std::move(k), std::move(v)).second;
      } else {
        inserted = c.insert(codec<K>::decode(r)).second;
      }
      if (!inserted) r.fail("a duplicate key");
    }
    return c;
  }
};

}  // namespace detail

template <class K, class V, class Cmp, class A>
requires codec_for<K> && codec_for<V>
struct codec<std::map<K, V, Cmp, A>>
    : detail::associative_codec<std::map<K, V, Cmp, A>, K, V, true> {
};

template <class K, class V, class H, class E, class A>
requires codec_for<K> && codec_for<V>
struct codec<std::unordered_map<K, V, H, E, A>>
    : detail::associative_codec<std::unordered_map<K, V, H, E, A>, K, V, false> {
};

template <class K, class Cmp, class A>
requires codec_for<K>
struct codec<std::set<K, Cmp, A>> : detail::associative_codec<std::set<K, Cmp, A>, K, void, true> {
};

template <class K, class H, class E, class A>
requires codec_for<K>
struct codec<std::unordered_set<K, H, E, A>>
    : detail::associative_codec<std::unordered_set<K, H, E, A>, K, void, false> {
};

/// Structs adapted with BOOST_HANA_DEFINE_STRUCT or BOOST_HANA_ADAPT_STRUCT: their members in
/// declaration order. The version covers the member names and the members' codec versions, so
/// adding, removing or renaming a member invalidates what was stored with the old layout.
template <class T>
requires detail::hana_struct<T> &&(!std::is_arithmetic_v<T>)&&(!std::is_enum_v<T>)&&(
    detail::hana_members_have_codecs<T>()) struct codec<T> {
  static constexpr std::uint32_t version = [] {
    return boost::hana::unpack(boost::hana::accessors<T>(), [](auto... members) {
      std::uint32_t v = 3;
      ((v = detail::mix_version(
            detail::mix_text(v, boost::hana::to<const char*>(boost::hana::first(members))),
            detail::version_of<std::remove_cvref_t<decltype(boost::hana::second(members)(
                std::declval<T&>()))>>())),
       ...);
      return v;
    });
  }();
  static void encode(codec_writer& w, const T& v) {
    boost::hana::unpack(boost::hana::accessors<T>(),
                        [&](auto... members) { (w.value(boost::hana::second(members)(v)), ...); });
  }
  static T decode(codec_reader& r) {
    T v{};
    boost::hana::unpack(boost::hana::accessors<T>(), [&](auto... members) {
      ((boost::hana::second(members)(v) =
            r.value<std::remove_cvref_t<decltype(boost::hana::second(members)(v))>>()),
       ...);
    });
    return v;
  }
};

// ------------------------------------------------------------------------- whole artifacts

namespace detail {

/// An encoded artifact opens with this header: magic, format, codec version, a hash of the
/// type's name, then the payload's length. Decoding checks each of them.
inline constexpr std::array<unsigned char, 4> codec_magic{'T', 'Y', 'F', 'C'};
inline constexpr std::uint8_t codec_format = 1;
inline constexpr std::size_t codec_header_size = 4 + 1 + 4 + 8 + 8;

inline std::uint64_t type_name_hash(const std::string& name) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

template <class T>
const std::string& type_name_of() {
  static const std::string name = demangle(typeid(T));
  return name;
}

template <class T>
std::uint64_t type_hash_of() {
  static const std::uint64_t h = type_name_hash(type_name_of<T>());
  return h;
}

}  // namespace detail

namespace detail {
// The header's writing and checking are not templates, so that each type's codec compiles
// only its own payload code (compile time is per step: every stored step output has a codec).

/// Writes the header with a zero length; returns where the length goes.
inline std::size_t begin_artifact(codec_writer& w, std::uint32_t version, std::uint64_t type_hash) {
  w.raw(codec_magic.data(), codec_magic.size());
  w.uint(codec_format);
  w.uint(version);
  w.uint(type_hash);
  const auto length_at = w.buffer().size();  // before any referred span: a position in the encoding
  w.uint<std::uint64_t>(0);
  return length_at;
}

/// Fills in the payload's length, now that `w` has written everything after `start`.
inline void end_artifact(codec_writer& w, std::size_t length_at, std::size_t start) {
  const auto length = static_cast<std::uint64_t>(w.written() - start);
  auto& out = w.buffer();
  for (std::size_t i = 0; i < 8; ++i) {
    out[length_at + i] = static_cast<std::byte>(static_cast<unsigned char>(length >> (8 * i)));
  }
}

/// Reads and checks the header of an artifact of `size` bytes; throws codec_error (through
/// r.fail) when any part of it is wrong.
inline void read_artifact_header(codec_reader& r, std::size_t size, std::uint32_t version,
                                 std::uint64_t type_hash) {
  if (size < codec_header_size) {
    r.fail("truncated: " + std::to_string(size) + " bytes, shorter than the " +
           std::to_string(codec_header_size) + "-byte header");
  }
  std::array<unsigned char, 4> magic{};
  r.raw(magic.data(), magic.size());
  if (magic != codec_magic) r.fail("not a typeflow artifact (bad magic bytes)");
  if (auto format = r.uint<std::uint8_t>(); format != codec_format) {
    r.fail("unknown artifact format " + std::to_string(format));
  }
  if (auto v = r.uint<std::uint32_t>(); v != version) {
    r.fail("written by codec version " + std::to_string(v) +
           ", but this program's codec is version " + std::to_string(version));
  }
  if (r.uint<std::uint64_t>() != type_hash) r.fail("the bytes hold a value of another type");
  auto length = r.uint<std::uint64_t>();
  if (length != r.remaining()) {
    r.fail("the header says " + std::to_string(length) + " payload bytes, but " +
           std::to_string(r.remaining()) + " follow");
  }
}

/// After the payload: nothing may be left.
inline void check_artifact_end(codec_reader& r) {
  if (r.remaining() != 0) r.fail(std::to_string(r.remaining()) + " bytes left over");
}

template <codec_for T>
void encode_with(const T& value, codec_writer& w) {
  const auto length_at = begin_artifact(w, version_of<T>(), type_hash_of<T>());
  const auto start = w.written();
  codec<T>::encode(w, value);
  end_artifact(w, length_at, start);
}
}  // namespace detail

/// Encodes `value` with its header, appending to `out`.
template <codec_for T>
void encode_to(const T& value, std::vector<std::byte>& out) {
  codec_writer w{out};
  detail::encode_with(value, w);
}

/// Encodes `value` with its header into `out`, except long runs of the value's own memory,
/// which `spans` refer to (valid while `value` is alive and unchanged). `out` starts empty.
template <codec_for T>
void encode_gathered(const T& value, std::vector<std::byte>& out,
                     std::vector<detail::codec_span>& spans) {
  codec_writer w{out, spans};
  detail::encode_with(value, w);
}

/// The encoding of `value`, with its header.
template <codec_for T>
[[nodiscard]] std::vector<std::byte> encode(const T& value) {
  std::vector<std::byte> out;
  encode_to(value, out);
  return out;
}

/// Decodes bytes made by encode<T>; throws codec_error naming T when they are truncated,
/// corrupted, of another type or of another codec version.
template <codec_for T>
[[nodiscard]] T decode(std::span<const std::byte> bytes) {
  codec_reader r{bytes, typeid(T)};
  detail::read_artifact_header(r, bytes.size(), detail::version_of<T>(), detail::type_hash_of<T>());
  T value = codec<T>::decode(r);
  detail::check_artifact_end(r);
  return value;
}

namespace detail {

/// A node's codec, type-erased: what the definition records at p.step time so that the run
/// store can persist and restore outputs without knowing their types.
struct codec_ops {
  void (*encode)(const void* value, std::vector<std::byte>& out) = nullptr;
  /// encode_gathered: long runs of the value's memory referred to by `spans`, not copied.
  void (*encode_gathered)(const void* value, std::vector<std::byte>& out,
                          std::vector<codec_span>& spans) = nullptr;
  /// Decodes into `out`; throws codec_error.
  void (*decode)(std::span<const std::byte> in, box& out) = nullptr;
  const std::string& (*type_name)() = nullptr;
  std::uint32_t (*version)() = nullptr;
};

template <codec_for T>
inline constexpr codec_ops codec_ops_of{
    [](const void* value, std::vector<std::byte>& out) {
      encode_to(*static_cast<const T*>(value), out);
    },
    [](const void* value, std::vector<std::byte>& out, std::vector<codec_span>& spans) {
      typeflow::encode_gathered(*static_cast<const T*>(value), out, spans);
    },
    [](std::span<const std::byte> in, box& out) {
      out.emplace_from<T>([&] { return typeflow::decode<T>(in); });
    },
    &type_name_of<T>,
    [] { return version_of<T>(); },
};

/// The codec of T, or null when T has none.
template <class T>
constexpr const codec_ops* codec_ops_for() noexcept {
  if constexpr (codec_for<T>) {
    return &codec_ops_of<T>;
  } else {
    return nullptr;
  }
}

}  // namespace detail
}  // namespace typeflow
