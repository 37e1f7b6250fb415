/* Misuses of the heap, one per command-line word, run by run.sh in two
 * builds of the same program: against the default wasmheap and against the
 * checked one (WASMHEAP_CHECKED). A misuse either stops the program with one
 * line on stderr, or the program runs on; which one happens, and what the
 * heap does then, is what run.sh checks, for each build.
 *
 * What a case prints, on stdout:
 *  - first, the pointer the misuse is about (as the stop line writes it:
 *    0x and lowercase hex), so run.sh knows the exact line to expect;
 *  - then a line per follow-up observation ("name: value"), made after the
 *    misuse, to show what the heap did with it (e.g. whether it handed the
 *    same block out twice);
 *  - last, from main, "ran on": the program survived the misuse.
 * A case that stops the program leaves only the lines printed before the
 * stop, so run.sh also sees how far it got.
 *
 * Build with -fno-builtin: otherwise clang takes malloc and free to have no
 * effect the program can see, and deletes or reorders the very calls this
 * program makes on purpose (llvm/llvm-project#63142). */
#define _DEFAULT_SOURCE 1 /* posix_memalign */

#include <wasmheap/wasmheap.h>

#include <errno.h>
#include <malloc.h> /* malloc_usable_size */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* wasi-libc declares no memalign (a legacy name it does not build);
 * wasmheap defines it. */
void* memalign(size_t align, size_t size);

/* Sizes that make big blocks (over 32 KiB): whole 1 KiB units of the page
 * layer, not slab slots. */
enum { big_len = 200000, run_len = 300000, guard_len = 100000 };

static void show(const void* p) { printf("0x%lx\n", (unsigned long)(uintptr_t)p); }

static const char* yes_no(int b) { return b ? "yes" : "no"; }

/* The heap's own consistency check, as one line: "ok" or its first problem. */
static void say_check(void) {
  const char* problem = wasmheap_check();
  printf("check: %s\n", problem != NULL ? problem : "ok");
}

static size_t blocks_live(void) {
  struct wasmheap_stats s;
  wasmheap_get_stats(&s);
  return s.blocks_live;
}

/* A pointer read back through a volatile: the compiler can no longer see
 * where it came from, so it neither warns about the misuse (freeing a
 * stack or static object, using a freed block) nor reasons about it. */
static void* volatile opaque;
static void* hide(void* p) {
  opaque = p;
  return opaque;
}

/* Objects that are not from the heap, for free() and for forged links. */
static int some_global;
static int decoys[2];

/* 1. A slot freed twice in a row: the second free would make the slot its
 * own successor on its free list. Both builds stop at the second free. */
static void double_free(void) {
  char* p = malloc(16);
  show(p);
  free(p);
  free(p);
}

/* 2. A slot freed twice with another free between: the free list becomes
 * a -> b -> a -> ..., a cycle. The default build does not see it at the
 * free; the next walk of the list does (wasmheap_get_stats counts free
 * slots that way) and stops rather than looping. The checked build stops at
 * the third free. */
static void double_free_later(void) {
  char* a = malloc(16);
  char* b = malloc(16);
  show(a);
  printf("b: 0x%lx\n", (unsigned long)(uintptr_t)b);
  free(a);
  free(b);
  free(a);
  puts("third free returned");
  printf("blocks live: %lu\n", (unsigned long)blocks_live());
}

/* 3. A big block freed twice. Its units are free memory after the first
 * free, which the default build ignores a pointer into; the guard block
 * keeps them from merging into the free run at the top of memory. */
static void double_free_big(void) {
  char* p = malloc(big_len);
  char* guard = malloc(guard_len);
  show(p);
  free(p);
  free(p);
  char* again = malloc(big_len);
  printf("malloc(%d) again: %s\n", big_len, again != NULL ? "ok" : "NULL");
  free(again);
  free(guard);
  say_check();
}

/* 4. A pointer into the middle of a live slot. */
static void interior_small(void) {
  char* p = malloc(32);
  char* inside = hide(p + 8);
  show(inside);
  free(inside);
  printf("usable size of p+8: %lu\n", (unsigned long)malloc_usable_size(inside));
  /* Had the free put p+8 on a free list, the next slot handed out would be
   * p+8, overlapping the live block p. */
  char* next = malloc(32);
  printf("next malloc(32) is p+8: %s\n", yes_no(next == inside));
  free(next);
  free(p);
  say_check();
}

/* 5. A pointer into the middle of a live big block. */
static void interior_big(void) {
  char* p = malloc(big_len);
  char* inside = hide(p + 16);
  size_t before = blocks_live();
  show(inside);
  free(inside);
  printf("usable size of p+16: %lu\n", (unsigned long)malloc_usable_size(inside));
  printf("blocks live unchanged: %s\n", yes_no(blocks_live() == before));
  /* p is still live: all of it can be written, then freed. */
  memset(p, 0x11, big_len);
  free(p);
  say_check();
}

/* 6. Pointers the heap never handed out: a local and a static variable. */
static void foreign_stack(void) {
  int local = 0;
  show(&local);
  free(hide(&local));
  say_check();
}

static void foreign_static(void) {
  show(&some_global);
  free(hide(&some_global));
  say_check();
}

/* 7. A sized free with the wrong size (as a C++ sized delete of the wrong
 * type would pass). The default build frees by the pointer alone, so the
 * block is still freed right: the next malloc(16) gets it back. */
static void sized_mismatch(void) {
  char* p = malloc(16);
  show(p);
  wasmheap_free(p, 100, 1);
  char* next = malloc(16);
  printf("next malloc(16) is p: %s\n", yes_no(next == p));
  free(next);
  say_check();
}

/* 8. realloc of a freed slot. The default build takes the slot for a live
 * one, moves it to a larger slot and frees it: a second free, at the head
 * of its free list, which stops the program as in case 1. */
static void realloc_freed(void) {
  char* p = malloc(16);
  show(p);
  free(p);
  p = realloc(hide(p), 32);
  printf("realloc returned: %s\n", p != NULL ? "a block" : "NULL");
}

/* 9. A write to a freed slot (over its free-list link). The checked build
 * finds it when the slot is handed out again. The default build hands it
 * out as if nothing happened, leaving the overwritten link at the head of
 * the free list: wasmheap_check reports it (without following it), and the
 * next malloc(16) would return that garbage address, so none is made. */
static void write_after_free_slot(void) {
  char* p = malloc(16);
  show(p);
  free(p);
  memset(hide(p), 0x5a, 16);
  char* again = malloc(16);
  printf("malloc(16) is p: %s\n", yes_no(again == p));
  say_check();
}

/* 10. A write to a freed big block over the links that chain it into its
 * free-run bin, with addresses of static objects (as a use after free
 * storing pointers would), or with text. Taking the run out of its bin
 * writes through those links, so both builds stop before using them. */
static void write_after_free_run(int text) {
  char* p = malloc(run_len);
  char* guard = malloc(guard_len);
  show(p);
  free(p);
  if (text) {
    memset(hide(p), 'A', 16);
  } else {
    void** links = hide(p);
    links[0] = &decoys[0];
    links[1] = &decoys[1];
  }
  puts("links overwritten");
  char* again = malloc(run_len);
  printf("malloc(%d) again: %s\n", run_len, again != NULL ? "ok" : "NULL");
  free(again);
  free(guard);
}

static void write_after_free_run_links(void) { write_after_free_run(0); }
static void write_after_free_run_text(void) { write_after_free_run(1); }

/* 11. A write into a freed big block past its links (the checked build
 * fills the rest of a free run's first unit with a pattern). */
static void write_after_free_run_body(void) {
  char* p = malloc(run_len);
  char* guard = malloc(guard_len);
  show(p + 64);
  free(p);
  memset((char*)hide(p) + 64, 0x77, 32);
  char* again = malloc(run_len);
  printf("malloc(%d) again is p: %s\n", run_len, yes_no(again == p));
  free(again);
  free(guard);
  say_check();
}

/* 12. Requests that cannot be met: NULL and ENOMEM (posix_memalign returns
 * it and leaves its out-pointer alone); an alignment that is not a power of
 * two: NULL and EINVAL. errno is cleared before each call, so a stale value
 * cannot pass for the right one. 2 GiB + 1 bytes would fit wasm32's 4 GiB
 * (tests/wasm_limits gets such a block), but not the 256 MiB run.sh lets
 * this program's memory grow to. */
static void say_null(const char* call, void* p) {
  int e = errno;
  if (p != NULL)
    printf("%s: a block\n", call);
  else
    printf("%s: NULL, errno %s\n", call, e == ENOMEM ? "ENOMEM" : e == EINVAL ? "EINVAL" : "other");
  free(p);
}

static void huge_aligned(void) {
  errno = 0;
  say_null("aligned_alloc(64, 0x80000001)", aligned_alloc(64, 0x80000001u));
  errno = 0;
  say_null("memalign(1024, SIZE_MAX)", memalign(1024, SIZE_MAX));
  void* q = &some_global;
  errno = 0;
  int rc = posix_memalign(&q, 32, SIZE_MAX - 10);
  printf("posix_memalign(&q, 32, SIZE_MAX-10): %s, q untouched: %s\n",
         rc == ENOMEM ? "ENOMEM" : rc == 0 ? "0" : "other", yes_no(q == &some_global));
  errno = 0;
  say_null("malloc(SIZE_MAX)", malloc(SIZE_MAX));
  errno = 0;
  say_null("calloc(SIZE_MAX/2, 3)", calloc(SIZE_MAX / 2, 3));
  errno = 0;
  say_null("aligned_alloc(24, 10)", aligned_alloc(24, 10));
  say_check();
}

/* 13. NULL, where every entry point must take it. */
static void null_everywhere(void) {
  free(NULL);
  char* p = realloc(NULL, 10);
  printf("realloc(NULL, 10) allocates: %s\n", yes_no(p != NULL && malloc_usable_size(p) >= 10));
  free(p);
  printf("malloc_usable_size(NULL): %lu\n", (unsigned long)malloc_usable_size(NULL));
  wasmheap_free(NULL, 10, 1);
  printf("wasmheap_resize(NULL, 0, 1, 10): %d\n", wasmheap_resize(NULL, 0, 1, 10));
  printf("wasmheap_remap(NULL, 10, 1, 20): %s\n", wasmheap_remap(NULL, 10, 1, 20) == NULL ? "NULL" : "a block");
  printf("wasmheap_usable_size(NULL): %lu\n", (unsigned long)wasmheap_usable_size(NULL));
  say_check();
}

/* 14. No misuse: the program itself works in both builds. */
static void none(void) {
  char* p = malloc(16);
  free(p);
  puts("no misuse");
  say_check();
}

static const struct {
  const char* name;
  void (*run)(void);
} cases[] = {
    {"double-free", double_free},
    {"double-free-later", double_free_later},
    {"double-free-big", double_free_big},
    {"interior-small", interior_small},
    {"interior-big", interior_big},
    {"foreign-stack", foreign_stack},
    {"foreign-static", foreign_static},
    {"sized-mismatch", sized_mismatch},
    {"realloc-freed", realloc_freed},
    {"write-after-free-slot", write_after_free_slot},
    {"write-after-free-run-links", write_after_free_run_links},
    {"write-after-free-run-text", write_after_free_run_text},
    {"write-after-free-run-body", write_after_free_run_body},
    {"huge-aligned", huge_aligned},
    {"null-everywhere", null_everywhere},
    {"none", none},
};

int main(int argc, char** argv) {
  /* A stop aborts without flushing stdio: line buffering gets every line
   * printed before it out (wasi-libc keeps stdout's own buffer for this,
   * allocating nothing). */
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* name = argc > 1 ? argv[1] : "";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    if (strcmp(name, cases[i].name) == 0) {
      cases[i].run();
      puts("ran on");
      return 0;
    }
  }
  fprintf(stderr, "usage: misuse CASE, where CASE is one of:\n");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) fprintf(stderr, "  %s\n", cases[i].name);
  return 2;
}
