// The real thing: wasm linear memory 0, grown with memory.grow.
#pragma once

#include <wasmheap/layout.hpp>

#include <cstddef>
#include <cstdint>

#if !defined(__wasm__)
#error "wasmheap/wasm_memory.hpp is for WebAssembly targets; use SimulatedMemory on the host"
#endif

namespace wasmheap {

class WasmMemory {
 public:
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
