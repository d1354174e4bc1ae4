#pragma once
// An allocator for the few arrays that grow with the number of steps (nodes, the name index,
// a run's per-step state). Small requests go to operator new; a request of 4 MiB or more gets
// its own mapping aligned to 2 MiB and marked for transparent huge pages, so a pipeline of a
// million steps costs a few hundred page faults and TLB misses instead of tens of thousands.
// Elsewhere than Linux it is std::allocator.

#include <cstddef>
#include <memory>
#include <cstdint>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace typeflow::detail {

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
    if (n <= max_size() && bytes >= threshold) {
      const std::size_t size = rounded(bytes);
      // Map one huge page more than needed, then unmap the ends to align the start.
      void* raw = ::mmap(nullptr, size + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (raw == MAP_FAILED) throw std::bad_alloc();
      auto begin = reinterpret_cast<std::uintptr_t>(raw);
      auto aligned = (begin + huge_page - 1) & ~(std::uintptr_t{huge_page} - 1);
      if (aligned != begin) ::munmap(raw, aligned - begin);
      const std::size_t tail = huge_page - (aligned - begin);
      if (tail != 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
      ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // a hint: failure is fine
      return reinterpret_cast<T*>(aligned);
    }
#endif
    return std::allocator<T>{}.allocate(n);
  }

  void deallocate(T* p, std::size_t n) noexcept {
#if defined(__linux__)
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= threshold) {
      ::munmap(p, rounded(bytes));
      return;
    }
#endif
    std::allocator<T>{}.deallocate(p, n);
  }

  [[nodiscard]] static constexpr std::size_t max_size() noexcept { return (std::size_t{1} << 47) / sizeof(T); }

  template <class U>
  friend bool operator==(const big_allocator&, const big_allocator<U>&) noexcept {
    return true;
  }

 private:
  static constexpr std::size_t huge_page = std::size_t{2} << 20;
  static constexpr std::size_t threshold = std::size_t{4} << 20;
  static constexpr std::size_t rounded(std::size_t bytes) noexcept { return (bytes + huge_page - 1) & ~(huge_page - 1); }
};

/// A vector whose storage, once large, lives on huge pages.
template <class T>
using big_vector = std::vector<T, big_allocator<T>>;

}  // namespace typeflow::detail
