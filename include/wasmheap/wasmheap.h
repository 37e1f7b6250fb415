/* wasmheap's C API (C99 and C++). One process-wide heap over wasm memory.
 *
 * The sized API is Zig's allocator interface: the caller passes back the
 * length and alignment it allocated with (as C++'s sized delete does), and a
 * checked build verifies them. The malloc family
 * (malloc, free, calloc, realloc, aligned_alloc, posix_memalign, memalign,
 * malloc_usable_size, reallocarray) is provided under its standard names by
 * libwasmheap.a on wasm targets, and under the wasmheap_ prefix everywhere, so
 * it can also be called beside another malloc. */
#ifndef WASMHEAP_WASMHEAP_H
#define WASMHEAP_WASMHEAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Number of small size classes reported per class in wasmheap_stats. */
#define WASMHEAP_MAX_CLASSES 128

struct wasmheap_stats {
  size_t bytes_live;      /* bytes in the slots and unit runs of live blocks */
  size_t bytes_held;      /* bytes of slabs (live, free or unused slots) and big blocks */
  size_t bytes_held_peak; /* highest bytes_held so far */
  size_t pages_grown; /* 64 KiB pages this heap added to memory */
  size_t blocks_live; /* live blocks, small and big */
  size_t big_blocks_live;
  size_t bytes_cached; /* of free slots threads keep for themselves (0 without threads) */
  size_t class_count; /* entries of class_blocks_live / class_slot_size in use */
  size_t class_blocks_live[WASMHEAP_MAX_CLASSES];
  size_t class_slot_size[WASMHEAP_MAX_CLASSES];
};

/* len bytes aligned to align (a power of two); NULL if impossible, on a bad
 * alignment or out of memory. len == 0 gives a distinct, freeable block. */
void* wasmheap_alloc(size_t len, size_t align);
/* Nonzero if the block now holds new_len bytes without having moved. */
int wasmheap_resize(void* p, size_t len, size_t align, size_t new_len);
/* p if it could be resized in place, else NULL (p is then unchanged). */
void* wasmheap_remap(void* p, size_t len, size_t align, size_t new_len);
/* Frees p, allocated (or last resized) with this len and align. NULL is a no-op. */
void wasmheap_free(void* p, size_t len, size_t align);
/* Bytes usable at p (its slot or page run); 0 for NULL or foreign pointers. */
size_t wasmheap_usable_size(const void* p);
/* Counts the live small blocks by walking the free lists: it costs as much as
 * they are long. */
void wasmheap_get_stats(struct wasmheap_stats* out);
/* First inconsistency found in the heap's structures, or NULL if sound. */
const char* wasmheap_check(void);

/* Threads. A thread that allocates keeps a few free blocks of its own, so its
 * calls need not meet other threads'. This gives them back to the shared heap;
 * call it when a thread ends if the runtime does not (Emscripten's pthreads,
 * and threads on the host, give them back by themselves). A no-op in builds
 * without threads. */
void wasmheap_thread_exit(void);
/* How many times the heap's lock has been taken, in builds compiled with
 * WASMHEAP_COUNT_LOCKS (for benchmarks); (size_t)-1 in others. */
size_t wasmheap_lock_acquisitions(void);

/* The malloc family with C semantics, under the wasmheap_ prefix. */
void* wasmheap_malloc(size_t size);
void wasmheap_free_unsized(void* p);
void* wasmheap_calloc(size_t count, size_t size);
void* wasmheap_realloc(void* p, size_t size);
void* wasmheap_reallocarray(void* p, size_t count, size_t size);
void* wasmheap_aligned_alloc(size_t align, size_t size);
int wasmheap_posix_memalign(void** out, size_t align, size_t size);
void* wasmheap_memalign(size_t align, size_t size);
size_t wasmheap_malloc_usable_size(void* p);

#ifdef __cplusplus
}
#endif

#endif /* WASMHEAP_WASMHEAP_H */
