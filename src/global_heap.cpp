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
