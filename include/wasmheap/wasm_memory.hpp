// The real thing: wasm linear memory 0, grown with memory.grow.
#pragma once

#include <wasmheap/layout.hpp>

#include <cstddef>
#include <cstdint>

#if !defined(__wasm__)
#error "wasmheap/wasm_memory.hpp is for WebAssembly targets; use SimulatedMemory on the host"
#endif

// Set by the linker: the first free byte after the program's data and stack,
// and (newer linkers only, hence weak) the end of the initial memory.
extern "C" char __heap_base;
extern "C" __attribute__((weak)) char __heap_end;

namespace wasmheap {

class WasmMemory {
 public:
  // Memory that exists before any growth and that nothing else uses: from
  // __heap_base to the end of the initial memory. (The heap takes it over on
  // first need, as dlmalloc does, so small programs never grow memory.)
  AddressRange initial_free() const noexcept {
    auto begin = reinterpret_cast<std::uintptr_t>(&__heap_base);
    auto end = reinterpret_cast<std::uintptr_t>(&__heap_end);
    if (end == 0) end = __builtin_wasm_memory_size(0) * page_size;
    return {begin, end};
  }

  std::byte* grow(std::size_t pages) noexcept {
    std::size_t old_pages = __builtin_wasm_memory_grow(0, pages);
    if (old_pages == SIZE_MAX) return nullptr;
    pages_grown_ += pages;
#if defined(__wasm_atomics__)
    grown_to_pages_ = old_pages + pages;
#endif
    return reinterpret_cast<std::byte*>(old_pages * page_size);
  }

  // For LockedHeap, right after it takes its lock: makes sure this thread can
  // reach all the memory the heap has grown, whichever thread grew it.
  // Threads share one memory, but V8 keeps its length per thread and brings
  // the others up to date only when they next handle an interrupt; until
  // then their memory.size reads the old length, and memory.copy and
  // memory.fill (realloc, calloc) into the new pages trap as out of bounds.
  // memory.grow(0) makes the engine refresh this thread's length at once.
  // Cost when nothing is stale: one memory.size and one compare. Without
  // atomics there is one thread, and neither this nor its field exists.
#if defined(__wasm_atomics__)
  void catch_up_with_growth() const noexcept {
    if (__builtin_wasm_memory_size(0) < grown_to_pages_) __builtin_wasm_memory_grow(0, 0);
  }
#endif
  // Linear memory starts at address 0, so a page's index is its address / 64 KiB.
  static constexpr std::uintptr_t base() noexcept { return 0; }
  std::size_t size_pages() const noexcept { return __builtin_wasm_memory_size(0); }
  std::size_t pages_grown() const noexcept { return pages_grown_; }

 private:
  std::size_t pages_grown_ = 0;
#if defined(__wasm_atomics__)
  std::size_t grown_to_pages_ = 0;  // the memory's size after this heap's last growth
#endif
};

}  // namespace wasmheap
