/* Allocators under wasm threads (Emscripten -pthread): the program behind
 * bench/threads/run.mjs. One run of one workload per process:
 *
 *   node --no-experimental-fetch VARIANT.js WORKLOAD WARMUPS RUNS
 *
 * (in a browser the same arguments come from Module.arguments) prints one
 * JSON line: the workload's op count, the time of each timed run, and the
 * pages memory grew by during the first run. Compiled with -DCOUNT_LOCKS (and
 * linked with wasmheap built with -DWASMHEAP_COUNT_LOCKS=1) it also prints how
 * many times wasmheap's lock was taken during the first run.
 *
 * The worker threads a workload needs are created once and meet the main
 * thread at a barrier when all are up. For each run the main thread reads the
 * clock, then gives the workers the signal to start (a counter and a futex
 * wake), and reads the clock again when the last worker has counted itself
 * done and woken it. So a run's time covers the workload and the wake-ups at
 * either end, not thread start-up, and no work can start before the clock is
 * read. (Timing between two barriers, as this program did before, did not
 * ensure that: musl's barrier lets the thread that arrived first leave only
 * after all the others have left, so when the main thread came first to the
 * start line its clock started late, after the workers had begun or even
 * finished: with more threads than cores, a control_4t run that takes at
 * least 4 ms of the two cores was timed at 0.03 ms.)
 *
 * Workloads (an op is one malloc or one free; blocks are touched on both sides,
 * so an allocator that handed out a block twice would be caught):
 *   pc_small   producer/consumer: thread 0 mallocs 400,000 blocks of 16..256 B
 *              and passes each through a ring to thread 1, which checks and
 *              frees it: every free is of another thread's block
 *   pc_mixed   the same with 100,000 blocks of 16 B .. 64 KiB (log-uniform)
 *   fifo_small_1t, fifo_mixed_1t   the same blocks, allocated and freed in
 *              the same order by one thread, each freed RING_SIZE allocations
 *              after it was made: the sequence without the second thread
 *   local_1t   one thread alone: 1,000 live blocks of 16..256 B, 400,000 times
 *              free one at random and malloc another (no other thread calls
 *              the allocator: the cost of its lock when nobody contends)
 *   local_2t, local_4t, local_8t   2, 4 or 8 threads at once, each the
 *              local_1t workload on blocks of its own: contention with no
 *              sharing
 *   larson_2t, larson_4t, larson_8t   a server, after Larson and Krishnan's
 *              benchmark: 2, 4 or 8 threads share a table of 4,096 slots; each
 *              of 200,000 steps per thread mallocs a block (16..256 B, one in
 *              16 up to 4 KiB), swaps it into a random slot and frees the
 *              block it found there, which another thread most likely
 *              allocated: frees of other threads' blocks in random order
 *   control_1t, control_2t, control_4t, control_8t   the control: the local_*
 *              workloads with no allocator in them. Each thread's 1,000 blocks
 *              are fixed 256-byte slots of a buffer of its own, allocated by
 *              the main thread before the threads start; each step checks the
 *              slot it picks and touches a fresh size in it (same random
 *              numbers, same bytes, same steps, counted as the same two ops).
 *              control_Nt over control_1t is the scaling the engine and the
 *              machine allow, which bounds local_Nt's */
#include <emscripten/threading.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(COUNT_LOCKS)
#include <wasmheap/wasmheap.h> /* wasmheap_lock_acquisitions */
#endif

#define MAX_THREADS 8 /* the most any workload runs; run.mjs sizes the pool for it */
#define PC_SMALL_BLOCKS 400000
#define PC_MIXED_BLOCKS 100000
#define LOCAL_LIVE 1000
#define LOCAL_STEPS 400000
#define RING_SIZE 4096 /* a power of two */
#define LARSON_SLOTS 4096
#define LARSON_STEPS 200000 /* per thread */

/* ---- randomness, checks and sizes ------------------------------------------- */

static uint64_t splitmix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static atomic_int failures;
static const char* first_failure;
static void fail(const char* what) {
  if (atomic_fetch_add(&failures, 1) == 0) first_failure = what;
}

/* Writes tag into the first and last byte and one byte per 4 KiB. */
static void touch(unsigned char* p, size_t n, unsigned char tag) {
  for (size_t i = 0; i < n; i += 4096) p[i] = tag;
  p[n - 1] = tag;
}
static void check(const unsigned char* p, size_t n, unsigned char tag) {
  for (size_t i = 0; i < n; i += 4096)
    if (p[i] != tag) fail("block contents changed");
  if (p[n - 1] != tag) fail("block contents changed");
}

static size_t small_size(uint64_t* s) { return 16 + (size_t)(splitmix(s) % 241); }
/* Octave uniform over 16 B .. 64 KiB, then uniform inside the octave. */
static size_t mixed_size(uint64_t* s) {
  uint64_t r = splitmix(s);
  unsigned octave = 4 + (unsigned)(r % 12);
  size_t lo = (size_t)1 << octave;
  return lo + (size_t)((r >> 8) % lo);
}

/* ---- the ring between producer and consumer ------------------------------- */

/* Single producer, single consumer. A side that finds the ring full (or
 * empty) spins a little, then sleeps in short timed waits rather than asking
 * for a wake-up, which keeps the ring itself free of any lock. */
struct ring {
  _Alignas(64) atomic_uint head; /* next slot the consumer reads */
  _Alignas(64) atomic_uint tail; /* next slot the producer writes */
  _Alignas(64) struct item {
    unsigned char* p;
    uint32_t n;
  } items[RING_SIZE];
};
static struct ring ring;

static void wait_for_change(atomic_uint* word, unsigned seen, unsigned* spins) {
  if (++*spins < 256) return;
  *spins = 0;
  emscripten_futex_wait((void*)word, seen, 0.05);
}

static void ring_push(unsigned char* p, uint32_t n) {
  unsigned tail = atomic_load_explicit(&ring.tail, memory_order_relaxed), spins = 0;
  for (;;) {
    unsigned head = atomic_load_explicit(&ring.head, memory_order_acquire);
    if (tail - head < RING_SIZE) break;
    wait_for_change(&ring.head, head, &spins);
  }
  ring.items[tail % RING_SIZE] = (struct item){p, n};
  atomic_store_explicit(&ring.tail, tail + 1, memory_order_release);
}

static struct item ring_pop(void) {
  unsigned head = atomic_load_explicit(&ring.head, memory_order_relaxed), spins = 0;
  for (;;) {
    unsigned tail = atomic_load_explicit(&ring.tail, memory_order_acquire);
    if (tail != head) break;
    wait_for_change(&ring.tail, tail, &spins);
  }
  struct item it = ring.items[head % RING_SIZE];
  atomic_store_explicit(&ring.head, head + 1, memory_order_release);
  return it;
}

/* ---- workloads: each is run by every thread it has, role = 0, 1, ... ------- */

static void producer(int blocks, size_t (*size)(uint64_t*)) {
  uint64_t s = 0x1234;
  for (int i = 0; i < blocks; ++i) {
    size_t n = size(&s);
    unsigned char* p = malloc(n);
    if (p == NULL) {
      fail("out of memory");
      ring_push(NULL, 0);
      continue;
    }
    touch(p, n, (unsigned char)i);
    ring_push(p, (uint32_t)n);
  }
}

static void consumer(int blocks) {
  for (int i = 0; i < blocks; ++i) {
    struct item it = ring_pop();
    if (it.p == NULL) continue;
    check(it.p, it.n, (unsigned char)i);
    free(it.p);
  }
}

static long wl_pc_small(int role, int threads) {
  (void)threads;
  if (role == 0) producer(PC_SMALL_BLOCKS, small_size);
  else consumer(PC_SMALL_BLOCKS);
  return 2L * PC_SMALL_BLOCKS;
}

static long wl_pc_mixed(int role, int threads) {
  (void)threads;
  if (role == 0) producer(PC_MIXED_BLOCKS, mixed_size);
  else consumer(PC_MIXED_BLOCKS);
  return 2L * PC_MIXED_BLOCKS;
}

/* One thread, the producer's and the consumer's calls interleaved: a block is
 * freed once RING_SIZE newer ones exist, as when the ring stays full. */
static void fifo(int blocks, size_t (*size)(uint64_t*)) {
  static struct item queue[RING_SIZE];
  uint64_t s = 0x1234;
  for (int i = 0; i < blocks + RING_SIZE; ++i) {
    struct item* slot = &queue[i % RING_SIZE];
    if (i >= RING_SIZE) {
      check(slot->p, slot->n, (unsigned char)(i - RING_SIZE));
      free(slot->p);
    }
    if (i >= blocks) continue;
    size_t n = size(&s);
    slot->p = malloc(n);
    slot->n = (uint32_t)n;
    if (slot->p == NULL) {
      fail("out of memory");
      return;
    }
    touch(slot->p, n, (unsigned char)i);
  }
}

static long wl_fifo_small_1t(int role, int threads) {
  (void)threads;
  if (role == 0) fifo(PC_SMALL_BLOCKS, small_size);
  return 2L * PC_SMALL_BLOCKS;
}

static long wl_fifo_mixed_1t(int role, int threads) {
  (void)threads;
  if (role == 0) fifo(PC_MIXED_BLOCKS, mixed_size);
  return 2L * PC_MIXED_BLOCKS;
}

/* The local_* workloads' live blocks, per thread: where each is and its size. */
static unsigned char* live[MAX_THREADS][LOCAL_LIVE];
static uint32_t sizes[MAX_THREADS][LOCAL_LIVE];
/* The control's buffers, one per thread: LOCAL_LIVE slots of the largest
 * small_size, allocated before the threads start (main). */
#define CONTROL_SLOT 256
static unsigned char* control_bufs[MAX_THREADS];

/* local_churn, and with control set the same work without the allocator:
 * block i is always slot i of the thread's buffer, so a step checks it and
 * touches a fresh size in it where local_churn frees it and mallocs another.
 * Inlined into both callers, so each is compiled with its own constant. */
static inline __attribute__((always_inline)) void churn(int role, int control) {
  unsigned char** p = live[role];
  uint32_t* n = sizes[role];
  uint64_t s = 0x777 + (uint64_t)role;
  for (int i = 0; i < LOCAL_LIVE; ++i) {
    n[i] = (uint32_t)small_size(&s);
    p[i] = control ? control_bufs[role] + (size_t)i * CONTROL_SLOT : malloc(n[i]);
    if (p[i] == NULL) {
      fail("out of memory");
      return;
    }
    touch(p[i], n[i], (unsigned char)i);
  }
  for (int step = 0; step < LOCAL_STEPS; ++step) {
    unsigned i = (unsigned)(splitmix(&s) % LOCAL_LIVE);
    check(p[i], n[i], (unsigned char)i);
    if (!control) free(p[i]);
    n[i] = (uint32_t)small_size(&s);
    if (!control) {
      p[i] = malloc(n[i]);
      if (p[i] == NULL) {
        fail("out of memory");
        return;
      }
    }
    touch(p[i], n[i], (unsigned char)i);
  }
  for (int i = 0; i < LOCAL_LIVE; ++i) {
    check(p[i], n[i], (unsigned char)i);
    if (!control) free(p[i]);
  }
}

static void local_churn(int role) { churn(role, 0); }
static void control_churn(int role) { churn(role, 1); }

static const long local_ops = 2L * (LOCAL_LIVE + LOCAL_STEPS);

/* Every thread runs it, so the ops scale with the threads. */
static long wl_local(int role, int threads) {
  local_churn(role);
  return threads * local_ops;
}

/* The same ops as wl_local, though no allocator is called. */
static long wl_control(int role, int threads) {
  control_churn(role);
  return threads * local_ops;
}

/* Larson: the table holds each block with its size and the tag written into
 * it, packed into one 64-bit word (pointer | size << 32 | tag << 48) so that
 * a slot changes hands with one atomic exchange and no lock of its own. */
static _Atomic uint64_t larson_table[LARSON_SLOTS];
/* The threads meet between the steps and the emptying of the table, so that
 * no block is put back into a slot already emptied. */
static pthread_barrier_t larson_steps_done;

/* 16..256 B, and one block in 16 of 257 B .. 4 KiB. */
static size_t larson_size(uint64_t r) {
  if ((r & 15) == 0) return 257 + (size_t)((r >> 8) % 3840);
  return 16 + (size_t)((r >> 8) % 241);
}

/* Puts p (n bytes, tag) into slot i and checks and frees what was there. */
static void larson_swap(unsigned i, unsigned char* p, uint32_t n, unsigned char tag) {
  uint64_t mine = p == NULL ? 0 : (uint64_t)(uintptr_t)p | (uint64_t)n << 32 | (uint64_t)tag << 48;
  uint64_t old = atomic_exchange_explicit(&larson_table[i], mine, memory_order_acq_rel);
  if (old == 0) return;
  unsigned char* q = (unsigned char*)(uintptr_t)(uint32_t)old;
  check(q, (uint32_t)(old >> 32) & 0xffff, (unsigned char)(old >> 48));
  free(q);
}

/* A fresh block of a random size, touched with a random tag, in slot i.
 * Out of memory leaves the slot as it is: a thread must not return early and
 * miss the barrier the others wait at. */
static void larson_put(unsigned i, uint64_t* s) {
  uint64_t r = splitmix(s);
  size_t n = larson_size(r);
  unsigned char tag = (unsigned char)(r >> 56);
  unsigned char* p = malloc(n);
  if (p == NULL) {
    fail("out of memory");
    return;
  }
  touch(p, n, tag);
  larson_swap(i, p, (uint32_t)n, tag);
}

/* Each thread fills its share of the table (slots role, role + threads, ...),
 * runs its steps, and after all have finished empties its share again. Every
 * block made in a run is freed in it, by whichever thread finds it, so the
 * ops are exactly two per malloc. */
static long wl_larson(int role, int threads) {
  uint64_t s = 0xabcd + 0x1000 * (uint64_t)role;
  for (unsigned i = (unsigned)role; i < LARSON_SLOTS; i += (unsigned)threads) larson_put(i, &s);
  for (int step = 0; step < LARSON_STEPS; ++step) larson_put((unsigned)(splitmix(&s) % LARSON_SLOTS), &s);
  pthread_barrier_wait(&larson_steps_done);
  for (unsigned i = (unsigned)role; i < LARSON_SLOTS; i += (unsigned)threads) larson_swap(i, NULL, 0, 0);
  return 2L * (LARSON_SLOTS + (long)threads * LARSON_STEPS);
}

/* threads: how many worker threads the workload runs on, role 0..threads-1. */
static const struct {
  const char* name;
  int threads;
  long (*run)(int role, int threads);
} workloads[] = {
    {"pc_small", 2, wl_pc_small},
    {"pc_mixed", 2, wl_pc_mixed},
    {"fifo_small_1t", 1, wl_fifo_small_1t},
    {"fifo_mixed_1t", 1, wl_fifo_mixed_1t},
    {"local_1t", 1, wl_local},
    {"local_2t", 2, wl_local},
    {"local_4t", 4, wl_local},
    {"local_8t", 8, wl_local},
    {"larson_2t", 2, wl_larson},
    {"larson_4t", 4, wl_larson},
    {"larson_8t", 8, wl_larson},
    {"control_1t", 1, wl_control},
    {"control_2t", 2, wl_control},
    {"control_4t", 4, wl_control},
    {"control_8t", 8, wl_control},
};

/* ---- driver ---------------------------------------------------------------- */

/* Where the workers and the main thread meet once, when all are up. */
static pthread_barrier_t ready_line;
static int chosen = -1, rounds = 0;
static long ops_per_run;
/* The runs the main thread has started, and the workers' runs done (all
 * runs so far, so each run's target is the number of threads more). */
static atomic_uint runs_started, workers_done;

/* Waits until *word is at least target: a short spin, then futex waits (the
 * waker changes the word before it wakes, so no wake-up is missed). */
static void wait_until(atomic_uint* word, unsigned target) {
  for (unsigned spins = 0;; ++spins) {
    unsigned seen = atomic_load_explicit(word, memory_order_acquire);
    if (seen >= target) return;
    if (spins >= 1024) emscripten_futex_wait((void*)word, seen, INFINITY);
  }
}

static void* worker(void* arg) {
  int role = (int)(intptr_t)arg, threads = workloads[chosen].threads;
  /* Up and ready: whatever a thread's start allocates is done before the
   * main thread starts counting. */
  pthread_barrier_wait(&ready_line);
  for (int r = 0; r < rounds; ++r) {
    wait_until(&runs_started, (unsigned)r + 1);
    long ops = workloads[chosen].run(role, threads);
    if (role == 0) ops_per_run = ops;
    /* The last one done wakes the main thread. */
    if (atomic_fetch_add_explicit(&workers_done, 1, memory_order_acq_rel) + 1 == (unsigned)(threads * (r + 1)))
      emscripten_futex_wake((void*)&workers_done, INT_MAX);
  }
  return NULL;
}

/* The lock acquisitions wasmheap counted so far (instrumented builds only). */
static long long lock_count(void) {
#if defined(COUNT_LOCKS)
  return (long long)wasmheap_lock_acquisitions();
#else
  return -1;
#endif
}

/* The memory's size in pages as it is, not as this thread last saw it: V8
 * updates a thread's view of memory other threads grew only when it next
 * handles an interrupt, and memory.grow(0) makes it catch up at once. */
static size_t memory_pages(void) { return __builtin_wasm_memory_grow(0, 0); }

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: VARIANT.js WORKLOAD WARMUPS RUNS\n");
    return 2;
  }
  for (unsigned i = 0; i < sizeof workloads / sizeof workloads[0]; ++i)
    if (strcmp(argv[1], workloads[i].name) == 0) chosen = (int)i;
  /* RUNS may be 0: then only the first run (memory growth, lock count). */
  int warmups = atoi(argv[2]), runs = atoi(argv[3]);
  if (chosen < 0 || warmups < 0 || runs < 0 || runs > 1000) {
    fprintf(stderr, "unknown workload or bad counts\n");
    return 2;
  }
  rounds = 1 + warmups + runs; /* the first run measures memory growth */

  /* The workload's threads, one from the pool (-sPTHREAD_POOL_SIZE) each,
   * meet this one at the ready line once all are up. */
  int nthreads = workloads[chosen].threads;
  /* The control's buffers: from the allocator, once, before any thread runs
   * (so before memory_pages is first read, and never while others allocate). */
  if (workloads[chosen].run == wl_control)
    for (int t = 0; t < nthreads; ++t)
      if ((control_bufs[t] = malloc((size_t)LOCAL_LIVE * CONTROL_SLOT)) == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
      }
  pthread_barrier_init(&ready_line, NULL, (unsigned)nthreads + 1);
  pthread_barrier_init(&larson_steps_done, NULL, (unsigned)nthreads);
  pthread_t threads[MAX_THREADS];
  for (int t = 0; t < nthreads; ++t)
    if (pthread_create(&threads[t], NULL, worker, (void*)(intptr_t)t) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 1;
    }
  pthread_barrier_wait(&ready_line); /* all threads up */

  size_t pages_before = memory_pages(), pages_after_first = 0;
  long long locks_before = lock_count(), locks_first = -1;
  static double times_ms[1000];
  for (int r = 0; r < rounds; ++r) {
    double t0 = emscripten_get_now();
    atomic_store_explicit(&runs_started, (unsigned)r + 1, memory_order_release);
    emscripten_futex_wake((void*)&runs_started, INT_MAX);
    wait_until(&workers_done, (unsigned)(nthreads * (r + 1)));
    double t = emscripten_get_now() - t0;
    if (r == 0) {
      pages_after_first = memory_pages();
      if (locks_before >= 0) locks_first = lock_count() - locks_before;
    }
    if (r > warmups) times_ms[r - warmups - 1] = t;
  }
  for (int t = 0; t < nthreads; ++t) pthread_join(threads[t], NULL);

  printf("{\"workload\":\"%s\",\"threads\":%d,\"ops\":%ld,\"pages_before\":%zu,\"pages_added\":%zu,"
         "\"lock_acquisitions_first_run\":%lld,\"failures\":%d,\"failure\":\"%s\",\"times_ms\":[",
         workloads[chosen].name, nthreads, ops_per_run, pages_before, pages_after_first - pages_before, locks_first,
         atomic_load(&failures), first_failure ? first_failure : "");
  for (int i = 0; i < runs; ++i) printf("%s%.4f", i ? "," : "", times_ms[i]);
  printf("]}\n");
  return atomic_load(&failures) != 0;
}
