// The C API's view of the whole heap: walk, fragmentation summary, snapshot,
// mallinfo figures and trim. An object of its own: programs that call none
// of these link none of it.
#include <wasmheap/introspection.hpp>
#include <wasmheap/wasmheap.h>

#include "global_heap.hpp"

#include <cstdint>

using wasmheap::global_heap;
namespace is = wasmheap::introspection;

extern "C" {

int wasmheap_walk(wasmheap_visitor visit, void* ctx) {
  // The bitmap comes from the heap before the walk takes the lock; if the
  // heap grew meanwhile (another thread), it is too small, and is taken again.
  for (;;) {
    std::size_t bytes = is::with_whole_heap(global_heap(), [](auto& heap) { return is::walk_scratch_bytes(heap); });
    auto* scratch = static_cast<std::uint32_t*>(global_heap().alloc(bytes + 4096, alignof(std::uint32_t)));
    if (scratch == nullptr) return -1;
    bool walked = is::with_whole_heap(global_heap(), [&](auto& heap) {
      auto each = [&](void* block, std::size_t size, int c) { visit(block, size, c, ctx); };
      return is::walk(heap, each, scratch, bytes + 4096, scratch);
    });
    global_heap().free(scratch);
    if (walked) return 0;
  }
}

void wasmheap_get_fragmentation(struct wasmheap_fragmentation* out) {
  is::with_whole_heap(global_heap(), [&](auto& heap) { is::fragmentation(heap, *out); });
}

void wasmheap_get_mallinfo(struct wasmheap_mallinfo* out) {
  *out = is::with_whole_heap(global_heap(), [](auto& heap) { return is::mallinfo(heap); });
}

size_t wasmheap_snapshot(void* buf, size_t cap) {
  static std::uint32_t taken = 0;
  // What other threads keep cached shows as live in the snapshot; this says how much.
  std::size_t cached = global_heap().stats().bytes_cached;
  return is::with_whole_heap(global_heap(), [&](auto& heap) {
    std::size_t size = is::snapshot_bytes(heap);
    if (cap < size || reinterpret_cast<std::uintptr_t>(buf) % alignof(std::uint32_t) != 0) return size;
    return is::snapshot(heap, static_cast<std::uint32_t*>(buf), cap, cached, ++taken);
  });
}

int wasmheap_trim(void) {
  std::size_t cached = global_heap().stats().bytes_cached;
  bool slabs = is::with_whole_heap(global_heap(), [](auto& heap) { return heap.trim(); });
  return slabs || global_heap().stats().bytes_cached < cached ? 1 : 0;
}

}  // extern "C"
