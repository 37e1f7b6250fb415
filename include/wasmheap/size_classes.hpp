// Size-class policies: how a (length, alignment) request maps to a slot size.
//
// A policy is a type with
//   count                       number of small classes (class ids 0 .. count-1)
//   class_of(len, align)        the class for the request, or `count` if it is big
//   slot_size(c)                bytes in a slot of class c
//   name                        how benchmarks and docs call it
// Every slot must be aligned to the request's alignment. Slabs are whole 64 KiB
// pages at 64 KiB-aligned addresses, so a slot size that is a power of two is
// naturally aligned to itself; a policy with other sizes must fall back to such a
// size for over-aligned requests. The heap is a template over the policy so that
// mappings can be swapped and measured without touching the allocator.
#pragma once

#include <wasmheap/layout.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>

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
    std::size_t need = std::max({len, align, min_slot});
    if (need > max_slot) return count;
    return static_cast<unsigned>(std::bit_width(need - 1)) - 3;  // log2(ceil_pow2(need)) - log2(8)
  }
  static constexpr std::size_t slot_size(unsigned c) noexcept { return min_slot << c; }
};

}  // namespace wasmheap
