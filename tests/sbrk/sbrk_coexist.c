/* sbrk beside wasmheap's malloc: a program (or a library in it) that calls
 * sbrk must never be given memory wasmheap hands out, and wasmheap must never
 * hand out memory sbrk gave someone.
 *
 * Interleaves malloc, free and realloc of many sizes (with big blocks that
 * make memory grow) with sbrk calls of positive increments, writes a distinct
 * pattern into every block and every sbrk'd region, and checks that no two
 * ranges overlap, that no pattern is ever overwritten, that wasmheap does not
 * take an sbrk'd region for one of its blocks, and that wasmheap_check()
 * finds nothing wrong at the end.
 *
 * Under wasi-libc, sbrk takes whole 64 KiB pages only (anything else
 * aborts), so increments are multiples of 64 KiB there; under Emscripten
 * any positive increment goes.
 *
 * With -DTHREADS=N (Emscripten -pthread), N threads run the same mix at
 * once, each on its own blocks and regions; main then checks all of them
 * against each other.
 *
 * Prints "sbrk_coexist: PASS" and exits 0, or says what went wrong and
 * exits 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wasmheap/wasmheap.h>

#if defined(THREADS)
#include <pthread.h>
#else
#define THREADS 1
#endif

#if defined(__EMSCRIPTEN__)
#define SBRK_PAGES_ONLY 0
#else
#define SBRK_PAGES_ONLY 1 /* wasi-libc's sbrk: memory.grow by whole pages */
#endif

#define PAGE 65536u
#define MAX_BLOCKS 384
#define MAX_REGIONS 160
#define OPS 2500

typedef struct {
  unsigned char* p;
  size_t len;
  uint32_t seed;
} range;

typedef struct {
  int id;
  uint32_t rng;
  uint32_t next_seed;
  range blocks[MAX_BLOCKS];
  int nblocks;
  range regions[MAX_REGIONS];
  int nregions;
  size_t sbrk_bytes;
  uintptr_t highest_block_end; /* of any block this thread was given */
  int failed;
} worker;

static void fail(worker* w, const char* what, const void* p, size_t len) {
  printf("sbrk_coexist: FAIL (thread %d): %s at %p (%zu bytes)\n", w->id, what, p, len);
  w->failed = 1;
}

static uint32_t next(worker* w) {
  w->rng = w->rng * 1664525u + 1013904223u;
  return w->rng >> 8;
}

/* Byte i of the pattern for seed s: a hash of the seed and the word index, so
 * two patterns (or one pattern shifted) practically never agree. */
static unsigned char pattern_byte(uint32_t s, size_t i) {
  uint32_t h = (s ^ (uint32_t)(i >> 2)) * 0x9E3779B1u;
  h ^= h >> 15;
  return (unsigned char)(h >> ((i & 3) * 8));
}

static void fill(range* r) {
  for (size_t i = 0; i < r->len; ++i) r->p[i] = pattern_byte(r->seed, i);
}

static int intact(const range* r, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (r->p[i] != pattern_byte(r->seed, i)) return 0;
  return 1;
}

static int overlaps(const range* a, const range* b) {
  uintptr_t a0 = (uintptr_t)a->p, b0 = (uintptr_t)b->p;
  size_t al = a->len ? a->len : 1, bl = b->len ? b->len : 1;
  return a0 < b0 + bl && b0 < a0 + al;
}

/* A new range must not overlap any this thread holds (other threads' ranges
 * are checked against at the end, and their patterns catch any overlap with
 * a range that has since gone). */
static void check_new(worker* w, const range* r, const char* what) {
  for (int i = 0; i < w->nblocks; ++i)
    if (w->blocks[i].p != r->p && overlaps(&w->blocks[i], r)) fail(w, what, r->p, r->len);
  for (int i = 0; i < w->nregions; ++i)
    if (w->regions[i].p != r->p && overlaps(&w->regions[i], r)) fail(w, what, r->p, r->len);
}

static size_t block_size(worker* w) {
  uint32_t k = next(w) % 100;
  if (k < 55) return next(w) % 257;                   /* small slots, 0 included */
  if (k < 80) return 257 + next(w) % 4000;            /* larger slots */
  if (k < 95) return 4096 + next(w) % (60 << 10);     /* big blocks */
  return (256u << 10) + next(w) % (3u << 20);         /* big enough to grow memory */
}

static size_t sbrk_increment(worker* w) {
#if SBRK_PAGES_ONLY
  return (size_t)(1 + next(w) % 3) * PAGE;
#else
  uint32_t k = next(w) % 10;
  if (k < 5) return 1 + next(w) % 300;               /* odd sizes: sbrk rounds to 4 */
  if (k < 8) return 1 + next(w) % (80u << 10);
  return (512u << 10) + next(w) % (2u << 20);        /* past the end of memory */
#endif
}

static void do_sbrk(worker* w) {
  if (w->nregions == MAX_REGIONS) return;
  size_t n = sbrk_increment(w);
  void* p = sbrk((intptr_t)n);
  if (p == (void*)-1) {
    fail(w, "sbrk failed", NULL, n);
    return;
  }
  range r = {(unsigned char*)p, n, w->next_seed++};
  check_new(w, &r, "sbrk returned memory that overlaps a live block or region");
  /* The heap must not take an sbrk'd region for one of its blocks. */
  if (wasmheap_usable_size(p) != 0) fail(w, "wasmheap claims an sbrk'd region as its block", p, n);
  fill(&r);
  w->regions[w->nregions++] = r;
  w->sbrk_bytes += n;
}

static void do_malloc(worker* w) {
  if (w->nblocks == MAX_BLOCKS) return;
  size_t n = block_size(w);
  void* p = malloc(n);
  if (p == NULL) {
    fail(w, "malloc failed", NULL, n);
    return;
  }
  range r = {(unsigned char*)p, n, w->next_seed++};
  if ((uintptr_t)p + n > w->highest_block_end) w->highest_block_end = (uintptr_t)p + n;
  check_new(w, &r, "malloc returned memory that overlaps a live block or sbrk'd region");
  fill(&r);
  w->blocks[w->nblocks++] = r;
}

static void do_free(worker* w) {
  if (w->nblocks == 0) return;
  int i = (int)(next(w) % (uint32_t)w->nblocks);
  range* r = &w->blocks[i];
  if (!intact(r, r->len)) fail(w, "a block's pattern was overwritten", r->p, r->len);
  free(r->p);
  *r = w->blocks[--w->nblocks];
}

static void do_realloc(worker* w) {
  if (w->nblocks == 0) return;
  range* r = &w->blocks[next(w) % (uint32_t)w->nblocks];
  size_t n = block_size(w);
  if (!intact(r, r->len)) fail(w, "a block's pattern was overwritten", r->p, r->len);
  unsigned char* p = realloc(r->p, n);
  if (p == NULL) {
    fail(w, "realloc failed", r->p, n);
    return;
  }
  range moved = {p, r->len < n ? r->len : n, r->seed};
  if (!intact(&moved, moved.len)) fail(w, "realloc lost a block's contents", p, moved.len);
  r->p = p;
  r->len = n;
  r->seed = w->next_seed++;
  if ((uintptr_t)p + n > w->highest_block_end) w->highest_block_end = (uintptr_t)p + n;
  check_new(w, r, "realloc returned memory that overlaps a live block or sbrk'd region");
  fill(r);
}

static void check_all(worker* w) {
  for (int i = 0; i < w->nblocks; ++i)
    if (!intact(&w->blocks[i], w->blocks[i].len)) fail(w, "a block's pattern was overwritten", w->blocks[i].p, w->blocks[i].len);
  for (int i = 0; i < w->nregions; ++i) {
    if (!intact(&w->regions[i], w->regions[i].len))
      fail(w, "an sbrk'd region's pattern was overwritten", w->regions[i].p, w->regions[i].len);
    /* Pages sbrk grew between two growths of the heap stay outside it. */
    if (wasmheap_usable_size(w->regions[i].p) != 0)
      fail(w, "wasmheap took an sbrk'd region into the heap", w->regions[i].p, w->regions[i].len);
  }
}

static void* run(void* arg) {
  worker* w = arg;
  /* sbrk before this thread's first malloc: in the first thread, possibly
   * before the heap has taken the memory it starts with. */
  do_sbrk(w);
  do_malloc(w);
  do_sbrk(w);
  for (int op = 0; op < OPS && !w->failed; ++op) {
    uint32_t k = next(w) % 100;
    if (k < 40) do_malloc(w);
    else if (k < 70) do_free(w);
    else if (k < 88) do_realloc(w);
    else do_sbrk(w);
    if (op % 128 == 127) check_all(w);
  }
  check_all(w);
  return NULL;
}

static worker workers[THREADS];

int main(void) {
  for (int t = 0; t < THREADS; ++t) {
    workers[t].id = t;
    workers[t].rng = 12345u + 7919u * (uint32_t)t;
    workers[t].next_seed = 1 + (uint32_t)t * 1000000u;
  }
#if THREADS > 1
  pthread_t threads[THREADS];
  for (int t = 0; t < THREADS; ++t)
    if (pthread_create(&threads[t], NULL, run, &workers[t]) != 0) {
      printf("sbrk_coexist: FAIL: pthread_create\n");
      return 1;
    }
  for (int t = 0; t < THREADS; ++t) pthread_join(threads[t], NULL);
#else
  run(&workers[0]);
#endif

  /* Every live range of every thread against every other, and every pattern
   * once more. */
  int failed = 0;
  size_t blocks = 0, regions = 0, sbrk_bytes = 0, regions_below = 0;
  uintptr_t highest = 0;
  for (int t = 0; t < THREADS; ++t)
    if (workers[t].highest_block_end > highest) highest = workers[t].highest_block_end;
  /* sbrk'd regions below a block the heap handed out: the heap grew (or took
   * its initial memory) before and after them, the case this test is for. */
  for (int t = 0; t < THREADS; ++t)
    for (int i = 0; i < workers[t].nregions; ++i) regions_below += (uintptr_t)workers[t].regions[i].p < highest;
  for (int t = 0; t < THREADS; ++t) {
    worker* w = &workers[t];
    check_all(w);
    blocks += (size_t)w->nblocks;
    regions += (size_t)w->nregions;
    sbrk_bytes += w->sbrk_bytes;
    for (int u = t; u < THREADS; ++u) {
      worker* v = &workers[u];
      range* all_w[2] = {w->blocks, w->regions};
      int n_w[2] = {w->nblocks, w->nregions};
      range* all_v[2] = {v->blocks, v->regions};
      int n_v[2] = {v->nblocks, v->nregions};
      for (int a = 0; a < 2; ++a)
        for (int i = 0; i < n_w[a]; ++i)
          for (int b = 0; b < 2; ++b)
            for (int j = 0; j < n_v[b]; ++j) {
              if (u == t && (b < a || (b == a && j <= i))) continue;
              if (overlaps(&all_w[a][i], &all_v[b][j])) fail(w, "two live ranges overlap", all_w[a][i].p, all_w[a][i].len);
            }
    }
    failed |= w->failed;
  }
  for (int t = 0; t < THREADS; ++t) {
    for (int i = 0; i < workers[t].nblocks; ++i) free(workers[t].blocks[i].p);
    workers[t].nblocks = 0;
  }
  const char* problem = wasmheap_check();
  if (problem != NULL) {
    printf("sbrk_coexist: FAIL: wasmheap_check: %s\n", problem);
    failed = 1;
  }
  struct wasmheap_stats s;
  wasmheap_get_stats(&s);
  printf("sbrk_coexist: %d thread(s), %zu blocks and %zu sbrk'd regions (%zu bytes, %zu of them below a block) live "
         "at the end; heap grew %zu pages, memory is %zu pages, %zu blocks live after freeing\n",
         THREADS, blocks, regions, sbrk_bytes, regions_below, (size_t)s.pages_grown,
         (size_t)__builtin_wasm_memory_size(0), (size_t)s.blocks_live);
  if (regions_below == 0) {
    printf("sbrk_coexist: FAIL: no sbrk'd region lies below a block, so nothing was interleaved\n");
    failed = 1;
  }
  if (failed) return 1;
  printf("sbrk_coexist: PASS\n");
  return 0;
}
