#include "global_heap.hpp"

namespace wasmheap {

#if defined(__wasm__)
constinit GlobalHeap global_heap_instance;
#else
GlobalHeap& global_heap() noexcept {
  static GlobalHeap heap{SimulatedMemory()};
  return heap;
}
#endif

}  // namespace wasmheap

#if defined(__wasm__) && !WASMHEAP_THREADS
// This heap takes no lock, so it must not end up in a program with shared
// memory (threads). An atomic operation compiled without the atomics feature
// makes clang mark this object as unfit for shared memory ("-shared-mem" in
// its target features), and wasm-ld then refuses to link it with
// --shared-memory (emcc -pthread, or -matomics -Wl,--shared-memory) instead of
// letting threads race inside the heap. Nothing calls this; the linker drops it.
extern "C" int wasmheap_built_without_threads(int* word) noexcept { return __atomic_load_n(word, __ATOMIC_RELAXED); }
#endif

#if defined(__EMSCRIPTEN__)
#include <cerrno>
#include <cstdint>

// Emscripten puts its sbrk and program break beside its mallocs, so a program
// linked with -sMALLOC=none has neither. These take their place, over the same
// break the heap grows by (wasm_memory.hpp): code that calls sbrk gets memory
// the heap never hands out, and the heap never hands out what sbrk gave. As
// Emscripten's: the break starts at __heap_base, increments are rounded up to
// a multiple of 4, a negative one fails, and with threads sbrk is atomic.
namespace {
std::uintptr_t program_break = reinterpret_cast<std::uintptr_t>(&__heap_base);
}

extern "C" std::uintptr_t* emscripten_get_sbrk_ptr() { return &program_break; }

extern "C" void* sbrk(std::intptr_t increment) {
  std::uintptr_t start = wasmheap::take_from_break((static_cast<std::uintptr_t>(increment) + 3) & ~std::uintptr_t{3}, 4);
  if (start != 0) return reinterpret_cast<void*>(start);
  errno = ENOMEM;
  return reinterpret_cast<void*>(-1);
}
#endif
