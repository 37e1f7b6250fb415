/* Shared by the real-program drivers (SQLite, tree-sitter): a result hash
 * and a way to stop with a message. The programs allocate through their own
 * malloc calls, straight into the variant's allocator: nothing here counts or
 * wraps them. Each workload leaves its checksum in bench_c.checksum, which
 * must be the same for every variant. */
#ifndef REAL_H
#define REAL_H

#include "../bench.h"

/* FNV-1a over bytes, 64-bit. */
static inline uint64_t real_hash_bytes(uint64_t h, const void* p, size_t n) {
  const unsigned char* b = (const unsigned char*)p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ull;
  return h;
}

static inline uint64_t real_hash_u64(uint64_t h, uint64_t v) {
  return real_hash_bytes(h, &v, sizeof v);
}

#define REAL_HASH_SEED 0xCBF29CE484222325ull

/* Stops the workload with "what: detail" as its error (quotes and
 * backslashes in the detail are replaced, since the harness does not escape). */
__attribute__((noreturn)) void real_fatal(const char* what, const char* detail);

/* Fills buf[0..n) with letters (and a few spaces) from the PRNG. */
static inline void real_text(struct bench_rng* r, char* buf, size_t n) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz etaoinshrdlu";
  for (size_t i = 0; i < n; i++) buf[i] = alphabet[rng_below(r, sizeof alphabet - 1)];
}

static inline void real_bytes(struct bench_rng* r, unsigned char* buf, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng_next(r);
    memcpy(buf + i, &v, 8);
  }
  uint64_t v = rng_next(r);
  for (; i < n; i++, v >>= 8) buf[i] = (unsigned char)v;
}

/* The workloads (programs.c holds the table). */
void wl_sqlite_bulk_insert(void);
void wl_sqlite_indexed_queries(void);
void wl_sqlite_sort(void);
void wl_sqlite_update_delete(void);
void wl_sqlite_vacuum(void);
void wl_treesitter_parse(void);

#endif /* REAL_H */
