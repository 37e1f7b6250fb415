// The C malloc family's semantics over any heap (Heap, LockedHeap,
// CachedHeap): errno, overflow checks, alignment rules, realloc's failure
// rules. libwasmheap's malloc, calloc, ... are these over the global heap
// (src/malloc_family.hpp); tests, the fuzzer and the benchmark's replay run
// them over heaps of their own, so they check and measure what ships.
#pragma once

#include <wasmheap/heap.hpp>
#include <wasmheap/layout.hpp>

#include <cstddef>

#if !defined(WASMHEAP_FREESTANDING)
#include <cerrno>
#endif

namespace wasmheap::malloc_family {

// Without a libc there is no errno to set; the return value still tells.
inline void set_errno(int code) noexcept {
#if !defined(WASMHEAP_FREESTANDING)
  errno = code;
#else
  (void)code;
#endif
}
#if defined(WASMHEAP_FREESTANDING)
inline constexpr int enomem = 48, einval = 28;  // WASI's values (__WASI_ERRNO_NOMEM, _INVAL)
#else
inline constexpr int enomem = ENOMEM, einval = EINVAL;
#endif

// Plain malloc asks for no particular alignment: every class policy aligns a
// slot of s bytes to at least min(s, 16), which is what C requires of an
// object of that size (wasm32's max_align_t is 16).
inline constexpr std::size_t malloc_align = 1;

inline void* null_with(int code) noexcept {
  set_errno(code);
  return nullptr;
}

inline bool multiply_overflows(std::size_t a, std::size_t b, std::size_t& product) noexcept {
  return __builtin_mul_overflow(a, b, &product);
}

template <class AnyHeap>
WASMHEAP_INLINE_FAST_PATH inline void* malloc(AnyHeap& heap, std::size_t size) noexcept {
  void* p = heap.alloc(size, malloc_align);
  return p != nullptr ? p : null_with(enomem);
}

template <class AnyHeap>
inline void* calloc(AnyHeap& heap, std::size_t count, std::size_t size) noexcept {
  std::size_t bytes = 0;
  if (multiply_overflows(count, size, bytes)) return null_with(enomem);
  void* p = malloc(heap, bytes);
  if (p != nullptr) __builtin_memset(p, 0, bytes);
  return p;
}

// realloc(p, 0) behaves as wasi-libc's dlmalloc: the block shrinks to a
// minimal live block (not NULL), which must still be freed.
template <class AnyHeap>
inline void* realloc(AnyHeap& heap, void* p, std::size_t size) noexcept {
  void* q = heap.realloc(p, size);
  return q != nullptr ? q : null_with(enomem);
}

template <class AnyHeap>
inline void* reallocarray(AnyHeap& heap, void* p, std::size_t count, std::size_t size) noexcept {
  std::size_t bytes = 0;
  if (multiply_overflows(count, size, bytes)) return null_with(enomem);
  return realloc(heap, p, bytes);
}

// aligned_alloc and memalign refuse an alignment that is not a power of two
// with EINVAL (as musl and wasi-libc do); C17 drops the rule that size be a
// multiple of the alignment, so any size is accepted.
template <class AnyHeap>
inline void* memalign(AnyHeap& heap, std::size_t align, std::size_t size) noexcept {
  if (!is_power_of_two(align)) return null_with(einval);
  void* p = heap.alloc(size, align);
  return p != nullptr ? p : null_with(enomem);
}

// posix_memalign reports through its result and leaves errno and *out alone
// on failure; the alignment must also be a multiple of sizeof(void*).
template <class AnyHeap>
inline int posix_memalign(AnyHeap& heap, void** out, std::size_t align, std::size_t size) noexcept {
  if (!is_power_of_two(align) || align % sizeof(void*) != 0) return einval;
  void* p = heap.alloc(size, align);
  if (p == nullptr) return enomem;
  *out = p;
  return 0;
}

// valloc and pvalloc align to a page: wasm's 64 KiB, which is what
// sysconf(_SC_PAGESIZE) says under Emscripten and wasi-libc. pvalloc also
// rounds the size up to whole pages (a page for 0).
template <class AnyHeap>
inline void* valloc(AnyHeap& heap, std::size_t size) noexcept {
  return memalign(heap, page_size, size);
}
template <class AnyHeap>
inline void* pvalloc(AnyHeap& heap, std::size_t size) noexcept {
  if (size > max_block_size) return null_with(enomem);
  return memalign(heap, page_size, (size == 0 ? 1 : pages_for(size)) * page_size);
}

}  // namespace wasmheap::malloc_family
