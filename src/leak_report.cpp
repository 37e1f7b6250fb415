// The leak report: every block still live, grouped by size, printed to
// stderr in the shape of LeakSanitizer's summary. An object of its own.
#include <wasmheap/wasmheap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

struct Group {
  std::size_t size;
  int class_id;
  std::size_t count;
  void* first[4];
};

// Slots group by class at groups[class_id]; each big block gets an entry of
// its own after them, and entries of one size are merged after the walk
// (sorted, not searched: a program may leave many big blocks of many sizes).
struct Table {
  Group* groups;
  std::size_t classes, used, capacity;
  std::size_t dropped;  // big blocks beyond the table (only if the heap changed under the walk)
};

void count_block(void* block, std::size_t size, int class_id, void* ctx) {
  auto& table = *static_cast<Table*>(ctx);
  if (block == table.groups) return;  // the report's own table
  Group* g = class_id >= 0 ? &table.groups[class_id] : nullptr;
  if (class_id < 0) {
    if (table.used == table.capacity) {
      ++table.dropped;
      return;
    }
    g = &table.groups[table.used++];
    *g = Group{};
  }
  if (g->count == 0) *g = Group{size, class_id, 0, {}};
  if (g->count < 4) g->first[g->count] = block;
  ++g->count;
}

// Merges the big blocks' entries of one size (in address order) and
// packs every group in use to the front; returns how many there are.
std::size_t merge_groups(Table& table) {
  Group *big = table.groups + table.classes, *end = table.groups + table.used;
  std::sort(big, end, [](const Group& a, const Group& b) {
    return a.size != b.size ? a.size < b.size : a.first[0] < b.first[0];
  });
  Group* out = table.groups;
  for (Group* g = table.groups; g != big; ++g)
    if (g->count != 0) *out++ = *g;
  for (Group* g = big; g != end; ++g) {
    if (out != table.groups && out[-1].class_id < 0 && out[-1].size == g->size) {
      if (out[-1].count < 4) out[-1].first[out[-1].count] = g->first[0];
      ++out[-1].count;
    } else {
      *out++ = *g;
    }
  }
  return static_cast<std::size_t>(out - table.groups);
}

}  // namespace

extern "C" {

size_t wasmheap_report_leaks(void) {
  // One group per class and per big block at most, taken before the walk
  // (the visitor may not allocate); a little more for blocks live meanwhile.
  wasmheap_stats s;
  wasmheap_get_stats(&s);
  Table table{nullptr, s.class_count, s.class_count, s.class_count + s.big_blocks_live + 16, 0};
  table.groups = static_cast<Group*>(wasmheap_alloc(table.capacity * sizeof(Group), alignof(Group)));
  if (table.groups != nullptr) std::fill_n(table.groups, table.classes, Group{});
  if (table.groups == nullptr || wasmheap_walk(count_block, &table) != 0) {
    std::fprintf(stderr, "==wasmheap== leak report: out of memory\n");
    wasmheap_free(table.groups, table.capacity * sizeof(Group), alignof(Group));
    return 0;
  }
  table.used = merge_groups(table);
  // The largest totals first, as LeakSanitizer lists the largest leaks first.
  std::sort(table.groups, table.groups + table.used,
            [](const Group& a, const Group& b) { return a.size * a.count > b.size * b.count; });
  std::size_t blocks = 0, bytes = 0;
  for (const Group* g = table.groups; g != table.groups + table.used; ++g) {
    blocks += g->count;
    bytes += g->count * g->size;
  }
  if (blocks != 0) {
    std::fprintf(stderr, "\n==wasmheap==ERROR: %zu block(s) still live\n\n", blocks);
    for (const Group* g = table.groups; g != table.groups + table.used; ++g) {
      std::fprintf(stderr, "Live: %zu byte(s) in %zu block(s) of %zu B (%s", g->count * g->size, g->count, g->size,
                   g->class_id < 0 ? "big block" : "slot class ");
      if (g->class_id >= 0) std::fprintf(stderr, "%d", g->class_id);
      std::fprintf(stderr, ") at");
      for (std::size_t i = 0; i < g->count && i < 4; ++i)
        std::fprintf(stderr, " %#lx", static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(g->first[i])));
      std::fprintf(stderr, "%s\n", g->count > 4 ? " ..." : "");
    }
    std::fprintf(stderr, "\nSUMMARY: wasmheap: %zu byte(s) leaked in %zu allocation(s).\n", bytes, blocks);
  }
  if (table.dropped != 0) std::fprintf(stderr, "==wasmheap== (%zu block(s) not grouped)\n", table.dropped);
  wasmheap_free(table.groups, table.capacity * sizeof(Group), alignof(Group));
  return blocks + table.dropped;
}

static void report_leaks_now(void) { wasmheap_report_leaks(); }

void wasmheap_report_leaks_at_exit(void) {
  static bool registered = false;
  if (!registered) registered = std::atexit(report_leaks_now) == 0;
}

}  // extern "C"
