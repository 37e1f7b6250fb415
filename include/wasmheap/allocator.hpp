// wasmheap::allocator<T>: an STL allocator over the global heap that frees with
// the size it allocated with (which the checked build checks).
#pragma once

#include <wasmheap/wasmheap.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <new>

namespace wasmheap {

namespace detail {
[[noreturn]] inline void allocator_out_of_memory(std::size_t bytes) {
#if defined(__cpp_exceptions)
  (void)bytes;
  throw std::bad_alloc();
#else
  std::fprintf(stderr, "wasmheap: out of memory in wasmheap::allocator (%zu bytes)\n", bytes);
  std::abort();
#endif
}
}  // namespace detail

template <class T>
class allocator {
 public:
  using value_type = T;

  allocator() noexcept = default;
  template <class U>
  allocator(const allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) detail::allocator_out_of_memory(std::numeric_limits<std::size_t>::max());
    void* p = wasmheap_alloc(n * sizeof(T), alignof(T));
    if (p == nullptr) detail::allocator_out_of_memory(n * sizeof(T));
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept { wasmheap_free(p, n * sizeof(T), alignof(T)); }

  template <class U>
  bool operator==(const allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace wasmheap
