/* The bump variant: an allocator that only moves a pointer and never frees.
 * It is the speed roofline -- no allocator that reuses memory can do less work
 * per call -- and the baseline subtracted from every variant's module size to
 * get the allocator's own code bytes.
 *
 * Blocks carry no header, so realloc cannot know a block's size: it grows the
 * most recent block in place, and otherwise copies everything from the old
 * block to the bump pointer, which covers the old block (and perhaps more).
 * Between benchmark runs, when nothing is live, the harness releases the heap
 * back to a mark so long runs do not exhaust the 4 GiB address space. */
#include "bench.h"
#include "sized_api.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

extern unsigned char __heap_base;

#define WASM_PAGE 65536u
#define MALLOC_ALIGN 16u /* wasm32's max_align_t */

static uintptr_t top;  /* next free byte */
static uintptr_t end;  /* end of memory known to be ours */
static uintptr_t last; /* start of the most recent block: it may grow in place */
static uintptr_t mark;

static int ensure(uintptr_t new_top) {
  if (new_top <= end) return 1;
  uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * WASM_PAGE;
  if (new_top > have) {
    size_t pages = (new_top - have + WASM_PAGE - 1) / WASM_PAGE;
    if (__builtin_wasm_memory_grow(0, pages) == SIZE_MAX) return 0;
    have += pages * WASM_PAGE;
  }
  end = have;
  return 1;
}

static void* bump(size_t n, size_t align) {
  if (top == 0) top = (uintptr_t)&__heap_base;
  uintptr_t p = (top + align - 1) & ~(uintptr_t)(align - 1);
  /* Overflow of the 32-bit address space means the request cannot fit. */
  if (p < top || n > UINTPTR_MAX - p) return NULL;
  uintptr_t new_top = p + (n ? n : 1);
  if (!ensure(new_top)) return NULL;
  top = new_top;
  last = p;
  return (void*)p;
}

void* malloc(size_t n) { return bump(n, MALLOC_ALIGN); }

void free(void* p) { (void)p; }

void* calloc(size_t count, size_t size) {
  size_t n;
  if (__builtin_mul_overflow(count, size, &n)) return NULL;
  void* p = bump(n, MALLOC_ALIGN);
  /* Memory released to a mark may hold old data, so zero it. */
  if (p) memset(p, 0, n);
  return p;
}

void* realloc(void* old, size_t n) {
  if (old == NULL) return malloc(n);
  uintptr_t p = (uintptr_t)old;
  if (p == last) {
    if (n > UINTPTR_MAX - p || !ensure(p + (n ? n : 1))) return NULL;
    top = p + (n ? n : 1);
    return old;
  }
  size_t avail = top - p;
  void* q = bump(n, MALLOC_ALIGN);
  if (q) memcpy(q, old, n < avail ? n : avail);
  return q;
}

static int pow2(size_t a) { return a != 0 && (a & (a - 1)) == 0; }

void* aligned_alloc(size_t align, size_t n) {
  if (!pow2(align)) {
    errno = EINVAL;
    return NULL;
  }
  return bump(n, align < MALLOC_ALIGN ? MALLOC_ALIGN : align);
}

void* memalign(size_t align, size_t n) { return aligned_alloc(align, n); }

int posix_memalign(void** out, size_t align, size_t n) {
  if (!pow2(align) || align % sizeof(void*) != 0) return EINVAL;
  void* p = bump(n, align < MALLOC_ALIGN ? MALLOC_ALIGN : align);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

#ifndef __EMSCRIPTEN__
/* wasi-libc's own callers (atexit, locales) use these names; defining them
 * here keeps its dlmalloc out of the link. */
void* __libc_malloc(size_t n) { return malloc(n); }
void __libc_free(void* p) { free(p); }
void* __libc_calloc(size_t count, size_t size) { return calloc(count, size); }
#endif

/* ---- the sized API, for the code-size comparison --------------------------- */

void* bench_sized_alloc(size_t len, size_t align) { return bump(len, align ? align : 1); }

void bench_sized_free(void* p, size_t len, size_t align) {
  (void)p;
  (void)len;
  (void)align;
}

int bench_sized_resize(void* p, size_t len, size_t align, size_t new_len) {
  (void)align;
  if (new_len <= len) return 1;
  if ((uintptr_t)p != last || new_len > UINTPTR_MAX - (uintptr_t)p) return 0;
  if (!ensure((uintptr_t)p + new_len)) return 0;
  top = (uintptr_t)p + new_len;
  return 1;
}

/* ---- the harness's reset hooks ----------------------------------------------- */

void bench_heap_mark(void) {
  if (top == 0) top = (uintptr_t)&__heap_base;
  mark = top;
}

void bench_heap_release(void) {
  top = mark;
  last = 0;
}
