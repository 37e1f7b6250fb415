/* SQL workloads over SQLite (the amalgamation better-sqlite3 ships), each a
 * whole program run: sqlite3_initialize, an in-memory database, the SQL, a
 * checksum of what the queries returned, sqlite3_close and sqlite3_shutdown,
 * after which SQLite holds no memory. SQLite allocates with the system malloc
 * (SQLITE_SYSTEM_MALLOC, the default), so every block it uses comes from the
 * variant's allocator. Data comes from SplitMix64 with fixed seeds. */
#include "real.h"
#include "sqlite3.h"

static void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) real_fatal(what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* SQLite counts the bytes it has asked its malloc layer for (memory status
 * is on by default): its high-water mark over a run is reported as the run's
 * peak live bytes, without touching the allocator path. */
static sqlite3* open_db(void) {
  check(NULL, sqlite3_initialize(), "sqlite3_initialize");
  sqlite3_memory_highwater(1);
  sqlite3* db = NULL;
  int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) real_fatal("sqlite3_open_v2", sqlite3_errstr(rc));
  return db;
}

static void close_db(sqlite3* db) {
  uint64_t peak = (uint64_t)sqlite3_memory_highwater(0);
  if (peak > bench_c.peak) bench_c.peak = peak;
  check(db, sqlite3_close(db), "sqlite3_close");
  check(NULL, sqlite3_shutdown(), "sqlite3_shutdown");
}

static void exec(sqlite3* db, const char* sql) {
  check(db, sqlite3_exec(db, sql, NULL, NULL, NULL), sql);
}

static sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = NULL;
  check(db, sqlite3_prepare_v2(db, sql, -1, &st, NULL), sql);
  return st;
}

/* Hashes a result row: each column's type and value. */
static uint64_t hash_row(uint64_t h, sqlite3_stmt* st) {
  int n = sqlite3_column_count(st);
  for (int i = 0; i < n; i++) {
    int type = sqlite3_column_type(st, i);
    h = real_hash_u64(h, (uint64_t)type);
    switch (type) {
      case SQLITE_INTEGER:
        h = real_hash_u64(h, (uint64_t)sqlite3_column_int64(st, i));
        break;
      case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, i);
        h = real_hash_bytes(h, &d, sizeof d);
        break;
      }
      case SQLITE_TEXT: {
        const unsigned char* t = sqlite3_column_text(st, i);
        h = real_hash_bytes(h, t, (size_t)sqlite3_column_bytes(st, i));
        break;
      }
      case SQLITE_BLOB: {
        const void* b = sqlite3_column_blob(st, i);
        h = real_hash_bytes(h, b, (size_t)sqlite3_column_bytes(st, i));
        break;
      }
      default:
        break;
    }
  }
  return h;
}

/* Steps a statement to the end, hashing every row and the row count; resets it. */
static uint64_t hash_all(sqlite3* db, sqlite3_stmt* st, uint64_t h) {
  int rc;
  uint64_t rows = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    h = hash_row(h, st);
    rows++;
  }
  check(db, rc, sqlite3_sql(st));
  check(db, sqlite3_reset(st), sqlite3_sql(st));
  return real_hash_u64(h, rows);
}

static uint64_t query(sqlite3* db, const char* sql, uint64_t h) {
  sqlite3_stmt* st = prepare(db, sql);
  h = hash_all(db, st, h);
  check(db, sqlite3_finalize(st), sql);
  return h;
}

static void step_done(sqlite3* db, sqlite3_stmt* st) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) check(db, rc == SQLITE_ROW ? SQLITE_MISUSE : rc, sqlite3_sql(st));
  check(db, sqlite3_reset(st), sqlite3_sql(st));
}

static char text_buf[4096];
static unsigned char blob_buf[4096];

/* Inserts `rows` rows (n, a, b) into a table (id INTEGER PRIMARY KEY, n, a, b):
 * n below n_max, a: 10..210 random letters, b: 10..210 random bytes. */
static void fill_nab(sqlite3* db, const char* insert_sql, struct bench_rng* r, int rows, uint32_t n_max) {
  sqlite3_stmt* ins = prepare(db, insert_sql);
  exec(db, "BEGIN");
  for (int i = 0; i < rows; i++) {
    uint32_t tn = rng_range(r, 10, 210), bn = rng_range(r, 10, 210);
    real_text(r, text_buf, tn);
    real_bytes(r, blob_buf, bn);
    sqlite3_bind_int64(ins, 1, rng_below(r, n_max));
    sqlite3_bind_text(ins, 2, text_buf, (int)tn, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 3, blob_buf, (int)bn, SQLITE_TRANSIENT);
    step_done(db, ins);
  }
  exec(db, "COMMIT");
  check(db, sqlite3_finalize(ins), insert_sql);
}

/* 100,000 rows of 10..210 B text and 10..210 B blobs in one transaction. */
void wl_sqlite_bulk_insert(void) {
  struct bench_rng r = {0x5A11};
  sqlite3* db = open_db();
  exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, a TEXT, b BLOB)");
  fill_nab(db, "INSERT INTO t(n, a, b) VALUES (?1, ?2, ?3)", &r, 100000, 1000000);
  uint64_t h = REAL_HASH_SEED;
  h = query(db, "SELECT count(*), sum(n), sum(length(a)), sum(length(b)) FROM t", h);
  h = query(db, "SELECT id, n, a, b FROM t WHERE id % 997 = 0", h);
  close_db(db);
  bench_c.checksum = h;
}

static void random_word(struct bench_rng* r, char* out, uint32_t lo, uint32_t hi) {
  uint32_t n = rng_range(r, lo, hi);
  for (uint32_t i = 0; i < n; i++) out[i] = (char)('a' + rng_below(r, 26));
  out[n] = 0;
}

/* 40,000 rows, two indexes, then 20,000 point lookups by key, 4,000 prefix
 * range counts over the name index and 2,000 key range scans. */
void wl_sqlite_indexed_queries(void) {
  enum { ROWS = 40000 };
  static uint32_t keys[ROWS];
  struct bench_rng r = {0x1DE7};
  sqlite3* db = open_db();
  exec(db, "CREATE TABLE p(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v INTEGER, pad BLOB)");
  sqlite3_stmt* ins = prepare(db, "INSERT INTO p(k, name, v, pad) VALUES (?1, ?2, ?3, ?4)");
  exec(db, "BEGIN");
  char word[32];
  for (int i = 0; i < ROWS; i++) {
    keys[i] = rng_below(&r, 1000000);
    random_word(&r, word, 8, 24);
    uint32_t pn = rng_range(&r, 20, 100);
    real_bytes(&r, blob_buf, pn);
    sqlite3_bind_int64(ins, 1, keys[i]);
    sqlite3_bind_text(ins, 2, word, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 3, rng_below(&r, 1000));
    sqlite3_bind_blob(ins, 4, blob_buf, (int)pn, SQLITE_TRANSIENT);
    step_done(db, ins);
  }
  exec(db, "COMMIT");
  check(db, sqlite3_finalize(ins), "insert");
  exec(db, "CREATE INDEX p_k ON p(k)");
  exec(db, "CREATE INDEX p_name ON p(name, v)");

  uint64_t h = REAL_HASH_SEED;
  sqlite3_stmt* point = prepare(db, "SELECT id, v, name FROM p WHERE k = ?1");
  for (int i = 0; i < 20000; i++) {
    /* Half the keys exist, half are random (mostly misses). */
    uint32_t k = (i & 1) ? keys[rng_below(&r, ROWS)] : rng_below(&r, 1000000);
    sqlite3_bind_int64(point, 1, k);
    h = hash_all(db, point, h);
  }
  check(db, sqlite3_finalize(point), "point");
  sqlite3_stmt* prefix = prepare(db, "SELECT count(*), sum(v), min(name), max(name) FROM p WHERE name >= ?1 AND name < ?2");
  for (int i = 0; i < 4000; i++) {
    char lo[4], hi[4];
    lo[0] = hi[0] = (char)('a' + rng_below(&r, 26));
    lo[1] = (char)('a' + rng_below(&r, 26));
    hi[1] = (char)(lo[1] + 1);
    lo[2] = hi[2] = 0;
    sqlite3_bind_text(prefix, 1, lo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(prefix, 2, hi, -1, SQLITE_TRANSIENT);
    h = hash_all(db, prefix, h);
  }
  check(db, sqlite3_finalize(prefix), "prefix");
  sqlite3_stmt* range = prepare(db, "SELECT id, k, name FROM p WHERE k BETWEEN ?1 AND ?2 ORDER BY k, id LIMIT 20");
  for (int i = 0; i < 2000; i++) {
    uint32_t k = rng_below(&r, 1000000);
    sqlite3_bind_int64(range, 1, k);
    sqlite3_bind_int64(range, 2, k + 5000);
    h = hash_all(db, range, h);
  }
  check(db, sqlite3_finalize(range), "range");
  close_db(db);
  bench_c.checksum = h;
}

/* 50,000 rows sorted and grouped: GROUP BY with group_concat, a full
 * ORDER BY over text, a GROUP BY on an expression, and one long
 * group_concat over a sorted subquery. */
void wl_sqlite_sort(void) {
  struct bench_rng r = {0x5027};
  sqlite3* db = open_db();
  exec(db, "CREATE TABLE s(id INTEGER PRIMARY KEY, grp INTEGER, word TEXT, v INTEGER)");
  sqlite3_stmt* ins = prepare(db, "INSERT INTO s(grp, word, v) VALUES (?1, ?2, ?3)");
  exec(db, "BEGIN");
  char word[32];
  for (int i = 0; i < 50000; i++) {
    random_word(&r, word, 4, 16);
    sqlite3_bind_int64(ins, 1, rng_below(&r, 500));
    sqlite3_bind_text(ins, 2, word, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 3, rng_below(&r, 100000));
    step_done(db, ins);
  }
  exec(db, "COMMIT");
  check(db, sqlite3_finalize(ins), "insert");
  uint64_t h = REAL_HASH_SEED;
  h = query(db, "SELECT grp, count(*), sum(v), group_concat(word, ',') FROM s GROUP BY grp ORDER BY grp", h);
  h = query(db, "SELECT word, v, id FROM s ORDER BY word, v DESC, id", h);
  h = query(db, "SELECT substr(word, 1, 2) AS pre, count(*), max(v), min(word) FROM s GROUP BY pre ORDER BY count(*) DESC, pre", h);
  h = query(db, "SELECT length(g), substr(g, 1, 64) FROM (SELECT group_concat(word, ' ') AS g FROM (SELECT word FROM s ORDER BY v, id))", h);
  close_db(db);
  bench_c.checksum = h;
}

/* 50,000 rows with an index on n; then updates that grow and shrink values
 * and move index entries, and deletes of scattered and contiguous rows. */
void wl_sqlite_update_delete(void) {
  struct bench_rng r = {0x0BDA7E};
  sqlite3* db = open_db();
  exec(db, "CREATE TABLE u(id INTEGER PRIMARY KEY, n INTEGER, a TEXT, b BLOB)");
  exec(db, "CREATE INDEX u_n ON u(n)");
  fill_nab(db, "INSERT INTO u(n, a, b) VALUES (?1, ?2, ?3)", &r, 50000, 1000);
  exec(db, "BEGIN");
  exec(db, "UPDATE u SET a = a || substr(a, 1, 40) WHERE n % 3 = 0");
  exec(db, "UPDATE u SET b = substr(b, 1, length(b) / 2), n = n + 1000 WHERE n % 3 = 1");
  exec(db, "DELETE FROM u WHERE n % 5 = 2");
  exec(db, "DELETE FROM u WHERE id BETWEEN 10000 AND 20000");
  exec(db, "UPDATE u SET a = upper(a) WHERE id % 7 = 0");
  exec(db, "COMMIT");
  uint64_t h = REAL_HASH_SEED;
  h = query(db, "SELECT count(*), sum(n), sum(length(a)), sum(length(b)) FROM u", h);
  h = query(db, "SELECT id, n, a, b FROM u WHERE id % 101 = 0", h);
  h = query(db, "SELECT n, count(*) FROM u GROUP BY n ORDER BY n", h);
  close_db(db);
  bench_c.checksum = h;
}

/* 40,000 rows with an index, every other one deleted, then VACUUM (which
 * rebuilds the database through a temporary one) and an integrity check. */
void wl_sqlite_vacuum(void) {
  struct bench_rng r = {0x7AC0};
  sqlite3* db = open_db();
  exec(db, "CREATE TABLE v(id INTEGER PRIMARY KEY, n INTEGER, a TEXT, b BLOB)");
  exec(db, "CREATE INDEX v_a ON v(a)");
  fill_nab(db, "INSERT INTO v(n, a, b) VALUES (?1, ?2, ?3)", &r, 40000, 1000000);
  exec(db, "DELETE FROM v WHERE id % 2 = 0");
  uint64_t h = REAL_HASH_SEED;
  h = query(db, "PRAGMA page_count", h);
  h = query(db, "PRAGMA freelist_count", h);
  exec(db, "VACUUM");
  h = query(db, "PRAGMA page_count", h);
  h = query(db, "PRAGMA freelist_count", h);
  h = query(db, "PRAGMA integrity_check", h);
  h = query(db, "SELECT count(*), sum(n), sum(length(a)), sum(length(b)) FROM v", h);
  h = query(db, "SELECT id, a FROM v WHERE id % 211 = 1", h);
  close_db(db);
  bench_c.checksum = h;
}
