// Slow paths do bounded work whatever the program does: each test replays an
// adversarial sequence of calls and counts the work the heap reports (free
// slots walked, free runs looked at, memory growths, map units copied), which
// an O(heap) path would multiply by the number of calls. Counting work, not
// time, keeps these tests exact on a noisy machine.
#include "test_heap.hpp"

#include <wasmheap/unit_runs.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace wasmheap::test {
namespace {

// Many scattered free slots (no slab empty), then many big requests that
// make memory grow: a sweep per growth would walk every free slot each time.
TEST(BoundedWork, GrowingPastScatteredFreeSlotsDoesNotWalkThemEachTime) {
  auto heap = make_heap();
  std::vector<void*> small(100'000);
  for (auto& p : small) ASSERT_NE(p = heap->alloc(16, 1), nullptr);
  for (std::size_t i = 0; i < small.size(); i += 2) heap->free(small[i]);
  std::vector<void*> big(300);
  for (auto& p : big) ASSERT_NE(p = heap->alloc(100'000, 1), nullptr);
  // One sweep over the 50,000 free slots (two passes) at most, not 300.
  EXPECT_LE(heap->stats().sweep_steps, 2 * small.size());
  for (auto* p : big) heap->free(p);
  for (std::size_t i = 1; i < small.size(); i += 2) heap->free(small[i]);
  EXPECT_EQ(heap->check(), nullptr);
}

// Slabs pinned by one live slot each, freed one at a time with a big request
// after each free: sweeps may come, but each is paid for by the frees before it.
TEST(BoundedWork, SweepsCostAFewSlabsOfSlotsPerFree) {
  auto heap = make_heap();
  std::vector<void*> live;
  std::size_t frees = 0;
  for (std::size_t size = 16; size <= 1024; size += size / 4) {
    std::vector<void*> blocks(1024);
    for (auto& p : blocks) ASSERT_NE(p = heap->alloc(size, 1), nullptr);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      if (i % 64 == 0) {
        live.push_back(blocks[i]);
      } else {
        heap->free(blocks[i]);
        ++frees;
      }
    }
  }
  std::vector<void*> big;
  for (void* p : live) {
    heap->free(p);
    ++frees;
    big.push_back(heap->alloc(3 * unit_size, 1));
  }
  // The bound of sweep_affordable: at most 8 slabs' worth of slots (a slab holds at
  // most 128) and 3 steps per free, and each slab's bump range once.
  auto s = heap->stats();
  EXPECT_LE(s.sweep_steps, frees * (8 * 128 + 3));
  EXPECT_LT(s.sweeps, live.size() / 2);
  for (void* p : big) heap->free(p);
  EXPECT_EQ(heap->check(), nullptr);
}

// Thousands of free runs in one shared bin, none of which fits: finding a
// run looks at a few of them, not all.
TEST(BoundedWork, FindingAFreeRunLooksAtAFewRuns) {
  auto runs = std::make_unique<UnitRuns<SimulatedMemory>>(SimulatedMemory());
  std::vector<std::byte*> held;
  for (int i = 0; i < 5'000; ++i) {
    held.push_back(runs->take(56));
    ASSERT_NE(runs->take(1), nullptr);  // keeps the runs apart
  }
  for (std::byte* p : held) runs->give(runs->unit_of(p), 56);
  std::size_t before = runs->work().runs_scanned;
  for (int i = 0; i < 1'000; ++i) {
    std::byte* p = runs->take(57);  // shares the 56-63 bin, fits none of its runs
    ASSERT_NE(p, nullptr);
    runs->give(runs->unit_of(p), 57);
  }
  EXPECT_LE(runs->work().runs_scanned - before, 1'000u * 9);
  EXPECT_EQ(runs->check(), nullptr);
}

// A heap grown one page-sized block at a time grows memory in steps of a
// 32nd of itself: few growths, and the map that moves with each is copied
// little.
TEST(BoundedWork, MemoryGrowsInFewSteps) {
  auto heap = make_heap();
  std::vector<void*> blocks(4'000);
  for (auto& p : blocks) ASSERT_NE(p = heap->alloc(page_size, 1), nullptr);
  auto s = heap->stats();
  // 32 growths of a page up to 32 pages, then 1/32 at a time: 1.03^n = 125.
  EXPECT_LE(s.memory_grows, 32u + 160);
  EXPECT_LE(s.map_units_moved, s.pages_grown * units_per_page / 8);
  EXPECT_LE(s.pages_grown, blocks.size() * 33 / 32 + 32);  // and the map's 0.4%
  for (void* p : blocks) heap->free(p);
  EXPECT_EQ(heap->check(), nullptr);
}

}  // namespace
}  // namespace wasmheap::test
