// The arenas that hold a definition's step objects and names, in blocks that double in size.
#include <typeflow/detail/arena.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace td = typeflow::detail;

namespace {
struct alignas(16) wide {
  explicit wide(int v) : value(v) {}
  ~wide() { ++destroyed; }
  wide(const wide&) = delete;
  wide& operator=(const wide&) = delete;
  long double pad{};
  int value;
  static inline int destroyed = 0;
};
struct narrow {
  char c;
};
}  // namespace

TEST_CASE("names stored in the arena stay valid and intact as its blocks grow") {
  td::name_arena names;
  std::vector<std::string_view> views;
  for (int i = 0; i < 500'000; ++i)
    views.push_back(names.store("step-" + std::to_string(i)));  // ~6 MB
  for (int i = 0; i < 500'000; i += 13) REQUIRE(views[i] == "step-" + std::to_string(i));
  // Names are packed byte by byte: consecutive names in one block are adjacent.
  REQUIRE(views[1].data() == views[0].data() + views[0].size());
  REQUIRE(names.store("").empty());
  const std::string long_name(10'000, 'x');  // longer than the first blocks
  REQUIRE(names.store(long_name) == long_name);
}

TEST_CASE("objects in the arena are aligned as their type needs and destroyed by their owner") {
  wide::destroyed = 0;
  {
    td::object_arena arena;
    std::vector<std::unique_ptr<wide, td::destroy_in_place>> wides;
    std::vector<std::unique_ptr<narrow, td::destroy_in_place>> narrows;
    for (int i = 0; i < 100'000; ++i) {
      narrows.push_back(arena.make<narrow>(narrow{static_cast<char>('a' + i % 26)}));
      wides.push_back(arena.make<wide>(i));
    }
    for (int i = 0; i < 100'000; ++i) {
      REQUIRE(reinterpret_cast<std::uintptr_t>(wides[i].get()) % alignof(wide) == 0);
      REQUIRE(wides[i]->value == i);
      REQUIRE(narrows[i]->c == static_cast<char>('a' + i % 26));
    }
    wides.resize(10);
    REQUIRE(wide::destroyed == 100'000 - 10);
  }
  REQUIRE(wide::destroyed == 100'000);
}
