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
    return reinterpret_cast<std::byte*>(old_pages * page_size);
  }
  // Linear memory starts at address 0, so a page's index is its address / 64 KiB.
  static constexpr std::uintptr_t base() noexcept { return 0; }
  std::size_t size_pages() const noexcept { return __builtin_wasm_memory_size(0); }
  std::size_t pages_grown() const noexcept { return pages_grown_; }

 private:
  std::size_t pages_grown_ = 0;
};

}  // namespace wasmheap
