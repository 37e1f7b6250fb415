/* wasmheap with no libc at all: only memory.grow underneath.
 * Build:
 *   clang-19 --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -Wl,--export=run \
 *     freestanding.c -I<prefix>/include -L<prefix>/lib/freestanding -lwasmheap -o freestanding.wasm
 * Run: node examples/run_freestanding.mjs freestanding.wasm   (the module imports nothing) */
#include <wasmheap/wasmheap.h>

/* No <stdlib.h> here: declare the malloc family wasmheap provides. */
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* p, size_t size);
void free(void* p);
int posix_memalign(void** out, size_t align, size_t size);
size_t malloc_usable_size(void* p);

/* Returns 0 when every check passes, else the number of the first that failed. */
int run(void) {
  /* malloc family */
  unsigned* squares = malloc(100 * sizeof(unsigned));
  if (squares == 0) return 1;
  for (unsigned i = 0; i < 100; ++i) squares[i] = i * i;
  squares = realloc(squares, 100000 * sizeof(unsigned));
  if (squares == 0 || squares[99] != 99 * 99) return 2;
  unsigned char* zeros = calloc(1000, 1);
  for (int i = 0; i < 1000; ++i)
    if (zeros[i] != 0) return 3;
  void* aligned = 0;
  if (posix_memalign(&aligned, 256, 10) != 0 || (size_t)aligned % 256 != 0) return 4;
  void* sixteen = malloc(16);
  if (malloc_usable_size(sixteen) != 16) return 5;
  volatile size_t huge = (size_t)-1 / 2; /* opaque, so the call is not folded away */
  void* volatile impossible = calloc(huge, 4);
  if (impossible != 0) return 6;

  /* sized API */
  void* block = wasmheap_alloc(3000, 64);
  if (block == 0 || (size_t)block % 64 != 0 || !wasmheap_resize(block, 3000, 64, 4000)) return 7;

  struct wasmheap_stats stats;
  wasmheap_get_stats(&stats);
  if (stats.blocks_live != 5 || stats.pages_grown == 0) return 8;

  wasmheap_free(block, 4000, 64);
  free(squares);
  free(zeros);
  free(aligned);
  free(sixteen);
  wasmheap_get_stats(&stats);
  if (stats.blocks_live != 0 || wasmheap_check() != 0) return 9;
  return 0;
}
