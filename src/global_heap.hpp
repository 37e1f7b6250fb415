// The one process-wide heap behind the C API, the malloc family and operator new.
#pragma once

#include <wasmheap/heap.hpp>

#if defined(__wasm__)
#include <wasmheap/wasm_memory.hpp>
#else
#include <wasmheap/simulated_memory.hpp>
#endif

// Threads: wasm compiled with atomics (-pthread, -matomics) has them; on the
// host, WASMHEAP_THREADS=1 (CMake option WASMHEAP_THREADS) turns them on.
// Either way it can be forced with -DWASMHEAP_THREADS=0 or 1.
#if !defined(WASMHEAP_THREADS)
#if defined(__wasm_atomics__)
#define WASMHEAP_THREADS 1
#else
#define WASMHEAP_THREADS 0
#endif
#endif

// With threads, each thread keeps a cache of free slots (CachedHeap) unless
// WASMHEAP_THREAD_CACHE=0 asks for one lock around every call (LockedHeap);
// the checked build always takes the lock, its checks need every free slot.
#if WASMHEAP_THREADS && !defined(WASMHEAP_THREAD_CACHE)
#if defined(WASMHEAP_CHECKED)
#define WASMHEAP_THREAD_CACHE 0
#else
#define WASMHEAP_THREAD_CACHE 1
#endif
#endif

#if WASMHEAP_THREADS
#include <wasmheap/futex_lock.hpp>
#include <wasmheap/locked_heap.hpp>
#include <wasmheap/thread_cache.hpp>
#endif

namespace wasmheap {

// The size-class policy is chosen at build time (CMake: WASMHEAP_CLASS_POLICY).
using GlobalClasses = LibraryClasses;

#if defined(__wasm__)
using GlobalMemory = WasmMemory;
#else
using GlobalMemory = SimulatedMemory;
#endif

// Without threads, the heap itself, so a single-threaded build compiles to
// exactly the code it would if threads did not exist.
#if WASMHEAP_THREADS && WASMHEAP_THREAD_CACHE
using GlobalHeap = CachedHeap<Heap<SharedMemory<GlobalMemory>, GlobalClasses>, FutexLock>;
#elif WASMHEAP_THREADS
using GlobalHeap = LockedHeap<Heap<GlobalMemory, GlobalClasses>, FutexLock>;
#else
using GlobalHeap = Heap<GlobalMemory, GlobalClasses>;
#endif

#if defined(__wasm__)
// Constant-initialised: it lives in zeroed static memory, needs no constructor
// call and no "already initialised?" check on any path.
extern GlobalHeap global_heap_instance;
inline GlobalHeap& global_heap() noexcept { return global_heap_instance; }
#else
// On the host the global heap runs over simulated memory, so the C API and the
// malloc family can be tested natively (under their wasmheap_ names only).
GlobalHeap& global_heap() noexcept;
#endif

}  // namespace wasmheap
