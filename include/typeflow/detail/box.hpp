#pragma once
// A type-erased owner of one step output: small values live inline, large ones on the heap.
// A box moves (a finished run hands its kept outputs to its result); a value that cannot be
// moved without throwing lives on the heap, where moving the box moves the pointer.

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
  box(box&& other) noexcept { take(other); }
  box& operator=(box&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  ~box() { reset(); }

  /// Constructs the value from the result of `make()`, eliding the copy of a prvalue.
  template <class T, class Make>
  T& emplace_from(Make&& make) {
    reset();
    T* value;
    if constexpr (fits_inline<T>) {
      value = ::new (static_cast<void*>(inline_)) T(std::forward<Make>(make)());
      manage_ = [](void* p, void* to) noexcept {
        if (to != nullptr) ::new (to) T(std::move(*static_cast<T*>(p)));
        static_cast<T*>(p)->~T();
      };
    } else {
      value = new T(std::forward<Make>(make)());
      manage_ = [](void* p, void*) noexcept { delete static_cast<T*>(p); };
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
    if (manage_ != nullptr) {
      manage_(ptr_, nullptr);
      manage_ = nullptr;
      ptr_ = nullptr;
    }
  }

 private:
  static constexpr std::size_t inline_size = 16;
  template <class T>
  static constexpr bool fits_inline = sizeof(T) <= inline_size &&
                                      alignof(T) <= 16 && std::is_nothrow_move_constructible_v<T>;

  void take(box& other) noexcept {
    if (other.manage_ == nullptr) return;
    if (other.ptr_ == static_cast<void*>(other.inline_)) {
      other.manage_(other.ptr_, inline_);  // moves the value here and destroys the original
      ptr_ = inline_;
    } else {
      ptr_ = other.ptr_;
    }
    manage_ = other.manage_;
    other.ptr_ = nullptr;
    other.manage_ = nullptr;
  }

  alignas(16) std::byte inline_[inline_size];
  void* ptr_ = nullptr;
  /// Destroys the value at p; with `to`, first move-constructs it there (inline values only).
  void (*manage_)(void* p, void* to) noexcept = nullptr;
};

}  // namespace typeflow::detail
