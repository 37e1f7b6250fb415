// The unit map: one 32-bit entry per 1 KiB unit of the heap, saying what the
// unit holds. It is how the heap learns a block's size from a bare pointer in
// O(1) (free(ptr), realloc, malloc_usable_size) with no header in front of any
// block, and how freed unit runs find their free neighbours to merge with.
//
// Unit 0 is the heap's first unit (not address 0), so the program's own data
// below the heap needs no entries. The map grows with the heap. It starts as
// 1,024 entries inside the heap object (4 KiB of zeroed static data, covering
// the first MiB of the heap); when the heap grows past what it covers, the
// unit layer moves it into the heap's last units, and up again with each
// growth, with an entry for every unit below it. A full
// map for wasm32's 4 GiB is 16 MiB: as static data it would sit in every
// program's initial memory.
#pragma once

#include <wasmheap/layout.hpp>
#include <wasmheap/shared_access.hpp>

#include <cstdint>

namespace wasmheap {

enum class UnitKind : std::uint32_t {
  unused = 0,    // never handed to the heap (or grown by someone else)
  slab = 1,      // small slots of one class; value = class id and the unit's place in its slab
  big = 2,       // first unit of a live big block; value = its unit count
  free = 3,      // first or last unit of a free run; value = the run's unit count
  interior = 4,  // any other unit of a big block or free run
  map = 5,       // first of the units holding this map itself; value = their count
};

// Shared: threads read entries without the heap's lock (see
// UnitRuns::entry_unlocked), so every write is one they may see at any time.
template <bool Shared>
class BasicUnitMap {
 public:
  static constexpr std::uint32_t inline_capacity = 1024;

  constexpr BasicUnitMap() noexcept = default;
  BasicUnitMap(const BasicUnitMap&) = delete;
  BasicUnitMap& operator=(const BasicUnitMap&) = delete;

  UnitKind kind(std::uint32_t unit) const noexcept { return kind_of(entries_[unit]); }
  std::uint32_t value(std::uint32_t unit) const noexcept { return value_of(entries_[unit]); }
  bool is(std::uint32_t unit, UnitKind k) const noexcept { return kind(unit) == k; }
  void set(std::uint32_t unit, UnitKind k, std::uint32_t value = 0) noexcept {
    std::uint32_t entry = (static_cast<std::uint32_t>(k) << value_bits) | value;
    if constexpr (Shared)
      shared::store_relaxed(entries_[unit], entry);
    else
      entries_[unit] = entry;
  }
  // The two halves of an entry read as a whole.
  static UnitKind kind_of(std::uint32_t entry) noexcept { return static_cast<UnitKind>(entry >> value_bits); }
  static std::uint32_t value_of(std::uint32_t entry) noexcept { return entry & value_mask; }

  // For a reader without the lock (UnitRuns::entry_unlocked): where the
  // entries are and how many, read so that the entries' contents, written
  // before the map moved there, are seen too.
  const std::uint32_t* entries_unlocked() const noexcept requires Shared { return shared::load_acquire(entries_); }
  std::uint32_t capacity_unlocked() const noexcept requires Shared { return shared::load_acquire(capacity_); }

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
    if constexpr (Shared) {
      // Readers without the lock that see the new storage see it filled.
      shared::store_release(entries_, storage);
      shared::store_release(capacity_, capacity);
    } else {
      entries_ = storage;
      capacity_ = capacity;
    }
  }

 private:
  static constexpr unsigned value_bits = 28;  // unit counts go up to 2^22 (23 bits)
  static constexpr std::uint32_t value_mask = (std::uint32_t{1} << value_bits) - 1;
  static_assert(max_units <= value_mask, "a run's length must fit an entry's value");
  std::uint32_t* entries_ = inline_;
  std::uint32_t capacity_ = inline_capacity;
  std::uint32_t inline_[inline_capacity] = {};
};

using UnitMap = BasicUnitMap<false>;

}  // namespace wasmheap
