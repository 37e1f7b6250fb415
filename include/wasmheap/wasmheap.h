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
/* Bytes usable at p (its slot or unit run); 0 for NULL or foreign pointers. */
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

/* ---- Seeing inside the heap ------------------------------------------------
 * These live in objects of their own: a program that calls none of them links
 * none of their code. Each takes the heap's lock (threads) for its whole run;
 * free slots another running thread keeps in its cache count as live (their
 * bytes are in wasmheap_stats.bytes_cached). They cost as much as the heap is
 * large: for tools and reports, not for a program's inner loop. */

/* Calls visit(block, size, class_id, ctx) for every live block, in address
 * order: size is its slot or unit run (what malloc_usable_size says),
 * class_id its small class or -1 for a big block. The visitor must not call
 * the heap. Returns 0, or -1 if the walk's scratch bitmap (one bit per 8 B of
 * slabs, taken from the heap) could not be had. */
typedef void (*wasmheap_visitor)(void* block, size_t size, int class_id, void* ctx);
int wasmheap_walk(wasmheap_visitor visit, void* ctx);

/* Free runs are counted in buckets by length: bucket b holds runs of
 * [2^b, 2^(b+1)) units of 1 KiB. */
#define WASMHEAP_RUN_BUCKETS 23

struct wasmheap_class_summary {
  size_t slot_size;
  size_t slab_units; /* 1 KiB units per slab */
  size_t slabs;
  size_t slots_live;
  size_t slots_free;  /* on the free lists, not yet used, or cached by threads */
};

struct wasmheap_fragmentation {
  size_t heap_bytes;        /* from the heap's first unit to its top */
  size_t map_bytes;         /* units holding the unit map (0 while it is inline) */
  size_t foreign_bytes;     /* units below the top grown by someone else (sbrk) */
  size_t slab_bytes;
  size_t big_bytes;         /* units of live big blocks */
  size_t big_blocks;
  size_t free_runs;         /* free runs of units */
  size_t free_run_bytes;
  size_t largest_free_run;  /* bytes */
  size_t top_free_bytes;    /* the free run ending at the top, if any */
  size_t free_runs_by_length[WASMHEAP_RUN_BUCKETS];
  size_t class_count;
  struct wasmheap_class_summary classes[WASMHEAP_MAX_CLASSES];
};
void wasmheap_get_fragmentation(struct wasmheap_fragmentation* out);

/* A snapshot: the whole heap as little-endian 32-bit words, for tools (the
 * heap inspector, tools/inspector/). Snapshots may be written one after
 * another into a file: each says how long it is.
 *   header   (WASMHEAP_SNAPSHOT_HEADER_WORDS words; a reader skips words it
 *             does not know, using header_words):
 *     0 magic (WASMHEAP_SNAPSHOT_MAGIC)   1 version       2 total bytes
 *     3 header_words   4 unit_size   5 page_size   6 address of unit 0
 *     7 units (below the top)   8 memory size in pages   9 class_count
 *    10 bytes_live   11 bytes_held   12 bytes_held_peak   13 pages_grown
 *    14 blocks_live   15 big_blocks_live   16 bytes_cached   17 sequence
 *       number (counts snapshots taken, from 1)
 *   classes  (class_count x 4 words): slot_size, slab_units, slabs, slots_live
 *   units    (one word each): kind << 28 | detail, kind a wasmheap_unit_kind:
 *     SLAB          detail = class | index in its slab << 7
 *                   | (first unit only) free slots in the slab << 13
 *     BIG, FREE     (first unit) detail = the run's length in units
 *     BIG_INTERIOR, FREE_INTERIOR, MAP   detail = offset from the run's first unit
 *     UNUSED        below the heap's top but not the heap's (grown by someone else)
 * Writes into buf (aligned to 4) and returns the snapshot's size in bytes; if cap is too
 * small, writes nothing and returns the size needed (call again with room
 * for a little more: the heap may have grown meanwhile). */
#define WASMHEAP_SNAPSHOT_MAGIC 0x4e534857u /* "WHSN" */
#define WASMHEAP_SNAPSHOT_VERSION 1
#define WASMHEAP_SNAPSHOT_HEADER_WORDS 18
enum wasmheap_unit_kind {
  WASMHEAP_UNIT_UNUSED = 0,
  WASMHEAP_UNIT_SLAB = 1,
  WASMHEAP_UNIT_BIG = 2,
  WASMHEAP_UNIT_BIG_INTERIOR = 3,
  WASMHEAP_UNIT_FREE = 4,
  WASMHEAP_UNIT_FREE_INTERIOR = 5,
  WASMHEAP_UNIT_MAP = 6
};
size_t wasmheap_snapshot(void* buf, size_t cap);

/* dlmalloc's mallinfo with size_t fields (glibc's mallinfo2 layout); what
 * each field holds is in the README ("Statistics"). mallinfo() and
 * mallinfo2() under their standard names answer from this on wasm. */
struct wasmheap_mallinfo {
  size_t arena;    /* bytes from the heap's first unit to its top */
  size_t ordblks;  /* free runs of units */
  size_t smblks;   /* free small slots (on lists, unused or cached) */
  size_t hblks;    /* 0: nothing is mapped outside the heap */
  size_t hblkhd;   /* 0 */
  size_t usmblks;  /* highest arena so far (memory never shrinks: arena) */
  size_t fsmblks;  /* bytes of the free small slots */
  size_t uordblks; /* bytes of live blocks and of the unit map */
  size_t fordblks; /* arena - uordblks: everything free */
  size_t keepcost; /* bytes of the free run at the top */
};
void wasmheap_get_mallinfo(struct wasmheap_mallinfo* out);

/* Gives back what the heap and this thread hold in reserve: every empty slab
 * returns to the free runs (for any size to reuse), and this thread's cached
 * slots and every thread's set-aside slots to the shared lists. Returns 1 if
 * anything went back. wasm memory cannot shrink, so nothing returns to the
 * system. malloc_trim() on wasm calls it. */
int wasmheap_trim(void);

/* Prints every live block to stderr grouped by size (count, bytes, the first
 * addresses), with a summary line like LeakSanitizer's; returns the number of
 * live blocks. What the libc itself keeps until exit (stdio buffers) is live
 * too. wasmheap_report_leaks_at_exit() has it run by atexit(). */
size_t wasmheap_report_leaks(void);
void wasmheap_report_leaks_at_exit(void);

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
