#pragma once
// The index from step and parameter names to node ids, behind p.step's unique-name check.
//
// Generated pipelines name their steps by number ("shard-0", "shard-1", ..., "s999999"), so a
// name that ends in a number is split into a prefix and the number, and each prefix (a family)
// keeps its node ids in an array indexed by the number. Declaring the next name of a family
// touches the array where the last one did: no cache miss. A hash table would take one per name
// in a large pipeline (its slots are spread over megabytes; measured on a million-step chain:
// 130 of the 190 ns that p.step took). Other names, and numbers too sparse for their family's
// array (it stays at least a quarter full), go to an open-addressing hash table.
//
// A name and its (prefix, number) correspond one to one: the number is the name's trailing
// decimal digits, at most 9 of them and without a leading zero ("s07" is not numbered), and the
// prefix is the rest, never empty.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <typeflow/detail/big_allocator.hpp>
#include <typeflow/detail/ids.hpp>

namespace typeflow::detail {

/// A fast 64-bit hash for step names (short strings).
inline std::uint64_t hash_name(std::string_view s) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

/// A name's prefix and trailing number, when it has one (see the top of this file).
struct numbered_name {
  std::string_view prefix;
  std::uint32_t number = 0;

  static bool split(std::string_view name, numbered_name& out) noexcept {
    // One walk back over the digits, reading the number as it goes.
    std::size_t i = name.size();
    std::uint32_t n = 0, scale = 1;
    for (; i > 0; --i) {
      const auto d = static_cast<std::uint32_t>(static_cast<unsigned char>(name[i - 1])) - '0';
      if (d > 9) break;
      if (name.size() - i == 9) return false;  // a tenth digit
      n += d * scale;
      scale *= 10;
    }
    const std::size_t digits = name.size() - i;
    if (digits == 0 || i == 0 || (name[i] == '0' && digits > 1)) return false;
    out.prefix = name.substr(0, i);
    out.number = n;
    return true;
  }
};

class name_index {
 public:
  name_index() = default;
  name_index(const name_index&) = delete;
  name_index& operator=(const name_index&) = delete;

  /// The id of `name`, or none. `name_of(id)` gives the name of an indexed id.
  template <class NameOf>
  [[nodiscard]] node_id find(std::string_view name, NameOf&& name_of) const noexcept {
    numbered_name nn;
    if (!numbered_name::split(name, nn)) return table_find(name, hash_name(name), name_of);
    auto it = families_.find(nn.prefix);
    if (it == families_.end()) return none;
    return family_find(*it->second, nn, name, name_of);
  }

  /// Indexes `id` under `name` unless the name is there already; returns the id found (then
  /// nothing changed) or `id`.
  template <class NameOf>
  node_id insert(std::string_view name, node_id id, NameOf&& name_of) {
    numbered_name nn;
    if (!numbered_name::split(name, nn)) return table_insert(name, hash_name(name), id, name_of);
    family& f = family_of(nn.prefix);
    const bool covered = nn.number < f.ids.size();
    if (covered && f.ids[nn.number] != none) return f.ids[nn.number];
    std::size_t want = 0;  // the array's new size, when it must grow to hold the number
    if (!covered) {
      want = std::max<std::size_t>(std::max<std::size_t>(2 * f.ids.size(), min_array),
                                   std::size_t{nn.number} + 1);
      if (want > min_array && (f.used + 1) * 4 < want) {  // too sparse: into the table
        const node_id got = table_insert(name, hash_name(name), id, name_of);
        if (got == id) ++f.spilled;
        return got;
      }
    }
    // Into the array, unless an earlier name of the family went to the table under this one.
    if (f.spilled > 0) {
      if (node_id found = table_find(name, hash_name(name), name_of); found != none) return found;
    }
    if (want != 0) f.ids.resize(want, none);
    f.ids[nn.number] = id;
    ++f.used;
    ++count_;
    return id;
  }

  /// How many names are indexed.
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

 private:
  static constexpr std::size_t min_array = 16;  ///< a family's array starts this large

  struct family {
    std::string prefix;
    big_vector<node_id> ids;  ///< by number; none: no such name in the array
    std::size_t used = 0;     ///< entries that are not none
    std::size_t spilled = 0;  ///< names of this prefix in the hash table instead
  };

  template <class NameOf>
  node_id family_find(const family& f, const numbered_name& nn, std::string_view name,
                      NameOf& name_of) const {
    if (nn.number < f.ids.size() && f.ids[nn.number] != none) return f.ids[nn.number];
    return f.spilled == 0 ? none : table_find(name, hash_name(name), name_of);
  }

  family& family_of(std::string_view prefix) {
    if (last_ != nullptr && last_->prefix == prefix) return *last_;
    auto it = families_.find(prefix);
    if (it == families_.end()) {
      auto f = std::make_unique<family>();
      f->prefix = std::string(prefix);
      std::string_view key = f->prefix;  // the family's own copy: stable while it lives
      it = families_.emplace(key, std::move(f)).first;
    }
    last_ = it->second.get();
    return *last_;
  }

  // ------------------------------------------------------------- the hash table
  // A slot is 8 bytes: 32 bits of the hash and the id. A slot's place comes from its stored
  // hash bits alone, so growing the table reads no names.
  struct slot {
    std::uint32_t tag = 0;
    node_id id = none;
  };
  static std::uint32_t tag_of(std::uint64_t hash) noexcept {
    return static_cast<std::uint32_t>(hash >> 32);
  }

  template <class NameOf>
  node_id table_find(std::string_view name, std::uint64_t hash, NameOf& name_of) const {
    if (slots_.empty()) return none;
    const auto tag = tag_of(hash);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
      const slot& s = slots_[i];
      if (s.id == none) return none;
      if (s.tag == tag && name_of(s.id) == name) return s.id;
    }
  }

  template <class NameOf>
  node_id table_insert(std::string_view name, std::uint64_t hash, node_id id, NameOf& name_of) {
    if ((table_count_ + 1) * 2 > slots_.size()) grow(slots_.empty() ? 64 : slots_.size() * 2);
    const auto tag = tag_of(hash);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.id == none) {
        s = {tag, id};
        ++table_count_;
        ++count_;
        return id;
      }
      if (s.tag == tag && name_of(s.id) == name) return s.id;
    }
  }

  void grow(std::size_t size) {
    big_vector<slot> old = std::move(slots_);
    slots_.assign(size, slot{});
    const std::size_t mask = size - 1;
    for (const slot& s : old) {
      if (s.id == none) continue;
      std::size_t i = s.tag & mask;
      while (slots_[i].id != none) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::unordered_map<std::string_view, std::unique_ptr<family>> families_;
  family* last_ = nullptr;  ///< the family of the last numbered name inserted
  big_vector<slot> slots_;
  std::size_t table_count_ = 0;
  std::size_t count_ = 0;
};

}  // namespace typeflow::detail
