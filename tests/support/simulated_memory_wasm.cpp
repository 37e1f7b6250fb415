// SimulatedMemory on wasm: there is no address space to reserve, so each
// instance hands out real pages of linear memory 0 with memory.grow. That lets
// the tests that drive the heap over simulated memory on the host run inside a
// wasm engine too, against the real memory.grow.
//
// What differs from the host:
// - Every instance shares the one memory with the program's data and stack
//   and with malloc, so base() is 0 and page indices are absolute: the page of
//   address a is a >> 16. The pages of one instance need not be contiguous,
//   since anyone may grow memory between two of its grows; the heap notices
//   that by comparing size_pages() with its own top.
// - There is no initial memory to adopt: what the program starts with belongs
//   to the program's own allocator.
// - size_pages() is the real size of memory; pages_grown() counts only this
//   instance's pages, and the cap applies to those alone.
// - Pages are never given back: wasm memory cannot shrink, so destroying an
//   instance leaks its pages for the rest of the program.
#include <wasmheap/simulated_memory.hpp>

#include <algorithm>
#include <cstdint>
#include <utility>

#if !defined(__wasm__)
#error "src/simulated_memory_wasm.cpp is for WebAssembly targets; the host uses src/simulated_memory.cpp"
#endif

namespace wasmheap {

SimulatedMemory::SimulatedMemory(std::size_t max_pages)
    : reserved_pages_(std::min(max_pages, max_memory_pages)), max_pages_(reserved_pages_) {}

SimulatedMemory::~SimulatedMemory() = default;

SimulatedMemory::SimulatedMemory(SimulatedMemory&& other) noexcept { *this = std::move(other); }

// The moved-from instance is left as after construction with a cap of 0, as on
// the host: it can grow nothing more.
SimulatedMemory& SimulatedMemory::operator=(SimulatedMemory&& other) noexcept {
  if (this != &other) {
    reserved_pages_ = std::exchange(other.reserved_pages_, 0);
    max_pages_ = std::exchange(other.max_pages_, 0);
    pages_ = std::exchange(other.pages_, 0);
  }
  return *this;
}

void SimulatedMemory::set_max_pages(std::size_t max_pages) noexcept {
  max_pages_ = std::min(max_pages, reserved_pages_);
}

std::byte* SimulatedMemory::grow(std::size_t pages) noexcept {
  if (pages > max_pages_ || pages_ > max_pages_ - pages) return nullptr;
  // memory.grow returns the old size in pages, which is the index of the first
  // new page, or -1 when the engine or the module's maximum refuses.
  std::size_t old_pages = __builtin_wasm_memory_grow(0, pages);
  if (old_pages == SIZE_MAX) return nullptr;
  pages_ += pages;
  return reinterpret_cast<std::byte*>(old_pages << page_shift);
}

}  // namespace wasmheap
