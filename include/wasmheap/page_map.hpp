// The page table: one 32-bit entry per 64 KiB page of linear memory, saying what
// the page holds. It is how the heap learns a block's size from a bare pointer in
// O(1) (free(ptr), realloc, malloc_usable_size) with no header in front of any
// block, and how freed page runs find their free neighbours to merge with.
//
// The table grows with the heap. It starts as 256 entries inside the heap object
// (1 KiB of zeroed static data, covering the first 16 MiB of memory); when the
// heap grows past what it covers, the page layer moves it into pages of its own,
// at twice the size needed. A full table for wasm32's 4 GiB is 256 KiB: as
// static data it would add four pages to every program's initial memory.
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
  page_map = 6,  // first of the pages holding this table itself; value = their count
};

class PageMap {
 public:
  static constexpr std::uint32_t inline_capacity = 256;

  constexpr PageMap() noexcept = default;
  PageMap(const PageMap&) = delete;
  PageMap& operator=(const PageMap&) = delete;

  PageKind kind(std::uint32_t page) const noexcept { return static_cast<PageKind>(entries_[page] >> value_bits); }
  std::uint32_t value(std::uint32_t page) const noexcept { return entries_[page] & value_mask; }
  bool is(std::uint32_t page, PageKind k) const noexcept { return kind(page) == k; }
  void set(std::uint32_t page, PageKind k, std::uint32_t value = 0) noexcept {
    entries_[page] = (static_cast<std::uint32_t>(k) << value_bits) | value;
  }

  // Pages 0 .. capacity()-1 have entries.
  std::uint32_t capacity() const noexcept { return capacity_; }
  bool is_inline() const noexcept { return entries_ == inline_; }
  const void* storage() const noexcept { return entries_; }

  // Moves the table to `storage`, which has room for `capacity` (>= capacity())
  // entries and may overlap the current storage; entries past the old capacity
  // start out unused.
  void move_to(std::uint32_t* storage, std::uint32_t capacity) noexcept {
    __builtin_memmove(storage, entries_, capacity_ * sizeof(std::uint32_t));
    __builtin_memset(storage + capacity_, 0, (capacity - capacity_) * sizeof(std::uint32_t));
    entries_ = storage;
    capacity_ = capacity;
  }

 private:
  static constexpr unsigned value_bits = 24;  // page counts go up to 65,536 (17 bits)
  static constexpr std::uint32_t value_mask = (std::uint32_t{1} << value_bits) - 1;
  std::uint32_t* entries_ = inline_;
  std::uint32_t capacity_ = inline_capacity;
  std::uint32_t inline_[inline_capacity] = {};
};

}  // namespace wasmheap
