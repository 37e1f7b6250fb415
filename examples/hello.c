/* A plain C program: nothing here knows about wasmheap except the stats call.
 * Build (clang + wasi-libc):
 *   clang-19 --target=wasm32-wasi -O2 hello.c -I<prefix>/include -L<prefix>/lib -lwasmheap -o hello.wasm
 * Build (Emscripten):
 *   emcc -O2 hello.c -I<prefix>/include -L<prefix>/lib -lwasmheap -sMALLOC=none -sSTANDALONE_WASM \
 *        -sALLOW_MEMORY_GROWTH -o hello.wasm
 * Run: node examples/run_wasi.mjs hello.wasm */
#include <wasmheap/wasmheap.h>

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char* words[1000];
  for (int i = 0; i < 1000; ++i) {
    words[i] = malloc(16 + (size_t)i % 200);
    snprintf(words[i], 16, "word %d", i);
  }
  size_t total = 0;
  for (int i = 0; i < 1000; i += 2) {
    total += strlen(words[i]);
    free(words[i]);
  }
  int* numbers = calloc(1000, sizeof(int));
  for (int i = 0; i < 1000; ++i) numbers[i] += i;
  numbers = realloc(numbers, 200000 * sizeof(int));
  for (int i = 1000; i < 200000; ++i) numbers[i] = i;
  long long sum = 0;
  for (int i = 0; i < 200000; ++i) sum += numbers[i];

  void* aligned = NULL;
  int rc = posix_memalign(&aligned, 4096, 100);
  errno = 0;
  /* volatile: otherwise the compiler may fold this call away without errno */
  volatile size_t huge = SIZE_MAX / 2;
  void* volatile impossible = calloc(huge, 4);
  /* A volatile read: clang (14 in Emscripten 3.1, and still 19) assumes calloc
   * leaves errno alone and would reuse the 0 stored above (llvm#63142). */
  int calloc_errno = *(volatile int*)&errno;

  printf("text bytes %zu, sum %lld\n", total, sum);
  void* sixteen = malloc(16);
  /* 16, or 32 when the 16 B class has no slab and a 32 B slot is free */
  printf("malloc_usable_size(malloc(16)) >= 16: %s\n", malloc_usable_size(sixteen) >= 16 ? "yes" : "no");
  free(sixteen);
  printf("posix_memalign(4096) rc %d, aligned %d\n", rc, (int)((uintptr_t)aligned % 4096 == 0));
  printf("calloc(SIZE_MAX/2, 4) = %s, errno %s\n", impossible ? "block" : "NULL",
         calloc_errno == ENOMEM ? "ENOMEM" : "other");

  struct wasmheap_stats stats;
  wasmheap_get_stats(&stats);
  printf("wasmheap: %zu blocks live, %zu bytes live, at most %zu bytes held, %zu pages grown\n", stats.blocks_live,
         stats.bytes_live, stats.bytes_held_peak, stats.pages_grown);

  for (int i = 1; i < 1000; i += 2) free(words[i]);
  free(numbers);
  free(aligned);
  wasmheap_get_stats(&stats);
  printf("after free: %zu blocks live\n", stats.blocks_live);
  return stats.blocks_live == 0 && sum == 19999900000LL ? 0 : 1;
}
