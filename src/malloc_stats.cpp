// malloc_stats() (wasm): the heap's figures on stderr, first in dlmalloc's
// three lines (which scripts parse), then what only wasmheap can tell.
#include <wasmheap/wasmheap.h>

#include <cstdio>

extern "C" void malloc_stats(void) {
  wasmheap_mallinfo m;
  wasmheap_get_mallinfo(&m);
  wasmheap_stats s;
  wasmheap_get_stats(&s);
  wasmheap_fragmentation f;
  wasmheap_get_fragmentation(&f);
  std::fprintf(stderr, "max system bytes = %10zu\nsystem bytes     = %10zu\nin use bytes     = %10zu\n", m.usmblks,
               m.arena, m.uordblks);
  std::fprintf(stderr,
               "wasmheap: %zu live blocks (%zu big), %zu B live in %zu B held (peak %zu B), %zu B cached by threads\n"
               "wasmheap: %zu pages grown; %zu B in slabs, %zu B in big blocks, %zu B of unit map\n"
               "wasmheap: %zu free runs, %zu B, the largest %zu B; %zu free slots, %zu B\n",
               s.blocks_live, s.big_blocks_live, s.bytes_live, s.bytes_held, s.bytes_held_peak, s.bytes_cached,
               s.pages_grown, f.slab_bytes, f.big_bytes, f.map_bytes, f.free_runs, f.free_run_bytes,
               f.largest_free_run, m.smblks, m.fsmblks);
}
