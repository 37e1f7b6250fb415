/* Several threads calling the malloc family at once, with blocks handed from
 * thread to thread, so most frees and reallocs happen on a thread other than
 * the one that allocated the block. Every block carries its size and a seed
 * in its first 8 bytes and a pattern after them, checked whenever it changes
 * hands, is reallocated or freed; a heap that lost a race would hand out
 * overlapping blocks and the patterns would disagree.
 *
 * Prints "threads_malloc: PASS ..." and returns 0, or prints what broke and
 * returns 1. Built by run_emscripten.sh with emcc -pthread against wasmheap. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(THREADS_MALLOC_WASMHEAP)
#include <wasmheap/wasmheap.h>
#include <emscripten/threading.h>
#endif

#ifndef THREADS
#define THREADS 4
#endif
#ifndef OPS_PER_THREAD
#define OPS_PER_THREAD 25000
#endif
#define LOCAL_BLOCKS 32
#define MAILBOX_SLOTS 64
#define HEADER 8

/* Blocks in transit between threads: a thread swaps one of its own blocks
 * for whatever a slot holds, and owns what it gets back. */
static _Atomic(unsigned char*) mailbox[MAILBOX_SLOTS];
static atomic_int failures;
static atomic_long handoffs;

struct thread_state {
  uint64_t rng;
  unsigned id;
  unsigned char* blocks[LOCAL_BLOCKS];
  long ops;
};

static uint64_t next_random(uint64_t* state) { /* SplitMix64 */
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static unsigned char pattern(uint32_t seed, size_t i) { return (unsigned char)(seed * 2654435761u ^ i * 40503u ^ i >> 8); }

/* Mostly small, log-uniform up to 4 KiB; some up to 32 KiB; a few big ones
 * spanning several 64 KiB pages. Never below the header. */
static size_t random_size(uint64_t* rng) {
  uint64_t r = next_random(rng);
  unsigned pick = (unsigned)(r % 100);
  r >>= 8;
  if (pick < 85) return HEADER + (size_t)(r % ((size_t)1 << (3 + r % 10)));
  if (pick < 99) return HEADER + (size_t)(r % 32768);
  return 65536 + (size_t)(r % (3 * 65536));
}

static void fail(const char* what, const unsigned char* p, size_t at) {
  fprintf(stderr, "threads_malloc: %s (block %p, byte %zu)\n", what, (const void*)p, at);
  atomic_fetch_add(&failures, 1);
}

static void write_block(unsigned char* p, size_t size, uint32_t seed) {
  memcpy(p, &(uint32_t){(uint32_t)size}, 4);
  memcpy(p + 4, &seed, 4);
  for (size_t i = HEADER; i < size; ++i) p[i] = pattern(seed, i);
}

/* Checks the first `limit` bytes (all of them with SIZE_MAX); returns the size. */
static size_t check_block(const unsigned char* p, size_t limit) {
  uint32_t size, seed;
  memcpy(&size, p, 4);
  memcpy(&seed, p + 4, 4);
  size_t end = size < limit ? size : limit;
  for (size_t i = HEADER; i < end; ++i)
    if (p[i] != pattern(seed, i)) {
      fail("block contents changed", p, i);
      break;
    }
  return size;
}

static unsigned char* new_block(struct thread_state* t) {
  size_t size = random_size(&t->rng);
  uint32_t seed = (uint32_t)next_random(&t->rng);
  unsigned char* p = NULL;
  switch (next_random(&t->rng) % 4) {
    case 0: p = malloc(size); break;
    case 1:
      p = calloc(1, size);
      if (p != NULL)
        for (size_t i = 0; i < size; ++i)
          if (p[i] != 0) {
            fail("calloc block not zeroed", p, i);
            break;
          }
      break;
    case 2: {
      void* q = NULL;
      size_t align = (size_t)16 << (next_random(&t->rng) % 9); /* 16 B .. 4 KiB */
      if (posix_memalign(&q, align, size) == 0) p = q;
      if (p != NULL && (uintptr_t)p % align != 0) fail("posix_memalign misaligned", p, 0);
      break;
    }
    default: {
      size_t align = (size_t)8 << (next_random(&t->rng) % 6);
      p = aligned_alloc(align, size);
      if (p != NULL && (uintptr_t)p % align != 0) fail("aligned_alloc misaligned", p, 0);
    }
  }
  if (p == NULL) {
    fail("out of memory", NULL, size);
    return NULL;
  }
  write_block(p, size, seed);
  return p;
}

static void step(struct thread_state* t) {
  unsigned slot = (unsigned)(next_random(&t->rng) % LOCAL_BLOCKS);
  unsigned char** b = &t->blocks[slot];
  unsigned op = (unsigned)(next_random(&t->rng) % 10);
  if (*b == NULL) {
    *b = new_block(t);
  } else if (op < 4) { /* free */
    check_block(*b, SIZE_MAX);
    free(*b);
    *b = NULL;
  } else if (op < 6) { /* realloc: the old contents must move along */
    size_t old_size = check_block(*b, SIZE_MAX);
    size_t size = random_size(&t->rng);
    unsigned char* q = realloc(*b, size);
    if (q == NULL) {
      fail("realloc failed", *b, size);
      return;
    }
    check_block(q, size < old_size ? size : old_size);
    write_block(q, size, (uint32_t)next_random(&t->rng));
    *b = q;
  } else { /* hand over: swap with a mailbox slot, own what comes back */
    check_block(*b, SIZE_MAX);
    unsigned m = (unsigned)(next_random(&t->rng) % MAILBOX_SLOTS);
    unsigned char* got = atomic_exchange(&mailbox[m], *b);
    if (got != NULL) {
      check_block(got, SIZE_MAX);
      atomic_fetch_add(&handoffs, 1);
    }
    *b = got;
  }
  ++t->ops;
}

static void* run_thread(void* arg) {
  struct thread_state* t = arg;
  for (int i = 0; i < OPS_PER_THREAD && atomic_load(&failures) == 0; ++i) step(t);
  for (int i = 0; i < LOCAL_BLOCKS; ++i)
    if (t->blocks[i] != NULL) {
      check_block(t->blocks[i], SIZE_MAX);
      free(t->blocks[i]);
    }
  return NULL;
}

int main(void) {
#if defined(THREADS_MALLOC_WASMHEAP)
  struct wasmheap_stats before, after;
  wasmheap_get_stats(&before);
#endif
  static struct thread_state states[THREADS + 1];
  pthread_t threads[THREADS];
  for (unsigned i = 0; i <= THREADS; ++i) {
    states[i].rng = 0x5eed0000u + i;
    states[i].id = i;
  }
  for (unsigned i = 0; i < THREADS; ++i)
    if (pthread_create(&threads[i], NULL, run_thread, &states[i]) != 0) {
      fprintf(stderr, "threads_malloc: pthread_create failed\n");
      return 1;
    }
  /* The main thread takes part too. On a browser's main thread (a build
   * without PROXY_TO_PTHREAD) it may not block, so there the heap's lock must
   * busy-wait instead of sleeping. */
  run_thread(&states[THREADS]);
  long ops = states[THREADS].ops;
  for (unsigned i = 0; i < THREADS; ++i) {
    pthread_join(threads[i], NULL);
    ops += states[i].ops;
  }
  for (unsigned m = 0; m < MAILBOX_SLOTS; ++m) {
    unsigned char* p = atomic_exchange(&mailbox[m], NULL);
    if (p != NULL) {
      check_block(p, SIZE_MAX);
      free(p);
    }
  }
#if defined(THREADS_MALLOC_WASMHEAP)
  /* Every other thread gave its cache back as it exited; this one does now,
   * and so does the runtime's own thread (the page's, which frees the
   * exited threads' storage) when main runs elsewhere: then no free slot is
   * left with any thread. */
  wasmheap_get_stats(&after);
  size_t cached_before_exit = after.bytes_cached;
  wasmheap_thread_exit();
  if (!emscripten_is_main_browser_thread())
    emscripten_sync_run_in_main_runtime_thread(EM_FUNC_SIG_V, wasmheap_thread_exit);
  const char* problem = wasmheap_check();
  if (problem != NULL) {
    fprintf(stderr, "threads_malloc: heap check: %s\n", problem);
    atomic_fetch_add(&failures, 1);
  }
  wasmheap_get_stats(&after);
  if (after.bytes_cached != 0) {
    fprintf(stderr, "threads_malloc: %zu bytes still cached after every thread exited\n", after.bytes_cached);
    atomic_fetch_add(&failures, 1);
  }
  printf("threads_malloc: bytes cached by the main thread before its exit %zu\n", cached_before_exit);
  /* The runtime may keep a thread's stack and TLS after the join; what the
   * test allocated is all freed, so at most those remain. */
  printf("threads_malloc: blocks live before %zu, after %zu\n", before.blocks_live, after.blocks_live);
#endif
  if (atomic_load(&failures) != 0) {
    printf("threads_malloc: FAIL (%d problems)\n", atomic_load(&failures));
    return 1;
  }
  printf("threads_malloc: PASS %d threads and main, %ld ops, %ld cross-thread handoffs\n", THREADS, ops,
         atomic_load(&handoffs));
  return 0;
}
