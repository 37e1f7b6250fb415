// Size-class policies: how a (length, alignment) request maps to a slot size.
//
// A policy is a type with
//   count                       number of small classes (class ids 0 .. count-1)
//   class_of(len, align)        the class for the request, or `count` if it is big
//   slot_size(c)                bytes in a slot of class c
//   name                        how benchmarks and docs call it
// Every slot must be aligned to the request's alignment. Slabs are runs of
// 1 KiB units at 1 KiB-aligned addresses, and slots lie at multiples of their
// size from a slab's start, so a slot size that is a power of two is aligned to
// itself up to 1 KiB; a policy with other sizes must fall back to such a size
// for over-aligned requests, and requests aligned to more than 1 KiB are big.
// The heap is a template over the policy so that mappings can be swapped and
// measured without touching the allocator.
#pragma once

#include <wasmheap/layout.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace wasmheap {

// Zig's WasmAllocator's mapping: one class per power of two from 8 B to 32 KiB.
// Unlike Zig's, no word of the slot is reserved for the free-list link (a free
// slot holds its own link), so a 16 B request takes a 16 B slot.
struct PowerOfTwoClasses {
  static constexpr std::size_t min_slot = 8;
  static constexpr unsigned count = 13;  // 8 B << 12 == 32 KiB
  static constexpr std::size_t max_slot = min_slot << (count - 1);
  static constexpr const char* name = "pow2";

  static constexpr unsigned class_of(std::size_t len, std::size_t align) noexcept {
    std::size_t need = len > align ? len : align;
    if (need > max_slot || align > unit_size) return count;
    if (need < min_slot) need = min_slot;
    return static_cast<unsigned>(std::bit_width(need - 1)) - 3;  // log2(ceil_pow2(need)) - log2(8)
  }
  static constexpr std::size_t slot_size(unsigned c) noexcept { return min_slot << c; }
};

// Four classes per power of two up to 1 KiB: 8 B, then multiples of 16 B up
// to 128 B, then 160, 192, 224, 256, 320, ... 1,024 B; above that, sixteen
// per power of two up to 16 KiB (1,088, 1,152, ... 2,048, 2,176, ...): 85
// classes. A slot is at most 25% larger than the request that chose it up to
// 1 KiB, and at most 1/16 larger above: real programs ask for many blocks of
// 2^k bytes plus a small header (SQLite: 1,032 and 4,104 B), which quarter
// steps rounded up by 20-25%. Requests above 16 KiB are big blocks, whole
// 1 KiB units, which also waste under 1/16. Small steps cost no fast-path
// time (a class is found by arithmetic) and little slab space: slabs are
// sized so each leaves at most 1/16 unused (heap.hpp).
//
// Slots of 16 B and more are multiples of 16, so slabs align them to 16 at
// least; a request aligned to more than 16 takes the power-of-two class for
// max(len, align) instead, which the slab aligns to its size (up to 1 KiB).
struct QuarterClasses {
  static constexpr unsigned count = 85;
  static constexpr std::size_t max_slot = 16384;
  static constexpr const char* name = "quarter";

  static constexpr unsigned class_of(std::size_t len, std::size_t align) noexcept {
    std::size_t need = std::max(len, align);
    // Sizes beyond the largest slot are big before anything rounds them:
    // rounding a size near the top of size_t up to a power of two overflows.
    if (need > max_slot || align > unit_size) return count;
    if (align > 16) need = std::bit_ceil(need);
    if (need <= 8) return 0;
    if (need <= 128) return static_cast<unsigned>((need + 15) >> 4);
    // need is in (2^e, 2^(e+1)], split into four steps of 2^(e-2) below
    // 1 KiB, sixteen steps of 2^(e-4) above.
    unsigned e = static_cast<unsigned>(std::bit_width(need - 1)) - 1;
    if (e < fine_from) {
      auto quarter = static_cast<unsigned>((need - 1) >> (e - 2));  // 4 .. 7
      return 9 + (e - 7) * 4 + (quarter - 4);
    }
    auto sixteenth = static_cast<unsigned>((need - 1) >> (e - 4));  // 16 .. 31
    return first_fine + (e - fine_from) * 16 + (sixteenth - 16);
  }
  static constexpr std::size_t slot_size(unsigned c) noexcept { return slot_sizes[c]; }

 private:
  static constexpr unsigned fine_from = 10;                       // 1 KiB = 2^10
  static constexpr unsigned first_fine = 9 + (fine_from - 7) * 4;  // the first class above 1 KiB
  static constexpr auto slot_sizes = [] {
    struct Table {
      std::uint16_t size[count];
      constexpr std::uint32_t operator[](unsigned c) const { return size[c]; }
    } table{};
    table.size[0] = 8;
    for (unsigned c = 1; c <= 8; ++c) table.size[c] = 16 * c;
    for (unsigned c = 9; c < first_fine; ++c) {
      unsigned e = 7 + (c - 9) / 4;
      table.size[c] = static_cast<std::uint16_t>((5 + (c - 9) % 4) << (e - 2));
    }
    for (unsigned c = first_fine; c < count; ++c) {
      unsigned e = fine_from + (c - first_fine) / 16;
      table.size[c] = static_cast<std::uint16_t>((17 + (c - first_fine) % 16) << (e - 4));
    }
    return table;
  }();
};

// The policy libwasmheap is built with (CMake's WASMHEAP_CLASS_POLICY, which
// defines WASMHEAP_POW2_CLASSES for every user of the library): for code that
// must allocate exactly as the library does.
#if defined(WASMHEAP_POW2_CLASSES)
using LibraryClasses = PowerOfTwoClasses;
#else
using LibraryClasses = QuarterClasses;
#endif

}  // namespace wasmheap
