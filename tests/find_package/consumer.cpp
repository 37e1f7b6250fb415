// Uses the installed headers (the heap template) and the installed library
// (SimulatedMemory's out-of-line code), so both halves of the install are needed.
#include <wasmheap/heap.hpp>
#include <wasmheap/simulated_memory.hpp>

#include <cstdio>
#include <memory>

int main() {
  using Heap = wasmheap::Heap<wasmheap::SimulatedMemory>;
  auto heap = std::make_unique<Heap>(wasmheap::SimulatedMemory(16));
  void* small = heap->alloc(100, 8);
  void* big = heap->alloc(3 * wasmheap::page_size, 1);
  if (small == nullptr || big == nullptr) return 1;
  // 100 B takes the default class policy's 112 B slot.
  if (heap->usable_size(small) != 112 || heap->usable_size(big) != 3 * wasmheap::page_size) return 2;
  heap->free(small);
  heap->free(big);
  if (heap->stats().blocks_live != 0 || heap->check() != nullptr) return 3;
  std::puts("wasmheap consumer: ok");
  return 0;
}
