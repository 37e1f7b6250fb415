// The page table: one 32-bit entry per 64 KiB page of linear memory, saying what
// the page holds. It is how the heap learns a block's size from a bare pointer in
// O(1) (free(ptr), realloc, malloc_usable_size) with no header in front of any
// block, and how freed page runs find their free neighbours to merge with.
//
// 65,536 entries cover all of wasm32's 4 GiB. As zero-initialised static data the
// table costs no bytes in the module, and an engine commits only the parts that
// are touched: one 4 KiB OS page of the table describes 64 MiB of heap.
#pragma once

#include <wasmheap/layout.hpp>

#include <cstdint>

namespace wasmheap {

enum class PageKind : std::uint32_t {
  unused = 0,    // never handed to the heap (or grown by someone else)
  slab = 1,      // small slots of one class; value = class id
  big = 2,       // first page of a live big block; value = its page count
  free = 3,      // first or last page of a free run; value = the run's page count
  interior = 4,  // any other page of a big block or free run
  chunked = 5,   // 4 KiB chunks, each a slab of its own class; value = ChunkTable descriptor
};

class PageMap {
 public:
  PageKind kind(std::uint32_t page) const noexcept { return static_cast<PageKind>(entries_[page] >> value_bits); }
  std::uint32_t value(std::uint32_t page) const noexcept { return entries_[page] & value_mask; }
  bool is(std::uint32_t page, PageKind k) const noexcept { return kind(page) == k; }
  void set(std::uint32_t page, PageKind k, std::uint32_t value = 0) noexcept {
    entries_[page] = (static_cast<std::uint32_t>(k) << value_bits) | value;
  }

 private:
  static constexpr unsigned value_bits = 24;  // page counts go up to 65,536 (17 bits)
  static constexpr std::uint32_t value_mask = (std::uint32_t{1} << value_bits) - 1;
  std::uint32_t entries_[max_memory_pages] = {};
};

}  // namespace wasmheap
