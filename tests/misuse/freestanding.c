/* A double free in a module with no libc at all, against wasmheap built with
 * WASMHEAP_CHECKED and WASMHEAP_FREESTANDING (as libwasmheap-freestanding.a
 * is). It shows that the checked build links without a libc (it once did
 * not) and that its checks still stop the program: with nowhere to write the
 * line, by trapping. run.sh builds it:
 *   clang-19 --target=wasm32 -O2 -mbulk-memory -fno-builtin -nostdlib -Wl,--no-entry \
 *     -Wl,--export=misuse freestanding.c <the checked objects> -o freestanding.wasm
 * and freestanding.mjs calls misuse(0), then misuse(1). */
#include <wasmheap/wasmheap.h>

/* No <stdlib.h> without a libc: declare what wasmheap provides. */
void* malloc(size_t size);
void free(void* p);

/* 0: no misuse; returns 0 with the heap sound. 1: frees a block a second
 * time with another free in between, which only the checked build catches
 * at the free (the default build catches only an immediate one, and would
 * return 3): a trap here shows the checks are compiled in. */
int misuse(int which) {
  void* a = malloc(16);
  void* b = malloc(16);
  if (a == 0 || b == 0) return 2;
  free(a);
  free(b);
  if (which == 1) {
    free(a);
    return 3;
  }
  return wasmheap_check() == 0 ? 0 : 4;
}
