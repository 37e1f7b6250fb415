/* The public C header compiles as strict C99 and its functions link from C. */
#include <wasmheap/wasmheap.h>

int wasmheap_c99_header_smoke(void) {
  struct wasmheap_stats stats;
  void* p = wasmheap_alloc(24, 8);
  if (p == NULL || wasmheap_usable_size(p) != 32) return 1;
  wasmheap_free(p, 24, 8);
  wasmheap_get_stats(&stats);
  return stats.class_count > 0 ? 0 : 2;
}
