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
#include <wasmheap/page_map.hpp>

#include <cstddef>
#include <cstdint>

#if defined(WASMHEAP_CHECKED) && !defined(WASMHEAP_FREESTANDING)
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#endif

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

// Writes "wasmheap: " + the formatted message + newline to stderr and aborts;
// without a libc (WASMHEAP_FREESTANDING) there is nowhere to write, so it traps.
[[noreturn, gnu::cold, gnu::format(printf, 1, 2)]] inline void stop(const char* format, ...) noexcept {
#if defined(WASMHEAP_FREESTANDING)
  (void)format;
  __builtin_trap();
#else
  char line[256] = "wasmheap: ";
  std::size_t prefix = std::strlen(line);
  std::va_list args;
  va_start(args, format);
  std::vsnprintf(line + prefix, sizeof line - prefix - 1, format, args);
  va_end(args);
  std::size_t end = std::strlen(line);
  line[end] = '\n';
  line[end + 1] = '\0';
  std::fputs(line, stderr);
  std::abort();
#endif
}

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

  static std::uintptr_t address(const void* p) noexcept { return reinterpret_cast<std::uintptr_t>(p); }

  // "a 16 B slot", "a 3-page block": how messages name a block.
  struct Name {
    char text[48];
  };
  static Name slot_name(unsigned c) noexcept {
    Name name;
    std::snprintf(name.text, sizeof name.text, "%zu B slot", Classes::slot_size(c));
    return name;
  }
  static Name big_name(std::uint32_t units) noexcept {
    Name name;
    std::snprintf(name.text, sizeof name.text, "%zu B block", std::size_t{units} << unit_shift);
    return name;
  }

  // "double free of p" for free, "<op> of freed block p" for the others.
  [[noreturn]] static void stop_freed(const char* op, const void* p, const char* what) noexcept {
    if (std::strcmp(op, "free") == 0) stop("double free of 0x%" PRIxPTR " (%s)", address(p), what);
    stop("%s of freed block 0x%" PRIxPTR " (%s)", op, address(p), what);
  }

  // Whether slot p of class c is on the class's free list. The marker rules
  // most live slots out at once; the walk is bounded by the slots the heap's
  // pages could hold, so a corrupted list cannot make it loop forever.
  static bool is_free_slot(const Heap& heap, const void* p, unsigned c) noexcept {
    if (has_marker(c) && marker_word(const_cast<void*>(p)) != marker(p)) return false;
    std::size_t limit = std::size_t{heap.pages_.top()} * (unit_size / Classes::slot_size(c) + 1);
    std::size_t seen = 0;
    for (auto* slot = heap.free_slots_[c]; slot != nullptr && seen <= limit; slot = slot->next, ++seen)
      if (slot == p) return true;
    return false;
  }

  // p, passed to free (unsized), realloc or a sized call, must be the start of
  // a live block. nullptr is fine: every entry point ignores it.
  static void live_block(const Heap& heap, const void* p, const char* op) noexcept {
    if (p == nullptr) return;
    const auto& pages = heap.pages_;
    if (!pages.owns(p)) stop("%s of 0x%" PRIxPTR ", which is not from the heap", op, address(p));
    unsigned c = heap.block_class(p);
    std::uint32_t unit = pages.unit_of(p);
    if (c < class_count) {
      if (!heap.is_slot_start(p, c))
        stop("%s of 0x%" PRIxPTR ", which is not at a block's start (inside a %s)", op, address(p),
             slot_name(c).text);
      auto* at = static_cast<const std::byte*>(p);
      if (at >= heap.bump_[c] && at < heap.bump_end_[c])
        stop("%s of 0x%" PRIxPTR ", which was never allocated (%s)", op, address(p), slot_name(c).text);
      if (is_free_slot(heap, p, c)) stop_freed(op, p, slot_name(c).text);
      return;
    }
    const PageMap& map = pages.map();
    if (c == class_count) {
      if (p != pages.address_of(unit))
        stop("%s of 0x%" PRIxPTR ", which is not at a block's start (inside a %s)", op, address(p),
             big_name(map.value(unit)).text);
      return;
    }
    switch (map.kind(unit)) {
      case PageKind::free:
      case PageKind::interior: {
        // The first unit to the left that is not interior heads the run p is in.
        std::uint32_t head = unit;
        while (map.is(head, PageKind::interior)) --head;
        if (map.is(head, PageKind::big))
          stop("%s of 0x%" PRIxPTR ", which is not at a block's start (inside a %s)", op, address(p),
               big_name(map.value(head)).text);
        if (!map.is(head, PageKind::free)) break;  // the page map's own units
        if (p == pages.address_of(unit)) stop_freed(op, p, "its memory is free");
        stop("%s of 0x%" PRIxPTR ", which is not at a block's start (inside free memory)", op, address(p));
      }
      default: break;
    }
    stop("%s of 0x%" PRIxPTR ", which is not from the heap", op, address(p));
  }

  // A sized free or resize: p must be a live block, and (len, align) must
  // describe it: the slot's class (or the one below, for a borrowed slot), or
  // the same page count and an address aligned to align.
  static void sized_block(const Heap& heap, const void* p, std::size_t len, std::size_t align,
                          const char* op) noexcept {
    live_block(heap, p, op);
    unsigned c = heap.block_class(p);
    unsigned claimed = is_power_of_two(align) ? Classes::class_of(len, align) : class_count + 1;
    Name block = c < class_count ? slot_name(c) : big_name(heap.map().value(heap.pages_.unit_of(p)));
    // A small block's slot is of its length's class, or of the next one when
    // borrowed (Heap::alloc_from_elsewhere).
    bool matches = claimed == c || (c < class_count && claimed + 1 == c && Heap::slots_per_slab(claimed) > 1);
    if (matches && c == class_count)
      matches = len <= max_block_size && Heap::big_block_units(len) == heap.map().value(heap.pages_.unit_of(p)) &&
                address(p) % align == 0;
    if (!matches)
      stop("%s of 0x%" PRIxPTR " with size %zu and align %zu, which do not match its block (a %s)", op, address(p),
           len, align, block.text);
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
      if (marker_word(slot) != marker(slot))
        stop("write after free to 0x%" PRIxPTR " (%s), found when reusing it", address(slot), slot_name(c).text);
      marker_word(slot) = 0;
    }
    const void* next = heap.free_slots_[c];
    if (next != nullptr && !heap.is_slot_start(next, c))
      stop("write after free to 0x%" PRIxPTR " (%s): its free-list link was overwritten", address(slot),
           slot_name(c).text);
  }
};

#endif  // WASMHEAP_CHECKED

}  // namespace checked
}  // namespace wasmheap
