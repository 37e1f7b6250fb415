// The C API: the sized functions and the wasmheap_-prefixed malloc family.
#include <wasmheap/wasmheap.h>

#include "global_heap.hpp"
#include "malloc_family.hpp"

using wasmheap::global_heap;
namespace mf = wasmheap::malloc_family;

static_assert(wasmheap::GlobalHeap::class_count <= WASMHEAP_MAX_CLASSES);

extern "C" {

void* wasmheap_alloc(size_t len, size_t align) { return global_heap().alloc(len, align); }
int wasmheap_resize(void* p, size_t len, size_t align, size_t new_len) {
  return global_heap().resize(p, len, align, new_len) ? 1 : 0;
}
void* wasmheap_remap(void* p, size_t len, size_t align, size_t new_len) {
  return global_heap().remap(p, len, align, new_len);
}
void wasmheap_free(void* p, size_t len, size_t align) { global_heap().free(p, len, align); }
size_t wasmheap_usable_size(const void* p) { return global_heap().usable_size(p); }
const char* wasmheap_check(void) { return global_heap().check(); }

void wasmheap_get_stats(struct wasmheap_stats* out) {
  using Classes = wasmheap::GlobalHeap::class_policy;
  auto s = global_heap().stats();
  *out = wasmheap_stats{};
  out->bytes_live = s.bytes_live;
  out->bytes_held = s.bytes_held;
  out->bytes_held_peak = s.bytes_held_peak;
  out->pages_grown = s.pages_grown;
  out->blocks_live = s.blocks_live;
  out->big_blocks_live = s.big_blocks_live;
  out->bytes_cached = s.bytes_cached;
  out->class_count = Classes::count;
  for (unsigned c = 0; c < Classes::count; ++c) {
    out->class_blocks_live[c] = s.class_blocks_live[c];
    out->class_slot_size[c] = Classes::slot_size(c);
  }
}

void wasmheap_thread_exit(void) {
  // Only a heap with thread caches has anything to give back.
  [](auto& heap) {
    if constexpr (requires { heap.thread_exit(); }) heap.thread_exit();
  }(global_heap());
}
size_t wasmheap_lock_acquisitions(void) {
  return [](auto& heap) -> size_t {
    if constexpr (requires { heap.lock_acquisitions(); })
      return heap.lock_acquisitions();
    else
      return static_cast<size_t>(-1);
  }(global_heap());
}

void* wasmheap_malloc(size_t size) { return mf::malloc(size); }
void wasmheap_free_unsized(void* p) { mf::free(p); }
void* wasmheap_calloc(size_t count, size_t size) { return mf::calloc(count, size); }
void* wasmheap_realloc(void* p, size_t size) { return mf::realloc(p, size); }
void* wasmheap_reallocarray(void* p, size_t count, size_t size) { return mf::reallocarray(p, count, size); }
void* wasmheap_aligned_alloc(size_t align, size_t size) { return mf::aligned_alloc(align, size); }
int wasmheap_posix_memalign(void** out, size_t align, size_t size) { return mf::posix_memalign(out, align, size); }
void* wasmheap_memalign(size_t align, size_t size) { return mf::memalign(align, size); }
size_t wasmheap_malloc_usable_size(void* p) { return mf::malloc_usable_size(p); }

}  // extern "C"
