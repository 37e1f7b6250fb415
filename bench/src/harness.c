/* The harness inside every benchmark module. The module is a WASI reactor: the
 * host calls _initialize, then bench_run(workload, warmups, runs) once on a
 * fresh instance, and reads one JSON line from stdout.
 *
 * Time and output go straight to the WASI imports (clock_time_get, fd_write)
 * rather than through libc, so the Emscripten and wasi-libc builds measure
 * with the same code and nothing here calls malloc. */
#include "bench.h"

struct bench_counters bench_c;
static const char* first_failure;
static const char* current_workload = "";

void bench_fail(const char* what) {
  if (bench_c.failures++ == 0) first_failure = what;
}

/* Defaults for allocators that need no reset; the bump variant overrides them. */
__attribute__((weak)) void bench_heap_mark(void) {}
__attribute__((weak)) void bench_heap_release(void) {}

/* The module's workloads (bench_workloads, bench_workload_count) come from
 * workload_table.c in the synthetic module and real/programs.c in the
 * real-program one. */

/* ---- WASI, imported directly ---------------------------------------------- */

struct ciovec {
  const void* buf;
  size_t len;
};

__attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_time_get"))) int
bench_wasi_clock_time_get(uint32_t clock_id, uint64_t precision, uint64_t* out);

__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write"))) int
bench_wasi_fd_write(int fd, const struct ciovec* iovs, size_t count, size_t* written);

static uint64_t now_ns(void) {
  uint64_t t = 0;
  bench_wasi_clock_time_get(1 /* monotonic */, 1, &t);
  return t;
}

/* ---- a JSON line in a static buffer ---------------------------------------- */

static char out[8192];
static size_t out_len;

static void put(const char* s) {
  while (*s && out_len < sizeof out - 1) out[out_len++] = *s++;
}

/* Strings here are workload names and fixed messages: no escaping needed
 * beyond quotes and backslashes, which they never contain. */
static void put_str(const char* s) {
  put("\"");
  put(s);
  put("\"");
}

static void put_u64(uint64_t v) {
  char digits[21];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n && out_len < sizeof out - 1) out[out_len++] = digits[--n];
}

static void flush_line(void) {
  out[out_len++] = '\n';
  struct ciovec iov = {out, out_len};
  size_t written = 0;
  bench_wasi_fd_write(1, &iov, 1, &written);
  out_len = 0;
}

void bench_fatal(const char* what) {
  bench_fail(what);
  put("{\"workload\":");
  put_str(current_workload);
  put(",\"error\":");
  put_str(first_failure);
  put("}");
  flush_line();
  __builtin_trap();
}

/* ---- exports ---------------------------------------------------------------- */

/* Prints the workload names as a JSON array. */
__attribute__((export_name("bench_list"))) void bench_list(void) {
  put("[");
  for (int i = 0; i < bench_workload_count; i++) {
    if (i) put(",");
    put_str(bench_workloads[i].name);
  }
  put("]");
  flush_line();
}

static void reset_counters(void) {
  bench_c.ops = bench_c.live = bench_c.peak = bench_c.checksum = 0;
}

#define MAX_RUNS 100

/* Runs workload `index`: the first run on the fresh instance measures the
 * pages memory grew by, the ops and the peak live bytes; `warmups - 1` more
 * runs warm up; then `runs` timed runs. Prints one JSON object. Returns 0, or
 * 1 if the allocator broke a promise (the JSON says which). */
__attribute__((export_name("bench_run"))) int bench_run(int index, int warmups, int runs) {
  if (index < 0 || index >= bench_workload_count) return 2;
  if (runs > MAX_RUNS) runs = MAX_RUNS;
  if (warmups < 1) warmups = 1;
  const struct bench_workload* w = &bench_workloads[index];
  current_workload = w->name;
  uint64_t times[MAX_RUNS];

  bench_heap_mark();
  size_t pages_before = __builtin_wasm_memory_size(0);
  reset_counters();
  w->run();
  size_t pages_after = __builtin_wasm_memory_size(0);
  uint64_t ops = bench_c.ops, peak = bench_c.peak, checksum = bench_c.checksum;
  if (bench_c.live != 0) bench_fail("live bytes not zero after the run");
  bench_heap_release();

  for (int i = 1; i < warmups && !bench_c.failures; i++) {
    reset_counters();
    w->run();
    bench_heap_release();
  }
  for (int i = 0; i < runs && !bench_c.failures; i++) {
    reset_counters();
    uint64_t t0 = now_ns();
    w->run();
    uint64_t t1 = now_ns();
    bench_heap_release();
    times[i] = t1 - t0;
    /* Every run must make the same calls, or the ns/op of runs would differ
     * in meaning. */
    if (bench_c.ops != ops || bench_c.checksum != checksum) bench_fail("runs differ");
  }

  put("{\"workload\":");
  put_str(w->name);
  put(",\"ops\":");
  put_u64(ops);
  put(",\"pages_before\":");
  put_u64(pages_before);
  put(",\"pages_added\":");
  put_u64(pages_after - pages_before);
  put(",\"peak_live_bytes\":");
  put_u64(peak);
  /* A string: JSON numbers lose a 64-bit value's low bits. */
  put(",\"checksum\":\"");
  put_u64(checksum);
  put("\"");
  put(",\"times_ns\":[");
  for (int i = 0; i < runs && !bench_c.failures; i++) {
    if (i) put(",");
    put_u64(times[i]);
  }
  put("]");
  if (bench_c.failures) {
    put(",\"error\":");
    put_str(first_failure);
  }
  put("}");
  flush_line();
  return bench_c.failures ? 1 : 0;
}
