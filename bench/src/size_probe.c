/* The program whose size-optimised module measures an allocator's code bytes:
 * it calls every entry point of one API once, with arguments the optimiser
 * cannot see, so all of the allocator's reachable code is kept and nothing
 * else is there. Module size minus the bump variant's = the allocator's own.
 *
 * PROBE_SIZED selects the sized API (wasmheap's, or bench_sized_* for the
 * variants that implement sized_api.h); otherwise the malloc family. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(PROBE_SIZED) && defined(PROBE_WASMHEAP)
#include <wasmheap/wasmheap.h>
#define S_ALLOC wasmheap_alloc
#define S_FREE wasmheap_free
#define S_RESIZE wasmheap_resize
#elif defined(PROBE_SIZED)
#include "sized_api.h"
#define S_ALLOC bench_sized_alloc
#define S_FREE bench_sized_free
#define S_RESIZE bench_sized_resize
#endif

__attribute__((export_name("probe"))) uintptr_t probe(size_t n, size_t align) {
#if defined(PROBE_SIZED)
  char* a = (char*)S_ALLOC(n, align);
  uintptr_t r = (uintptr_t)a;
  if (a) a[0] = 1;
  r ^= (uintptr_t)S_RESIZE(a, n, align, n * 2);
  S_FREE(a, n * 2, align);
  return r;
#else
  char* a = (char*)malloc(n);
  char* b = (char*)calloc(n, 2);
  a = (char*)realloc(a, n * 3);
  char* c = (char*)aligned_alloc(align, n);
  void* d = NULL;
  int rc = posix_memalign(&d, align, n);
  uintptr_t r = (uintptr_t)a ^ (uintptr_t)b ^ (uintptr_t)c ^ (uintptr_t)d ^ (uintptr_t)rc;
  free(a);
  free(b);
  free(c);
  free(d);
  return r;
#endif
}
