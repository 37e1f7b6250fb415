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

#if defined(__EMSCRIPTEN__)
// Emscripten's program break, sbrk's (as <emscripten/heap.h> declares it).
extern "C" std::uintptr_t* emscripten_get_sbrk_ptr(void);
// Tells Emscripten's JS glue that wasm grew memory (<emscripten/heap.h>).
extern "C" void emscripten_notify_memory_growth(std::size_t memory_index);
#endif

namespace wasmheap {

#if defined(__EMSCRIPTEN__)
// Emscripten's sbrk hands out memory from its program break, which starts at
// __heap_base and only moves up, growing memory when it passes the end: the
// memory the heap would take over at start, and below the heap's own growth.
// So under Emscripten the heap takes all its memory by moving that same
// break, and sbrk and the heap never hand out the same byte (docs/sbrk.md).
// The break is emscripten_get_sbrk_ptr()'s word: Emscripten's own sbrk.c has
// it when the program links one of Emscripten's mallocs, and libwasmheap
// defines it, with sbrk, for -sMALLOC=none, which has none.
//
// Moves the break from b to b rounded up to `align` (a power of two) plus
// `bytes`, growing memory first if it ends below; returns the rounded b, the
// start of what it took, or 0 (never a break) when memory cannot grow that
// far. With threads the move is a compare-and-swap that starts over if
// another thread moved the break meanwhile, as Emscripten's sbrk does.
// Memory grows with memory.grow, and the JS glue hears of it through
// emscripten_notify_memory_growth, as Emscripten's own mallocs make it hear
// (through emscripten_resize_heap): its views of memory (HEAPU8, ...) would
// otherwise still show the old buffer, and the next copy or print through
// them would fail. A -sSTANDALONE_WASM module imports it from "env", as with
// Emscripten's mallocs, and WASI hosts give it as a no-op. Not
// emscripten_resize_heap itself: with the JS glue it grows by a fifth of
// memory more than asked, and without -sALLOW_MEMORY_GROWTH it aborts
// (ABORTING_MALLOC) where the heap must return NULL.
inline std::uintptr_t take_from_break(std::size_t bytes, std::size_t align) noexcept {
  std::uintptr_t* brk = emscripten_get_sbrk_ptr();
  std::uintptr_t old = __atomic_load_n(brk, __ATOMIC_RELAXED);
  for (;;) {
    std::uintptr_t start = (old + align - 1) & ~std::uintptr_t{align - 1}, end = start + bytes;
    if (start < old || end < start) return 0;
    std::size_t pages = (end - 1) / page_size + 1, have = __builtin_wasm_memory_size(0);
    // With threads, memory.size may lag behind another thread's growth (see
    // catch_up_with_growth), and that growth may be why this one failed:
    // memory.grow(0) reads the size afresh.
    if (have < pages) {
      if (__builtin_wasm_memory_grow(0, pages - have) != SIZE_MAX)
        emscripten_notify_memory_growth(0);
      else if (__builtin_wasm_memory_grow(0, 0) < pages)
        return 0;
    }
    if (__atomic_compare_exchange_n(brk, &old, end, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return start;
  }
}
#endif

class WasmMemory {
 public:
#if defined(__EMSCRIPTEN__)
  // All memory from the break to the end of memory as it is now (the
  // initial memory, unless something grew it), taken from the break.
  AddressRange initial_free() const noexcept {
    std::uintptr_t brk = __atomic_load_n(emscripten_get_sbrk_ptr(), __ATOMIC_RELAXED);
    std::uintptr_t end = __builtin_wasm_memory_size(0) * page_size;
    if (brk >= end) return {0, 0};
    std::uintptr_t begin = take_from_break(end - brk, 1);
    return {begin, begin == 0 ? 0 : begin + (end - brk)};
  }

  // New pages at the first page boundary at or above the break.
  std::byte* grow(std::size_t pages) noexcept {
    if (pages > SIZE_MAX / page_size) return nullptr;
    std::uintptr_t start = take_from_break(pages * page_size, page_size);
    if (start == 0) return nullptr;
    pages_grown_ += pages;
#if defined(__wasm_atomics__)
    grown_to_pages_ = start / page_size + pages;
#endif
    return reinterpret_cast<std::byte*>(start);
  }

  // Memory as far as the unit layer may assume it exists: to the break,
  // rounded up to a page. Pages above the break that Emscripten grew in
  // advance stay for the next growth, the heap's or sbrk's.
  std::size_t size_pages() const noexcept {
    std::uintptr_t brk = __atomic_load_n(emscripten_get_sbrk_ptr(), __ATOMIC_RELAXED);
    return brk / page_size + (brk % page_size != 0);
  }
#else
  // Memory that exists before any growth and that nothing else uses: from
  // __heap_base to the end of the initial memory. (The heap takes it over on
  // first need, as dlmalloc does, so small programs never grow memory.)
  // wasi-libc's sbrk only ever grows memory by whole pages, so it never
  // hands out any of it; pages it grows stay outside the heap.
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

  std::size_t size_pages() const noexcept { return __builtin_wasm_memory_size(0); }
#endif

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
  std::size_t pages_grown() const noexcept { return pages_grown_; }

 private:
  std::size_t pages_grown_ = 0;
#if defined(__wasm_atomics__)
  std::size_t grown_to_pages_ = 0;  // the memory's size after this heap's last growth
#endif
};

}  // namespace wasmheap
