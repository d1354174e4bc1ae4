#pragma once
// A type-erased owner of one step output: small values live inline, large ones on the heap.
// Boxes never move (they live in a run's fixed state array), so no move support is needed.

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace typeflow::detail {

class box {
 public:
  box() noexcept = default;
  box(const box&) = delete;
  box& operator=(const box&) = delete;
  ~box() { reset(); }

  /// Constructs the value from the result of `make()`, eliding the copy of a prvalue.
  template <class T, class Make>
  T& emplace_from(Make&& make) {
    reset();
    T* value;
    if constexpr (fits_inline<T>) {
      value = ::new (static_cast<void*>(inline_)) T(std::forward<Make>(make)());
      destroy_ = [](void* p) noexcept { static_cast<T*>(p)->~T(); };
    } else {
      value = new T(std::forward<Make>(make)());
      destroy_ = [](void* p) noexcept { delete static_cast<T*>(p); };
    }
    ptr_ = value;
    return *value;
  }

  template <class T, class... Args>
  T& emplace(Args&&... args) {
    return emplace_from<T>([&]() -> T { return T(std::forward<Args>(args)...); });
  }

  [[nodiscard]] void* get() const noexcept { return ptr_; }
  [[nodiscard]] bool has_value() const noexcept { return ptr_ != nullptr; }

  void reset() noexcept {
    if (destroy_ != nullptr) {
      destroy_(ptr_);
      destroy_ = nullptr;
      ptr_ = nullptr;
    }
  }

 private:
  static constexpr std::size_t inline_size = 16;
  template <class T>
  static constexpr bool fits_inline = sizeof(T) <= inline_size && alignof(T) <= 16;

  alignas(16) std::byte inline_[inline_size];
  void* ptr_ = nullptr;
  void (*destroy_)(void*) noexcept = nullptr;
};

}  // namespace typeflow::detail
