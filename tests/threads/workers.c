/* wasm threads without any runtime: one module with shared memory, built by
 * clang-19 for wasm32 with atomics and no libc, instantiated once per Node
 * worker thread by run_workers.mjs. It exercises the lock's own
 * memory.atomic.wait32 / notify path (Emscripten builds use Emscripten's futex
 * calls instead).
 *
 * Each worker calls run(id, ops): random malloc / calloc / posix_memalign /
 * realloc / free, handing blocks to other workers through a mailbox, with a
 * pattern in every block checked whenever it changes hands, size or is freed.
 * Each worker has thread-local storage of its own, so the heap keeps a cache
 * of free slots per worker, and blocks from the mailbox are freed into the
 * cache of a worker that did not allocate them.
 * run returns the number of problems it saw; after all workers finish, the
 * main thread calls finish() to free what is left and check the heap. */
#include <wasmheap/wasmheap.h>

#include <stdatomic.h>
#include <stdint.h>

/* No libc: the malloc family is wasmheap's. */
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* p, size_t size);
void free(void* p);
int posix_memalign(void** out, size_t align, size_t size);

#define LOCAL_BLOCKS 24
#define MAILBOX_SLOTS 64
#define HEADER 8
#define MAX_WORKERS 16

static _Atomic(unsigned char*) mailbox[MAILBOX_SLOTS];
static atomic_int handoffs;

static uint64_t next_random(uint64_t* s) { /* SplitMix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static unsigned char pattern(uint32_t seed, size_t i) { return (unsigned char)(seed * 2654435761u ^ i * 40503u ^ i >> 8); }

/* Mostly small blocks of every class, some up to 32 KiB, a few of several pages. */
static size_t random_size(uint64_t* s) {
  uint64_t r = next_random(s);
  unsigned pick = (unsigned)(r % 100);
  r >>= 8;
  if (pick < 85) return HEADER + (size_t)(r % ((size_t)1 << (3 + r % 10)));
  if (pick < 99) return HEADER + (size_t)(r % 32768);
  return 65536 + (size_t)(r % (3 * 65536));
}

static void write_block(unsigned char* p, uint32_t size, uint32_t seed) {
  __builtin_memcpy(p, &size, 4);
  __builtin_memcpy(p + 4, &seed, 4);
  for (size_t i = HEADER; i < size; ++i) p[i] = pattern(seed, i);
}

/* Problems in the first min(size, limit) bytes: 0 or 1. */
static int damaged(const unsigned char* p, size_t limit) {
  uint32_t size, seed;
  __builtin_memcpy(&size, p, 4);
  __builtin_memcpy(&seed, p + 4, 4);
  size_t end = size < limit ? size : limit;
  for (size_t i = HEADER; i < end; ++i)
    if (p[i] != pattern(seed, i)) return 1;
  return 0;
}

static unsigned char* new_block(uint64_t* s, int* problems) {
  size_t size = random_size(s);
  unsigned char* p = 0;
  switch (next_random(s) % 3) {
    case 0: p = malloc(size); break;
    case 1:
      p = calloc(1, size);
      for (size_t i = 0; p != 0 && i < size; ++i) *problems += p[i] != 0;
      break;
    default: {
      void* q = 0;
      size_t align = (size_t)16 << (next_random(s) % 9);
      if (posix_memalign(&q, align, size) == 0) p = q;
      if (p != 0 && (uintptr_t)p % align != 0) ++*problems;
    }
  }
  if (p == 0) {
    ++*problems;
    return 0;
  }
  write_block(p, (uint32_t)size, (uint32_t)next_random(s));
  return p;
}

__attribute__((export_name("run"))) int run(int id, int ops) {
  unsigned char* blocks[LOCAL_BLOCKS] = {0};
  uint64_t s = 0xabcdef00u + (uint64_t)id;
  int problems = 0;
  for (int i = 0; i < ops && problems == 0; ++i) {
    unsigned char** b = &blocks[next_random(&s) % LOCAL_BLOCKS];
    unsigned op = (unsigned)(next_random(&s) % 10);
    if (*b == 0) {
      *b = new_block(&s, &problems);
    } else if (op < 4) {
      problems += damaged(*b, SIZE_MAX);
      free(*b);
      *b = 0;
    } else if (op < 6) {
      uint32_t old_size;
      __builtin_memcpy(&old_size, *b, 4);
      problems += damaged(*b, SIZE_MAX);
      size_t size = random_size(&s);
      unsigned char* q = realloc(*b, size);
      if (q == 0) {
        ++problems;
        continue;
      }
      problems += damaged(q, size < old_size ? size : old_size);
      write_block(q, (uint32_t)size, (uint32_t)next_random(&s));
      *b = q;
    } else {
      problems += damaged(*b, SIZE_MAX);
      unsigned char* got = atomic_exchange(&mailbox[next_random(&s) % MAILBOX_SLOTS], *b);
      if (got != 0) {
        problems += damaged(got, SIZE_MAX);
        atomic_fetch_add(&handoffs, 1);
      }
      *b = got;
    }
  }
  for (int i = 0; i < LOCAL_BLOCKS; ++i)
    if (blocks[i] != 0) {
      problems += damaged(blocks[i], SIZE_MAX);
      free(blocks[i]);
    }
  /* Without a runtime nobody else tells the heap this thread is done: its
   * cache of free slots goes back now. */
  wasmheap_thread_exit();
  return problems;
}

/* Thread-local storage for a worker (its cache of free slots lives there),
 * from the heap itself; the worker passes it to __wasm_init_tls. */
__attribute__((export_name("tls_for_worker"))) uintptr_t tls_for_worker(void) {
  void* p = 0;
  size_t align = __builtin_wasm_tls_align();
  return posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, __builtin_wasm_tls_size()) == 0 ? (uintptr_t)p : 0;
}

/* Stacks for the workers, from the heap itself (each instance of the module
 * has its own stack pointer, which the worker sets to the top of one). */
__attribute__((export_name("stack_for_worker"))) uintptr_t stack_for_worker(size_t size) {
  unsigned char* p = malloc(size);
  return p != 0 ? (uintptr_t)(p + size) : 0;
}

/* After every worker has returned: frees the mailbox and checks the heap.
 * Returns problems found; handoffs() and live_blocks() tell the rest. */
__attribute__((export_name("finish"))) int finish(void) {
  int problems = 0;
  for (int m = 0; m < MAILBOX_SLOTS; ++m) {
    unsigned char* p = atomic_exchange(&mailbox[m], 0);
    if (p != 0) {
      problems += damaged(p, SIZE_MAX);
      free(p);
    }
  }
  return problems + (wasmheap_check() != 0);
}

__attribute__((export_name("handoffs"))) int handoffs_made(void) { return atomic_load(&handoffs); }

__attribute__((export_name("live_blocks"))) size_t live_blocks(void) {
  struct wasmheap_stats s;
  wasmheap_get_stats(&s);
  return s.blocks_live;
}
