/* SQLite's operating-system layer for the benchmark (SQLite is compiled with
 * SQLITE_OS_OTHER=1, so the application supplies sqlite3_os_init): a VFS
 * whose files live in memory. The workloads open ":memory:" databases, so
 * the only files SQLite asks for are temporary ones (VACUUM's copy, sorter
 * spills, statement journals); each is a buffer grown with realloc, freed on
 * close, so its memory goes through the allocator being measured, as it
 * would in a program with an in-memory file system.
 *
 * Randomness and time are fixed, so every variant runs the same program. */
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

struct mem_file {
  sqlite3_file base;
  unsigned char* data;
  sqlite3_int64 size;
  sqlite3_int64 cap;
};

static int mf_close(sqlite3_file* f) {
  struct mem_file* m = (struct mem_file*)f;
  free(m->data);
  m->data = NULL;
  m->size = m->cap = 0;
  return SQLITE_OK;
}

static int mf_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  struct mem_file* m = (struct mem_file*)f;
  if (offset >= m->size) {
    memset(out, 0, (size_t)amount);
    return SQLITE_IOERR_SHORT_READ;
  }
  sqlite3_int64 have = m->size - offset;
  if (have < amount) {
    memcpy(out, m->data + offset, (size_t)have);
    memset((char*)out + have, 0, (size_t)(amount - have));
    return SQLITE_IOERR_SHORT_READ;
  }
  memcpy(out, m->data + offset, (size_t)amount);
  return SQLITE_OK;
}

static int mf_reserve(struct mem_file* m, sqlite3_int64 need) {
  if (need <= m->cap) return SQLITE_OK;
  sqlite3_int64 cap = m->cap ? m->cap : 8192;
  while (cap < need) cap *= 2;
  unsigned char* p = realloc(m->data, (size_t)cap);
  if (!p) return SQLITE_IOERR_NOMEM;
  m->data = p;
  m->cap = cap;
  return SQLITE_OK;
}

static int mf_write(sqlite3_file* f, const void* in, int amount, sqlite3_int64 offset) {
  struct mem_file* m = (struct mem_file*)f;
  sqlite3_int64 end = offset + amount;
  if (mf_reserve(m, end) != SQLITE_OK) return SQLITE_IOERR_NOMEM;
  if (offset > m->size) memset(m->data + m->size, 0, (size_t)(offset - m->size));
  memcpy(m->data + offset, in, (size_t)amount);
  if (end > m->size) m->size = end;
  return SQLITE_OK;
}

static int mf_truncate(sqlite3_file* f, sqlite3_int64 size) {
  struct mem_file* m = (struct mem_file*)f;
  if (size < m->size) m->size = size;
  return SQLITE_OK;
}

static int mf_sync(sqlite3_file* f, int flags) {
  (void)f;
  (void)flags;
  return SQLITE_OK;
}

static int mf_file_size(sqlite3_file* f, sqlite3_int64* out) {
  *out = ((struct mem_file*)f)->size;
  return SQLITE_OK;
}

static int mf_lock(sqlite3_file* f, int level) {
  (void)f;
  (void)level;
  return SQLITE_OK;
}

static int mf_check_reserved(sqlite3_file* f, int* out) {
  (void)f;
  *out = 0;
  return SQLITE_OK;
}

static int mf_file_control(sqlite3_file* f, int op, void* arg) {
  (void)f;
  (void)op;
  (void)arg;
  return SQLITE_NOTFOUND;
}

static int mf_sector_size(sqlite3_file* f) {
  (void)f;
  return 512;
}

static int mf_device_characteristics(sqlite3_file* f) {
  (void)f;
  return 0;
}

static const sqlite3_io_methods mem_io = {
    1,
    mf_close,
    mf_read,
    mf_write,
    mf_truncate,
    mf_sync,
    mf_file_size,
    mf_lock,
    mf_lock,
    mf_check_reserved,
    mf_file_control,
    mf_sector_size,
    mf_device_characteristics,
    0, 0, 0, 0, 0, 0,
};

/* Every file is new and private: nothing is ever opened twice by name here. */
static int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  (void)vfs;
  (void)name;
  struct mem_file* m = (struct mem_file*)f;
  memset(m, 0, sizeof *m);
  m->base.pMethods = &mem_io;
  if (out_flags) *out_flags = flags;
  return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  (void)vfs;
  (void)name;
  (void)sync_dir;
  return SQLITE_OK;
}

static int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  (void)vfs;
  (void)name;
  (void)flags;
  *out = 0;
  return SQLITE_OK;
}

static int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  (void)vfs;
  size_t len = strlen(name);
  if ((int)len >= n) return SQLITE_CANTOPEN;
  memcpy(out, name, len + 1);
  return SQLITE_OK;
}

/* SplitMix64 from a fixed seed, restarted by sqlite3_os_init. */
static unsigned long long vfs_seed;

static int vfs_randomness(sqlite3_vfs* vfs, int n, char* out) {
  (void)vfs;
  for (int i = 0; i < n; i++) {
    unsigned long long z = (vfs_seed += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    out[i] = (char)(z ^ (z >> 31));
  }
  return n;
}

static int vfs_sleep(sqlite3_vfs* vfs, int us) {
  (void)vfs;
  return us;
}

/* A fixed instant (2023-02-24 12:00 UTC as a Julian day number). */
static int vfs_current_time(sqlite3_vfs* vfs, double* out) {
  (void)vfs;
  *out = 2460000.0;
  return SQLITE_OK;
}

static int vfs_last_error(sqlite3_vfs* vfs, int n, char* out) {
  (void)vfs;
  if (n > 0) out[0] = 0;
  return 0;
}

static sqlite3_vfs mem_vfs = {
    1,
    (int)sizeof(struct mem_file),
    512,
    0,
    "bench-memory",
    0,
    vfs_open,
    vfs_delete,
    vfs_access,
    vfs_full_pathname,
    0,
    0,
    0,
    0,
    vfs_randomness,
    vfs_sleep,
    vfs_current_time,
    vfs_last_error,
    0, 0, 0, 0,
};

int sqlite3_os_init(void) {
  vfs_seed = 0x5EEDull;
  return sqlite3_vfs_register(&mem_vfs, 1);
}

int sqlite3_os_end(void) {
  return SQLITE_OK;
}
