// The two things a Heap is made from, written down: where its pages come
// from (a memory backend) and how requests map to slot sizes (a class
// policy). Heap<Memory, Classes> checks both at compile time.
#pragma once

#include <wasmheap/layout.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace wasmheap {

// A memory backend hands out whole 64 KiB pages, never takes them back, and
// says where they are. Required:
//   grow(n)        n more pages; their address, or nullptr when memory cannot
//                  grow. Another user of the memory may have grown it since
//                  (sbrk): the pages need not follow the heap's last ones.
//   base()         the address of page 0 (0 on wasm: linear memory starts there)
//   size_pages()   pages that exist below which the heap may assume nothing of
//                  its own lies above its top
//   pages_grown()  pages this backend has grown, for statistics
// Optional, found with `requires` where they are used:
//   initial_free()          memory that exists before any growth and is the
//                           heap's to take (wasm: __heap_base to the end of the
//                           initial memory), taken over on the first request
//   catch_up_with_growth()  called under a lock before the heap touches
//                           memory another thread may have grown (threads)
//   before_growth()         called with the heap's lock held just before
//                           memory grows (SharedMemory: thread caches give
//                           their slots back first)
template <class M>
concept MemoryBackend = requires(M& memory, const M& view, std::size_t pages) {
  { memory.grow(pages) } -> std::same_as<std::byte*>;
  { view.base() } -> std::convertible_to<std::uintptr_t>;
  { view.size_pages() } -> std::convertible_to<std::size_t>;
  { view.pages_grown() } -> std::convertible_to<std::size_t>;
};

// A class policy maps a request (length, alignment) to one of `count` small
// classes, or to `count` when the request is big. Its invariants, which the
// heap's layout relies on, are checked by ClassPolicyInvariants below.
template <class C>
concept ClassPolicy = requires(std::size_t len, std::size_t align, unsigned c) {
  { C::count } -> std::convertible_to<unsigned>;
  { C::class_of(len, align) } -> std::same_as<unsigned>;
  { C::slot_size(c) } -> std::convertible_to<std::size_t>;
  { C::name } -> std::convertible_to<const char*>;
};

// What every class policy must satisfy, each for a reason:
//  - the smallest slot holds a free-list link (a free slot is its own link);
//  - a slot of 16 B or more is a multiple of 16, so slabs (which start on a
//    unit) align it as malloc must; smaller ones are powers of two;
//  - sizes grow with the class, and each slot size maps back to its own
//    class, so a block's class is what its size says (resize, realloc);
//  - every slot fits a slab of at most a page (a slab unit's map entry has
//    room for its place among 64 units).
template <class C>
consteval bool class_policy_invariants() {
  if (C::count == 0 || C::slot_size(0) < sizeof(void*)) return false;
  for (unsigned c = 0; c < C::count; ++c) {
    std::size_t size = C::slot_size(c);
    if (size >= 16 ? size % 16 != 0 : !is_power_of_two(size)) return false;
    if (c > 0 && size <= C::slot_size(c - 1)) return false;
    if (C::class_of(size, 1) != c) return false;
    if (size > page_size) return false;
  }
  return C::class_of(C::slot_size(C::count - 1) + 1, 1) == C::count;
}

}  // namespace wasmheap
