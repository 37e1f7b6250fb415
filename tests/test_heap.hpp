// Shared helpers for the heap tests: a fresh heap over its own simulated memory,
// and fill patterns that tell one block's bytes from another's.
#pragma once

#include <wasmheap/heap.hpp>
#include <wasmheap/simulated_memory.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wasmheap::test {

using TestHeap = Heap<SimulatedMemory>;

template <class Classes = QuarterClasses>
std::unique_ptr<Heap<SimulatedMemory, Classes>> make_heap(std::size_t max_pages = max_memory_pages) {
  return std::make_unique<Heap<SimulatedMemory, Classes>>(SimulatedMemory(max_pages));
}

inline std::uint8_t pattern_byte(std::uint32_t seed, std::size_t i) {
  return static_cast<std::uint8_t>((seed * 2654435761u) ^ (i * 40503u) ^ (i >> 8));
}

inline void fill(void* p, std::size_t n, std::uint32_t seed) {
  auto* b = static_cast<std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i) b[i] = pattern_byte(seed, i);
}

// Index of the first byte that differs from the pattern, or n if all match.
inline std::size_t first_mismatch(const void* p, std::size_t n, std::uint32_t seed) {
  auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != pattern_byte(seed, i)) return i;
  return n;
}

inline bool aligned_to(const void* p, std::size_t align) {
  return reinterpret_cast<std::uintptr_t>(p) % align == 0;
}

}  // namespace wasmheap::test
