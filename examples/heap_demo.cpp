// A heap over simulated wasm memory: allocate, resize, free, and show the stats.
#include <wasmheap/wasmheap.hpp>

#include <cstdio>
#include <memory>

int main() {
  using namespace wasmheap;
  auto heap = std::make_unique<Heap<SimulatedMemory>>(SimulatedMemory());

  void* small = heap->alloc(16, 8);
  void* medium = heap->alloc(3000, 16);
  void* big = heap->alloc(std::size_t{11} * 1024 * 1024 / 10, 16);  // 1.1 MiB
  std::printf("16 B request  -> usable %zu B\n", heap->usable_size(small));
  std::printf("3000 B request -> usable %zu B\n", heap->usable_size(medium));
  std::printf("1.1 MiB request -> usable %zu B (%zu pages)\n", heap->usable_size(big),
              heap->usable_size(big) / page_size);

  // Grow one buffer by realloc, 64 KiB at a time, up to 64 MiB.
  void* buffer = heap->realloc(nullptr, page_size);
  for (std::size_t len = 2 * page_size; len <= (std::size_t{64} << 20); len += page_size)
    buffer = heap->realloc(buffer, len);

  auto s = heap->stats();
  std::printf("live %zu B in %zu blocks, peak held %zu B, memory grown by %zu pages\n", s.bytes_live, s.blocks_live,
              s.bytes_held_peak, s.pages_grown);
  heap->free(small);
  heap->free(medium);
  heap->free(big);
  heap->free(buffer);
  std::printf("after freeing everything: live %zu B\n", heap->stats().bytes_live);
}
