/* How much memory does the program use, and where? The calls programs make
 * to ask their allocator (mallinfo, malloc_stats, malloc_trim, mallopt), and
 * wasmheap's own: the fragmentation summary, a snapshot, the leak report.
 * Build (clang + wasi-libc):
 *   clang-19 --target=wasm32-wasi -O2 heap_report.c -I<prefix>/include -L<prefix>/lib -lwasmheap -o heap_report.wasm
 * Build (Emscripten):
 *   emcc -O2 heap_report.c -I<prefix>/include -L<prefix>/lib -lwasmheap -sMALLOC=none -sSTANDALONE_WASM \
 *        -sALLOW_MEMORY_GROWTH -o heap_report.wasm
 * Run: node tests/node/run_wasi.mjs heap_report.wasm */
#include <wasmheap/wasmheap.h>

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten/emmalloc.h> /* emscripten_builtin_malloc, _free, _memalign */
void* emscripten_builtin_calloc(size_t count, size_t size);
void* emscripten_builtin_realloc(void* p, size_t size);
#else
/* wasi-libc declares none of dlmalloc's reporting calls: declared here as
 * dlmalloc (and Emscripten's <malloc.h>) have them. */
struct mallinfo {
  int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct mallinfo mallinfo(void);
void malloc_stats(void);
int mallopt(int param, int value);
#define M_TRIM_THRESHOLD -1
void* valloc(size_t size);
#endif
/* glibc's; no libc here declares these two. */
struct mallinfo2 {
  size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct mallinfo2 mallinfo2(void);
int malloc_trim(size_t pad);
void* pvalloc(size_t size);

/* Where blocks the program keeps go (so the compiler cannot drop them). */
void* volatile kept;

static void print_mallinfo(const char* when) {
  struct mallinfo m = mallinfo();
  printf("%s: arena %d, in use %d, free %d, free runs %d, top %d\n", when, m.arena, m.uordblks, m.fordblks,
         m.ordblks, m.keepcost);
}

int main(void) {
  wasmheap_report_leaks_at_exit();
  print_mallinfo("start");

  /* Many small blocks, all freed but every 50th: their slabs are mostly empty. */
  enum { count = 20000 };
  static void* blocks[count];
  for (int i = 0; i < count; ++i) blocks[i] = malloc(24 + (size_t)(i % 4) * 8);
  for (int i = 0; i < count; ++i)
    if (i % 50 != 0) free(blocks[i]);
  print_mallinfo("after churn");

  struct wasmheap_fragmentation f;
  wasmheap_get_fragmentation(&f);
  printf("slabs %zu B, big blocks %zu B, free runs %zu (%zu B, largest %zu B)\n", f.slab_bytes, f.big_bytes,
         f.free_runs, f.free_run_bytes, f.largest_free_run);

  int trimmed = malloc_trim(0);
  struct mallinfo2 m2 = mallinfo2();
  wasmheap_get_fragmentation(&f);
  printf("malloc_trim(0) = %d; slabs now %zu B; mallinfo2 arena %zu = in use %zu + free %zu: %s\n", trimmed,
         f.slab_bytes, m2.arena, m2.uordblks, m2.fordblks,
         m2.arena == m2.uordblks + m2.fordblks ? "yes" : "no");
  void* big = malloc(300000);
  kept = big;
  print_mallinfo("with a big block");
  printf("mallopt(M_TRIM_THRESHOLD) = %d, mallopt(12345) = %d\n", mallopt(M_TRIM_THRESHOLD, 1 << 20),
         mallopt(12345, 1));

  void* page = valloc(100);
  void* pages = pvalloc(70000);
  printf("valloc aligned to 64 KiB: %s, pvalloc(70000) holds %zu B\n", (uintptr_t)page % 65536 == 0 ? "yes" : "no",
         malloc_usable_size(pages));
  free(page);
  free(pages);

#if defined(__EMSCRIPTEN__)
  int* zeros = emscripten_builtin_calloc(100, sizeof(int));
  int sum = 0;
  for (int i = 0; i < 100; ++i) sum += zeros[i];
  zeros = emscripten_builtin_realloc(zeros, 100000);
  printf("emscripten_builtin_calloc zeroed: %s, realloc kept it: %s\n", sum == 0 ? "yes" : "no",
         zeros != NULL && zeros[99] == 0 ? "yes" : "no");
  emscripten_builtin_free(zeros);
#endif

  /* A snapshot for tools (tools/inspector/ draws one). */
  size_t need = wasmheap_snapshot(NULL, 0);
  uint32_t* snapshot = malloc(need + 4096);
  size_t size = wasmheap_snapshot(snapshot, need + 4096);
  printf("snapshot: %zu B, %u units\n", size, (unsigned)snapshot[7]);
  free(snapshot);

  malloc_stats();
  free(big);
  for (int i = 0; i < count; i += 50) free(blocks[i]);
  /* Left live on purpose: the leak report at exit lists them. */
  for (int i = 0; i < 3; ++i) kept = strcpy(malloc(40), "leaked");
  return 0;
}
