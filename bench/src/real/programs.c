/* The workload table of the real-program module (real.wasm): the harness
 * (harness.c) runs these exactly as it runs the synthetic ones. */
#include <string.h>

#include "real.h"

const struct bench_workload bench_workloads[] = {
    {"sqlite_bulk_insert", wl_sqlite_bulk_insert},
    {"sqlite_indexed_queries", wl_sqlite_indexed_queries},
    {"sqlite_sort", wl_sqlite_sort},
    {"sqlite_update_delete", wl_sqlite_update_delete},
    {"sqlite_vacuum", wl_sqlite_vacuum},
    {"treesitter_parse", wl_treesitter_parse},
};
const int bench_workload_count = (int)(sizeof bench_workloads / sizeof bench_workloads[0]);

static char fatal_message[512];

void real_fatal(const char* what, const char* detail) {
  size_t n = 0;
  for (const char* s = what; *s && n < sizeof fatal_message - 1; s++) fatal_message[n++] = *s;
  if (detail) {
    for (const char* s = ": "; *s && n < sizeof fatal_message - 1; s++) fatal_message[n++] = *s;
    for (const char* s = detail; *s && n < sizeof fatal_message - 1; s++) {
      char c = *s;
      fatal_message[n++] = (c == '"' || c == '\\' || (unsigned char)c < 0x20) ? '\'' : c;
    }
  }
  fatal_message[n] = 0;
  bench_fatal(fatal_message);
}
