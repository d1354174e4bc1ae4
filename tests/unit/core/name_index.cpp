// The name index behind p.step's unique-name check: numbered names in per-prefix arrays, other
// names (and numbers too sparse for their array) in a hash table. Each case would fail if a name
// could be found in one place and inserted again in the other.

#include <typeflow/detail/name_index.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace td = typeflow::detail;

namespace {

/// Names by id, and the index over them, as a definition keeps them.
struct names {
  std::deque<std::string> by_id;
  td::name_index index;

  [[nodiscard]] auto name_of() const {
    return [this](td::node_id id) -> std::string_view { return by_id[id]; };
  }

  /// Declares `name`: its new id, or the id already holding it (then nothing is added).
  td::node_id add(const std::string& name) {
    by_id.push_back(name);
    const auto id = static_cast<td::node_id>(by_id.size() - 1);
    const auto found = index.insert(name, id, name_of());
    if (found != id) by_id.pop_back();
    return found;
  }
  [[nodiscard]] td::node_id find(const std::string& name) const {
    return index.find(name, name_of());
  }
};

}  // namespace

TEST_CASE("a name splits into a prefix and a number only when the number is written one way") {
  td::numbered_name nn;
  REQUIRE(td::numbered_name::split("shard-17", nn));
  REQUIRE(nn.prefix == "shard-");
  REQUIRE(nn.number == 17);
  REQUIRE(td::numbered_name::split("s0", nn));
  REQUIRE(nn.number == 0);
  REQUIRE(td::numbered_name::split("v2x999999999", nn));
  REQUIRE(nn.prefix == "v2x");
  REQUIRE(nn.number == 999999999);
  REQUIRE_FALSE(td::numbered_name::split("s07", nn));   // a leading zero: "s7" is another name
  REQUIRE_FALSE(td::numbered_name::split("load", nn));  // no number
  REQUIRE_FALSE(td::numbered_name::split("123", nn));   // no prefix
  REQUIRE_FALSE(td::numbered_name::split("x1234567890", nn));  // more than 9 digits
}

TEST_CASE("numbered names in order fill their family's array; every one is found once") {
  names n;
  constexpr std::uint32_t count = 100'000;
  for (std::uint32_t i = 0; i < count; ++i) {
    REQUIRE(n.add("s" + std::to_string(i)) == i);
    REQUIRE(n.add("s" + std::to_string(i / 2)) == i / 2);  // a duplicate of an earlier one
  }
  REQUIRE(n.index.size() == count);
  for (std::uint32_t i = 0; i < count; i += 3) REQUIRE(n.find("s" + std::to_string(i)) == i);
  REQUIRE(n.find("s" + std::to_string(count)) == td::none);
  REQUIRE(n.find("s") == td::none);
  REQUIRE(n.find("t5") == td::none);
  REQUIRE(n.find("s05") == td::none);  // not "s5"
  REQUIRE(n.add("s05") == count);      // a name of its own, in the hash table
  REQUIRE(n.find("s05") == count);
  REQUIRE(n.find("s5") == 5);
}

TEST_CASE("sparse numbers go to the hash table and are still found, and never declared twice") {
  names n;
  // A family that starts far from zero, then fills in below: the early names are in the table,
  // the later ones in the array, and each must be seen from the other side.
  REQUIRE(n.add("epoch-1000000") == 0);
  REQUIRE(n.add("epoch-5000") == 1);
  for (std::uint32_t i = 0; i < 20'000; ++i) {
    const std::string name = "epoch-" + std::to_string(i);
    const auto id = n.add(name);
    if (i == 5000) {
      REQUIRE(id == 1);  // the duplicate, found in the table while the array covers 5000
    } else {
      REQUIRE(id == n.by_id.size() - 1);
    }
  }
  REQUIRE(n.add("epoch-1000000") == 0);
  REQUIRE(n.find("epoch-1000000") == 0);
  REQUIRE(n.find("epoch-5000") == 1);
  REQUIRE(n.find("epoch-19999") != td::none);
  REQUIRE(n.find("epoch-20000") == td::none);
  REQUIRE(n.index.size() == n.by_id.size());
  // Every 10th number only: the array stops growing (it would be under a quarter full), so
  // the rest go to the table.
  std::vector<td::node_id> k_ids;
  for (std::uint32_t i = 0; i < 50'000; i += 10) {
    k_ids.push_back(n.add("k" + std::to_string(i)));
    REQUIRE(k_ids.back() == n.by_id.size() - 1);
  }
  for (std::uint32_t i = 0; i < 50'000; i += 10)
    REQUIRE(n.add("k" + std::to_string(i)) == k_ids[i / 10]);
  REQUIRE(n.find("k40") != td::none);
  REQUIRE(n.find("k41") == td::none);
}

TEST_CASE("families that take turns, and names without numbers, are kept apart") {
  names n;
  for (std::uint32_t i = 0; i < 3000; ++i) {
    REQUIRE(n.add("load" + std::to_string(i)) == 3 * i);
    REQUIRE(n.add("train" + std::to_string(i)) == 3 * i + 1);
    REQUIRE(n.add("eval-" + std::to_string(i) + "-done") == 3 * i + 2);
  }
  for (std::uint32_t i = 0; i < 3000; i += 7) {
    REQUIRE(n.find("load" + std::to_string(i)) == 3 * i);
    REQUIRE(n.find("train" + std::to_string(i)) == 3 * i + 1);
    REQUIRE(n.find("eval-" + std::to_string(i) + "-done") == 3 * i + 2);
    REQUIRE(n.add("train" + std::to_string(i)) == 3 * i + 1);
  }
  REQUIRE(n.find("load") == td::none);
  REQUIRE(n.find("eval-1-") == td::none);
  REQUIRE(n.index.size() == 9000);
}

TEST_CASE("names whose 32 stored hash bits are equal are told apart by their text") {
  // Names without a number, so that they go to the hash table: find a pair with equal tags.
  std::unordered_map<std::uint32_t, std::string> by_tag;
  std::vector<std::string> twins;
  for (std::uint32_t i = 0; twins.size() < 4 && i < 2'000'000; ++i) {
    std::string name = "m" + std::to_string(i) + "x";
    const auto tag = static_cast<std::uint32_t>(td::hash_name(name) >> 32);
    auto [it, fresh] = by_tag.emplace(tag, name);
    if (!fresh) {
      twins.push_back(it->second);
      twins.push_back(name);
    }
  }
  REQUIRE(twins.size() == 4);
  names n;
  for (std::size_t k = 0; k < twins.size(); k += 2) {
    const auto first = n.add(twins[k]);
    REQUIRE(n.find(twins[k + 1]) == td::none);
    const auto second = n.add(twins[k + 1]);
    REQUIRE(second != first);
    REQUIRE(n.find(twins[k]) == first);
    REQUIRE(n.find(twins[k + 1]) == second);
    REQUIRE(n.add(twins[k]) == first);
  }
  REQUIRE(n.index.size() == twins.size());
}
