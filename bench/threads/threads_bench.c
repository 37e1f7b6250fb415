/* Allocators under wasm threads (Emscripten -pthread): the program behind
 * bench/threads/run.mjs. One run of one workload per process:
 *
 *   node --no-experimental-fetch VARIANT.js WORKLOAD WARMUPS RUNS
 *
 * prints one JSON line: the workload's op count, the time of each timed run,
 * and the pages memory grew by during the first run.
 *
 * Two worker threads are created once and meet the main thread at a barrier
 * before and after every run, so a run's time covers the workload only (not
 * thread start-up), measured by the main thread between the two barriers.
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
 *   local_2t   both threads at once, each the local_1t workload on blocks of
 *              its own: contention with no sharing */
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PC_SMALL_BLOCKS 400000
#define PC_MIXED_BLOCKS 100000
#define LOCAL_LIVE 1000
#define LOCAL_STEPS 400000
#define RING_SIZE 4096 /* a power of two */

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

/* ---- workloads: each is run by both threads, role = 0 or 1 ----------------- */

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

static long wl_pc_small(int role) {
  if (role == 0) producer(PC_SMALL_BLOCKS, small_size);
  else consumer(PC_SMALL_BLOCKS);
  return 2L * PC_SMALL_BLOCKS;
}

static long wl_pc_mixed(int role) {
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

static long wl_fifo_small_1t(int role) {
  if (role == 0) fifo(PC_SMALL_BLOCKS, small_size);
  return 2L * PC_SMALL_BLOCKS;
}

static long wl_fifo_mixed_1t(int role) {
  if (role == 0) fifo(PC_MIXED_BLOCKS, mixed_size);
  return 2L * PC_MIXED_BLOCKS;
}

static void local_churn(int role) {
  static unsigned char* live[2][LOCAL_LIVE];
  static uint32_t sizes[2][LOCAL_LIVE];
  unsigned char** p = live[role];
  uint32_t* n = sizes[role];
  uint64_t s = 0x777 + (uint64_t)role;
  for (int i = 0; i < LOCAL_LIVE; ++i) {
    n[i] = (uint32_t)small_size(&s);
    p[i] = malloc(n[i]);
    if (p[i] == NULL) {
      fail("out of memory");
      return;
    }
    touch(p[i], n[i], (unsigned char)i);
  }
  for (int step = 0; step < LOCAL_STEPS; ++step) {
    unsigned i = (unsigned)(splitmix(&s) % LOCAL_LIVE);
    check(p[i], n[i], (unsigned char)i);
    free(p[i]);
    n[i] = (uint32_t)small_size(&s);
    p[i] = malloc(n[i]);
    if (p[i] == NULL) {
      fail("out of memory");
      return;
    }
    touch(p[i], n[i], (unsigned char)i);
  }
  for (int i = 0; i < LOCAL_LIVE; ++i) {
    check(p[i], n[i], (unsigned char)i);
    free(p[i]);
  }
}

static const long local_ops = 2L * (LOCAL_LIVE + LOCAL_STEPS);

static long wl_local_1t(int role) {
  if (role == 0) local_churn(0);
  return local_ops;
}

static long wl_local_2t(int role) {
  local_churn(role);
  return 2 * local_ops;
}

static const struct {
  const char* name;
  long (*run)(int role);
} workloads[] = {
    {"pc_small", wl_pc_small},
    {"pc_mixed", wl_pc_mixed},
    {"fifo_small_1t", wl_fifo_small_1t},
    {"fifo_mixed_1t", wl_fifo_mixed_1t},
    {"local_1t", wl_local_1t},
    {"local_2t", wl_local_2t},
};

/* ---- driver ---------------------------------------------------------------- */

static pthread_barrier_t start_line, finish_line;
static int chosen = -1, rounds = 0;
static long ops_per_run;

static void* worker(void* arg) {
  int role = (int)(intptr_t)arg;
  for (int r = 0; r < rounds; ++r) {
    pthread_barrier_wait(&start_line);
    long ops = workloads[chosen].run(role);
    if (role == 0) ops_per_run = ops;
    pthread_barrier_wait(&finish_line);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: VARIANT.js WORKLOAD WARMUPS RUNS\n");
    return 2;
  }
  for (unsigned i = 0; i < sizeof workloads / sizeof workloads[0]; ++i)
    if (strcmp(argv[1], workloads[i].name) == 0) chosen = (int)i;
  int warmups = atoi(argv[2]), runs = atoi(argv[3]);
  if (chosen < 0 || warmups < 0 || runs < 1) {
    fprintf(stderr, "unknown workload or bad counts\n");
    return 2;
  }
  rounds = 1 + warmups + runs; /* the first run measures memory growth */

  pthread_barrier_init(&start_line, NULL, 3);
  pthread_barrier_init(&finish_line, NULL, 3);
  pthread_t threads[2];
  for (int t = 0; t < 2; ++t)
    if (pthread_create(&threads[t], NULL, worker, (void*)(intptr_t)t) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 1;
    }

  size_t pages_before = __builtin_wasm_memory_size(0), pages_after_first = 0;
  static double times_ms[1000];
  for (int r = 0; r < rounds; ++r) {
    pthread_barrier_wait(&start_line);
    double t0 = emscripten_get_now();
    pthread_barrier_wait(&finish_line);
    double t = emscripten_get_now() - t0;
    if (r == 0) pages_after_first = __builtin_wasm_memory_size(0);
    if (r > warmups && r - warmups - 1 < 1000) times_ms[r - warmups - 1] = t;
  }
  for (int t = 0; t < 2; ++t) pthread_join(threads[t], NULL);

  printf("{\"workload\":\"%s\",\"ops\":%ld,\"pages_before\":%zu,\"pages_added\":%zu,\"failures\":%d,\"failure\":\"%s\",\"times_ms\":[",
         workloads[chosen].name, ops_per_run, pages_before, pages_after_first - pages_before, atomic_load(&failures),
         first_failure ? first_failure : "");
  for (int i = 0; i < runs; ++i) printf("%s%.4f", i ? "," : "", times_ms[i]);
  printf("]}\n");
  return atomic_load(&failures) != 0;
}
