// The malloc family under its standard names, replacing the libc's allocator
// (wasi-libc's dlmalloc, Emscripten's with -sMALLOC=none) at link time.
// Built for wasm targets only: on the host the system allocator stays.
#include "malloc_family.hpp"

#include <cstddef>

namespace mf = wasmheap::malloc_family;

extern "C" {

void* malloc(std::size_t size) { return mf::malloc(size); }
void free(void* p) { mf::free(p); }
void* calloc(std::size_t count, std::size_t size) { return mf::calloc(count, size); }
void* realloc(void* p, std::size_t size) { return mf::realloc(p, size); }
void* reallocarray(void* p, std::size_t count, std::size_t size) { return mf::reallocarray(p, count, size); }
void* aligned_alloc(std::size_t align, std::size_t size) { return mf::aligned_alloc(align, size); }
int posix_memalign(void** out, std::size_t align, std::size_t size) { return mf::posix_memalign(out, align, size); }
void* memalign(std::size_t align, std::size_t size) { return mf::memalign(align, size); }
std::size_t malloc_usable_size(void* p) { return mf::malloc_usable_size(p); }
void* valloc(std::size_t size) { return mf::valloc(size); }
void* pvalloc(std::size_t size) { return mf::pvalloc(size); }

// wasi-libc's own code (e.g. __cxa_atexit) allocates through these internal
// names; without them the linker would pull in its dlmalloc beside wasmheap.
void* __libc_malloc(std::size_t size) { return mf::malloc(size); }
void* __libc_calloc(std::size_t count, std::size_t size) { return mf::calloc(count, size); }
void __libc_free(void* p) { mf::free(p); }

#if defined(__EMSCRIPTEN__)
// Emscripten's runtime allocates thread stacks and TLS blocks (with -pthread)
// and mmap'd memory through these names, which its own allocators define; with
// -sMALLOC=none they must come from here or those links fail. Its sanitizers'
// runtimes (newer releases) also call the calloc and realloc ones.
#if WASMHEAP_THREADS && WASMHEAP_THREAD_CACHE
// With thread caches, they take the heap's lock and never a thread's cache:
// a thread ending frees its own thread-local storage (where its cache
// lives), then makes one more free. That first free is how the heap learns
// the thread is ending: its cache goes back just before.
void* emscripten_builtin_malloc(std::size_t size) { return mf::malloc(wasmheap::global_heap().locked(), size); }
void emscripten_builtin_free(void* p) {
  if (p != nullptr && p == __builtin_wasm_tls_base()) wasmheap::global_heap().thread_exit();
  wasmheap::global_heap().locked().free(p);
}
void* emscripten_builtin_memalign(std::size_t align, std::size_t size) {
  return mf::memalign(wasmheap::global_heap().locked(), align, size);
}
void* emscripten_builtin_calloc(std::size_t count, std::size_t size) {
  return mf::calloc(wasmheap::global_heap().locked(), count, size);
}
void* emscripten_builtin_realloc(void* p, std::size_t size) {
  return mf::realloc(wasmheap::global_heap().locked(), p, size);
}
#else
void* emscripten_builtin_malloc(std::size_t size) { return mf::malloc(size); }
void emscripten_builtin_free(void* p) { mf::free(p); }
void* emscripten_builtin_memalign(std::size_t align, std::size_t size) { return mf::memalign(align, size); }
void* emscripten_builtin_calloc(std::size_t count, std::size_t size) { return mf::calloc(count, size); }
void* emscripten_builtin_realloc(void* p, std::size_t size) { return mf::realloc(p, size); }
#endif
#endif

}  // extern "C"
