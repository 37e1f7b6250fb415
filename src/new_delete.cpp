// Every replaceable operator new and delete, over the global heap. Sized
// deletes pass the size back, which the checked build checks; the block is
// freed by its pointer either way.
//
// Out of memory follows the new_handler protocol: call the handler and retry
// while one is installed; then throw std::bad_alloc where exceptions exist,
// or, in builds without exceptions (the usual wasm case), stop with a message.
#include "global_heap.hpp"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

using wasmheap::global_heap;

// operator new's results must suit any object of the requested size, as
// malloc's do; the class policies align slots naturally (see malloc_family.hpp).
constexpr std::size_t plain_align = 1;

[[noreturn]] void out_of_memory(std::size_t size) {
#if defined(__cpp_exceptions)
  (void)size;
  throw std::bad_alloc();
#else
  std::fprintf(stderr, "wasmheap: out of memory in operator new (%zu bytes)\n", size);
  std::abort();
#endif
}

// Retries through the new_handler; nullptr only when no handler is left.
void* allocate_or_null(std::size_t size, std::size_t align) noexcept {
  for (;;) {
    if (void* p = global_heap().alloc(size, align)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) return nullptr;
#if defined(__cpp_exceptions)
    try {
      handler();
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
#else
    handler();
#endif
  }
}

void* allocate(std::size_t size, std::size_t align) {
  void* p = allocate_or_null(size, align);
  if (p == nullptr) out_of_memory(size);
  return p;
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size, plain_align); }
void* operator new[](std::size_t size) { return allocate(size, plain_align); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate_or_null(size, plain_align); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate_or_null(size, plain_align); }
void* operator new(std::size_t size, std::align_val_t align) { return allocate(size, static_cast<std::size_t>(align)); }
void* operator new[](std::size_t size, std::align_val_t align) { return allocate(size, static_cast<std::size_t>(align)); }
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, static_cast<std::size_t>(align));
}

void operator delete(void* p) noexcept { global_heap().free(p); }
void operator delete[](void* p) noexcept { global_heap().free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { global_heap().free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { global_heap().free(p); }
void operator delete(void* p, std::size_t size) noexcept { global_heap().free(p, size, plain_align); }
void operator delete[](void* p, std::size_t size) noexcept { global_heap().free(p, size, plain_align); }
void operator delete(void* p, std::align_val_t) noexcept { global_heap().free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { global_heap().free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { global_heap().free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { global_heap().free(p); }
void operator delete(void* p, std::size_t size, std::align_val_t align) noexcept {
  global_heap().free(p, size, static_cast<std::size_t>(align));
}
void operator delete[](void* p, std::size_t size, std::align_val_t align) noexcept {
  global_heap().free(p, size, static_cast<std::size_t>(align));
}
