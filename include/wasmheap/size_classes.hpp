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

// The seed's mapping: one class per power of two from 8 B to 32 KiB. Unlike the
// seed, no word of the slot is reserved for the free-list link (a free slot holds
// its own link), so a 16 B request takes a 16 B slot.
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

// Four classes per power of two: 8 B, then multiples of 16 B up to 128 B, then
// 160, 192, 224, 256, 320, ... up to 8 KiB; above that, eight per power of two
// (9, 10, ... 16 KiB, 18, 20, ... 32 KiB): 49 classes. No slot is more than
// 25% larger than the request that chose it (12.5% above 8 KiB; the seed's
// mapping wastes up to 50%). A slot above 8 KiB takes a slab of its own, so
// the finer steps cost no slab space, only rounding saved: with quarter steps
// up to 32 KiB, the benchmark's random_actions and random_actions_norealloc
// (sizes up to 10,000 B) needed 3 and 2 more pages. Slots of 16 B and more
// are multiples of 16, so slabs align them to 16 at least; a request aligned
// to more than 16 takes the power-of-two class for max(len, align) instead,
// which the slab aligns to its size.
struct QuarterClasses {
  static constexpr unsigned count = 49;
  static constexpr std::size_t max_slot = 32768;
  static constexpr const char* name = "quarter";

  static constexpr unsigned class_of(std::size_t len, std::size_t align) noexcept {
    std::size_t need = std::max(len, align);
    // Sizes beyond the largest slot are big before anything rounds them:
    // rounding a size near the top of size_t up to a power of two overflows.
    if (need > max_slot || align > unit_size) return count;
    if (align > 16) need = std::bit_ceil(need);
    if (need <= 8) return 0;
    if (need <= 128) return static_cast<unsigned>((need + 15) >> 4);
    // need is in (2^e, 2^(e+1)], split into four steps of 2^(e-2) up to 8 KiB,
    // eight steps of 2^(e-3) above.
    unsigned e = static_cast<unsigned>(std::bit_width(need - 1)) - 1;
    if (e < fine_from) {
      auto quarter = static_cast<unsigned>((need - 1) >> (e - 2));  // 4 .. 7
      return 9 + (e - 7) * 4 + (quarter - 4);
    }
    auto eighth = static_cast<unsigned>((need - 1) >> (e - 3));  // 8 .. 15
    return first_fine + (e - fine_from) * 8 + (eighth - 8);
  }
  static constexpr std::size_t slot_size(unsigned c) noexcept { return slot_sizes[c]; }

 private:
  static constexpr unsigned fine_from = 13;                       // 8 KiB = 2^13
  static constexpr unsigned first_fine = 9 + (fine_from - 7) * 4;  // the first class above 8 KiB
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
      unsigned e = fine_from + (c - first_fine) / 8;
      table.size[c] = static_cast<std::uint16_t>((9 + (c - first_fine) % 8) << (e - 3));
    }
    return table;
  }();
};

}  // namespace wasmheap
