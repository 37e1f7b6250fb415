// The shape of WebAssembly linear memory, as every layer of wasmheap sees it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wasmheap {

// memory.grow works in units of 64 KiB pages; so does the page layer.
inline constexpr std::size_t page_shift = 16;
inline constexpr std::size_t page_size = std::size_t{1} << page_shift;

// wasm32 addresses 4 GiB at most: 65,536 pages.
inline constexpr std::size_t max_memory_pages = std::size_t{1} << 16;

// The largest block the heap will try to hand out: every page but one. Larger
// requests (and anything that would overflow on the way) are impossible.
inline constexpr std::size_t max_block_size = (max_memory_pages - 1) * page_size;

// A span of addresses, [begin, end).
struct AddressRange {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
};

constexpr bool is_power_of_two(std::size_t x) noexcept { return x != 0 && (x & (x - 1)) == 0; }

// Whole pages needed for len bytes; len must be at most max_block_size.
constexpr std::size_t pages_for(std::size_t len) noexcept {
  return (len >> page_shift) + ((len & (page_size - 1)) != 0);
}

}  // namespace wasmheap
