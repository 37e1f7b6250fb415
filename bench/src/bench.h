/* The benchmark harness shared by every variant: the allocator calls the
 * workloads make (which also count operations and live bytes), a seeded PRNG,
 * and the checks that the memory handed out is usable.
 *
 * Every variant compiles the same workload sources; only what is linked for
 * the malloc family differs. Bookkeeping (pointer and size tables) lives in
 * static arrays, never in the heap under test, so it changes neither the
 * timings nor the pages the allocator adds. */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bench_counters {
  uint64_t ops;        /* allocator calls made: alloc, free, realloc each count 1 */
  uint64_t live;       /* bytes requested and not yet freed */
  uint64_t peak;       /* highest `live` seen during the run */
  uint64_t checksum;   /* mixes values read back, so runs can be compared */
  uint32_t failures;   /* broken promises: bad alignment, lost contents, NULL */
};
extern struct bench_counters bench_c;

/* Records a broken promise; the harness reports the run as failed. A message
 * is kept for the first one only. */
void bench_fail(const char* what);
/* For a failure the workload cannot go on from (no block to write to): prints
 * the result line with this error and traps. */
__attribute__((noreturn)) void bench_fatal(const char* what);

/* The alignment plain malloc promises on every allocator measured here. The
 * checks ask for no more than this from malloc and realloc. */
#define BENCH_MALLOC_ALIGN 8u

static inline void bench_live_add(size_t n) {
  bench_c.live += n;
  if (bench_c.live > bench_c.peak) bench_c.peak = bench_c.live;
}

static inline void bench_check_align(const void* p, size_t align) {
  if (((uintptr_t)p & (align - 1)) != 0) bench_fail("misaligned block");
}

/* Writes to the start, the end and one byte per 4 KiB of a new block, so its
 * pages are really committed and a block that overlaps another is caught when
 * the marks are checked before it is freed. */
static inline void bench_touch(unsigned char* p, size_t n, unsigned char tag) {
  if (n == 0) return;
  for (size_t i = 4096; i < n; i += 4096) p[i] = tag;
  p[0] = tag;
  p[n - 1] = tag;
}

/* Reads back the marks bench_touch wrote (first and last byte). */
static inline void bench_verify(const unsigned char* p, size_t n, unsigned char tag) {
  if (n == 0) return;
  if (p[0] != tag || p[n - 1] != tag) bench_fail("block contents changed");
  bench_c.checksum = bench_c.checksum * 31u + p[0];
}

/* --- the allocator calls ------------------------------------------------ */

static inline void* b_malloc(size_t n) {
  void* p = malloc(n);
  bench_c.ops++;
  if (p == NULL) bench_fatal("malloc returned NULL");
  bench_check_align(p, n >= BENCH_MALLOC_ALIGN ? BENCH_MALLOC_ALIGN : 1);
  bench_live_add(n);
  return p;
}

/* C11's aligned_alloc: the caller keeps n a multiple of align, since some
 * implementations (Emscripten's) return NULL otherwise. */
static inline void* b_aligned_alloc(size_t n, size_t align) {
  void* p = aligned_alloc(align, n);
  bench_c.ops++;
  if (p == NULL) bench_fatal("aligned_alloc returned NULL");
  bench_check_align(p, align);
  bench_live_add(n);
  return p;
}

static inline void* b_posix_memalign(size_t n, size_t align) {
  void* p = NULL;
  int rc = posix_memalign(&p, align, n);
  bench_c.ops++;
  if (rc != 0 || p == NULL) bench_fatal("posix_memalign failed");
  bench_check_align(p, align);
  bench_live_add(n);
  return p;
}

/* Any size with any power-of-two alignment, as a C program would write it:
 * malloc when its own alignment suffices, else posix_memalign (which, unlike
 * aligned_alloc, takes sizes that are not multiples of the alignment). */
static inline void* b_alloc_aligned(size_t n, size_t align) {
  if (align <= BENCH_MALLOC_ALIGN) return b_malloc(n);
  return b_posix_memalign(n, align);
}

static inline void* b_calloc(size_t count, size_t size) {
  void* p = calloc(count, size);
  bench_c.ops++;
  if (p == NULL) bench_fatal("calloc returned NULL");
  bench_check_align(p, count * size >= BENCH_MALLOC_ALIGN ? BENCH_MALLOC_ALIGN : 1);
  bench_live_add(count * size);
  return p;
}

static inline void b_free(void* p, size_t n) {
  free(p);
  bench_c.ops++;
  bench_c.live -= n;
}

static inline void* b_realloc(void* p, size_t old_n, size_t n) {
  void* q = realloc(p, n);
  bench_c.ops++;
  if (q == NULL) bench_fatal("realloc returned NULL");
  bench_check_align(q, n >= BENCH_MALLOC_ALIGN ? BENCH_MALLOC_ALIGN : 1);
  bench_c.live -= old_n;
  bench_live_add(n);
  return q;
}

/* --- deterministic randomness ------------------------------------------- */

/* SplitMix64: tiny, fast, and the same sequence on every engine. */
struct bench_rng {
  uint64_t s;
};

static inline uint64_t rng_next(struct bench_rng* r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift: bias is below 2^-32 for the small n
 * used here, and it costs no division. */
static inline uint32_t rng_below(struct bench_rng* r, uint32_t n) {
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline uint32_t rng_range(struct bench_rng* r, uint32_t lo, uint32_t hi) {
  return lo + rng_below(r, hi - lo + 1);
}

/* --- workloads ------------------------------------------------------------ */

typedef void (*bench_workload_fn)(void);

struct bench_workload {
  const char* name;
  bench_workload_fn run;
};

/* The module's workload table, one per module: workload_table.c for the
 * synthetic workloads, real/programs.c for the real programs. */
extern const struct bench_workload bench_workloads[];
extern const int bench_workload_count;

/* The C workloads (workloads.c) and the C++ one (cxx_containers.cpp). */
void wl_alloc_free_32(void);
void wl_alloc_free_32_align16(void);
void wl_batch_lifo_32(void);
void wl_batch_fifo_32(void);
void wl_churn(void);
void wl_random_actions(void);
void wl_random_actions_norealloc(void);
void wl_vec_push_growth(void);
void wl_realloc_doubling(void);
void wl_ratchet(void);
void wl_large_alloc_free(void);
void wl_phase_shift(void);
void wl_seed_tests(void);
void wl_cxx_containers(void);
void wl_adv_growth_with_free_slots(void);
void wl_adv_pinned_slabs(void);
void wl_adv_many_free_runs(void);
void wl_adv_realloc_pingpong(void);
void wl_adv_scattered_frees(void);
void wl_header_sized(void);

/* Hooks for an allocator that can only be reset wholesale (the bump variant
 * defines them; everyone else gets the empty defaults in harness.c). The
 * harness marks the heap before a run and releases to the mark after it, when
 * no block of the run is live. */
void bench_heap_mark(void);
void bench_heap_release(void);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_H */
