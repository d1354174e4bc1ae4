// typeflow::make_run_id: the one function that names runs (the executor and the store use it).
#include <typeflow/exec/run_id.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tyf = typeflow;

namespace {
bool base36(const std::string& id) {
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); });
}
}  // namespace

TEST_CASE("make_run_id: 12 characters of 0-9a-z") {
  for (int i = 0; i < 100; ++i) {
    const auto id = tyf::make_run_id();
    INFO(id);
    CHECK(id.size() == 12);
    CHECK(base36(id));
  }
}

TEST_CASE("make_run_id: ids made in a tight loop are strictly increasing as text") {
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(tyf::make_run_id());
  for (std::size_t i = 1; i < ids.size(); ++i) {
    INFO(ids[i - 1] << " then " << ids[i]);
    REQUIRE(ids[i - 1] < ids[i]);
  }
}

TEST_CASE("make_run_id: ids made by two threads at once are all unique") {
  constexpr int per_thread = 2000;
  std::vector<std::string> a, b;
  {
    std::jthread ta([&] {
      for (int i = 0; i < per_thread; ++i) a.push_back(tyf::make_run_id());
    });
    std::jthread tb([&] {
      for (int i = 0; i < per_thread; ++i) b.push_back(tyf::make_run_id());
    });
  }
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  CHECK(all.size() == 2 * per_thread);
  // Each thread's own ids still increase.
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(std::is_sorted(b.begin(), b.end()));
}
