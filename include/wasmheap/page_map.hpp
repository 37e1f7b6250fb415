// The page map: one 32-bit entry per 1 KiB unit of the heap, saying what the
// unit holds. It is how the heap learns a block's size from a bare pointer in
// O(1) (free(ptr), realloc, malloc_usable_size) with no header in front of any
// block, and how freed page runs find their free neighbours to merge with.
//
// Unit 0 is the heap's first unit (not address 0), so the program's own data
// below the heap needs no entries. The map grows with the heap. It starts as
// 1,024 entries inside the heap object (4 KiB of zeroed static data, covering
// the first MiB of the heap); when the heap grows past what it covers, the
// page layer moves it into the heap's last units, and up again with each
// growth, with an entry for every unit below it. A full
// map for wasm32's 4 GiB is 16 MiB: as static data it would sit in every
// program's initial memory.
#pragma once

#include <wasmheap/layout.hpp>

#include <cstdint>

namespace wasmheap {

enum class PageKind : std::uint32_t {
  unused = 0,    // never handed to the heap (or grown by someone else)
  slab = 1,      // small slots of one class; value = class id and the unit's place in its slab
  big = 2,       // first unit of a live big block; value = its unit count
  free = 3,      // first or last unit of a free run; value = the run's unit count
  interior = 4,  // any other unit of a big block or free run
  page_map = 5,  // first of the units holding this map itself; value = their count
};

class PageMap {
 public:
  static constexpr std::uint32_t inline_capacity = 1024;

  constexpr PageMap() noexcept = default;
  PageMap(const PageMap&) = delete;
  PageMap& operator=(const PageMap&) = delete;

  PageKind kind(std::uint32_t unit) const noexcept { return static_cast<PageKind>(entries_[unit] >> value_bits); }
  std::uint32_t value(std::uint32_t unit) const noexcept { return entries_[unit] & value_mask; }
  bool is(std::uint32_t unit, PageKind k) const noexcept { return kind(unit) == k; }
  void set(std::uint32_t unit, PageKind k, std::uint32_t value = 0) noexcept {
    entries_[unit] = (static_cast<std::uint32_t>(k) << value_bits) | value;
  }

  // Units 0 .. capacity()-1 have entries.
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
  static constexpr unsigned value_bits = 28;  // unit counts go up to 2^20 (21 bits)
  static constexpr std::uint32_t value_mask = (std::uint32_t{1} << value_bits) - 1;
  std::uint32_t* entries_ = inline_;
  std::uint32_t capacity_ = inline_capacity;
  std::uint32_t inline_[inline_capacity] = {};
};

}  // namespace wasmheap
