// Heap<Memory, Classes>: the allocator. Small requests live in slots carved from
// slabs of a few 1 KiB units, one free list and one bump range per size class;
// big requests take whole runs of units from the unit layer. The unit map tells,
// from any pointer, which class or how many units its block has, so there are
// no headers. (The words are defined at the top of layout.hpp.)
//
// malloc(n) (src/malloc.cpp) is alloc(n, 1) on the global heap: the class
// policy gives n's class c (size_classes.hpp); a small c pops the head of its
// free list or, if empty, the next slot of its bump range (alloc_small); with
// neither, a free slot one class larger is borrowed, or a new slab is cut
// from units the unit layer takes from a free run or from new pages
// (alloc_from_elsewhere, new_slab, take_units; unit_runs.hpp). A big request
// takes its own run of units (alloc_big).
//
// free(p) reads the entry of p's unit in the unit map: a slab's names its class
// and p's unit's place in it, and p must start one of its slots; a big
// block's first unit names its length. A slot goes onto its class's free
// list (push_free_slot), a run back to the unit layer, which merges it with
// free neighbours (free_big, UnitRuns::give). Empty slabs go back to the unit
// layer in sweeps, on slow paths only (sweep_empty_slabs).
//
// Reading order below: the API; what tools and thread caches use; then, in
// private, the fast paths, slabs and sweeps, big blocks, and the checker.
#pragma once

#include <wasmheap/checked.hpp>
#include <wasmheap/concepts.hpp>
#include <wasmheap/layout.hpp>
#include <wasmheap/unit_map.hpp>
#include <wasmheap/unit_runs.hpp>
#include <wasmheap/size_classes.hpp>
#include <wasmheap/stop.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

// Heap::alloc is inlined into its callers (malloc, operator new, ...) when
// optimising for speed, where the call would cost as much as the fast path;
// when optimising for size, one copy serves them all.
#if defined(__OPTIMIZE_SIZE__)
#define WASMHEAP_INLINE_FAST_PATH
#else
#define WASMHEAP_INLINE_FAST_PATH [[gnu::always_inline]]
#endif

namespace wasmheap {

// What the heap holds. The alloc/free fast paths keep no count at all (a
// count there costs them measurably; docs/design-log.md): the live slots of
// a class are its slabs' slots less its free and unbumped ones, counted when
// asked for; the rest is kept on slow paths.
template <class Classes>
struct HeapStats {
  std::size_t bytes_live = 0;       // bytes of the slots and unit runs of live blocks
  std::size_t bytes_held = 0;       // bytes of slabs (live, free or not yet used slots) and big blocks
  std::size_t bytes_held_peak = 0;  // highest bytes_held so far
  std::size_t pages_grown = 0;      // 64 KiB pages the memory backend has grown
  std::size_t blocks_live = 0;
  std::size_t big_blocks_live = 0;
  std::size_t bytes_cached = 0;     // of free slots kept by threads for themselves (CachedHeap)
  std::size_t class_blocks_live[Classes::count] = {};
  // Work done on slow paths, which must stay bounded whatever the program
  // does (tests count these instead of timing them).
  std::size_t sweeps = 0;             // sweeps of empty slabs
  std::size_t sweep_steps = 0;        // free-list steps those sweeps took
  std::size_t free_runs_scanned = 0;  // free runs looked at to find one that fits
  std::size_t memory_grows = 0;       // calls that grew memory
  std::size_t map_units_moved = 0;    // units of unit map copied when the map moved
};

template <MemoryBackend Memory, ClassPolicy Classes = QuarterClasses>
class Heap {
  static_assert(class_policy_invariants<Classes>(), "see ClassPolicy in concepts.hpp");

 public:
  using Stats = HeapStats<Classes>;
  using class_policy = Classes;
  static constexpr unsigned class_count = Classes::count;

  constexpr explicit Heap(Memory memory = Memory()) noexcept : units_(std::move(memory)) {}
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // len bytes aligned to align (a power of two); nullptr if impossible or out of
  // memory. len == 0 gives a distinct, freeable minimal block.
  WASMHEAP_INLINE_FAST_PATH void* alloc(std::size_t len, std::size_t align) noexcept {
    if (!is_power_of_two(align)) [[unlikely]]
      return nullptr;
    unsigned c = Classes::class_of(len, align);
    if (is_small(c)) [[likely]]
      return alloc_small(c, align);
    return alloc_big(len, align, RunEnd::high);
  }

  // Frees a block given the len and align it was allocated (or last resized)
  // with. The checked build makes sure they match the block; otherwise the
  // block is freed as by its pointer alone: the unit map gives its class
  // either way (a small block's slot may be of the next class, see
  // alloc_from_elsewhere), and checks that p starts a block.
  WASMHEAP_INLINE_FAST_PATH void free(void* p, std::size_t len, std::size_t align) noexcept {
    if constexpr (checked_build) Checks::sized_block(*this, p, len, align, "free");
    free_block(p);
  }

  // Frees a block from its pointer alone. nullptr and pointers that do not
  // start a block the heap handed out are ignored.
  WASMHEAP_INLINE_FAST_PATH void free(void* p) noexcept {
    if constexpr (checked_build) Checks::live_block(*this, p, "free");
    free_block(p);
  }

  // Whether the block can take new_len bytes without moving. Small blocks can
  // while new_len keeps the class of len or of their slot (one class larger
  // when borrowed, see alloc_from_elsewhere); big blocks shrink by giving back
  // tail units and grow into free units right after them or at the top of memory.
  // nullptr, and pointers that do not start a block, cannot be resized.
  bool resize(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    if constexpr (checked_build) Checks::sized_block(*this, p, len, align, "resize");
    unsigned c = block_class(p), new_c = Classes::class_of(new_len, align);
    if (is_small(c)) return new_c == c || new_c == Classes::class_of(len, align);
    return is_block(c) && !is_small(new_c) && resize_big(p, new_len);
  }

  void* remap(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    return resize(p, len, align, new_len) ? p : nullptr;
  }

  // Bytes the block at p can hold (its slot or unit run); 0 for nullptr and
  // pointers that do not start a block.
  std::size_t usable_size(const void* p) const noexcept {
    unsigned c = block_class(p);
    return is_block(c) ? block_size(p, c) : 0;
  }

  // C realloc over the unsized API: nullptr p allocates; the block stays in
  // place when new_len keeps its class (small) or fits in place (big); otherwise
  // it moves, and on failure the old block is left untouched and nullptr returned.
  // A pointer that does not start a block gets nullptr.
  void* realloc(void* p, std::size_t new_len) noexcept {
    if (p == nullptr) return alloc(new_len, 1);
    if constexpr (checked_build) Checks::live_block(*this, p, "realloc");
    unsigned c = block_class(p);
    if (!is_block(c)) return nullptr;
    unsigned new_c = Classes::class_of(new_len, 1);
    if (new_c == c && (is_small(c) || resize_big(p, new_len))) return p;
    // A big block that moved may grow again: it goes where it can grow in place.
    void* q = is_small(new_c) ? alloc_small(new_c, 1) : alloc_big(new_len, 1, RunEnd::low);
    std::size_t size = block_size(p, c);
    if (q == nullptr) {
      // Out of memory for a smaller block: the block shrinks where it is
      // (a big one gives back its tail units), as a shrink must not fail.
      if (new_len > size) return nullptr;
      if (!is_small(c)) resize_big(p, new_len);
      return p;
    }
    __builtin_memcpy(q, p, std::min(size, new_len));
    release(p, c);
    return q;
  }

  // Walks the free lists: it costs as much as they are long.
  Stats stats() const noexcept {
    Stats s;
    s.bytes_live = big_bytes_live_;
    s.blocks_live = s.big_blocks_live = big_blocks_live_;
    for (unsigned c = 0; c < class_count; ++c) {
      s.class_blocks_live[c] = slabs_[c] * slots_per_slab(c) - free_slot_bytes(c) / Classes::slot_size(c);
      s.blocks_live += s.class_blocks_live[c];
      s.bytes_live += s.class_blocks_live[c] * Classes::slot_size(c);
    }
    s.bytes_held = bytes_held();
    s.bytes_held_peak = bytes_held_peak_;
    s.pages_grown = units_.memory().pages_grown();
    s.sweeps = sweeps_;
    s.sweep_steps = sweep_steps_;
    s.free_runs_scanned = units_.work().runs_scanned;
    s.memory_grows = units_.work().grows;
    s.map_units_moved = units_.work().map_units_moved;
    return s;
  }

  // The first inconsistency in the heap's structures, or nullptr if sound: the
  // unit layer's runs and bins, then every class's bump range and free list,
  // then the statistics against the blocks the unit map holds.
  const char* check() const noexcept {
    if (const char* problem = units_.check()) return problem;
    return check_blocks();
  }

  Memory& memory() noexcept { return units_.memory(); }
  const Memory& memory() const noexcept { return units_.memory(); }
  const auto& map() const noexcept { return units_.map(); }

  // A slab of class c: its units, and the slots they hold (see slab_unit_counts).
  static constexpr std::uint32_t slab_units_of(unsigned c) noexcept { return slab_unit_counts[c]; }
  static constexpr std::size_t slots_per_slab(unsigned c) noexcept {
    return (std::size_t{slab_units_of(c)} << unit_shift) / Classes::slot_size(c);
  }

  // ---- For tools that look at the whole heap (introspection.hpp) ----
  // Nothing here runs unless such a tool calls it.

  // The heap's units, [0, units()), and where each lies.
  std::uint32_t units() const noexcept { return units_.top(); }
  const std::byte* unit_address(std::uint32_t unit) const noexcept { return units_.address_of(unit); }
  std::size_t slabs(unsigned c) const noexcept { return slabs_[c]; }

  // What holds a stretch of units, as the unit map says: a slab (of class
  // c), a big block, a free run, the unit map, or units grown by someone
  // else (unused).
  struct Run {
    std::uint32_t first;
    std::uint32_t units;
    UnitKind kind;
    unsigned c;
  };
  // Calls visit(run) for each run in address order: O(units).
  template <class F>
  void for_each_run(F&& visit) const noexcept {
    const std::uint32_t top = units_.top();
    for (std::uint32_t unit = 0; unit < top;) {
      Run run{unit, 1, map().kind(unit), 0};
      std::uint32_t value = map().value(unit);
      switch (run.kind) {
        case UnitKind::slab:
          run.c = value & slab_class_mask;
          run.units = slab_units_of(run.c) - slab_index(value);
          break;
        case UnitKind::big:
        case UnitKind::free:
        case UnitKind::map: run.units = std::max<std::uint32_t>(value, 1); break;
        case UnitKind::unused:
          while (unit + run.units < top && map().is(unit + run.units, UnitKind::unused)) ++run.units;
          break;
        default: break;  // an interior unit where a run should start: not written by this heap
      }
      run.units = std::min(run.units, top - unit);
      visit(run);
      unit += run.units;
    }
  }

  // Calls visit(slot) for every free slot of class c the heap holds (its
  // free list and bump range; not those threads cache). A walk that meets
  // more slots than the class's slabs hold stops the program, as stats() does.
  template <class F>
  void for_each_free_slot(unsigned c, F&& visit) const noexcept {
    for (std::byte* slot = bump_[c]; slot != bump_end_[c]; slot += Classes::slot_size(c)) visit(static_cast<void*>(slot));
    const std::size_t most = slabs_[c] * slots_per_slab(c);
    std::size_t seen = 0;
    for (FreeSlot* slot = free_slots_[c]; slot != nullptr; slot = slot->next) {
      if (++seen > most) stop_free_list(slot);
      visit(static_cast<void*>(slot));
    }
  }

  // Every empty slab goes back to the free runs now, whatever the sweep's
  // budget says (an explicit request: malloc_trim); true if any did. It
  // costs as much as the free lists are long.
  bool trim() noexcept {
    std::size_t before = slab_units_;
    sweep_empty_slabs();
    return slab_units_ != before;
  }

  // ---- For a cache of free slots in front of the heap (CachedHeap) ----

  // The heap is shared by threads that call it without its lock for some
  // things (its memory backend is a SharedMemory).
  static constexpr bool shared = UnitRuns<Memory>::shared;

  // The class of the block at p, as free finds it, read without the heap's
  // lock; or not_a_block when that read could not tell (p is not in the heap
  // as this thread sees it, or the heap grew meanwhile): ask block_class
  // under the lock then.
  WASMHEAP_INLINE_FAST_PATH unsigned block_class_unlocked(const void* p) const noexcept requires shared {
    std::uint32_t unit = 0, entry = 0;
    if (!units_.entry_unlocked(p, unit, entry)) return not_a_block;
    using Map = typename UnitRuns<Memory>::Map;
    return class_from_entry(Map::kind_of(entry), Map::value_of(entry), units_.offset_in_unit(p));
  }
  unsigned block_class(const void* p) const noexcept {
    if (!units_.owns(p)) return not_a_block;
    std::uint32_t unit = units_.unit_of(p), value = map().value(unit);
    std::size_t offset = units_.offset_in_unit(p);
    return class_from_entry(map().kind(unit), value, offset);
  }
  static constexpr unsigned not_a_block = class_count + 1;

  // What block_class says: a small block (a slot of a class), a big block
  // (class_count), or not a block.
  static constexpr bool is_small(unsigned c) noexcept { return c < class_count; }
  static constexpr bool is_block(unsigned c) noexcept { return c <= class_count; }

  // Borrowing: a request of class c whose class has no free slot at hand may
  // get a free slot of class c + 1, which stays of its own class (see
  // alloc_from_elsewhere); only if c's slabs hold several slots, so that a
  // class with one slot per slab never takes twice its size. A block's slot
  // is of its request's class or of the one it borrows from.
  static constexpr bool may_borrow(unsigned c) noexcept { return c + 1 < class_count && slots_per_slab(c) > 1; }
  static constexpr unsigned lender_of(unsigned c) noexcept { return c + 1; }

  // A slot for a request of class c aligned to align, as alloc gives it
  // (nullptr when out of memory), and up to `most` more free slots of class
  // c for the cache, linked through their first word from `spares` to
  // `last`; returns how many. The spares come from c's free list, then its
  // bump range: never a new slab, so a cache takes no more memory than one
  // request would.
  void* alloc_with_spares(unsigned c, std::size_t align, std::size_t most, void*& spares, void*& last,
                          std::size_t& count) noexcept {
    void* p = alloc_small(c, align);
    FreeSlot *list = nullptr, **tail = &list, *end = nullptr;
    std::size_t n = 0;
    if (p != nullptr) {
      FreeSlot* slot = free_slots_[c];
      for (; slot != nullptr && n < most; slot = slot->next, ++n) {
        *tail = end = slot;
        tail = &slot->next;
      }
      free_slots_[c] = slot;
      for (; n < most && bump_[c] != bump_end_[c]; bump_[c] += Classes::slot_size(c), ++n) {
        *tail = end = reinterpret_cast<FreeSlot*>(bump_[c]);
        tail = &end->next;
      }
    }
    *tail = nullptr;
    spares = list;
    last = end;
    count = n;
    return p;
  }

  // Whether class c has a free slot at hand (on its free list or in its
  // bump range), so that an allocation of it takes no new slab.
  bool has_free_slot(unsigned c) const noexcept { return free_slots_[c] != nullptr || bump_[c] != bump_end_[c]; }

  // Takes back n free slots of class c from a cache, linked from first to last.
  void free_slots(unsigned c, void* first, void* last, std::size_t n) noexcept {
    if (first == free_slots_[c]) [[unlikely]]
      stop("double free of", first);
    static_cast<FreeSlot*>(last)->next = free_slots_[c];
    free_slots_[c] = static_cast<FreeSlot*>(first);
    frees_since_sweep_ += n;
  }

 private:
  // The checked build's checks (checked.hpp) read the heap's free lists and map.
  using Checks = checked::HeapChecks<Heap>;
  friend Checks;

  struct FreeSlot {
    FreeSlot* next;
  };

  // ---- Fast paths: a slot from its class, a block back by its pointer ----

  void* alloc_small(unsigned c, std::size_t align) noexcept {
    void* p = free_slots_[c];
    if (p != nullptr) {
      free_slots_[c] = free_slots_[c]->next;
      if constexpr (checked_build) Checks::slot_taken(*this, p, c);
    } else if (bump_[c] != bump_end_[c]) {
      p = bump_[c];
      bump_[c] += Classes::slot_size(c);
    } else {
      return alloc_from_elsewhere(c, align);
    }
    return p;
  }

  // Freeing the slot at the head of its free list again, the commonest
  // double free, would make it its own successor: every later request of the
  // class would get that one slot. One comparison catches it. (A slot freed
  // twice with other frees between is caught when a walk of the list meets
  // the cycle, or at once by the checked build.)
  void push_free_slot(void* p, unsigned c) noexcept {
    auto* slot = static_cast<FreeSlot*>(p);
    if (slot == free_slots_[c]) [[unlikely]]
      stop("double free of", p);
    slot->next = free_slots_[c];
    free_slots_[c] = slot;
    ++frees_since_sweep_;
    if constexpr (checked_build) Checks::slot_freed(slot, c);
  }

  // The small class of the block that starts at p, from the map entry of
  // its unit (kind and value) and its offset there: class_count for a big
  // block; not_a_block for anything else: nullptr (owns() is false for it,
  // since the heap's first unit lies above address 0), memory the heap does
  // not own, free memory, or a pointer inside a block or between a slab's
  // slots. So no pointer but a block's start can become a free slot or run.
  [[gnu::always_inline]] static unsigned class_from_entry(UnitKind kind, std::uint32_t value, std::size_t offset) noexcept {
    switch (kind) {
      case UnitKind::slab: {
        unsigned c = value & slab_class_mask;
#if defined(__clang__)
        __builtin_assume(c < class_count);  // the heap wrote it: no test on the free path
#endif
        offset += std::size_t{slab_index(value)} << unit_shift;
        return is_slot_offset(offset, c) ? c : not_a_block;
      }
      case UnitKind::big: return offset == 0 ? class_count : not_a_block;
      default: return not_a_block;
    }
  }

  // The class named by the map entry of the slab unit holding p.
  unsigned slab_class(const void* p) const noexcept {
    WASMHEAP_ASSERT(map().is(units_.unit_of(p), UnitKind::slab));
    return map().value(units_.unit_of(p)) & slab_class_mask;
  }

  WASMHEAP_INLINE_FAST_PATH void free_block(void* p) noexcept {
    unsigned c = block_class(p);
    if (is_block(c)) release(p, c);
  }

  // The block at p, of class c (from block_class), goes back.
  WASMHEAP_INLINE_FAST_PATH void release(void* p, unsigned c) noexcept {
    if (is_small(c))
      push_free_slot(p, c);
    else
      free_big(p);
  }

  // Bytes of the block at p, of class c (from block_class): its slot or units.
  std::size_t block_size(const void* p, unsigned c) const noexcept {
    return is_small(c) ? Classes::slot_size(c) : std::size_t{map().value(units_.unit_of(p))} << unit_shift;
  }

  // A slab unit's place in its slab, from its map entry's value.
  static std::uint32_t slab_index(std::uint32_t value) noexcept {
    return (value >> slab_index_shift) & slab_index_mask;
  }
  // First unit of the slab holding the slab unit `unit`.
  std::uint32_t slab_head(std::uint32_t unit) const noexcept { return unit - slab_index(map().value(unit)); }

  // Whether byte `offset` of a slab of class c starts one of its slots: a
  // multiple of the slot size whose slot ends inside the slab. Every free
  // asks, so divisibility is tested by one multiplication instead of a
  // division: with m = ceil(2^32 / size), a 16-bit offset (a slab is at most
  // a page) is a multiple of size exactly when offset * m wraps below m
  // (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
  static bool is_slot_offset(std::size_t offset, unsigned c) noexcept {
    auto at = static_cast<std::uint32_t>(offset);
    return at * slot_multipliers[c] < slot_multipliers[c] &&
           at + Classes::slot_size(c) <= (std::uint32_t{slab_units_of(c)} << unit_shift);
  }

  // ---- Slabs and sweeps ----

  // Class c has no free slot at hand. If a slab of c would hold several slots
  // and the next class has a free one aligned as asked, that slot serves the
  // request: it is one class step larger, and memory already held serves
  // before more is taken for slots that may never be used (a steady mix of
  // sizes needs less memory, none slower; docs/design-log.md). Such a slot
  // stays in its own class: the unit map, not the request, tells its class
  // when it is freed. Otherwise c gets a new slab.
  [[gnu::noinline]] void* alloc_from_elsewhere(unsigned c, std::size_t align) noexcept {
    unsigned next = lender_of(c);
    // may_borrow(c), its halves tested around the load: the smallest code.
    FreeSlot* slot = next < class_count ? free_slots_[next] : nullptr;
    if (slot != nullptr && slots_per_slab(c) > 1 && reinterpret_cast<std::uintptr_t>(slot) % align == 0) {
      free_slots_[next] = slot->next;
      if constexpr (checked_build) Checks::slot_taken(*this, slot, next);
      return slot;
    }
    return new_slab(c);
  }

  // Starts a fresh slab for class c and returns its first slot. Every unit of
  // the slab names the class and its own place in the slab.
  std::byte* new_slab(unsigned c) noexcept {
    std::uint32_t units = slab_units_of(c);
    std::byte* slab = take_units(units, unit_size, RunEnd::low);
    if (slab == nullptr) return nullptr;
    std::uint32_t head = units_.unit_of(slab);
    for (std::uint32_t i = 0; i < units; ++i) units_.map().set(head + i, UnitKind::slab, c | i << slab_index_shift);
    slab_units_ += units;
    ++slabs_[c];
    ++total_slabs_;
    slab_slots_ += slots_per_slab(c);
    note_held();
    bump_[c] = slab + Classes::slot_size(c);
    bump_end_[c] = slab + slots_per_slab(c) * Classes::slot_size(c);
    return slab;
  }

  // A slab of class c is the fewest units, at least one slot, whose slots
  // leave little of it unused: at most 1/small_slab_waste for slots up to
  // 1 KiB (within a page), and 1/medium_slab_waste above, within
  // medium_slab_most_units units, or else the fewest units
  // that leave the least. Small slabs keep a class in light use small, and a
  // slab empties (and can go back) sooner, at the price of more frequent new
  // slabs on the slow path: one unit for most classes up to 1 KiB, a little
  // more for others (a 448 B slot takes 4 units: 9 slots, 64 B to spare).
  // Above 1 KiB a slab holds few slots and what it leaves adds to each
  // slot's rounding, hence the finer share there. (The measurements that
  // chose these shares: docs/design-log.md.)
  static constexpr std::size_t small_slab_waste = 16, medium_slab_waste = 64, medium_slab_most_units = 16;
  static constexpr auto slab_unit_counts = [] {
    struct Table {
      std::uint8_t units[class_count];
      constexpr std::uint8_t operator[](unsigned c) const { return units[c]; }
    } table{};
    for (unsigned c = 0; c < class_count; ++c) {
      std::size_t size = Classes::slot_size(c), medium = size > unit_size;
      std::size_t share = medium ? medium_slab_waste : small_slab_waste, most = medium ? medium_slab_most_units : units_per_page;
      std::size_t units = units_for(size), best = units, best_left = size;  // left over, per slab byte
      for (std::size_t u = units; u <= std::max(units, most); ++u) {
        std::size_t bytes = u << unit_shift, left = bytes % size;
        if (left * share <= bytes) {
          best = u;
          break;
        }
        if (left * (best << unit_shift) < best_left * bytes) best = u, best_left = left;
      }
      table.units[c] = static_cast<std::uint8_t>(best);
    }
    return table;
  }();
  // ceil(2^32 / slot size) for each class (is_slot_offset).
  static constexpr auto slot_multipliers = [] {
    struct Table {
      std::uint32_t multiplier[class_count];
      constexpr std::uint32_t operator[](unsigned c) const { return multiplier[c]; }
    } table{};
    for (unsigned c = 0; c < class_count; ++c) {
      std::uint64_t size = Classes::slot_size(c);
      table.multiplier[c] = static_cast<std::uint32_t>(((std::uint64_t{1} << 32) + size - 1) / size);
    }
    return table;
  }();

  // Units for a slab or big block, best fit from the free runs, or from new
  // memory. Empty slabs go back to the unit layer first, so they are reused
  // before memory grows and before they scatter between the runs that big
  // blocks grow into, when a sweep is affordable (sweep_affordable) and
  //  - slab memory has grown by an eighth (and a page) since the last sweep:
  //    some classes took slabs while others may have held free slots (a
  //    steady mix of sizes); or
  //  - half as many slots as the slabs hold were freed since: a mass free,
  //    as when a container is cleared; or
  //  - no free run fits, and memory would grow.
  // Sweeping more eagerly gives slabs back only for their class to take them
  // again, over and over (docs/design-log.md). `end` says which end of a free run the units come from (see alloc_big).
  std::byte* take_units(std::size_t n, std::size_t align, RunEnd end) noexcept {
    std::size_t grown = (slab_units_ - slab_units_after_sweep_) << unit_shift;
    bool pressed = grown >= std::max(page_size, (slab_units_ << unit_shift) / sweep_after_slab_growth) ||
                   frees_since_sweep_ >= slab_slots_ / sweep_after_freed;
    if (pressed && sweep_affordable()) sweep_empty_slabs();
    if (std::byte* p = units_.take(n, align, end, Growth::forbidden)) return p;
    // Thread caches give their free slots back first (CachedHeap).
    if constexpr (requires { units_.memory().before_growth(); }) units_.memory().before_growth();
    if (sweep_affordable()) sweep_empty_slabs();
    return units_.take(n, align, end, Growth::allowed);  // a free run if the sweep made one, else more memory
  }

  // A sweep walks every free slot, so it must not run again until the heap
  // has done work of the same order since the last one, whatever the program
  // does between (the triggers above only ask for a sweep): a sweep costs at
  // most S + R free-list steps (and the slots of bump ranges, each pushed
  // once), where S is the free slots the last sweep left and R the slots
  // freed since. It is due when R >= S / 2 (a
  // sweep then costs at most 3 steps per free) or R >= slabs / 8 (S is at
  // most the slabs' slot count, so at most 8 slabs' worth of slots, 1,024
  // steps, per free), and R >= 32, so that a sweep's fixed cost, a look at
  // every class, is spread over frees too (a realloc that moves a block
  // between a slot and a big block, over and over, frees one slot each
  // time). Only frees can empty a slab: with R = 0 a sweep would find
  // nothing. What this gives up: up to R empty slabs may stay with their
  // class while memory grows, fewer than 32 or an eighth of the slabs.
  // (Sweeping whenever memory was about to grow let a program make every
  // growth cost as much as the free lists are long.)
  bool sweep_affordable() const noexcept {
    return frees_since_sweep_ >= std::max(min_frees_per_sweep, std::min(free_slots_after_sweep_ / 2, total_slabs_ / 8));  // S / 2, slabs / 8 as above
  }

  // Bytes of class c's free and unbumped slots (for stats()). Walks the free
  // list, bounded by the slots the class's slabs hold, so a cycle stops the
  // walk. Only reading, it need not check where each link leads: one that
  // leads outside memory traps (on wasm) when read, and nothing is written.
  std::size_t free_slot_bytes(unsigned c) const noexcept {
    auto bytes = static_cast<std::size_t>(bump_end_[c] - bump_[c]);
    std::size_t slots = 0;
    const std::size_t most = slabs_[c] * slots_per_slab(c);
    for (const FreeSlot* slot = free_slots_[c]; slot != nullptr; slot = slot->next, bytes += Classes::slot_size(c))
      if (++slots > most) stop_free_list(slot);
    return bytes;
  }

  // A free list that holds more slots than its slabs (a cycle: a slot freed
  // twice, or a link overwritten after a free) would make a walk go on
  // forever, and one that leaves its class's slabs would make the sweep
  // write map entries of other blocks: the walks stop the program instead.
  // (Only the checked build makes sure each link leads to a slot's start.)
  [[noreturn, gnu::cold, gnu::noinline]] static void stop_free_list(const void* slot) noexcept {
    stop("corrupted free list (a double free, or a write after free?) at", slot);
  }
  std::size_t bytes_held() const noexcept { return (slab_units_ << unit_shift) + big_bytes_live_; }
  void note_held() noexcept { bytes_held_peak_ = std::max(bytes_held_peak_, bytes_held()); }

  // Gives every slab without a live slot back to the unit layer, for any class
  // or big block to reuse. The free slots of a class are spread over its slabs,
  // so each class's free list, joined by the slots its current slab has not
  // bumped to yet, is walked twice: once to count the free slots of each slab
  // in the unit map entry of its first unit (above the class id), and once to
  // unlink the slots of slabs found empty and clear the other slabs' counts.
  // Only slabs with a free slot are visited, so a sweep costs as much as the
  // free lists are long, not the heap. Only take_units runs it, when
  // sweep_affordable allows, and the alloc/free fast paths pay nothing for it.
  [[gnu::noinline]] void sweep_empty_slabs() noexcept {
    auto& map = units_.map();
    std::size_t free_slots = 0, steps = 0;  // what the slabs that stay have free; list steps taken
    for (unsigned c = 0; c < class_count; ++c) {
      auto head_of = [&](const FreeSlot* slot) { return slab_head(units_.unit_of(slot)); };
      // The slots not yet bumped to join the free list, so it holds every
      // free slot of the class.
      for (; bump_[c] != bump_end_[c]; bump_[c] += Classes::slot_size(c)) push_free_slot(bump_[c], c);
      // A link a program overwrote, or a cycle, stops the walk: no slot
      // outside the heap or its class's slabs, no slab counted past its slot
      // count. (The heap's size is read once: the map's stores cannot change it.)
      const std::uint32_t slots = slots_per_slab(c), top = units_.top();
      for (const FreeSlot* slot = free_slots_[c]; slot != nullptr; slot = slot->next, ++steps) {
        if (!units_.owns(slot, top)) stop_free_list(slot);
        std::uint32_t unit = units_.unit_of(slot), value = map.value(unit);
        if (!map.is(unit, UnitKind::slab) || (value & slab_class_mask) != c) stop_free_list(slot);
        std::uint32_t head = unit - slab_index(value);
        std::uint32_t counted = map.value(head) + (1u << slab_count_shift);
        if (counted >> slab_count_shift > slots) stop_free_list(slot);
        map.set(head, UnitKind::slab, counted);
      }
      // A slab whose count is its slot count is empty. The first of its slots
      // unlinked adds the slot count to its count, and each takes one off:
      // when only the slot count is left, its last slot is unlinked, and the
      // slab goes back. (Going back may put free-run links in its first
      // bytes, so no slot of it may be left on the list by then.)
      for (FreeSlot** link = &free_slots_[c]; *link != nullptr; ++steps) {
        FreeSlot* slot = *link;
        std::uint32_t head = head_of(slot), count = map.value(head) >> slab_count_shift;
        if (count < slots) {
          map.set(head, UnitKind::slab, c);
          link = &slot->next;
          ++free_slots;
          continue;
        }
        *link = slot->next;
        count = (count == slots ? 2 * slots : count) - 1;
        if (count > slots) {
          map.set(head, UnitKind::slab, c | count << slab_count_shift);
          continue;
        }
        std::uint32_t units = slab_units_of(c);
        for (std::uint32_t i = 1; i < units; ++i) map.set(head + i, UnitKind::interior);
        units_.give(head, units);
        slab_units_ -= units;
        --slabs_[c];
        --total_slabs_;
        slab_slots_ -= slots;
      }
    }
    free_slots_after_sweep_ = free_slots;
    frees_since_sweep_ = 0;
    slab_units_after_sweep_ = slab_units_;
    ++sweeps_;
    sweep_steps_ += steps;
  }

  // ---- Big blocks ----

  // A big block takes the units it needs from the free run they fit best, or
  // from the top of memory. A new block takes the high end of a run in the
  // middle of the heap, so the rest of the run stays beside the blocks below
  // it, to merge with them when they are freed, as when a container grows by
  // new, copy, free. Slabs, blocks that realloc moves and blocks in the top
  // run take the low end, so a block can grow in place into the rest (and
  // memory grows only by what it lacks). (Measured: docs/design-log.md.)
  [[gnu::noinline]] void* alloc_big(std::size_t len, std::size_t align, RunEnd end) noexcept {
    if (len > max_block_size || align > max_block_size) return nullptr;
    std::size_t units = big_block_units(len);
    std::byte* p = take_units(units, align, end);
    if (p == nullptr) return nullptr;
    ++big_blocks_live_;
    big_bytes_live_ += units << unit_shift;
    note_held();
    return p;
  }

  [[gnu::noinline]] void free_big(void* p) noexcept {
    std::uint32_t first = units_.unit_of(p), units = map().value(first);
    units_.give(first, units);
    --big_blocks_live_;
    big_bytes_live_ -= std::size_t{units} << unit_shift;
  }

  // A big block has at least one unit, even for len 0 with a large alignment.
  static std::size_t big_block_units(std::size_t len) noexcept { return std::max<std::size_t>(units_for(len), 1); }

  bool resize_big(void* p, std::size_t new_len) noexcept {
    if (new_len > max_block_size) return false;
    std::uint32_t first = units_.unit_of(p), units = map().value(first);
    auto new_units = static_cast<std::uint32_t>(big_block_units(new_len));
    if (new_units < units)
      units_.shrink(first, units, new_units);
    else if (new_units > units && !units_.extend(first, units, new_units))
      return false;
    big_bytes_live_ = big_bytes_live_ - (std::size_t{units} << unit_shift) + (std::size_t{new_units} << unit_shift);
    note_held();
    return true;
  }

  // ---- The invariant checker (check()) ----

  // Every slot of a class is live, on its free list or not yet bumped to. The
  // free-list walk stops once it has seen more slots than the slabs hold, so a
  // cycle is reported instead of looping forever.
  const char* check_class(unsigned c, std::size_t capacity) const noexcept {
    std::size_t size = Classes::slot_size(c), unbumped = 0;
    if (bump_[c] != bump_end_[c]) {
      if (bump_[c] > bump_end_[c] || block_class(bump_[c]) != c) return "bump range outside a slab of its class";
      const std::byte* slab = units_.address_of(slab_head(units_.unit_of(bump_[c])));
      if (bump_end_[c] != slab + slots_per_slab(c) * size) return "bump range does not end at its slab's last slot";
      unbumped = static_cast<std::size_t>(bump_end_[c] - bump_[c]) / size;
    }
    if (slabs_[c] * slots_per_slab(c) != capacity) return "a class's slab count differs from the unit map";
    std::size_t free_count = 0;
    for (const FreeSlot* slot = free_slots_[c]; slot != nullptr; slot = slot->next) {
      if (++free_count + unbumped > capacity) return "more free slots than its class's slabs hold (cycle?)";
      if (block_class(slot) != c) return "free slot not at a slot of a slab of its class";
      auto* at = reinterpret_cast<const std::byte*>(slot);
      if (at >= bump_[c] && at < bump_end_[c]) return "free slot inside the bump range";
    }
    return nullptr;
  }

  // Counts the slots and big blocks the unit map holds, and checks each class
  // and the statistics against them.
  const char* check_blocks() const noexcept {
    std::size_t capacity[class_count] = {}, slab_units = 0, big_blocks = 0, big_bytes = 0;
    for (std::uint32_t unit = 0; unit < units_.top(); ++unit) {
      std::uint32_t value = map().value(unit);
      switch (map().kind(unit)) {
        case UnitKind::slab: {
          unsigned c = value & slab_class_mask;
          if (c >= class_count || value >> slab_count_shift != 0) return "slab of no class";
          std::uint32_t index = slab_index(value), head = unit - index;
          if (index >= slab_units_of(c) || !map().is(head, UnitKind::slab) || map().value(head) != c)
            return "slab unit not in a slab of its class";
          if (index == 0) capacity[c] += slots_per_slab(c);
          ++slab_units;
          break;
        }
        case UnitKind::big:
          ++big_blocks;
          big_bytes += std::size_t{value} << unit_shift;
          break;
        default: break;
      }
    }
    if (slab_units != slab_units_) return "slab unit count differs from the unit map";
    for (unsigned c = 0; c < class_count; ++c)
      if (const char* problem = check_class(c, capacity[c])) return problem;
    if (big_blocks_live_ != big_blocks) return "big_blocks_live differs from the unit map";
    if (big_bytes_live_ != big_bytes) return "big block bytes differ from the unit map";
    if (bytes_held_peak_ < bytes_held()) return "bytes_held_peak below bytes_held";
    return nullptr;
  }

  // A slab unit's map entry holds its class id and its place in its slab; the
  // first unit's, during a sweep, the slab's free-slot count above those.
  static constexpr unsigned slab_index_shift = 7;
  static constexpr std::uint32_t slab_class_mask = (1u << slab_index_shift) - 1;
  static constexpr std::uint32_t slab_index_mask = units_per_page - 1;
  static constexpr unsigned slab_count_shift = slab_index_shift + std::bit_width(slab_index_mask);
  static_assert(class_count <= slab_class_mask);
  // A sweep counts up to twice a slab's slots in those bits (see sweep_empty_slabs).
  static_assert([] {
    for (unsigned c = 0; c < class_count; ++c)
      if (slab_units_of(c) > units_per_page || 2 * slots_per_slab(c) >= std::size_t{1} << (28 - slab_count_shift))
        return false;
    return true;
  }());

  FreeSlot* free_slots_[class_count] = {};
  std::byte* bump_[class_count] = {};
  std::byte* bump_end_[class_count] = {};
  std::size_t slab_units_ = 0;
  std::size_t big_bytes_live_ = 0;
  // Sweeps: asked for when slab memory grew by 1/sweep_after_slab_growth, or
  // 1/sweep_after_freed of the slabs' slots were freed (eager enough to reuse
  // a cleared container's slabs, lazy enough not to give back slabs their
  // class takes again); paid for by at least min_frees_per_sweep frees (a
  // sweep's fixed cost is a look at every class).
  static constexpr std::size_t sweep_after_slab_growth = 8;
  static constexpr std::size_t sweep_after_freed = 2;
  static constexpr std::size_t min_frees_per_sweep = 32;
  std::size_t frees_since_sweep_ = 0;       // slots freed since the last sweep (R in sweep_affordable)
  std::size_t free_slots_after_sweep_ = 0;  // free slots the last sweep left (S in sweep_affordable)
  std::size_t total_slabs_ = 0;
  std::size_t slab_slots_ = 0;              // slots the slabs hold
  std::size_t slab_units_after_sweep_ = 0;  // slab_units_ when the last sweep ended
  std::size_t sweeps_ = 0;
  std::size_t sweep_steps_ = 0;  // free-list steps all sweeps took
  std::size_t slabs_[class_count] = {};
  std::size_t big_blocks_live_ = 0;
  std::size_t bytes_held_peak_ = 0;
  UnitRuns<Memory> units_;
};

}  // namespace wasmheap
