// The shape of WebAssembly linear memory, as every layer of wasmheap sees it,
// and the words every file uses for it:
//
//   page         64 KiB, what memory.grow adds; memory backends deal in pages.
//   unit         1 KiB, what the heap hands out whole: slabs and big blocks
//                are runs of units (unit_shift below says why 1 KiB).
//   run          consecutive units with one use: a slab, a big block, a free
//                run, or the unit map itself.
//   unit map     one 32-bit entry per unit saying what holds it (unit_map.hpp),
//                how a bare pointer finds its block's size.
//   unit layer   UnitRuns (unit_runs.hpp): takes and gives back runs of units,
//                merges free runs, grows memory.
//   class        a size class: every slot of one size (size_classes.hpp).
//   slot         a small block's place in a slab; a slab is a run of units
//                cut into slots of one class.
//   small, big   a request some class holds (up to 16 KiB), or one that takes
//                a run of its own.
//   bump range   the slots of a class's newest slab not handed out yet.
//   free list    a class's freed slots, linked through their first word.
//   borrowing    a request served by a free slot one class larger, which
//                stays of its own class (Heap::alloc_from_elsewhere).
//   sweep        a walk of the free lists that gives empty slabs back to the
//                unit layer (Heap::sweep_empty_slabs).
//   backend      where pages come from (WasmMemory, SimulatedMemory; the
//                MemoryBackend concept).
//   check()      the invariant checker: walks the heap's structures and
//                returns the first inconsistency (wasmheap_check()).
//   checked build  WASMHEAP_CHECKED: every call verifies its arguments and
//                stops a misusing program with a message (checked.hpp).
//   WASMHEAP_ASSERT  a precondition, verified in builds without NDEBUG
//                (stop.hpp).
//   Zig's WasmAllocator   std.heap.WasmAllocator, the design wasmheap starts from.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wasmheap {

// memory.grow works in 64 KiB pages.
inline constexpr std::size_t page_shift = 16;
inline constexpr std::size_t page_size = std::size_t{1} << page_shift;

// The heap hands memory out in 1 KiB units: slabs and big blocks are whole
// units, and the unit map has one entry per unit. A unit is small enough that
// blocks of a few KiB and up can be rounded to units (at most 1 KiB wasted)
// and share freed memory with blocks of every other size, and large enough
// that the map costs 0.4% of the memory it describes.
inline constexpr std::size_t unit_shift = 10;
inline constexpr std::size_t unit_size = std::size_t{1} << unit_shift;
inline constexpr std::uint32_t units_per_page = page_size / unit_size;

// wasm32 addresses 4 GiB at most: 65,536 pages.
inline constexpr std::size_t max_memory_pages = std::size_t{1} << 16;
inline constexpr std::size_t max_units = max_memory_pages * units_per_page;

// The largest block the heap will try to hand out: every page but one. Larger
// requests (and anything that would overflow on the way) are impossible.
inline constexpr std::size_t max_block_size = (max_memory_pages - 1) * page_size;

// A span of addresses, [begin, end).
struct AddressRange {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
};

constexpr bool is_power_of_two(std::size_t x) noexcept { return x != 0 && (x & (x - 1)) == 0; }

// Whole pages (or units) needed for len bytes; len must be at most max_block_size.
constexpr std::size_t pages_for(std::size_t len) noexcept {
  return (len >> page_shift) + ((len & (page_size - 1)) != 0);
}
constexpr std::size_t units_for(std::size_t len) noexcept {
  return (len >> unit_shift) + ((len & (unit_size - 1)) != 0);
}

}  // namespace wasmheap
