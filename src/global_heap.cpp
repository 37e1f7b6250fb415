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
