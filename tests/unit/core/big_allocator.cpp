// The allocator of the arrays that grow with the number of steps.
#include <typeflow/detail/big_allocator.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>

using typeflow::detail::big_vector;

TEST_CASE("big vectors hold their values, small and large, through growth") {
  big_vector<std::uint32_t> v;
  for (std::uint32_t i = 0; i < 3'000'000; ++i) v.push_back(i);  // crosses 4 MiB several times
  REQUIRE(v.size() == 3'000'000);
  std::uint64_t sum = std::accumulate(v.begin(), v.end(), std::uint64_t{0});
  REQUIRE(sum == std::uint64_t{3'000'000} * 2'999'999 / 2);
  REQUIRE(reinterpret_cast<std::uintptr_t>(v.data()) % (std::uintptr_t{2} << 20) ==
          0);  // on a huge page boundary
  big_vector<char> small(100, 'x');
  REQUIRE(small.back() == 'x');
}

TEST_CASE("a freed large array is reused by the next one of its size, with the values asked for") {
  const void* first = nullptr;
  {
    big_vector<std::uint64_t> a(1'000'000, 7);
    first = a.data();
  }
  big_vector<std::uint64_t> b(1'000'000, 0);  // same size: the kept mapping comes back
  REQUIRE(static_cast<const void*>(b.data()) == first);
  REQUIRE(std::all_of(b.begin(), b.end(), [](std::uint64_t x) { return x == 0; }));
}
