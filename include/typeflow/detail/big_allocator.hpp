#pragma once
// An allocator for the few arrays that grow with the number of steps (nodes, the name index, a
// run's per-step state, arena blocks). Small requests go to operator new; a request of 1 MiB or
// more gets its own mapping aligned to 2 MiB and marked for transparent huge pages, so a pipeline
// of a million steps costs a few hundred page faults and TLB misses instead of tens of thousands. A
// freed mapping is kept for reuse by an allocation of the same size (up to 1 GiB in all), marked
// MADV_FREE: the kernel takes its pages back when memory runs short, and otherwise a repeated run
// of a large pipeline reuses warm pages instead of faulting in and zeroing fresh ones. Elsewhere
// than Linux it is std::allocator.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace typeflow::detail {

/// The bytes of big mappings (requests of 1 MiB or more, rounded to 2 MiB) that big_allocator has
/// handed out and not yet taken back, process-wide: what those arrays hold, for memory
/// measurements (RSS does not drop when such a mapping goes back to the cache). Always 0 elsewhere
/// than Linux.
inline std::atomic<std::size_t>& big_bytes_in_use() noexcept {
  static std::atomic<std::size_t> bytes{0};
  return bytes;
}

#if defined(__linux__)
/// The process-wide store of freed huge-page mappings (sizes are multiples of 2 MiB).
class huge_block_cache {
 public:
  static constexpr std::size_t limit = std::size_t{1} << 30;

  /// Never destroyed: a pipeline in a static object may free its arrays after every other
  /// static is gone. The mappings it keeps end with the process.
  static huge_block_cache& instance() {
    static huge_block_cache* cache = new huge_block_cache;
    return *cache;
  }
  /// The most recently kept mapping of exactly `size` bytes (the warmest), or null.
  void* take(std::size_t size) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = count_; i-- > 0;) {
      if (blocks_[i].size == size) {
        void* p = blocks_[i].ptr;
        cached_ -= size;
        blocks_[i] = blocks_[--count_];
        return p;
      }
    }
    return nullptr;
  }
  /// Keeps the mapping when there is room (its pages become reclaimable); false: the caller
  /// unmaps it.
  bool keep(void* p, std::size_t size) {
    std::lock_guard lock(mutex_);
    if (count_ == max_blocks || cached_ + size > limit) return false;
#if defined(MADV_FREE)
    if (::madvise(p, size, MADV_FREE) != 0) return false;
#else
    if (::madvise(p, size, MADV_DONTNEED) != 0) return false;
#endif
    blocks_[count_++] = {p, size};
    cached_ += size;
    return true;
  }
  huge_block_cache(const huge_block_cache&) = delete;
  huge_block_cache& operator=(const huge_block_cache&) = delete;

 private:
  huge_block_cache() = default;
  struct block {
    void* ptr = nullptr;
    std::size_t size = 0;
  };
  static constexpr std::size_t max_blocks = 128;
  std::mutex mutex_;
  block blocks_[max_blocks];
  std::size_t count_ = 0;
  std::size_t cached_ = 0;
};
#endif

#if defined(__linux__)
/// From this size on, an allocation gets a mapping of its own.
inline constexpr std::size_t big_threshold = std::size_t{1} << 20;
inline constexpr std::size_t big_huge_page = std::size_t{2} << 20;
constexpr std::size_t big_rounded(std::size_t bytes) noexcept {
  return (bytes + big_huge_page - 1) & ~(big_huge_page - 1);
}

/// A mapping of at least `bytes` (a multiple of 2 MiB), aligned to 2 MiB and marked for huge
/// pages, or a kept one of the same size. Not a template: every big_vector<T> shares it, so a
/// program compiles it once, not once per element type.
inline void* big_map(std::size_t bytes) {
  const std::size_t size = big_rounded(bytes);
  if (void* kept = huge_block_cache::instance().take(size)) {
    big_bytes_in_use().fetch_add(size, std::memory_order_relaxed);
    return kept;
  }
  // Map one huge page more than needed, then unmap the ends to align the start.
  void* raw = ::mmap(nullptr, size + big_huge_page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto begin = reinterpret_cast<std::uintptr_t>(raw);
  auto aligned = (begin + big_huge_page - 1) & ~(std::uintptr_t{big_huge_page} - 1);
  if (aligned != begin) ::munmap(raw, aligned - begin);
  const std::size_t tail = big_huge_page - (aligned - begin);
  if (tail != 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // a hint: failure is fine
  big_bytes_in_use().fetch_add(size, std::memory_order_relaxed);
  return reinterpret_cast<void*>(aligned);
}

/// Gives back a mapping from big_map: kept for reuse when the cache has room, else unmapped.
inline void big_unmap(void* p, std::size_t bytes) noexcept {
  const std::size_t size = big_rounded(bytes);
  big_bytes_in_use().fetch_sub(size, std::memory_order_relaxed);
  if (!huge_block_cache::instance().keep(p, size)) ::munmap(p, size);
}
#endif

template <class T>
class big_allocator {
 public:
  using value_type = T;

  big_allocator() noexcept = default;
  template <class U>
  big_allocator(const big_allocator<U>&) noexcept {}  // NOLINT: converting, as allocators are

  [[nodiscard]] T* allocate(std::size_t n) {
#if defined(__linux__)
    const std::size_t bytes = n * sizeof(T);
    if (n <= max_size() && bytes >= big_threshold) return static_cast<T*>(big_map(bytes));
#endif
    return std::allocator<T>{}.allocate(n);
  }

  void deallocate(T* p, std::size_t n) noexcept {
#if defined(__linux__)
    const std::size_t bytes = n * sizeof(T);
    if (n <= max_size() && bytes >= big_threshold) {
      big_unmap(p, bytes);
      return;
    }
#endif
    std::allocator<T>{}.deallocate(p, n);
  }

  [[nodiscard]] static constexpr std::size_t max_size() noexcept {
    return (std::size_t{1} << 47) / sizeof(T);
  }

  template <class U>
  friend bool operator==(const big_allocator&, const big_allocator<U>&) noexcept {
    return true;
  }
};

/// A vector whose storage, once large, lives on huge pages.
template <class T>
using big_vector = std::vector<T, big_allocator<T>>;

}  // namespace typeflow::detail
