// The checked build (compile with WASMHEAP_CHECKED defined). Before the heap
// frees, resizes or reallocates a block, it makes sure it was given the start
// of a live block of its own, and, for the sized calls, the size and alignment
// that block has; a heap reusing a freed slot makes sure nothing wrote to it
// after it was freed. Any violation stops the program with one line on stderr
// naming the pointer and the problem, e.g.
//   wasmheap: double free of 0x12340 (16 B slot)
// then aborts.
//
// The heap calls in here only under `if constexpr (checked_build)`, and
// without WASMHEAP_CHECKED this header declares nothing to call, so unchecked
// builds compile to exactly the code they would without it.
//
// Small slots need per-slot state to tell a double free: a freed slot keeps a
// marker (its address scrambled) in its second word, which a live slot
// almost never holds, and a slot whose marker matches is confirmed by walking
// its class's free list. Freeing a live slot thus costs O(1); only where the
// slot has no room for a marker (8 B slots on 64-bit hosts; wasm32's have)
// does every free of that class walk the list.
#pragma once

#include <wasmheap/layout.hpp>
#include <wasmheap/unit_map.hpp>
#include <wasmheap/stop.hpp>

#include <cstddef>
#include <cstdint>

namespace wasmheap {

#if defined(WASMHEAP_CHECKED)
inline constexpr bool checked_build = true;
#else
inline constexpr bool checked_build = false;
#endif

namespace checked {

// Friend of Heap: what its entry points call in a checked build.
template <class Heap>
struct HeapChecks;

#if defined(WASMHEAP_CHECKED)

template <class Heap>
struct HeapChecks {
  using Classes = typename Heap::class_policy;
  static constexpr unsigned class_count = Heap::class_count;

  // A free slot's second word holds this scrambled copy of its address.
  static bool has_marker(unsigned c) noexcept { return Classes::slot_size(c) >= 2 * sizeof(std::uintptr_t); }
  static std::uintptr_t marker(const void* slot) noexcept {
    return reinterpret_cast<std::uintptr_t>(slot) ^ static_cast<std::uintptr_t>(0xF4EE'5107'DEAD'F4EEull);
  }
  static std::uintptr_t& marker_word(void* slot) noexcept { return static_cast<std::uintptr_t*>(slot)[1]; }

  // "<op> of <p>", how most messages start.
  static StopLine about(const char* op, const void* p) noexcept {
    StopLine line;
    line.text(op).text(" of ").address(p);
    return line;
  }
  // "16 B slot", "3072 B block": how messages name a block.
  static StopLine& slot_name(StopLine& line, unsigned c) noexcept {
    return line.decimal(Classes::slot_size(c)).text(" B slot");
  }
  static StopLine& big_name(StopLine& line, std::uint32_t units) noexcept {
    return line.decimal(std::size_t{units} << unit_shift).text(" B block");
  }

  // "double free of p (16 B slot)" for free, "<op> of freed block p (...)" for the others.
  [[noreturn]] static void stop_freed_slot(const char* op, const void* p, unsigned c) noexcept {
    StopLine line;
    bool is_free = op[0] == 'f';  // "free", the only operation starting with f
    line.text(is_free ? "double free of " : op).text(is_free ? "" : " of freed block ").address(p).text(" (");
    slot_name(line, c).text(")").stop();
  }

  // Whether slot p of class c is on the class's free list. The marker rules
  // most live slots out at once; the walk is bounded by the slots the heap's
  // units could hold, so a corrupted list cannot make it loop forever.
  static bool is_free_slot(const Heap& heap, const void* p, unsigned c) noexcept {
    if (has_marker(c) && marker_word(const_cast<void*>(p)) != marker(p)) return false;
    std::size_t limit = std::size_t{heap.units_.top()} * (unit_size / Classes::slot_size(c) + 1);
    std::size_t seen = 0;
    for (auto* slot = heap.free_slots_[c]; slot != nullptr && seen <= limit; slot = slot->next, ++seen)
      if (slot == p) return true;
    return false;
  }

  // p, passed to free (unsized), realloc or a sized call, must be the start of
  // a live block. nullptr is fine: every entry point ignores it.
  static void live_block(const Heap& heap, const void* p, const char* op) noexcept {
    if (p == nullptr) return;
    const auto& runs = heap.units_;
    if (!runs.owns(p)) about(op, p).text(", which is not from the heap").stop();
    const auto& map = runs.map();
    std::uint32_t unit = runs.unit_of(p);
    UnitKind kind = map.kind(unit);
    if (kind == UnitKind::slab) {
      unsigned c = heap.slab_class(p);
      if (heap.block_class(p) != c) {
        StopLine line = about(op, p);
        slot_name(line.text(", which is not at a block's start (inside a "), c).text(")").stop();
      }
      auto* at = static_cast<const std::byte*>(p);
      if (at >= heap.bump_[c] && at < heap.bump_end_[c]) {
        StopLine line = about(op, p);
        slot_name(line.text(", which was never allocated ("), c).text(")").stop();
      }
      if (is_free_slot(heap, p, c)) stop_freed_slot(op, p, c);
      return;
    }
    // The first unit to the left that is not interior heads the run p is in.
    std::uint32_t head = unit;
    while (head > 0 && map.is(head, UnitKind::interior)) --head;
    if (map.is(head, UnitKind::big)) {
      if (p == runs.address_of(unit) && head == unit) return;
      StopLine line = about(op, p);
      big_name(line.text(", which is not at a block's start (inside a "), map.value(head)).text(")").stop();
    }
    // Free memory: a block freed already, or a pointer the heap never handed
    // out; nothing left there tells which.
    if (map.is(head, UnitKind::free))
      about(op, p).text(", which is in free memory (freed already, or never allocated)").stop();
    about(op, p).text(", which is not from the heap").stop();
  }

  // A sized free or resize: p must be a live block, and (len, align) must
  // describe it: a class no larger than its slot's, or the same unit count,
  // and an address aligned to align. nullptr is fine.
  static void sized_block(const Heap& heap, const void* p, std::size_t len, std::size_t align,
                          const char* op) noexcept {
    if (p == nullptr) return;
    live_block(heap, p, op);
    unsigned c = heap.block_class(p);
    unsigned claimed = is_power_of_two(align) ? Classes::class_of(len, align) : class_count + 1;
    std::uint32_t units = heap.map().value(heap.units_.unit_of(p));
    // A small block's slot is of its length's class, or larger: the class it
    // borrows from (Heap::may_borrow), or any when realloc shrank it in place
    // for want of memory. A big block is its units
    // (realloc may shrink one in place to a small length) and its address.
    bool matches = c < class_count ? claimed <= c : len <= max_block_size && Heap::big_block_units(len) == units;
    matches = matches && is_power_of_two(align) && reinterpret_cast<std::uintptr_t>(p) % align == 0;
    if (matches) return;
    StopLine line = about(op, p);
    line.text(" with size ").decimal(len).text(" and align ").decimal(align).text(", which do not match its block (a ");
    (c < class_count ? slot_name(line, c) : big_name(line, units)).text(")").stop();
  }

  // A slot going onto its free list gets the marker.
  static void slot_freed(void* slot, unsigned c) noexcept {
    if (has_marker(c)) marker_word(slot) = marker(slot);
  }

  // A slot taken off its free list must still hold the marker, and the new head
  // of the list must be a slot of the class: otherwise the program wrote to
  // freed memory. The marker is cleared so a live slot does not look free.
  static void slot_taken(const Heap& heap, void* slot, unsigned c) noexcept {
    if (has_marker(c)) {
      if (marker_word(slot) != marker(slot)) {
        StopLine line;
        line.text("write after free to ").address(slot).text(" (");
        slot_name(line, c).text("), found when reusing it").stop();
      }
      marker_word(slot) = 0;
    }
    const void* next = heap.free_slots_[c];
    if (next != nullptr && heap.block_class(next) != c) {
      StopLine line;
      line.text("write after free to ").address(slot).text(" (");
      slot_name(line, c).text("): its free-list link was overwritten").stop();
    }
  }
};

#endif  // WASMHEAP_CHECKED

}  // namespace checked
}  // namespace wasmheap
