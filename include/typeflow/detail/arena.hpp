#pragma once
// Bump allocation for what a definition holds one of per step: step objects and names. Blocks
// double in size from 4 KiB (a small pipeline takes a few KiB) up to 4 MiB, and come from
// big_allocator: from 1 MiB on, huge pages kept for reuse when freed, so that building a large
// pipeline again does not fault in and zero fresh memory (a million-step chain: page faults
// were ~15% of building, running and destroying it while its blocks came from malloc).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/detail/big_allocator.hpp>

namespace typeflow::detail {

/// The blocks of one arena, freed together.
class block_chain {
 public:
  static constexpr std::size_t first_block = std::size_t{4} << 10;
  static constexpr std::size_t last_block = std::size_t{4} << 20;
  static constexpr std::size_t align = alignof(std::max_align_t);

  block_chain() = default;
  block_chain(const block_chain&) = delete;
  block_chain& operator=(const block_chain&) = delete;
  ~block_chain() {
    for (const auto& b : blocks_) big_allocator<std::max_align_t>{}.deallocate(b.first, b.second);
  }

  /// `size` bytes aligned to `alignment` (a power of two, at most `align`), from the current
  /// block or a new one.
  unsigned char* take(std::size_t size, std::size_t alignment) {
    // A mask, not %: the alignment is not a constant here, and a division costs ~40 cycles.
    std::size_t pad = (0 - reinterpret_cast<std::uintptr_t>(next_)) & (alignment - 1);
    if (size + pad > left_) {
      std::size_t bytes = blocks_.empty() ? first_block : std::min(2 * last_size_, last_block);
      if (bytes < size) bytes = size;
      const std::size_t units = (bytes + align - 1) / align;
      blocks_.reserve(blocks_.size() + 1);  // so that emplace_back cannot throw after allocate
      auto* block = big_allocator<std::max_align_t>{}.allocate(units);
      blocks_.emplace_back(block, units);
      last_size_ = units * align;
      next_ = reinterpret_cast<unsigned char*>(block);
      left_ = last_size_;
      pad = 0;
    }
    unsigned char* out = next_ + pad;
    next_ = out + size;
    left_ -= size + pad;
    return out;
  }

 private:
  std::vector<std::pair<std::max_align_t*, std::size_t>> blocks_;  // pointer, units
  unsigned char* next_ = nullptr;
  std::size_t left_ = 0;
  std::size_t last_size_ = 0;
};

/// Destroys an object that lives in an arena (the arena frees the memory).
struct destroy_in_place {
  template <class T>
  void operator()(T* p) const noexcept {
    p->~T();
  }
};

/// Step objects: declaring a step costs no heap allocation of its own. Memory is freed when the
/// arena goes; objects are destroyed by their owners (unique_ptr with destroy_in_place).
class object_arena {
 public:
  template <class T, class... Args>
  std::unique_ptr<T, destroy_in_place> make(Args&&... args) {
    static_assert(alignof(T) <= block_chain::align);
    void* at = blocks_.take(sizeof(T), alignof(T));
    T* obj = ::new (at) T(std::forward<Args>(args)...);
    return std::unique_ptr<T, destroy_in_place>(obj);
  }

 private:
  block_chain blocks_;
};

/// Names: views into it stay valid as the node vector grows.
class name_arena {
 public:
  std::string_view store(std::string_view s) {
    if (s.empty()) return {};
    char* at = reinterpret_cast<char*>(blocks_.take(s.size(), 1));
    std::memcpy(at, s.data(), s.size());
    return {at, s.size()};
  }

 private:
  block_chain blocks_;
};

}  // namespace typeflow::detail
