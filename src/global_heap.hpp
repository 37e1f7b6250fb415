// The one process-wide heap behind the C API, the malloc family and operator new.
#pragma once

#include <wasmheap/heap.hpp>

#if defined(__wasm__)
#include <wasmheap/wasm_memory.hpp>
#else
#include <wasmheap/simulated_memory.hpp>
#endif

namespace wasmheap {

// The size-class policy is chosen at build time (CMake: WASMHEAP_CLASS_POLICY).
#if defined(WASMHEAP_POW2_CLASSES)
using GlobalClasses = PowerOfTwoClasses;
#else
using GlobalClasses = QuarterClasses;
#endif

#if defined(__wasm__)
using GlobalHeap = Heap<WasmMemory, GlobalClasses>;
// Constant-initialised: it lives in zeroed static memory, needs no constructor
// call and no "already initialised?" check on any path.
extern GlobalHeap global_heap_instance;
inline GlobalHeap& global_heap() noexcept { return global_heap_instance; }
#else
// On the host the global heap runs over simulated memory, so the C API and the
// malloc family can be tested natively (under their wasmheap_ names only).
using GlobalHeap = Heap<SimulatedMemory, GlobalClasses>;
GlobalHeap& global_heap() noexcept;
#endif

}  // namespace wasmheap
