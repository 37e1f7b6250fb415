/* The C workloads. Each one is a function that allocates, uses and frees
 * everything it allocates, so the harness can run it again in the same
 * instance. Sizes, counts and seeds are fixed: every variant and engine sees
 * exactly the same sequence of calls. The README in this folder describes
 * each workload in words. */
#include "bench.h"

#define KiB ((size_t)1024)
#define MiB ((size_t)1024 * 1024)

/* A block's mark depends on its size and slot, so two overlapping blocks are
 * unlikely to carry the same mark. */
static inline unsigned char tag_of(size_t n, size_t slot) {
  return (unsigned char)(n * 131u + slot * 7u + 1u);
}

/* ---- alloc_free_32: the hot path of a size-class allocator -------------- */

#define ALLOC_FREE_N 500000u

void wl_alloc_free_32(void) {
  for (uint32_t i = 0; i < ALLOC_FREE_N; i++) {
    unsigned char* p = (unsigned char*)b_malloc(32);
    bench_touch(p, 32, (unsigned char)i);
    bench_verify(p, 32, (unsigned char)i);
    b_free(p, 32);
  }
}

/* Same, asking for 16-byte alignment: aligned_alloc and posix_memalign take
 * turns, since C code uses both. */
void wl_alloc_free_32_align16(void) {
  for (uint32_t i = 0; i < ALLOC_FREE_N; i++) {
    unsigned char* p = (unsigned char*)((i & 1) ? b_posix_memalign(32, 16) : b_aligned_alloc(32, 16));
    bench_touch(p, 32, (unsigned char)i);
    bench_verify(p, 32, (unsigned char)i);
    b_free(p, 32);
  }
}

/* ---- batches of 1,000 blocks of 32 B ------------------------------------- */

#define BATCH 1000u
#define BATCH_ROUNDS 500u
static unsigned char* batch_p[BATCH];

static void batch_fill(void) {
  for (uint32_t i = 0; i < BATCH; i++) {
    batch_p[i] = (unsigned char*)b_malloc(32);
    bench_touch(batch_p[i], 32, tag_of(32, i));
  }
}

void wl_batch_lifo_32(void) {
  for (uint32_t r = 0; r < BATCH_ROUNDS; r++) {
    batch_fill();
    for (uint32_t i = BATCH; i-- > 0;) {
      bench_verify(batch_p[i], 32, tag_of(32, i));
      b_free(batch_p[i], 32);
    }
  }
}

void wl_batch_fifo_32(void) {
  for (uint32_t r = 0; r < BATCH_ROUNDS; r++) {
    batch_fill();
    for (uint32_t i = 0; i < BATCH; i++) {
      bench_verify(batch_p[i], 32, tag_of(32, i));
      b_free(batch_p[i], 32);
    }
  }
}

/* ---- churn: a steady population of mixed sizes -------------------------- */

#define CHURN_LIVE 10000u
#define CHURN_STEPS 100000u
static unsigned char* churn_p[CHURN_LIVE];
static uint32_t churn_n[CHURN_LIVE];

/* Log-uniform over 8 .. 1023 B: an octave [8·2^k, 16·2^k) is picked uniformly
 * among the 7, then a size uniformly inside it. Small sizes are as common in
 * total as large ones, as in real programs. */
static inline uint32_t log_uniform_8_1024(struct bench_rng* r) {
  uint32_t low = 8u << rng_below(r, 7);
  return low + rng_below(r, low);
}

static void churn_alloc(struct bench_rng* r, uint32_t i) {
  uint32_t n = log_uniform_8_1024(r);
  churn_n[i] = n;
  churn_p[i] = (unsigned char*)b_malloc(n);
  bench_touch(churn_p[i], n, tag_of(n, i));
}

static void churn_free(uint32_t i) {
  bench_verify(churn_p[i], churn_n[i], tag_of(churn_n[i], i));
  b_free(churn_p[i], churn_n[i]);
}

void wl_churn(void) {
  struct bench_rng r = {0xC4u};
  for (uint32_t i = 0; i < CHURN_LIVE; i++) churn_alloc(&r, i);
  for (uint32_t s = 0; s < CHURN_STEPS; s++) {
    uint32_t i = rng_below(&r, CHURN_LIVE);
    churn_free(i);
    churn_alloc(&r, i);
  }
  for (uint32_t i = 0; i < CHURN_LIVE; i++) churn_free(i);
}

/* ---- random_actions: 1,000 slots, sizes 1 .. 10,000 B, alignments 1 .. 16 -- */

#define RA_SLOTS 1000u
#define RA_ACTIONS 100000u
static unsigned char* ra_p[RA_SLOTS];
static uint32_t ra_n[RA_SLOTS];

static void random_actions(int with_realloc) {
  struct bench_rng r = {0x5EEDu};
  for (uint32_t a = 0; a < RA_ACTIONS; a++) {
    uint32_t i = rng_below(&r, RA_SLOTS);
    if (ra_p[i] == NULL) {
      uint32_t n = rng_range(&r, 1, 10000);
      size_t align = (size_t)1 << rng_below(&r, 5);
      ra_p[i] = (unsigned char*)b_alloc_aligned(n, align);
      ra_n[i] = n;
      bench_touch(ra_p[i], n, tag_of(n, i));
    } else if (with_realloc && rng_below(&r, 2) == 0) {
      uint32_t old_n = ra_n[i];
      uint32_t n = rng_range(&r, 1, 10000);
      bench_verify(ra_p[i], old_n, tag_of(old_n, i));
      unsigned char* q = (unsigned char*)b_realloc(ra_p[i], old_n, n);
      /* realloc keeps the first min(old, new) bytes: the first mark survives. */
      if (q[0] != tag_of(old_n, i)) bench_fail("realloc lost contents");
      ra_p[i] = q;
      ra_n[i] = n;
      bench_touch(q, n, tag_of(n, i));
    } else {
      bench_verify(ra_p[i], ra_n[i], tag_of(ra_n[i], i));
      b_free(ra_p[i], ra_n[i]);
      ra_p[i] = NULL;
    }
  }
  for (uint32_t i = 0; i < RA_SLOTS; i++) {
    if (ra_p[i] == NULL) continue;
    bench_verify(ra_p[i], ra_n[i], tag_of(ra_n[i], i));
    b_free(ra_p[i], ra_n[i]);
    ra_p[i] = NULL;
  }
}

void wl_random_actions(void) { random_actions(1); }
void wl_random_actions_norealloc(void) { random_actions(0); }

/* ---- vec_push_growth: a growable array of 1,000,000 uint64_t -------------- */

#define VEC_PUSHES 1000000u

/* Grows like std::vector: a new buffer of twice the capacity, copy, free the
 * old one. realloc is not used, since C++ containers cannot use it. */
void wl_vec_push_growth(void) {
  uint64_t* v = NULL;
  size_t len = 0, cap = 0;
  for (uint32_t i = 0; i < VEC_PUSHES; i++) {
    if (len == cap) {
      size_t new_cap = cap ? cap * 2 : 1;
      uint64_t* nv = (uint64_t*)b_malloc(new_cap * sizeof(uint64_t));
      if (len) memcpy(nv, v, len * sizeof(uint64_t));
      if (v) b_free(v, cap * sizeof(uint64_t));
      v = nv;
      cap = new_cap;
    }
    v[len++] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
  }
  if (v[0] != 0 || v[len - 1] != (uint64_t)(len - 1) * 0x9E3779B97F4A7C15ull)
    bench_fail("vector contents changed");
  bench_c.checksum += v[len / 2];
  b_free(v, cap * sizeof(uint64_t));
}

/* ---- realloc_doubling: one buffer from 16 B to 1 MiB ---------------------- */

#define REALLOC_STEP 16u
#define REALLOC_MAX (1u << 20)
#define REALLOC_ROUNDS 4u

/* Grown by realloc in 16 B steps (65,535 reallocs), not by doubling: a buffer
 * appended to a little at a time is what stresses realloc, and it shows
 * whether an allocator can grow in place or must copy each time. The last byte
 * of every step is marked and checked after the next realloc. A run grows
 * REALLOC_ROUNDS buffers, one after the other, to be long enough to time. */
static void realloc_round(void) {
  size_t n = REALLOC_STEP;
  unsigned char* p = (unsigned char*)b_malloc(n);
  memset(p, 0xA5, n - 1);
  p[n - 1] = (unsigned char)n;
  for (n = 2 * REALLOC_STEP; n <= REALLOC_MAX; n += REALLOC_STEP) {
    size_t old_n = n - REALLOC_STEP;
    p = (unsigned char*)b_realloc(p, old_n, n);
    if (p[old_n - 1] != (unsigned char)old_n || p[0] != 0xA5) bench_fail("realloc lost contents");
    memset(p + old_n, 0xA5, REALLOC_STEP - 1);
    p[n - 1] = (unsigned char)n;
  }
  bench_c.checksum += p[REALLOC_MAX / 2];
  b_free(p, REALLOC_MAX);
}

void wl_realloc_doubling(void) {
  for (uint32_t r = 0; r < REALLOC_ROUNDS; r++) realloc_round();
}

/* ---- ratchet: a buffer grown 64 KiB at a time to 8 MiB ------------------- */

#define RATCHET_STEP (64 * KiB)
#define RATCHET_MAX (8 * MiB)

/* New block, copy, free the old one, as a container without realloc does. An
 * allocator that cannot reuse or merge the freed runs grows memory by the sum
 * of all the sizes. */
void wl_ratchet(void) {
  unsigned char* p = NULL;
  for (size_t n = RATCHET_STEP; n <= RATCHET_MAX; n += RATCHET_STEP) {
    unsigned char* q = (unsigned char*)b_malloc(n);
    size_t old_n = n - RATCHET_STEP;
    if (p) {
      memcpy(q, p, old_n);
      b_free(p, old_n);
      if (q[0] != 0x3C) bench_fail("ratchet lost contents");
    }
    bench_touch(q + old_n, RATCHET_STEP, 0x3C);
    q[0] = 0x3C;
    p = q;
  }
  bench_c.checksum += p[RATCHET_MAX - 1];
  b_free(p, RATCHET_MAX);
}

/* ---- large_alloc_free: 64 slots of 64 KiB .. 1 MiB ----------------------- */

#define LARGE_SLOTS 64u
#define LARGE_ACTIONS 2000u
static unsigned char* large_p[LARGE_SLOTS];
static uint32_t large_n[LARGE_SLOTS];

void wl_large_alloc_free(void) {
  struct bench_rng r = {0x1A26Eu};
  for (uint32_t a = 0; a < LARGE_ACTIONS; a++) {
    uint32_t i = rng_below(&r, LARGE_SLOTS);
    if (large_p[i] == NULL) {
      uint32_t n = rng_range(&r, 64 * 1024, 1024 * 1024);
      large_p[i] = (unsigned char*)b_malloc(n);
      large_n[i] = n;
      bench_touch(large_p[i], n, tag_of(n, i));
    } else {
      bench_verify(large_p[i], large_n[i], tag_of(large_n[i], i));
      b_free(large_p[i], large_n[i]);
      large_p[i] = NULL;
    }
  }
  for (uint32_t i = 0; i < LARGE_SLOTS; i++) {
    if (large_p[i] == NULL) continue;
    bench_verify(large_p[i], large_n[i], tag_of(large_n[i], i));
    b_free(large_p[i], large_n[i]);
    large_p[i] = NULL;
  }
}

/* ---- phase_shift: 20 MiB of one size, freed, then of another ------------- */

#define PHASE_BYTES (20 * MiB)
static unsigned char* phase_p[PHASE_BYTES / 32];

/* Memory freed as 32 B objects should serve the 200 B phase, and so on; an
 * allocator that keeps freed slots for their size class forever grows by
 * 60 MiB instead of 20. */
void wl_phase_shift(void) {
  static const uint32_t sizes[3] = {32, 200, 3000};
  for (int ph = 0; ph < 3; ph++) {
    uint32_t n = sizes[ph];
    uint32_t count = (uint32_t)(PHASE_BYTES / n);
    for (uint32_t i = 0; i < count; i++) {
      phase_p[i] = (unsigned char*)b_malloc(n);
      bench_touch(phase_p[i], n, tag_of(n, i));
    }
    for (uint32_t i = 0; i < count; i++) {
      bench_verify(phase_p[i], n, tag_of(n, i));
      b_free(phase_p[i], n);
    }
  }
}

/* ---- seed_tests: the reference allocator's scenarios, as one workload ------ */

#define SEED_ROUNDS 200u
#define SEED_SMALL 513u
#define BIGPAGE (64 * KiB)
static unsigned char* seed_p[SEED_SMALL];

static void expect(int ok, const char* what) {
  if (!ok) bench_fail(what);
}

static void seed_round(void) {
  /* Small blocks freed in the order they were made, then in reverse. */
  for (uint32_t i = 0; i < SEED_SMALL; i++) {
    seed_p[i] = (unsigned char*)b_malloc(8);
    bench_touch(seed_p[i], 8, tag_of(8, i));
  }
  for (uint32_t i = 0; i < SEED_SMALL; i++) {
    bench_verify(seed_p[i], 8, tag_of(8, i));
    b_free(seed_p[i], 8);
  }
  for (uint32_t i = 0; i < SEED_SMALL; i++) {
    seed_p[i] = (unsigned char*)b_malloc(8);
    bench_touch(seed_p[i], 8, tag_of(8, i));
  }
  for (uint32_t i = SEED_SMALL; i-- > 0;) {
    bench_verify(seed_p[i], 8, tag_of(8, i));
    b_free(seed_p[i], 8);
  }

  /* Large blocks, one freed between two allocations. */
  {
    size_t n1 = 42768 * 8, n2 = 52768 * 8, n3 = 62768 * 8;
    unsigned char* a = (unsigned char*)b_malloc(n1);
    bench_touch(a, n1, 1);
    unsigned char* b = (unsigned char*)b_malloc(n2);
    bench_touch(b, n2, 2);
    bench_verify(a, n1, 1);
    b_free(a, n1);
    unsigned char* c = (unsigned char*)b_malloc(n3);
    bench_touch(c, n3, 3);
    bench_verify(c, n3, 3);
    b_free(c, n3);
    bench_verify(b, n2, 2);
    b_free(b, n2);
  }

  /* An impossible size gives NULL, not a trap or an abort. */
  {
    void* huge = malloc(SIZE_MAX);
    bench_c.ops++;
    expect(huge == NULL, "malloc(SIZE_MAX) did not fail");
    if (huge) free(huge);
  }

  /* realloc within a class, then to a larger class. */
  {
    unsigned char* p = (unsigned char*)b_malloc(1);
    p[0] = 0x12;
    p = (unsigned char*)b_realloc(p, 1, 2);
    expect(p[0] == 0x12, "realloc 1 -> 2 lost contents");
    p[1] = 0x34;
    p = (unsigned char*)b_realloc(p, 2, 17);
    expect(p[0] == 0x12 && p[1] == 0x34, "realloc 2 -> 17 lost contents");
    b_free(p, 17);
  }

  /* Shrinking keeps the contents. */
  {
    unsigned char* p = (unsigned char*)b_malloc(20);
    memset(p, 0x11, 20);
    p = (unsigned char*)b_realloc(p, 20, 17);
    p = (unsigned char*)b_realloc(p, 17, 16);
    for (int i = 0; i < 16; i++) expect(p[i] == 0x11, "shrink lost contents");
    b_free(p, 16);
  }

  /* A large block grown a little at a time, across a page boundary. */
  {
    size_t sizes[4] = {BIGPAGE * 2 - 20, BIGPAGE * 2 - 10, BIGPAGE * 2, BIGPAGE * 2 + 1};
    unsigned char* p = (unsigned char*)b_malloc(sizes[0]);
    p[0] = 0x21;
    for (int i = 1; i < 4; i++) p = (unsigned char*)b_realloc(p, sizes[i - 1], sizes[i]);
    expect(p[0] == 0x21, "large grow lost contents");
    b_free(p, sizes[3]);
  }

  /* A small block grown into a large one. */
  {
    unsigned char* p = (unsigned char*)b_malloc(70);
    p[0] = 0x12;
    p[60] = 0x34;
    p = (unsigned char*)b_realloc(p, 70, BIGPAGE * 2 + 50);
    expect(p[0] == 0x12 && p[60] == 0x34, "small -> large lost contents");
    b_free(p, BIGPAGE * 2 + 50);
  }

  /* A large block shrunk, kept, then shrunk across a page boundary. */
  {
    unsigned char* p = (unsigned char*)b_malloc(BIGPAGE * 2 + 50);
    p[0] = 0x12;
    p[60] = 0x34;
    p = (unsigned char*)b_realloc(p, BIGPAGE * 2 + 50, BIGPAGE * 2 + 1);
    p = (unsigned char*)b_realloc(p, BIGPAGE * 2 + 1, BIGPAGE * 2 + 1);
    p = (unsigned char*)b_realloc(p, BIGPAGE * 2 + 1, BIGPAGE * 2);
    expect(p[0] == 0x12 && p[60] == 0x34, "large shrink lost contents");
    b_free(p, BIGPAGE * 2);
  }

  /* A large block shrunk to a small one. */
  {
    unsigned char* p = (unsigned char*)b_malloc(BIGPAGE * 2 + 50);
    p[0] = 0x12;
    p[16] = 0x34;
    p = (unsigned char*)b_realloc(p, BIGPAGE * 2 + 50, 19);
    expect(p[0] == 0x12 && p[16] == 0x34, "large -> small lost contents");
    b_free(p, 19);
  }

  /* Neighbouring classes: 1025 B and 3000 B. */
  {
    unsigned char* a = (unsigned char*)b_malloc(1025);
    unsigned char* b = (unsigned char*)b_malloc(3000);
    bench_touch(a, 1025, 5);
    bench_touch(b, 3000, 6);
    bench_verify(a, 1025, 5);
    bench_verify(b, 3000, 6);
    b_free(a, 1025);
    b_free(b, 3000);
  }

  /* calloc zeroes, also memory that was used and freed before. */
  {
    uint64_t* z = (uint64_t*)b_calloc(100, 8);
    for (int i = 0; i < 100; i++) expect(z[i] == 0, "calloc memory not zero");
    b_free(z, 800);
  }

  /* Alignments from 32 B to 64 KiB. */
  for (size_t align = 32; align <= 64 * KiB; align *= 2) {
    unsigned char* p = (unsigned char*)b_alloc_aligned(100, align);
    bench_touch(p, 100, (unsigned char)align);
    bench_verify(p, 100, (unsigned char)align);
    b_free(p, 100);
  }
}

void wl_seed_tests(void) {
  for (uint32_t r = 0; r < SEED_ROUNDS; r++) seed_round();
}

/* ==== Adversarial workloads ===============================================
 * Patterns real programs produce that make an allocator's slow paths cost
 * the most: work that grows with the number of free slots, pinned slabs,
 * free runs, or blocks, on every call a program can repeat. Each is sized to
 * take a fraction of a second with a bounded allocator. They reuse the big
 * pointer array of phase_shift rather than adding static data, which would
 * move every module's heap and with it the other workloads' pages. */

#define ADV_SLOTS (PHASE_BYTES / 32)
#define adv_p phase_p

/* A size from a block's index alone, so blocks freed in any order know
 * their size without another array. */
static inline uint32_t adv_size(uint32_t i, uint32_t lo, uint32_t hi) {
  uint32_t h = i * 2654435761u;
  return lo + (h >> 8) % (hi - lo + 1);
}

/* Block i of n bytes, marked in its first `marked` bytes (big blocks are
 * not touched throughout: the workloads time the allocator, not page faults). */
static void adv_alloc(uint32_t i, uint32_t n, uint32_t marked) {
  adv_p[i] = (unsigned char*)b_malloc(n);
  bench_touch(adv_p[i], n < marked ? n : marked, tag_of(n, i));
}
static void adv_free(uint32_t i, uint32_t n, uint32_t marked) {
  bench_verify(adv_p[i], n < marked ? n : marked, tag_of(n, i));
  b_free(adv_p[i], n);
}

/* ---- adv_growth_with_free_slots: many free slots, then memory grows ------ */

#define AGF_SMALL 100000u
#define AGF_BIG 500u
#define AGF_BIG_SIZE 100000u

/* 100,000 small blocks, every other one freed (no slab empties), then 500
 * blocks of 100,000 B, each making memory grow: an allocator that looks at
 * every free slot when memory grows pays that on each of them. */
void wl_adv_growth_with_free_slots(void) {
  for (uint32_t i = 0; i < AGF_SMALL; i++) adv_alloc(i, adv_size(i, 16, 256), 256);
  for (uint32_t i = 0; i < AGF_SMALL; i += 2) adv_free(i, adv_size(i, 16, 256), 256);
  for (uint32_t j = AGF_SMALL; j < AGF_SMALL + AGF_BIG; j++) adv_alloc(j, AGF_BIG_SIZE, 64);
  for (uint32_t j = AGF_SMALL; j < AGF_SMALL + AGF_BIG; j++) adv_free(j, AGF_BIG_SIZE, 64);
  for (uint32_t i = 1; i < AGF_SMALL; i += 2) adv_free(i, adv_size(i, 16, 256), 256);
}

/* ---- adv_pinned_slabs: one live block in every slab of 21 classes ------ */

#define APS_PER_SIZE 1024u
#define APS_SIZES 21u
#define APS_KEEP_EVERY 64u
#define APS_MEDIUM 4000u

/* Of 1,024 blocks of each of 21 sizes, one in 64 stays live, so most slabs
 * (or chunks) keep a block and cannot be reused for other sizes; then 4,000
 * blocks of 2,000 to 5,000 B must find memory elsewhere. */
static const uint32_t aps_sizes[APS_SIZES] = {16,  32,  48,  64,  80,  96,  112, 128, 160,  192, 224,
                                              256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280};
#define APS_SMALL (APS_PER_SIZE * APS_SIZES)

void wl_adv_pinned_slabs(void) {
  for (uint32_t k = 0; k < APS_SMALL; k++) adv_alloc(k, aps_sizes[k / APS_PER_SIZE], 2048);
  for (uint32_t k = 0; k < APS_SMALL; k++)
    if (k % APS_KEEP_EVERY != 0) adv_free(k, aps_sizes[k / APS_PER_SIZE], 2048);
  for (uint32_t j = 0; j < APS_MEDIUM; j++) adv_alloc(APS_SMALL + j, adv_size(j, 2000, 5000), 8192);
  for (uint32_t j = 0; j < APS_MEDIUM; j++) adv_free(APS_SMALL + j, adv_size(j, 2000, 5000), 8192);
  for (uint32_t k = 0; k < APS_SMALL; k += APS_KEEP_EVERY) adv_free(k, aps_sizes[k / APS_PER_SIZE], 2048);
}

/* ---- adv_many_free_runs: thousands of free runs of similar length ------- */

#define AMR_RUNS 1000u
#define AMR_REQUESTS 600u

/* 1,000 blocks of 48 to 64 KiB, each followed by a small block that stays
 * live, are freed: 1,000 free runs that cannot merge. Then 600 requests of
 * 40 to 70 KiB each search them. */
void wl_adv_many_free_runs(void) {
  for (uint32_t i = 0; i < AMR_RUNS; i++) {
    adv_alloc(2 * i, adv_size(i, 48 * 1024, 64 * 1024), 64);
    adv_alloc(2 * i + 1, 64, 64);
  }
  for (uint32_t i = 0; i < AMR_RUNS; i++) adv_free(2 * i, adv_size(i, 48 * 1024, 64 * 1024), 64);
  for (uint32_t j = 0; j < AMR_REQUESTS; j++) adv_alloc(2 * AMR_RUNS + j, adv_size(j + 7, 40 * 1024, 70 * 1024), 64);
  for (uint32_t j = 0; j < AMR_REQUESTS; j++) adv_free(2 * AMR_RUNS + j, adv_size(j + 7, 40 * 1024, 70 * 1024), 64);
  for (uint32_t i = 1; i < 2 * AMR_RUNS; i += 2) adv_free(i, 64, 64);
}

/* ---- adv_realloc_pingpong: one block between 100 B and 40,000 B --------- */

#define ARP_STEPS 100000u

/* A buffer that grows past the small sizes and shrinks back, again and
 * again, as a reused scratch buffer does: each step crosses between small
 * and big blocks. The first 64 bytes are kept and checked. */
void wl_adv_realloc_pingpong(void) {
  size_t n = 100;
  unsigned char* p = (unsigned char*)b_malloc(n);
  bench_touch(p, 64, 0x3D);
  for (uint32_t s = 0; s < ARP_STEPS; s++) {
    size_t new_n = n == 100 ? 40000 : 100;
    p = (unsigned char*)b_realloc(p, n, new_n);
    bench_verify(p, 64, 0x3D);
    n = new_n;
  }
  b_free(p, n);
}

/* ---- adv_scattered_frees: 400,000 frees in scattered order, then big ---- */

#define ASF_BLOCKS 400000u
#define ASF_STRIDE 257611u /* a prime: i * stride mod ASF_BLOCKS visits every i */
#define ASF_BIG 200u
#define ASF_BIG_SIZE 200000u
_Static_assert(ASF_BLOCKS <= ADV_SLOTS, "the largest adversarial workload fits the pointer array");

/* 400,000 blocks of 16 to 64 B freed in an order that jumps across the whole
 * heap, so every free list is long and spread over every slab; then 200
 * blocks of 200,000 B. */
void wl_adv_scattered_frees(void) {
  for (uint32_t i = 0; i < ASF_BLOCKS; i++) adv_alloc(i, adv_size(i, 16, 64), 16);
  for (uint32_t j = 0; j < ASF_BLOCKS; j++) {
    uint32_t i = (uint32_t)(((uint64_t)j * ASF_STRIDE) % ASF_BLOCKS);
    adv_free(i, adv_size(i, 16, 64), 16);
  }
  for (uint32_t j = 0; j < ASF_BIG; j++) adv_alloc(j, ASF_BIG_SIZE, 64);
  for (uint32_t j = 0; j < ASF_BIG; j++) adv_free(j, ASF_BIG_SIZE, 64);
}

/* ---- header_sized: 2^k plus a header -------------------------------------- */

#define HS_LIVE 5000u
#define HS_STEPS 200000u

/* Programs that put a header of 8 to 24 bytes in front of a power-of-two
 * buffer (SQLite's page cache and its memsys wrapper ask for 2^k + 8) ask
 * for sizes just above a power of two, where classes that round up waste the
 * most. A steady population of 5,000 such blocks from 24 B to 32 KiB, small
 * ones more common, replaced one at a time. */
static inline uint32_t header_sized(struct bench_rng* r) {
  static const uint32_t headers[3] = {8, 16, 24};
  uint32_t k = 4 + rng_below(r, 4) + rng_below(r, 5) + rng_below(r, 3);  /* 4 .. 14, mostly middle */
  return (1u << k) + headers[rng_below(r, 3)];
}

void wl_header_sized(void) {
  struct bench_rng r = {0x4EADu};
  for (uint32_t i = 0; i < HS_LIVE; i++) {
    churn_n[i] = header_sized(&r);
    churn_p[i] = (unsigned char*)b_malloc(churn_n[i]);
    bench_touch(churn_p[i], churn_n[i], tag_of(churn_n[i], i));
  }
  for (uint32_t s = 0; s < HS_STEPS; s++) {
    uint32_t i = rng_below(&r, HS_LIVE);
    bench_verify(churn_p[i], churn_n[i], tag_of(churn_n[i], i));
    b_free(churn_p[i], churn_n[i]);
    churn_n[i] = header_sized(&r);
    churn_p[i] = (unsigned char*)b_malloc(churn_n[i]);
    bench_touch(churn_p[i], churn_n[i], tag_of(churn_n[i], i));
  }
  for (uint32_t i = 0; i < HS_LIVE; i++) {
    bench_verify(churn_p[i], churn_n[i], tag_of(churn_n[i], i));
    b_free(churn_p[i], churn_n[i]);
  }
}
