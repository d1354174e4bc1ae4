// Codecs: every built-in codec round-trips, Hana structs encode recursively, user codecs plug
// in, and truncated or corrupted bytes are a codec_error naming the type, never UB.
#include <typeflow/core/codec.hpp>
#include <typeflow/core/pipeline.hpp>

#include <boost/hana/adapt_struct.hpp>
#include <boost/hana/define_struct.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tyf = typeflow;

namespace codec_test {
struct Dataset {
  BOOST_HANA_DEFINE_STRUCT(Dataset, (std::vector<double>, x), (std::vector<int>, y),
                           (std::string, name));
};
struct Split {
  BOOST_HANA_DEFINE_STRUCT(Split, (Dataset, train), (Dataset, test),
                           (std::optional<double>, ratio));
};
struct Plain {  // adapted from outside
  int a = 0;
  std::map<std::string, std::pair<int, float>> m;
};
enum class color : std::uint8_t { red = 1, green = 2 };
struct Opaque {
  int secret = 0;
};
struct Model {
  std::vector<float> w;
  double b = 0;
};
}  // namespace codec_test
BOOST_HANA_ADAPT_STRUCT(codec_test::Plain, a, m);

template <>
struct typeflow::codec<codec_test::Model> {
  static constexpr std::uint32_t version = 7;
  static void encode(codec_writer& w, const codec_test::Model& m) {
    w.value(m.w);
    w.value(m.b);
  }
  static codec_test::Model decode(codec_reader& r) {
    codec_test::Model m;
    m.w = r.value<std::vector<float>>();
    m.b = r.value<double>();
    return m;
  }
};

using namespace codec_test;

namespace {
template <class T>
T round_trip(const T& v) {
  auto bytes = tyf::encode(v);
  return tyf::decode<T>(bytes);
}
}  // namespace

TEST_CASE("codec_for says which types have a codec") {
  STATIC_REQUIRE(tyf::codec_for<int>);
  STATIC_REQUIRE(tyf::codec_for<bool>);
  STATIC_REQUIRE(tyf::codec_for<long double>);
  STATIC_REQUIRE(tyf::codec_for<std::string>);
  STATIC_REQUIRE(tyf::codec_for<std::vector<std::vector<std::string>>>);
  STATIC_REQUIRE(tyf::codec_for<std::array<int, 3>>);
  STATIC_REQUIRE(tyf::codec_for<std::map<std::string, std::optional<int>>>);
  STATIC_REQUIRE(tyf::codec_for<std::unordered_map<int, std::string>>);
  STATIC_REQUIRE(tyf::codec_for<std::tuple<int, std::string, double>>);
  STATIC_REQUIRE(tyf::codec_for<std::pair<color, bool>>);
  STATIC_REQUIRE(tyf::codec_for<Dataset>);
  STATIC_REQUIRE(tyf::codec_for<Split>);
  STATIC_REQUIRE(tyf::codec_for<Plain>);
  STATIC_REQUIRE(tyf::codec_for<Model>);
  STATIC_REQUIRE_FALSE(tyf::codec_for<Opaque>);
  STATIC_REQUIRE_FALSE(tyf::codec_for<std::vector<Opaque>>);
  STATIC_REQUIRE_FALSE(tyf::codec_for<std::optional<Opaque>>);
  STATIC_REQUIRE_FALSE(tyf::codec_for<int*>);
  STATIC_REQUIRE_FALSE(tyf::codec_for<void>);
}

TEST_CASE("built-in codecs round-trip") {
  REQUIRE(round_trip(42) == 42);
  REQUIRE(round_trip(-7LL) == -7LL);
  REQUIRE(round_trip(std::numeric_limits<std::uint64_t>::max()) ==
          std::numeric_limits<std::uint64_t>::max());
  REQUIRE(round_trip(true));
  REQUIRE(round_trip('x') == 'x');
  REQUIRE(round_trip(3.25f) == 3.25f);
  REQUIRE(round_trip(-0.1) == -0.1);
  REQUIRE(std::isnan(round_trip(std::numeric_limits<double>::quiet_NaN())));
  REQUIRE(round_trip(1.5L) == 1.5L);
  REQUIRE(round_trip(color::green) == color::green);
  REQUIRE(round_trip(std::string("hello\0world", 11)) == std::string("hello\0world", 11));
  REQUIRE(round_trip(std::string{}).empty());
  REQUIRE(round_trip(std::vector<double>{1, 2.5, -3}) == std::vector<double>{1, 2.5, -3});
  REQUIRE(round_trip(std::vector<bool>{true, false, true}) == std::vector<bool>{true, false, true});
  REQUIRE(round_trip(std::vector<std::string>{"a", "", "ccc"}) ==
          std::vector<std::string>{"a", "", "ccc"});
  REQUIRE(round_trip(std::array<int, 3>{1, 2, 3}) == std::array<int, 3>{1, 2, 3});
  std::map<std::string, std::vector<int>> m{{"a", {1}}, {"b", {}}};
  REQUIRE(round_trip(m) == m);
  std::unordered_map<int, std::string> um{{1, "one"}, {2, "two"}, {3, "three"}};
  REQUIRE(round_trip(um) == um);
  REQUIRE(round_trip(std::set<int>{3, 1}) == std::set<int>{1, 3});
  REQUIRE(round_trip(std::optional<int>{}) == std::nullopt);
  REQUIRE(round_trip(std::optional<int>{5}) == 5);
  REQUIRE(round_trip(std::pair<int, std::string>{1, "x"}) == std::pair<int, std::string>{1, "x"});
  auto t = std::tuple<int, std::string, double>{1, "two", 3.0};
  REQUIRE(round_trip(t) == t);
  REQUIRE(round_trip(std::variant<int, std::string>{"v"}) == std::variant<int, std::string>{"v"});
}

TEST_CASE("Hana structs encode member by member, recursively") {
  Split s{{{1, 2}, {3}, "train"}, {{4}, {5, 6}, "test"}, 0.8};
  auto back = round_trip(s);
  REQUIRE(back.train.x == std::vector<double>{1, 2});
  REQUIRE(back.test.y == std::vector<int>{5, 6});
  REQUIRE(back.test.name == "test");
  REQUIRE(back.ratio == 0.8);
  Plain p{3, {{"k", {1, 2.5f}}}};
  auto q = round_trip(p);
  REQUIRE(q.a == 3);
  REQUIRE(q.m == p.m);
  Model model{{1.f, 2.f}, 0.5};
  auto mm = round_trip(model);
  REQUIRE(mm.w == model.w);
  REQUIRE(mm.b == 0.5);
}

TEST_CASE("equal unordered containers encode to equal bytes") {
  std::unordered_map<int, int> a, b;
  for (int i = 0; i < 100; ++i) a[i] = i * i;
  for (int i = 99; i >= 0; --i) b[i] = i * i;
  b.rehash(1000);
  REQUIRE(tyf::encode(a) == tyf::encode(b));
}

TEST_CASE("codec versions: user versions are checked, composite versions follow their parts") {
  STATIC_REQUIRE(tyf::codec<Model>::version == 7);
  STATIC_REQUIRE(tyf::codec<std::vector<Model>>::version == 7);
  STATIC_REQUIRE(tyf::codec<std::pair<int, Model>>::version !=
                 tyf::codec<std::pair<int, int>>::version);
  auto bytes = tyf::encode(Model{{1.f}, 2});
  bytes[5] = std::byte{6};  // the version field: written by "version 6"
  REQUIRE_THROWS_MATCHES(tyf::decode<Model>(bytes), tyf::codec_error,
                         Catch::Message("typeflow: cannot decode codec_test::Model: written by "
                                        "codec version 6, but this program's codec is version 7 "
                                        "(at byte 9 of 45)"));
}

TEST_CASE("truncated or corrupted bytes are a codec_error naming the type") {
  Split s{{{1, 2}, {3}, "train"}, {{4}, {5, 6}, "test"}, 0.8};
  const auto good = tyf::encode(s);
  // Every truncation fails cleanly.
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::span<const std::byte> part{good.data(), n};
    REQUIRE_THROWS_AS(tyf::decode<Split>(part), tyf::codec_error);
  }
  REQUIRE_THROWS_WITH(tyf::decode<Split>(std::span<const std::byte>{good.data(), 30}),
                      Catch::StartsWith("typeflow: cannot decode codec_test::Split: "));
  // Every single-byte corruption either decodes to some value or fails cleanly (ASan/UBSan
  // check the "never UB" part).
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      auto bad = good;
      bad[i] ^= std::byte{flip};
      try {
        (void)tyf::decode<Split>(bad);
      } catch (const tyf::codec_error& e) {
        REQUIRE(std::string(e.what()).find("codec_test::Split") != std::string::npos);
      }
    }
  }
  // A huge length is caught before anything is allocated.
  auto v = tyf::encode(std::vector<std::string>{"a"});
  for (std::size_t i = 25; i < 33; ++i) v[i] = std::byte{0xff};
  REQUIRE_THROWS_WITH(tyf::decode<std::vector<std::string>>(v),
                      Catch::Contains("does not fit the"));
  // Another type, trailing bytes, a bad bool.
  REQUIRE_THROWS_WITH(tyf::decode<long>(tyf::encode(1)), Catch::Contains("another type"));
  auto extra = tyf::encode(1);
  extra.push_back(std::byte{0});
  REQUIRE_THROWS_WITH(tyf::decode<int>(extra), Catch::Contains("header says 4 payload bytes"));
  auto b = tyf::encode(true);
  b.back() = std::byte{2};
  REQUIRE_THROWS_WITH(tyf::decode<bool>(b), Catch::Contains("not 0 or 1"));
  std::vector<std::byte> junk(40, std::byte{'x'});
  REQUIRE_THROWS_WITH(tyf::decode<int>(junk), Catch::Contains("bad magic"));
}

TEST_CASE("p.step records the output's codec in the definition") {
  tyf::pipeline p{"codecs"};
  auto a = p.step("a", [] { return Dataset{}; });
  auto b = p.step(
      tyf::in_memory, "b", [](const Dataset&) { return Opaque{}; }, a);
  p.step(
      "c", [](const Opaque&) {}, b);
  const auto& d = *p.definition();
  REQUIRE(d.nodes[0].codec == tyf::detail::codec_ops_for<Dataset>());
  REQUIRE(d.nodes[0].codec->type_name() == "codec_test::Dataset");
  REQUIRE(d.nodes[1].codec == nullptr);
  REQUIRE(d.nodes[2].codec == nullptr);
  tyf::detail::box out;
  std::vector<std::byte> bytes;
  Dataset x{{1}, {2}, "n"};
  d.nodes[0].codec->encode(&x, bytes);
  d.nodes[0].codec->decode(bytes, out);
  REQUIRE(static_cast<const Dataset*>(out.get())->name == "n");
}

namespace {
// The gathered encoding joined in order: copied bytes with the referred spans put back.
std::vector<std::byte> joined(const std::vector<std::byte>& copied,
                              const std::vector<tyf::detail::codec_span>& spans) {
  std::vector<std::byte> out;
  std::size_t at = 0;
  for (const auto& s : spans) {
    out.insert(out.end(), copied.begin() + static_cast<std::ptrdiff_t>(at),
               copied.begin() + static_cast<std::ptrdiff_t>(s.at));
    out.insert(out.end(), s.data, s.data + s.size);
    at = s.at;
  }
  out.insert(out.end(), copied.begin() + static_cast<std::ptrdiff_t>(at), copied.end());
  return out;
}
template <class T>
std::size_t gathered_spans(const T& v) {
  std::vector<std::byte> copied;
  std::vector<tyf::detail::codec_span> spans;
  tyf::encode_gathered(v, copied, spans);
  REQUIRE(joined(copied, spans) == tyf::encode(v));
  for (const auto& s : spans) REQUIRE(s.size >= tyf::detail::codec_span_threshold);
  return spans.size();
}
}  // namespace

TEST_CASE(
    "a gathering encoding refers to long runs of the value's memory, same bytes once joined") {
  std::vector<float> big(300000, 1.5f);
  big[7] = -2;
  REQUIRE(gathered_spans(big) == 1);
  REQUIRE(gathered_spans(std::vector<float>(100, 1.0f)) == 0);  // short: copied
  std::string text(200000, 'x');
  REQUIRE(gathered_spans(text) == 1);
  Dataset d{std::vector<double>(20000, 0.25), std::vector<int>(30000, 3), "rows"};
  REQUIRE(gathered_spans(d) == 2);  // x and y; the length fields and the name are copied
  Split s{d, d, 0.5};
  REQUIRE(gathered_spans(s) == 4);
  auto arr = std::make_unique<std::array<double, 10000>>();
  arr->fill(4);
  REQUIRE(gathered_spans(*arr) == 1);
  Model m{std::vector<float>(50000, 2.0f), 1.0};  // a user codec that uses w.value: gathered too
  REQUIRE(gathered_spans(m) == 1);
  std::optional<std::vector<double>> maybe = std::vector<double>(10000, 1.0);
  REQUIRE(gathered_spans(maybe) == 1);
  // Unordered containers encode their entries into temporaries first: copied, never referred.
  std::unordered_map<int, std::string> um{{1, std::string(100000, 'a')}, {2, "b"}};
  REQUIRE(gathered_spans(um) == 0);
  // What a gathered encoding decodes to is the value.
  std::vector<std::byte> copied;
  std::vector<tyf::detail::codec_span> spans;
  tyf::encode_gathered(s, copied, spans);
  auto back = tyf::decode<Split>(joined(copied, spans));
  REQUIRE(back.train.x == s.train.x);
  REQUIRE(back.test.y == s.test.y);
}
