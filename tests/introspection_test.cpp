// Introspection over the global heap through the C API: the walk, the
// fragmentation summary, mallinfo, the snapshot format, trim and the leak
// report. Other tests share the heap, so these check what they allocated
// themselves and that every figure agrees with the others, not totals.
#include <wasmheap/wasmheap.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

wasmheap_stats current_stats() {
  wasmheap_stats s;
  wasmheap_get_stats(&s);
  return s;
}

struct Seen {
  std::size_t size;
  int class_id;
};


// A mix of small and big blocks, every third one freed again.
struct Blocks {
  std::vector<void*> live, freed;
  Blocks() {
    const std::size_t sizes[] = {1, 8, 24, 100, 333, 1000, 3000, 20000, 70000, 300000};
    for (int round = 0; round < 30; ++round)
      for (std::size_t size : sizes) {
        void* p = wasmheap_malloc(size + round);
        (live.size() % 3 == 2 ? freed : live).push_back(p);
      }
    for (void* p : freed) wasmheap_free_unsized(p);
  }
  ~Blocks() {
    for (void* p : live) wasmheap_free_unsized(p);
  }
};

TEST(Introspection, WalkVisitsEveryLiveBlockOnce) {
  Blocks blocks;
  std::map<void*, Seen> seen;
  // Reserve the map's nodes first: the visitor itself must not allocate.
  std::vector<std::pair<void*, Seen>> visited;
  visited.reserve(current_stats().blocks_live + 16);
  auto before = current_stats();
  ASSERT_EQ(wasmheap_walk(
                [](void* block, std::size_t size, int c, void* ctx) {
                  static_cast<std::vector<std::pair<void*, Seen>>*>(ctx)->push_back({block, Seen{size, c}});
                },
                &visited),
            0);
  EXPECT_EQ(visited.size(), before.blocks_live);
  std::size_t big = 0, bytes = 0;
  for (std::size_t i = 0; i < visited.size(); ++i) {
    if (i > 0) EXPECT_LT(visited[i - 1].first, visited[i].first) << "address order, each block once";
    seen[visited[i].first] = visited[i].second;
    big += visited[i].second.class_id < 0;
    bytes += visited[i].second.size;
  }
  EXPECT_EQ(big, before.big_blocks_live);
  EXPECT_EQ(bytes, before.bytes_live);
  for (void* p : blocks.live) {
    ASSERT_TRUE(seen.count(p)) << p;
    EXPECT_EQ(seen[p].size, wasmheap_malloc_usable_size(p));
    EXPECT_EQ(seen[p].class_id < 0, wasmheap_malloc_usable_size(p) > 16384) << "big blocks have no class";
  }
  for (void* p : blocks.freed) {
    // A freed address may have been handed out again, to this test's blocks
    // or (on wasm, where this heap is malloc) to the vector of visits.
    bool reused = p == static_cast<void*>(visited.data());
    for (void* q : blocks.live) reused |= p == q;
    if (!reused) EXPECT_FALSE(seen.count(p)) << p;
  }
}

TEST(Introspection, FragmentationAddsUp) {
  Blocks blocks;
  wasmheap_fragmentation f;
  wasmheap_get_fragmentation(&f);
  auto s = current_stats();
  EXPECT_EQ(f.slab_bytes + f.big_bytes + f.free_run_bytes + f.map_bytes + f.foreign_bytes, f.heap_bytes);
  EXPECT_EQ(f.big_blocks, s.big_blocks_live);
  EXPECT_LE(f.largest_free_run, f.free_run_bytes);
  EXPECT_LE(f.top_free_bytes, f.largest_free_run);
  std::size_t runs = 0, slab_bytes = 0, live = 0;
  for (std::size_t n : f.free_runs_by_length) runs += n;
  EXPECT_EQ(runs, f.free_runs);
  ASSERT_EQ(f.class_count, s.class_count);
  for (std::size_t c = 0; c < f.class_count; ++c) {
    EXPECT_EQ(f.classes[c].slot_size, s.class_slot_size[c]);
    EXPECT_EQ(f.classes[c].slots_live, s.class_blocks_live[c]);
    EXPECT_EQ(f.classes[c].slots_live + f.classes[c].slots_free,
              f.classes[c].slabs * (f.classes[c].slab_units * 1024 / f.classes[c].slot_size))
        << "class " << c;
    slab_bytes += f.classes[c].slabs * f.classes[c].slab_units * 1024;
    live += f.classes[c].slots_live * f.classes[c].slot_size;
  }
  EXPECT_EQ(slab_bytes, f.slab_bytes);
  EXPECT_EQ(live + f.big_bytes, s.bytes_live);
}

TEST(Introspection, MallinfoMeansWhatDlmallocsDoes) {
  wasmheap_mallinfo before;
  wasmheap_get_mallinfo(&before);
  EXPECT_EQ(before.arena, before.uordblks + before.fordblks);
  EXPECT_EQ(before.hblks, 0u);
  EXPECT_EQ(before.hblkhd, 0u);
  EXPECT_EQ(before.usmblks, before.arena);
  EXPECT_LE(before.keepcost, before.fordblks);
  EXPECT_LE(before.fsmblks, before.fordblks);
  void* p = wasmheap_malloc(1 << 20);
  ASSERT_NE(p, nullptr);
  wasmheap_mallinfo during;
  wasmheap_get_mallinfo(&during);
  EXPECT_GE(during.uordblks - before.uordblks, std::size_t{1} << 20) << "a live MiB is in use";
  EXPECT_EQ(during.arena, during.uordblks + during.fordblks);
  wasmheap_free_unsized(p);
  wasmheap_mallinfo after;
  wasmheap_get_mallinfo(&after);
  // In use: the live blocks, and the unit map (which grows with the heap).
  wasmheap_fragmentation f;
  wasmheap_get_fragmentation(&f);
  EXPECT_EQ(after.uordblks, current_stats().bytes_live + f.map_bytes);
  EXPECT_GE(after.fordblks, std::size_t{1} << 20) << "the MiB is free again";
}

// The snapshot, read as a tool reads it (the format is in wasmheap.h).
TEST(Introspection, SnapshotFollowsItsFormat) {
  Blocks blocks;
  std::size_t need = wasmheap_snapshot(nullptr, 0);
  ASSERT_GT(need, std::size_t{WASMHEAP_SNAPSHOT_HEADER_WORDS * 4});
  std::vector<std::uint32_t> words(need / 4 + 1024);
  std::size_t size = wasmheap_snapshot(words.data(), words.size() * 4);
  ASSERT_EQ(size, need) << "nothing allocated between the two calls";
  const std::uint32_t* h = words.data();
  EXPECT_EQ(h[0], WASMHEAP_SNAPSHOT_MAGIC);
  EXPECT_EQ(h[1], WASMHEAP_SNAPSHOT_VERSION);
  EXPECT_EQ(h[2], size);
  ASSERT_EQ(h[3], WASMHEAP_SNAPSHOT_HEADER_WORDS);
  EXPECT_EQ(h[4], 1024u);
  EXPECT_EQ(h[5], 65536u);
  const std::uint32_t units = h[7], classes = h[9];
  EXPECT_EQ(size, (h[3] + 4 * classes + units) * 4);
  auto s = current_stats();
  EXPECT_EQ(h[10], s.bytes_live);
  EXPECT_EQ(h[14], s.blocks_live);
  EXPECT_EQ(h[15], s.big_blocks_live);
  EXPECT_GT(h[17], 0u);
  // Classes, then units: the slabs and slots the units describe agree with
  // the class table, and each run's length with its units.
  const std::uint32_t* cls = h + h[3];
  const std::uint32_t* unit = cls + 4 * classes;
  std::vector<std::size_t> slabs(classes), free_slots(classes);
  std::size_t big = 0, big_bytes = 0;
  for (std::uint32_t u = 0; u < units;) {
    std::uint32_t kind = unit[u] >> 28, detail = unit[u] & 0x0fffffff;
    switch (kind) {
      case WASMHEAP_UNIT_SLAB: {
        std::uint32_t c = detail & 127, n = cls[4 * c + 1];
        ASSERT_EQ((detail >> 7) & 63, 0u) << "a slab starts with its first unit, at " << u;
        ++slabs[c];
        free_slots[c] += detail >> 13;
        for (std::uint32_t i = 1; i < n; ++i) ASSERT_EQ(unit[u + i] & 0x1fff, (WASMHEAP_UNIT_SLAB << 28 | c | i << 7) & 0x1fff);
        u += n;
        break;
      }
      case WASMHEAP_UNIT_BIG:
      case WASMHEAP_UNIT_FREE:
        if (kind == WASMHEAP_UNIT_BIG) ++big, big_bytes += detail * 1024;
        for (std::uint32_t i = 1; i < detail; ++i) ASSERT_EQ(unit[u + i], (kind + 1) << 28 | i);
        u += detail;
        break;
      case WASMHEAP_UNIT_MAP:
      case WASMHEAP_UNIT_UNUSED: ++u; break;
      default: FAIL() << "unit " << u << " starts no run: " << std::hex << unit[u];
    }
  }
  EXPECT_EQ(big, s.big_blocks_live);
  for (std::uint32_t c = 0; c < classes; ++c) {
    std::size_t slot = cls[4 * c], slab_units = cls[4 * c + 1], per_slab = slab_units * 1024 / slot;
    EXPECT_EQ(slot, s.class_slot_size[c]);
    EXPECT_EQ(slabs[c], cls[4 * c + 2]) << "class " << c;
    EXPECT_EQ(cls[4 * c + 3], s.class_blocks_live[c]);
    EXPECT_EQ(slabs[c] * per_slab - free_slots[c], cls[4 * c + 3]) << "live slots of class " << c;
  }
  // Too small a buffer: nothing written, the size needed returned.
  std::vector<std::uint32_t> small(4, 0xdeadbeef);
  EXPECT_GE(wasmheap_snapshot(small.data(), 16), size);
  EXPECT_EQ(small[0], 0xdeadbeefu);
  // Each snapshot is numbered.
  EXPECT_EQ(wasmheap_snapshot(words.data(), words.size() * 4), size);
  EXPECT_EQ(words[17], h[17]);
}

TEST(Introspection, TrimGivesEmptySlabsBack) {
  // Many slots of one class, all freed: their slabs stay with the class
  // until a sweep, which trim forces.
  std::vector<void*> blocks;
  for (int i = 0; i < 20000; ++i) blocks.push_back(wasmheap_malloc(72));
  for (void* p : blocks) wasmheap_free_unsized(p);
  wasmheap_fragmentation before;
  wasmheap_get_fragmentation(&before);
  EXPECT_EQ(wasmheap_trim(), 1);
  wasmheap_fragmentation after;
  wasmheap_get_fragmentation(&after);
  EXPECT_LE(after.slab_bytes + 20000 * 80 / 2, before.slab_bytes) << "most of the 1.6 MB of slabs went back";
  EXPECT_EQ(after.free_run_bytes - before.free_run_bytes, before.slab_bytes - after.slab_bytes);
  EXPECT_EQ(wasmheap_trim(), 0) << "nothing left to give back";
  EXPECT_EQ(wasmheap_check(), nullptr);
}

#if GTEST_HAS_STREAM_REDIRECTION
TEST(Introspection, LeakReportListsLiveBlocksBySize) {
  void* leaks[3];
  for (void*& p : leaks) p = wasmheap_malloc(200);
  void* big = wasmheap_malloc(100000);
  testing::internal::CaptureStderr();
  std::size_t reported = wasmheap_report_leaks();
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_GE(reported, 4u);
  EXPECT_NE(out.find("SUMMARY: wasmheap: "), std::string::npos) << out;
  EXPECT_NE(out.find(" byte(s) leaked in "), std::string::npos) << out;
  EXPECT_NE(out.find("block(s) of 100352 B (big block)"), std::string::npos) << out;
  char address[32];
  std::snprintf(address, sizeof address, "%#lx", static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(big)));
  EXPECT_NE(out.find(address), std::string::npos) << out;
  EXPECT_NE(out.find("of " + std::to_string(wasmheap_malloc_usable_size(leaks[0])) + " B (slot class "),
            std::string::npos)
      << out;
  for (void* p : leaks) wasmheap_free_unsized(p);
  wasmheap_free_unsized(big);
}

TEST(Introspection, LeakReportMergesBigBlocksOfOneSizeInAddressOrder) {
  // Interleaved sizes: the report's big-block entries must be merged by size.
  void* blocks[6];
  for (int i = 0; i < 6; ++i) blocks[i] = wasmheap_malloc(i % 2 == 0 ? 200000 : 300000);
  testing::internal::CaptureStderr();
  wasmheap_report_leaks();
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("602112 byte(s) in 3 block(s) of 200704 B (big block) at"), std::string::npos) << out;
  EXPECT_NE(out.find("in 3 block(s) of 300032 B (big block) at"), std::string::npos) << out;
  void* evens[3] = {blocks[0], blocks[2], blocks[4]};
  std::sort(evens, evens + 3);
  char line[160];
  std::snprintf(line, sizeof line, "of 200704 B (big block) at %#lx %#lx %#lx\n",
                static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(evens[0])),
                static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(evens[1])),
                static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(evens[2])));
  EXPECT_NE(out.find(line), std::string::npos) << out;
  for (void* p : blocks) wasmheap_free_unsized(p);
}
#endif

}  // namespace
