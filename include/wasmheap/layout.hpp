// The shape of WebAssembly linear memory, as every layer of wasmheap sees it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wasmheap {

// memory.grow works in 64 KiB pages.
inline constexpr std::size_t page_shift = 16;
inline constexpr std::size_t page_size = std::size_t{1} << page_shift;

// The heap hands memory out in 1 KiB units: slabs and big blocks are whole
// units, and the page map has one entry per unit. A unit is small enough that
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
