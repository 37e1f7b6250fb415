/* Misuses of the heap, one per command-line word, for a program built with
 * WASMHEAP_CHECKED: each must stop it with one line on stderr. The pointer
 * involved is printed first (on stdout), so the caller knows the exact line
 * to expect. */
#include <wasmheap/wasmheap.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show(const void* p) {
  printf("0x%lx\n", (unsigned long)(uintptr_t)p);
  fflush(stdout);
}

/* Passing pointers through a volatile keeps the compiler from seeing (and
 * warning about, or optimising away) the misuse. */
static void* volatile opaque;
static void* hide(void* p) {
  opaque = p;
  return opaque;
}

int main(int argc, char** argv) {
  const char* misuse = argc > 1 ? argv[1] : "";
  char* p = malloc(16);
  int local = 0;
  if (strcmp(misuse, "double-free") == 0) {
    show(p);
    free(p);
    free(p);
  } else if (strcmp(misuse, "inside-block") == 0) {
    show(p + 8);
    free(p + 8);
  } else if (strcmp(misuse, "not-from-heap") == 0) {
    show(&local);
    free(hide(&local));
  } else if (strcmp(misuse, "sized-mismatch") == 0) {
    show(p);
    wasmheap_free(p, 100, 1);
  } else if (strcmp(misuse, "realloc-freed") == 0) {
    show(p);
    free(p);
    p = realloc(p, 32);
  } else if (strcmp(misuse, "write-after-free") == 0) {
    show(p);
    free(p);
    memset(hide(p), 0x5a, 16);
    show(malloc(16));
  } else {
    free(p);
    puts("no misuse");
    return 0;
  }
  puts("misuse not detected");
  return 0;
}
