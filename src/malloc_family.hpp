// The C malloc family over the global heap, as inline bodies: src/c_api.cpp
// gives them wasmheap_ names and src/malloc.cpp the standard names, and each
// symbol compiles to its own direct implementation, with no extra call. The
// semantics are <wasmheap/malloc_family.hpp>'s, over any heap.
#pragma once

#include "global_heap.hpp"

#include <wasmheap/malloc_family.hpp>

#include <cstddef>

namespace wasmheap::malloc_family {

WASMHEAP_INLINE_FAST_PATH inline void* malloc(std::size_t size) noexcept { return malloc(global_heap(), size); }
WASMHEAP_INLINE_FAST_PATH inline void free(void* p) noexcept { global_heap().free(p); }
inline void* calloc(std::size_t count, std::size_t size) noexcept { return calloc(global_heap(), count, size); }
inline void* realloc(void* p, std::size_t size) noexcept { return realloc(global_heap(), p, size); }
inline void* reallocarray(void* p, std::size_t count, std::size_t size) noexcept {
  return reallocarray(global_heap(), p, count, size);
}
inline void* memalign(std::size_t align, std::size_t size) noexcept { return memalign(global_heap(), align, size); }
inline void* aligned_alloc(std::size_t align, std::size_t size) noexcept { return memalign(align, size); }
inline int posix_memalign(void** out, std::size_t align, std::size_t size) noexcept {
  return posix_memalign(global_heap(), out, align, size);
}
inline std::size_t malloc_usable_size(const void* p) noexcept { return global_heap().usable_size(p); }
inline void* valloc(std::size_t size) noexcept { return valloc(global_heap(), size); }
inline void* pvalloc(std::size_t size) noexcept { return pvalloc(global_heap(), size); }

}  // namespace wasmheap::malloc_family
