// Heap behaviour beyond Zig's WasmAllocator's tests: exact slots, edge cases, big-block paging,
// realloc, out-of-memory and statistics.
#include "test_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <tuple>
#include <vector>

namespace wasmheap::test {
namespace {

using Classes = QuarterClasses;  // the policy that ships; tests of the other name it

TEST(Heap, SixteenByteRequestHasSixteenByteSlot) {
  auto heap = make_heap();
  void* p = heap->alloc(16, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(heap->usable_size(p), 16u);
  void* q = heap->alloc(16, 16);
  EXPECT_EQ(static_cast<std::byte*>(q) - static_cast<std::byte*>(p), 16);
}

TEST(PowerOfTwoClassesHeap, EverySmallRequestGetsTheSmallestPowerOfTwoSlot) {
  auto heap = make_heap<PowerOfTwoClasses>();
  for (std::size_t len = 0; len <= PowerOfTwoClasses::max_slot; len += (len < 300 ? 1 : 97)) {
    void* p = heap->alloc(len, 1);
    ASSERT_NE(p, nullptr);
    std::size_t want = std::max<std::size_t>(8, std::bit_ceil(len));
    EXPECT_EQ(heap->usable_size(p), want) << "len " << len;
    heap->free(p, len, 1);
  }
}

TEST(Heap, ZeroLengthGivesDistinctFreeableBlocks) {
  auto heap = make_heap();
  void* a = heap->alloc(0, 1);
  void* b = heap->alloc(0, 1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  heap->free(a, 0, 1);
  heap->free(b);
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

TEST(Heap, NonPowerOfTwoAlignmentIsRejected) {
  auto heap = make_heap();
  for (std::size_t align : {0, 3, 6, 12, 24, 48, 100, 65537})
    EXPECT_EQ(heap->alloc(16, align), nullptr) << "align " << align;
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

TEST(Heap, ImpossibleSizesReturnNull) {
  auto heap = make_heap();
  const std::size_t lens[] = {SIZE_MAX, SIZE_MAX - page_size, max_block_size + 1,
#if SIZE_MAX > UINT32_MAX
  // Sizes of 4 GiB and more exist only where size_t is wider than wasm32's;
  // on wasm32, 4 GiB - 1 is SIZE_MAX, already above.
                              std::size_t{1} << 32, (std::size_t{1} << 32) - 1
#endif
  };
  for (std::size_t len : lens) EXPECT_EQ(heap->alloc(len, 1), nullptr) << "len " << len;
  // Over-aligned ones too: rounding such a size up to a power of two must
  // not overflow into a small class (it once gave an 8 B block).
  for (std::size_t align = 2; align <= unit_size; align <<= 1) {
    for (std::size_t len : lens) EXPECT_EQ(heap->alloc(len, align), nullptr) << "len " << len << " align " << align;
#if SIZE_MAX > UINT32_MAX
    EXPECT_EQ(heap->alloc(SIZE_MAX / 2 + 2, align), nullptr) << "align " << align;
#endif
    EXPECT_EQ(Classes::class_of(SIZE_MAX, align), Classes::count);
    EXPECT_EQ(PowerOfTwoClasses::class_of(SIZE_MAX, align), PowerOfTwoClasses::count);
  }
#if SIZE_MAX > UINT32_MAX
  // An alignment larger than any address. On wasm32 no power of two in size_t
  // exceeds 2 GiB, an alignment the heap honours, so there is no such value.
  EXPECT_EQ(heap->alloc(16, std::size_t{1} << 40), nullptr);
#endif
  EXPECT_EQ(heap->stats().pages_grown, 0u);
}

TEST(PowerOfTwoClassesHeap, EveryClassHonoursEveryAlignmentUpToItsSlot) {
  auto heap = make_heap<PowerOfTwoClasses>();
  for (unsigned c = 0; c < PowerOfTwoClasses::count; ++c) {
    std::size_t slot = PowerOfTwoClasses::slot_size(c);
    // Slabs are unit-aligned: requests aligned to more are big blocks (below).
    for (std::size_t align = 1; align <= std::min(slot, unit_size); align <<= 1) {
      std::vector<void*> blocks;
      for (int i = 0; i < 3; ++i) {
        void* p = heap->alloc(slot / 2 + 1, align);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(aligned_to(p, align)) << "slot " << slot << " align " << align;
        EXPECT_EQ(heap->usable_size(p), std::max<std::size_t>(slot, 8));
        blocks.push_back(p);
      }
      for (void* p : blocks) heap->free(p, slot / 2 + 1, align);
    }
  }
}

TEST(Heap, SlotsOfOneClassArePackedInSlabsOfOneUnitSideBySide) {
  auto heap = make_heap();
  // 64 B slots: one unit per slab, slabs taken from the lowest free units.
  auto* first = static_cast<std::byte*>(heap->alloc(64, 1));
  EXPECT_TRUE(aligned_to(first, unit_size));
  for (std::size_t i = 1; i < page_size / 64; ++i) EXPECT_EQ(heap->alloc(64, 1), first + 64 * i);
  EXPECT_EQ(heap->stats().pages_grown, 1u);
  EXPECT_EQ(heap->alloc(64, 1), first + page_size);
  EXPECT_EQ(heap->stats().pages_grown, 2u);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, LargeSlotsTakeSlabsOfSeveralUnitsWithLittleLeftOver) {
  auto heap = make_heap<QuarterClasses>();
  // 1,792 B slots: a slab of 7 units holds 4 of them, with nothing to spare.
  auto* first = static_cast<std::byte*>(heap->alloc(1780, 1));
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(heap->alloc(1780, 1), first + 1792 * i);
  EXPECT_EQ(heap->alloc(1780, 1), first + 7 * unit_size);
  // 5 KiB slots: one in each slab of 5 units.
  auto* five = static_cast<std::byte*>(heap->alloc(5000, 1));
  EXPECT_EQ(heap->alloc(5000, 1), five + 5 * unit_size);
  EXPECT_EQ(heap->usable_size(five), 5120u);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(PowerOfTwoClassesHeap, FreedSlotIsReusedFirst) {
  auto heap = make_heap<PowerOfTwoClasses>();
  void* a = heap->alloc(100, 1);
  void* b = heap->alloc(100, 1);
  heap->free(a, 100, 1);
  EXPECT_EQ(heap->alloc(120, 1), a);
  heap->free(b);
  EXPECT_EQ(heap->alloc(65, 1), b);
}

TEST(Heap, UnsizedFreeFindsTheClassFromThePageMap) {
  auto heap = make_heap();
  std::vector<void*> blocks;
  for (std::size_t len = 1; len <= 200000; len = len * 3 + 1) blocks.push_back(heap->alloc(len, 1));
  for (void* p : blocks) heap->free(p);
  auto s = heap->stats();
  EXPECT_EQ(s.blocks_live, 0u);
  EXPECT_EQ(s.bytes_live, 0u);
  EXPECT_EQ(s.big_blocks_live, 0u);
}

TEST(Heap, UsableSizeOfBigBlockIsItsUnits) {
  auto heap = make_heap();
  void* p = heap->alloc(page_size + 1, 1);
  EXPECT_EQ(heap->usable_size(p), page_size + unit_size);
  void* q = heap->alloc(Classes::max_slot + 1, 1);
  EXPECT_EQ(heap->usable_size(q), Classes::max_slot + unit_size);
  void* r = heap->alloc(100, 2 * unit_size);  // over-aligned for a slab
  EXPECT_TRUE(aligned_to(r, 2 * unit_size));
  EXPECT_EQ(heap->usable_size(r), unit_size);
  EXPECT_EQ(heap->check(), nullptr);
}

// Before the heap holds any memory too: nullptr is outside the heap.
TEST(Heap, NullIsIgnoredBeforeTheFirstAllocation) {
  auto heap = make_heap();
  EXPECT_EQ(heap->usable_size(nullptr), 0u);
  heap->free(nullptr);
  EXPECT_NE(heap->realloc(nullptr, 0), nullptr);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, ForeignPointersAreIgnored) {
  auto heap = make_heap();
  void* p = heap->alloc(page_size * 3, 1);
  int local = 0;
  EXPECT_EQ(heap->usable_size(&local), 0u);
  EXPECT_EQ(heap->usable_size(nullptr), 0u);
  // A checked build stops on these instead (tests/checked/checked_test.cpp).
  if constexpr (!checked_build) heap->free(&local);
  heap->free(nullptr);
  heap->free(nullptr, 10, 1);
  // Inside a big block, but not its start.
  EXPECT_EQ(heap->usable_size(static_cast<std::byte*>(p) + page_size), 0u);
  if constexpr (!checked_build) heap->free(static_cast<std::byte*>(p) + page_size);
  EXPECT_EQ(heap->stats().blocks_live, 1u);
}

TEST(PowerOfTwoClassesHeap, SmallResizeSucceedsOnlyWithinTheClass) {
  auto heap = make_heap<PowerOfTwoClasses>();
  void* p = heap->alloc(40, 1);  // 64 B slot
  EXPECT_TRUE(heap->resize(p, 40, 1, 64));
  EXPECT_TRUE(heap->resize(p, 64, 1, 33));
  EXPECT_FALSE(heap->resize(p, 33, 1, 65));
  EXPECT_FALSE(heap->resize(p, 33, 1, 32));
  EXPECT_FALSE(heap->resize(p, 33, 1, page_size));
  EXPECT_EQ(heap->remap(p, 33, 1, 60), p);
  EXPECT_EQ(heap->remap(p, 60, 1, 100), nullptr);
  heap->free(p, 60, 1);
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

TEST(Heap, BigResizeToSmallFails) {
  auto heap = make_heap();
  void* p = heap->alloc(page_size * 2, 1);
  EXPECT_FALSE(heap->resize(p, page_size * 2, 1, 100));
  EXPECT_EQ(heap->remap(p, page_size * 2, 1, 100), nullptr);
  EXPECT_EQ(heap->usable_size(p), page_size * 2);
}

TEST(Heap, BigShrinkGivesTailPagesBack) {
  auto heap = make_heap();
  void* p = heap->alloc(page_size * 8, 1);
  ASSERT_TRUE(heap->resize(p, page_size * 8, 1, page_size * 3 - 5));
  EXPECT_EQ(heap->usable_size(p), page_size * 3);
  EXPECT_EQ(heap->stats().bytes_live, page_size * 3);
  // The five freed pages serve the next request without growing.
  std::size_t grown = heap->stats().pages_grown;
  void* q = heap->alloc(page_size * 5, 1);
  EXPECT_EQ(q, static_cast<std::byte*>(p) + page_size * 3);
  EXPECT_EQ(heap->stats().pages_grown, grown);
}

TEST(Heap, BigGrowsInPlaceIntoFreeNeighbour) {
  auto heap = make_heap();
  void* a = heap->alloc(page_size * 2, 1);
  void* b = heap->alloc(page_size * 4, 1);
  void* c = heap->alloc(page_size, 1);
  heap->free(b);
  std::size_t grown = heap->stats().pages_grown;
  EXPECT_TRUE(heap->resize(a, page_size * 2, 1, page_size * 5));
  EXPECT_TRUE(heap->resize(a, page_size * 5, 1, page_size * 6));
  EXPECT_FALSE(heap->resize(a, page_size * 6, 1, page_size * 7));  // c is in the way
  EXPECT_EQ(heap->stats().pages_grown, grown);
  EXPECT_EQ(heap->usable_size(a), page_size * 6);
  heap->free(c);
  heap->free(a);
}

TEST(Heap, BigGrowsInPlaceAtTopOfMemory) {
  auto heap = make_heap();
  void* p = heap->alloc(page_size, 1);
  fill(p, page_size, 3);
  for (std::size_t pages = 2; pages <= 64; ++pages) {
    ASSERT_TRUE(heap->resize(p, (pages - 1) * page_size, 1, pages * page_size));
    // A page for the map, past 2 MiB, and what growth took ahead (a 32nd of memory).
    EXPECT_LE(heap->stats().pages_grown, pages + 1 + (pages + 31) / 32);
  }
  EXPECT_EQ(first_mismatch(p, page_size, 3), page_size);
}

TEST(Heap, BigDoesNotGrowAcrossSomeoneElsesMemory) {
  auto heap = make_heap();
  void* p = heap->alloc(page_size, 1);
  ASSERT_NE(heap->memory().grow(1), nullptr);  // another user of memory.grow
  EXPECT_FALSE(heap->resize(p, page_size, 1, page_size * 2));
  // The heap keeps working above the foreign page, and never hands it out.
  void* q = heap->alloc(page_size * 2, 1);
  ASSERT_NE(q, nullptr);
  EXPECT_GE(static_cast<std::byte*>(q), static_cast<std::byte*>(p) + 2 * page_size);
  heap->free(p);
  heap->free(q);
  void* r = heap->alloc(page_size * 3, 1);
  EXPECT_GE(static_cast<std::byte*>(r), static_cast<std::byte*>(p) + 2 * page_size);
}

TEST(Heap, OnePointOneMebibyteBlockGrowsEighteenPages) {
  auto heap = make_heap();
  std::size_t len = std::size_t{11} * 1024 * 1024 / 10;  // 1.1 MiB: 17.6 pages
  void* p = heap->alloc(len, 16);
  ASSERT_NE(p, nullptr);
  fill(p, len, 1);
  heap->free(p, len, 16);
  EXPECT_LE(heap->stats().pages_grown, 18u);
  // Allocating it again reuses the same pages.
  EXPECT_EQ(heap->alloc(len, 16), p);
  EXPECT_LE(heap->stats().pages_grown, 18u);
}

TEST(Heap, ReallocGrowingBy64KiBStepsTo64MiBStaysNearTheLiveSize) {
  auto heap = make_heap();
  void* p = heap->realloc(nullptr, page_size);
  fill(p, page_size, 11);
  for (std::size_t len = 2 * page_size; len <= (std::size_t{64} << 20); len += page_size) {
    p = heap->realloc(p, len);
    ASSERT_NE(p, nullptr);
  }
  EXPECT_EQ(first_mismatch(p, page_size, 11), page_size);
  // 1,024 pages of data, and the unit map's (0.4% of memory, with room to grow).
  EXPECT_LE(heap->stats().pages_grown, 1045u);
  heap->free(p);
}

TEST(Heap, RatchetByNewCopyFreeReusesMergedRuns) {
  auto heap = make_heap();
  // A buffer grown by allocate-new, copy, free-old: freed runs merge and get reused.
  std::size_t len = page_size;
  void* p = heap->alloc(len, 1);
  for (; len < (std::size_t{8} << 20); len += page_size) {
    void* q = heap->alloc(len + page_size, 1);
    ASSERT_NE(q, nullptr);
    std::memcpy(q, p, len);
    heap->free(p, len, 1);
    p = q;
  }
  // Live data is 8 MiB = 128 pages; without merging this would be ~8,000 pages.
  EXPECT_LE(heap->stats().pages_grown, 3 * 128u);
}

// A new big block takes the high end of a free run in the middle of the heap;
// one that realloc moves takes the low end, and can then grow in place.
TEST(Heap, BlocksReallocMovesTakeTheLowEndOfARunAndGrowInPlace) {
  auto heap = make_heap();
  auto* a = static_cast<std::byte*>(heap->alloc(8 * page_size, 1));
  void* pin = heap->alloc(page_size, 1);  // keeps a's run off the top of memory
  heap->free(a);
  std::size_t pages = heap->stats().pages_grown;
  void* p = heap->alloc(page_size, 1);
  EXPECT_EQ(p, a + 7 * page_size);
  void* q = heap->realloc(p, 2 * page_size);  // pin is in the way: it moves
  EXPECT_EQ(q, a);
  EXPECT_EQ(heap->realloc(q, 5 * page_size), q);
  EXPECT_EQ(heap->stats().pages_grown, pages);
  heap->free(q);
  heap->free(pin);
  EXPECT_EQ(heap->check(), nullptr);
}

class ReallocAcrossKinds : public ::testing::TestWithParam<std::tuple<std::size_t, std::size_t>> {};

TEST_P(ReallocAcrossKinds, KeepsContents) {
  auto [from, to] = GetParam();
  auto heap = make_heap();
  void* neighbour = heap->alloc(from, 1);  // so the block is not alone in its slab
  void* p = heap->alloc(from, 1);
  ASSERT_NE(p, nullptr);
  fill(p, from, 77);
  fill(neighbour, from, 78);
  void* q = heap->realloc(p, to);
  ASSERT_NE(q, nullptr);
  EXPECT_GE(heap->usable_size(q), to);
  std::size_t kept = std::min(from, to);
  EXPECT_EQ(first_mismatch(q, kept, 77), kept);
  EXPECT_EQ(first_mismatch(neighbour, from, 78), from);
  fill(q, to, 79);
  EXPECT_EQ(first_mismatch(neighbour, from, 78), from);
  heap->free(q);
  heap->free(neighbour);
  EXPECT_EQ(heap->stats().bytes_live, 0u);
}

constexpr std::size_t small_a = 24, small_b = 3000, big_a = 3 * page_size + 7, big_b = 20 * page_size;
INSTANTIATE_TEST_SUITE_P(AllPairs, ReallocAcrossKinds,
                         ::testing::Values(std::tuple{small_a, small_b}, std::tuple{small_b, small_a},
                                           std::tuple{small_a, big_a}, std::tuple{big_a, small_a},
                                           std::tuple{big_a, big_b}, std::tuple{big_b, big_a},
                                           std::tuple{small_b, small_b + 1}, std::tuple{big_a, big_a + 1}));

TEST(Heap, ReallocOfNullAllocates) {
  auto heap = make_heap();
  void* p = heap->realloc(nullptr, 50);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(heap->usable_size(p), 64u);
}

TEST(Heap, ReallocWithinTheSlotStaysInPlace) {
  auto heap = make_heap();
  void* p = heap->alloc(100, 1);
  EXPECT_EQ(heap->realloc(p, Classes::slot_size(Classes::class_of(100, 1))), p);
  EXPECT_EQ(heap->realloc(p, 97), p);
  void* big = heap->alloc(page_size * 4, 1);
  EXPECT_EQ(heap->realloc(big, page_size * 2), big);
}

TEST(Heap, AllocFreeLoopsDoNotGrowMemory) {
  auto heap = make_heap();
  for (std::size_t len : {std::size_t{8}, std::size_t{32}, std::size_t{4000}, page_size * 3, page_size * 40}) {
    heap->free(heap->alloc(len, 1));
    std::size_t grown = heap->stats().pages_grown;
    for (int i = 0; i < 1000; ++i) {
      void* p = heap->alloc(len, 1);
      ASSERT_NE(p, nullptr);
      heap->free(p, len, 1);
    }
    EXPECT_EQ(heap->stats().pages_grown, grown) << "len " << len;
  }
}

TEST(Heap, OutOfMemoryUnderACapThenEverythingIsUsableAgain) {
  auto heap = make_heap(64);
  std::vector<std::pair<void*, std::size_t>> blocks;
  const std::size_t lens[] = {24, 200, 5000, page_size + 1, 3 * page_size};
  std::size_t first_round = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0;; ++i) {
      std::size_t len = lens[i % 5];
      void* p = heap->alloc(len, 8);
      if (p == nullptr) break;
      fill(p, len, static_cast<std::uint32_t>(i));
      blocks.emplace_back(p, len);
    }
    EXPECT_GT(blocks.size(), 10u);
    EXPECT_LE(heap->stats().pages_grown, 64u);
    ASSERT_EQ(heap->check(), nullptr);
    // The failed call changed nothing: every block is intact.
    for (std::size_t i = 0; i < blocks.size(); ++i)
      ASSERT_EQ(first_mismatch(blocks[i].first, blocks[i].second, static_cast<std::uint32_t>(i)), blocks[i].second);
    // Once everything is freed, the same sequence fits exactly as often again.
    if (round == 0) first_round = blocks.size();
    EXPECT_EQ(blocks.size(), first_round);
    for (auto [p, len] : blocks) heap->free(p, len, 8);
    blocks.clear();
    EXPECT_EQ(heap->stats().bytes_live, 0u);
  }
}

// Memory full: a realloc that shrinks a block cannot get a new one, so the
// block shrinks where it is (a big one gives back its tail units, which
// then serve other requests).
TEST(Heap, ReallocShrinksInPlaceWhenMemoryIsFull) {
  auto heap = make_heap(16);
  void* small = heap->alloc(3000, 1);
  std::vector<void*> blocks;
  while (void* p = heap->alloc(256 * unit_size, 1)) blocks.push_back(p);
  while (heap->alloc(3000, 1) != nullptr || heap->alloc(unit_size, 1) != nullptr) {
  }
  ASSERT_GE(blocks.size(), 2u);
  ASSERT_NE(small, nullptr);
  ASSERT_EQ(heap->alloc(100, 1), nullptr) << "memory is not full";
  fill(small, 100, 8);
  EXPECT_EQ(heap->realloc(small, 100), small);
  EXPECT_EQ(first_mismatch(small, 100, 8), 100u);
  void* b = blocks.back();
  fill(b, 100, 7);
  EXPECT_EQ(heap->realloc(b, 100), b);
  EXPECT_EQ(first_mismatch(b, 100, 7), 100u);
  EXPECT_EQ(heap->usable_size(b), unit_size);
  EXPECT_NE(heap->alloc(200 * unit_size, 1), nullptr) << "the shrunk block's tail is free";
  EXPECT_EQ(heap->check(), nullptr);
  heap->free(b);
  heap->free(small);
}

// nullptr is no block: resize and remap refuse it (and read no page-map entry).
TEST(Heap, ResizeAndRemapOfNullFail) {
  auto heap = make_heap();
  heap->free(heap->alloc(100, 1));
  EXPECT_FALSE(heap->resize(nullptr, 0, 1, 10));
  EXPECT_FALSE(heap->resize(nullptr, 16, 1, 16));
  EXPECT_FALSE(heap->resize(nullptr, page_size, 1, 2 * page_size));
  EXPECT_EQ(heap->remap(nullptr, 100, 8, 50), nullptr);
  heap->free(nullptr, 100, 8);
  EXPECT_EQ(heap->usable_size(nullptr), 0u);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, OutOfMemoryLeavesReallocSourceIntact) {
  auto heap = make_heap(8);
  void* p = heap->alloc(page_size * 4, 1);
  fill(p, page_size * 4, 5);
  void* blocker = heap->alloc(page_size, 1);
  EXPECT_EQ(heap->realloc(p, page_size * 6), nullptr);
  EXPECT_FALSE(heap->resize(p, page_size * 4, 1, page_size * 6));
  EXPECT_EQ(first_mismatch(p, page_size * 4, 5), page_size * 4);
  EXPECT_EQ(heap->usable_size(p), page_size * 4);
  heap->free(blocker);
  heap->memory().set_max_pages(16);
  void* q = heap->realloc(p, page_size * 6);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(first_mismatch(q, page_size * 4, 5), page_size * 4);
}

TEST(Heap, AFailedGrowthTakesNoPages) {
  // Memory grows once for a request and the unit map together: a request
  // that cannot be served under the cap leaves every page for the requests
  // that fit, even when the map would have had to grow for it.
  auto heap = make_heap(40);
  ASSERT_NE(heap->alloc(17 * page_size, 1), nullptr);  // past the inline map: it has units of its own
  std::size_t grown = heap->stats().pages_grown;
  EXPECT_EQ(heap->alloc(30 * page_size, 1), nullptr);
  EXPECT_EQ(heap->alloc(64, std::size_t{1} << 31), nullptr);
  EXPECT_EQ(heap->stats().pages_grown, grown);
  EXPECT_NE(heap->alloc((40 - grown) * page_size - 2 * unit_size, 1), nullptr);  // the rest, less the map's growth
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, SmallAllocationFailsCleanlyWhenNoUnitIsLeft) {
  auto heap = make_heap(1);
  void* big = heap->alloc(page_size - 4096, 1);  // 60 of the page's 64 units
  void* small = heap->alloc(200, 1);             // a one-unit slab: four 256 B slots
  ASSERT_NE(big, nullptr);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(heap->alloc(4096, 1), nullptr);  // the 4 KiB class needs 4 units; 3 are left
  EXPECT_NE(heap->alloc(200, 1), nullptr);   // the 256 B class still has slots
  heap->free(big);
  EXPECT_NE(heap->alloc(4096, 1), nullptr);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, EmptySlabPagesServeOtherClassesAndBigBlocks) {
  auto heap = make_heap();
  // Phase 1: 2 MiB of 32 B objects, all freed again.
  std::vector<void*> blocks;
  // Reserved up front: on wasm the vector's growth would grow the one linear
  // memory between the heap's slab pages, and phase 3 needs them contiguous.
  blocks.reserve(65536);
  for (int i = 0; i < 65536; ++i) blocks.push_back(heap->alloc(32, 1));
  for (void* p : blocks) heap->free(p, 32, 1);
  blocks.clear();
  std::size_t after_first_phase = heap->stats().pages_grown;
#if !defined(__wasm__)
  // On wasm the simulated memory shares linear memory with the test program's
  // own heap, so only the relative checks below are exact there.
  EXPECT_EQ(after_first_phase, 33u);  // 2 MiB of slots, and the unit map's page
#endif
  // Phase 2: as much in 200 B objects (256 B slots) reuses those pages.
  for (int i = 0; i < 8192; ++i) blocks.push_back(heap->alloc(200, 1));
  EXPECT_EQ(heap->stats().pages_grown, after_first_phase);
  for (void* p : blocks) heap->free(p);
  // Phase 3: and so does one 2 MiB block.
  void* big = heap->alloc(32 * page_size, 1);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(heap->stats().pages_grown, after_first_phase);
  EXPECT_EQ(heap->check(), nullptr);
}

// A sweep gives back each empty slab once, whatever order its free slots lie
// in the free list, while the slabs around it merge into one free run.
TEST(Heap, SweepGivesBackEmptySlabsWhateverTheFreeOrder) {
  auto heap = make_heap();
  std::vector<void*> blocks;
  blocks.reserve(16 * 2048);  // on wasm, the vector's growth would land between the slabs
  for (int i = 0; i < 16 * 2048; ++i) blocks.push_back(heap->alloc(32, 1));  // 16 pages of slabs
  std::size_t grown = heap->stats().pages_grown;
  // Interleave the slabs in the free list: every 7th slot first, then the rest
  // backwards, so a slab's slots are far apart and its first slot comes last.
  for (std::size_t i = 0; i < blocks.size(); i += 7) heap->free(blocks[i], 32, 1);
  for (std::size_t i = blocks.size(); i-- > 0;)
    if (i % 7 != 0) heap->free(blocks[i], 32, 1);
  EXPECT_EQ(heap->check(), nullptr);
  // All of it serves one big block without growing memory.
  void* big = heap->alloc(15 * page_size, 1);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(heap->stats().pages_grown, grown);
  EXPECT_EQ(heap->stats().bytes_held, 15 * page_size);
  EXPECT_EQ(heap->check(), nullptr);
  heap->free(big);
  for (int i = 0; i < 1000; ++i) ASSERT_NE(heap->alloc(32, 1), nullptr);
  EXPECT_EQ(heap->check(), nullptr);
}

// A mass free of small blocks is noticed even when no allocation needs more
// memory: the empty slabs are swept back, and later big blocks take them
// rather than a free run elsewhere that would fit them as well.
TEST(Heap, EmptySlabsOfAMassFreeServeBigBlocksBeforeOtherFreeRuns) {
  auto heap = make_heap();
  void* room = heap->alloc(256 * page_size, 1);  // freed below: a run that could take every block
  std::vector<void*> small;
  small.reserve(8 * 2048);  // on wasm, the vector's growth would land between the slabs
  for (int i = 0; i < 8 * 2048; ++i) small.push_back(heap->alloc(32, 1));  // 8 pages of slabs
  void* guard = heap->alloc(page_size, 1);
  ASSERT_NE(room, nullptr);
  ASSERT_NE(guard, nullptr);
  auto [lowest, highest] = std::minmax_element(small.begin(), small.end());
  auto in_slabs = [&](const void* p) { return p >= *lowest && p <= *highest; };
  heap->free(room);
  for (void* p : small) heap->free(p, 32, 1);
  std::size_t grown = heap->stats().pages_grown;
  // One page at a time, as many as the first run holds: without the sweep,
  // every one of them would come from it.
  bool reused = false;
  for (int i = 0; i < 256 && !reused; ++i) {
    void* p = heap->alloc(page_size, 1);
    ASSERT_NE(p, nullptr);
    reused = in_slabs(p);
  }
  EXPECT_TRUE(reused);
  EXPECT_EQ(heap->stats().pages_grown, grown);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, SlabsWithLiveSlotsAreKept) {
  auto heap = make_heap();
  std::vector<void*> blocks;
  for (int i = 0; i < 8 * 2048; ++i) blocks.push_back(heap->alloc(32, 1));  // 8 pages
  // Keep one slot alive in every other page; free the rest.
  std::vector<void*> kept;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (i % 4096 == 17) {
      kept.push_back(blocks[i]);
      fill(blocks[i], 32, static_cast<std::uint32_t>(i));
    } else {
      heap->free(blocks[i]);
    }
  }
  void* big = heap->alloc(4 * page_size, 1);  // the empty pages are not adjacent: this grows
  ASSERT_NE(big, nullptr);
  fill(big, 4 * page_size, 99);
  for (void* p : kept) {
    std::size_t i = static_cast<std::size_t>(std::find(blocks.begin(), blocks.end(), p) - blocks.begin());
    EXPECT_EQ(first_mismatch(p, 32, static_cast<std::uint32_t>(i)), 32u);
  }
  // The slabs still holding a live slot keep serving their class.
  std::size_t grown = heap->stats().pages_grown;
  for (int i = 0; i < 4 * 2047; ++i) ASSERT_NE(heap->alloc(32, 1), nullptr);
  EXPECT_EQ(heap->stats().pages_grown, grown);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, StatsAreExactAtEveryStep) {
  auto heap = make_heap();
  auto s = heap->stats();
  EXPECT_EQ(s.bytes_live, 0u);
  EXPECT_EQ(s.pages_grown, 0u);
  void* a = heap->alloc(10, 1);  // 16 B
  s = heap->stats();
  EXPECT_EQ(s.bytes_live, 16u);
  EXPECT_EQ(s.blocks_live, 1u);
  EXPECT_EQ(s.class_blocks_live[1], 1u);
  EXPECT_EQ(s.pages_grown, 1u);  // its slab is one unit; the page's other 63 KiB stay free
  void* b = heap->alloc(1000, 1);  // 1024 B, in the next slab
  void* c = heap->alloc(page_size * 2 + 1, 1);  // 129 units: the 62 free ones and 2 more pages
  s = heap->stats();
  EXPECT_EQ(s.bytes_live, 16u + 1024 + 129 * unit_size);
  EXPECT_EQ(s.blocks_live, 3u);
  EXPECT_EQ(s.class_blocks_live[Classes::class_of(1000, 1)], 1u);
  EXPECT_EQ(s.big_blocks_live, 1u);
  EXPECT_EQ(s.pages_grown, 3u);
  ASSERT_TRUE(heap->resize(c, page_size * 2 + 1, 1, page_size * 5));
  s = heap->stats();
  EXPECT_EQ(s.bytes_live, 16u + 1024 + 5 * page_size);
  // Held: the two one-unit slabs and the big block.
  EXPECT_EQ(s.bytes_held, 2 * unit_size + 5 * page_size);
  EXPECT_EQ(s.bytes_held_peak, 2 * unit_size + 5 * page_size);
  ASSERT_TRUE(heap->resize(c, page_size * 5, 1, page_size));
  heap->free(a);
  s = heap->stats();
  EXPECT_EQ(s.bytes_live, 1024u + page_size);
  EXPECT_EQ(s.bytes_held, 2 * unit_size + page_size);  // the 16 B slab is empty, not yet swept
  EXPECT_EQ(s.bytes_held_peak, 2 * unit_size + 5 * page_size);
  EXPECT_EQ(s.class_blocks_live[1], 0u);
  heap->free(b, 1000, 1);
  heap->free(c);
  s = heap->stats();
  EXPECT_EQ(s.bytes_live, 0u);
  EXPECT_EQ(s.blocks_live, 0u);
  EXPECT_EQ(s.big_blocks_live, 0u);
  EXPECT_EQ(s.pages_grown, 6u);
}

TEST(Heap, IndependentHeapsDoNotShareMemory) {
  auto one = make_heap();
  auto two = make_heap();
  void* a = one->alloc(100, 1);
  void* b = two->alloc(100, 1);
  EXPECT_EQ(one->usable_size(b), 0u);
  EXPECT_EQ(two->usable_size(a), 0u);
  if constexpr (!checked_build) one->free(b);  // foreign to `one`: ignored (a checked build stops)
  EXPECT_EQ(two->stats().blocks_live, 1u);
}

}  // namespace
}  // namespace wasmheap::test

namespace wasmheap::test {
namespace {

TEST(QuarterClassesHeap, SlotsAreAtMostAQuarterLargerThanTheRequest) {
  auto heap = make_heap<QuarterClasses>();
  for (std::size_t len = 129; len <= QuarterClasses::max_slot; len += 7) {
    void* p = heap->alloc(len, 1);
    ASSERT_NE(p, nullptr);
    std::size_t usable = heap->usable_size(p);
    EXPECT_GE(usable, len);
    EXPECT_LE(usable * 4, len * 5 + 3 * 4) << "len " << len;  // usable <= 1.25 len, up to rounding
    EXPECT_TRUE(aligned_to(p, 16));
    heap->free(p, len, 1);
  }
  EXPECT_EQ(heap->check(), nullptr);
}

// From 1 KiB up, whatever a request's shape, its block is at most 1/16
// larger: sixteenth steps up to 16 KiB, whole units (under 1/16) above.
TEST(QuarterClassesHeap, MediumBlocksAreAtMostASixteenthLarger) {
  auto heap = make_heap<QuarterClasses>();
  for (std::size_t len = 1025; len <= 64 * unit_size; len += 13) {
    void* p = heap->alloc(len, 1);
    ASSERT_NE(p, nullptr);
    std::size_t usable = heap->usable_size(p);
    EXPECT_GE(usable, len);
    EXPECT_LE(usable * 16, len * 17) << "len " << len;
    heap->free(p, len, 1);
  }
  EXPECT_EQ(heap->usable_size(heap->alloc(1032, 1)), 1088u);   // SQLite's 1 KiB page + header
  EXPECT_EQ(heap->usable_size(heap->alloc(4104, 1)), 4352u);
  EXPECT_EQ(heap->usable_size(heap->alloc(17000, 1)), 17408u);  // 17 units
  EXPECT_EQ(heap->check(), nullptr);
}

// Power-of-two sizes plus a header, many of each: the memory the slabs take
// is at most 1/16 more than the slots (a slab leaves at most 1/16 unused).
TEST(QuarterClassesHeap, HeaderSizedBlocksTakeLittleMoreThanTheyAskFor) {
  for (std::size_t k = 10; k <= 13; ++k) {
    for (std::size_t header : {8, 16, 24, 40}) {
      auto heap = make_heap<QuarterClasses>();
      std::size_t len = (std::size_t{1} << k) + header, n = 256;
      for (std::size_t i = 0; i < n; ++i) ASSERT_NE(heap->alloc(len, 1), nullptr);
      std::size_t usable = heap->usable_size(heap->alloc(len, 1));
      EXPECT_LE(usable * 16, len * 17) << len;
      // The slabs hold n + 1 slots, and the last slab may be partly used.
      double held = static_cast<double>(heap->stats().bytes_held), slots = static_cast<double>((n + 1) * usable);
      EXPECT_LE(held, slots * 16 / 15 + 16 * unit_size) << len;
    }
  }
}

TEST(QuarterClassesHeap, OverAlignedRequestsTakePowerOfTwoSlots) {
  auto heap = make_heap<QuarterClasses>();
  for (std::size_t align = 32; align <= QuarterClasses::max_slot; align <<= 1) {
    for (std::size_t len : {align / 2, align - 1, align + 1, 3 * align}) {
      void* p = heap->alloc(len, align);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(aligned_to(p, align)) << len << " " << align;
      EXPECT_GE(heap->usable_size(p), len);
      heap->free(p, len, align);
    }
  }
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

// A class with no free slot takes one of the next class before a new slab.
// The slot stays in its own class: a sized free with the request's length
// gives it back there, and resize keeps it for the length's class or its own.
TEST(QuarterClassesHeap, ClassOutOfSlotsBorrowsAFreeSlotOfTheNextClass) {
  auto heap = make_heap<QuarterClasses>();
  void* a = heap->alloc(48, 1);
  void* b = heap->alloc(48, 1);
  heap->free(a, 48, 1);
  std::size_t held = heap->stats().bytes_held;
  void* p = heap->alloc(32, 1);  // no 32 B slab yet: a's slot serves
  EXPECT_EQ(p, a);
  EXPECT_EQ(heap->usable_size(p), 48u);
  EXPECT_EQ(heap->stats().bytes_held, held);
  EXPECT_EQ(heap->stats().class_blocks_live[QuarterClasses::class_of(48, 1)], 2u);
  EXPECT_TRUE(heap->resize(p, 32, 1, 20));  // the class of its length
  EXPECT_TRUE(heap->resize(p, 20, 1, 40));  // the class of its slot
  EXPECT_FALSE(heap->resize(p, 40, 1, 64));
  EXPECT_EQ(heap->realloc(p, 48), p);
  heap->free(p, 32, 1);
  EXPECT_EQ(heap->check(), nullptr);
  EXPECT_EQ(heap->alloc(48, 1), a);  // back in its own class
  heap->free(a);
  heap->free(b);
  EXPECT_EQ(heap->stats().blocks_live, 0u);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(QuarterClassesHeap, BorrowedSlotsAreAlignedAsAsked) {
  auto heap = make_heap<QuarterClasses>();
  void* first = heap->alloc(80, 1);
  void* second = heap->alloc(80, 1);  // 80 B into a 1 KiB-aligned slab
  heap->free(second, 80, 1);
  void* p = heap->alloc(64, 64);  // a 64 B slot, which the free 80 B one is not aligned for
  EXPECT_NE(p, second);
  EXPECT_TRUE(aligned_to(p, 64));
  EXPECT_EQ(heap->usable_size(p), 64u);
  heap->free(first);
  heap->free(p);
  EXPECT_EQ(heap->check(), nullptr);
}

// A slab of one slot wastes nothing, so a class of such slabs takes one
// rather than a larger slot of the next class.
TEST(QuarterClassesHeap, ClassesOfOneSlotSlabsDoNotBorrow) {
  auto heap = make_heap<QuarterClasses>();
  void* a = heap->alloc(1280, 1);
  void* b = heap->alloc(1280, 1);
  heap->free(a, 1280, 1);
  void* p = heap->alloc(1024, 1);
  EXPECT_NE(p, a);
  EXPECT_EQ(heap->usable_size(p), 1024u);
  heap->free(b);
  heap->free(p);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(QuarterClassesHeap, SixteenAndFortyEightByteRequestsUseExactSlots) {
  auto heap = make_heap<QuarterClasses>();
  EXPECT_EQ(heap->usable_size(heap->alloc(16, 1)), 16u);
  EXPECT_EQ(heap->usable_size(heap->alloc(48, 16)), 48u);
  EXPECT_EQ(heap->usable_size(heap->alloc(1000, 8)), 1024u);
  EXPECT_EQ(heap->usable_size(heap->alloc(1100, 8)), 1152u);
}

}  // namespace
}  // namespace wasmheap::test

namespace wasmheap::test {
namespace {

TEST(Heap, AtTheCapEvenAFewEmptySlabsServeAnotherClass) {
  auto heap = make_heap<QuarterClasses>(1);
  void* big = heap->alloc(page_size - 4 * unit_size, 1);  // 60 of the page's 64 units
  ASSERT_NE(big, nullptr);
  std::vector<void*> blocks;
  for (int i = 0; i < 2 * 64; ++i) blocks.push_back(heap->alloc(16, 1));  // two one-unit slabs
  for (void* p : blocks) heap->free(p);
  // 2 KiB of empty slabs and 2 free units: together the 4 units a 4 KiB slot needs.
  EXPECT_NE(heap->alloc(4096, 1), nullptr);
  EXPECT_EQ(heap->stats().pages_grown, 1u);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(Heap, OutOfMemorySweepsEmptySlabsForAnotherClass) {
  auto heap = make_heap<QuarterClasses>(6);
  std::vector<void*> blocks;
  for (void* p; (p = heap->alloc(2048, 1)) != nullptr;) blocks.push_back(p);  // 2-unit slabs
  ASSERT_EQ(heap->alloc(2048, 1), nullptr);
  for (void* p : blocks) heap->free(p);
  // All units are in empty one-slot slabs of 2 units; a 4 KiB slot needs 4.
  EXPECT_NE(heap->alloc(4096, 1), nullptr);
  EXPECT_NE(heap->alloc(3 * page_size, 1), nullptr);
  EXPECT_EQ(heap->check(), nullptr);
}

}  // namespace
}  // namespace wasmheap::test

namespace wasmheap::test {
namespace {

// A memory that, like a wasm module's, starts with pages already there: the
// program's data below `heap_base`, free memory from there to the end.
class MemoryWithInitialPages {
 public:
  MemoryWithInitialPages(std::size_t initial_pages, std::size_t free_bytes) {
    std::byte* start = inner_.grow(initial_pages);
    end_ = reinterpret_cast<std::uintptr_t>(start) + initial_pages * page_size;
    initial_pages_ = initial_pages;
    heap_base_ = end_ - free_bytes;
  }
  AddressRange initial_free() const noexcept { return {heap_base_, end_}; }
  std::byte* grow(std::size_t pages) noexcept { return inner_.grow(pages); }
  std::uintptr_t base() const noexcept { return inner_.base(); }
  std::size_t size_pages() const noexcept { return inner_.size_pages(); }
  std::size_t pages_grown() const noexcept { return inner_.pages_grown() - initial_pages_; }
  std::uintptr_t heap_base() const noexcept { return heap_base_; }

 private:
  SimulatedMemory inner_;
  std::uintptr_t heap_base_ = 0, end_ = 0;
  std::size_t initial_pages_ = 0;
};

using InitialHeap = Heap<MemoryWithInitialPages, QuarterClasses>;

TEST(InitialMemory, SmallProgramsNeverGrowMemory) {
  auto heap = std::make_unique<InitialHeap>(MemoryWithInitialPages(2, 58000));
  std::uintptr_t heap_base = heap->memory().heap_base();
  std::vector<void*> blocks;
  for (std::size_t len : {32, 32, 200, 1000, 3000, 20000}) blocks.push_back(heap->alloc(len, 1));
  for (void* p : blocks) {
    ASSERT_NE(p, nullptr);
    EXPECT_GE(reinterpret_cast<std::uintptr_t>(p), heap_base);
  }
  EXPECT_EQ(heap->stats().pages_grown, 0u);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(InitialMemory, LargeInitialMemoryHoldsThePageMapItself) {
  // Emscripten's default: 16 MiB of initial memory, nearly all of it free,
  // more than the inline map covers. The map moves into that memory.
  auto heap = std::make_unique<InitialHeap>(MemoryWithInitialPages(256, 256 * page_size - 100000));
  void* p = heap->alloc(32, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(heap->map().is_inline());
  void* big = heap->alloc(8 << 20, 1);  // served from the initial memory too
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(heap->stats().pages_grown, 0u);
  EXPECT_EQ(heap->check(), nullptr);
}

TEST(InitialMemory, StaticDataBelowTheHeapCostsThePageMapNothing) {
  // 50 pages of initial memory (3.1 MiB), 20 KB of them free: the unit map
  // starts at the heap's first unit, so the program's data below needs no
  // entries, and the inline map covers the heap.
  auto heap = std::make_unique<InitialHeap>(MemoryWithInitialPages(50, 20064));
  void* p = heap->alloc(32, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(reinterpret_cast<std::uintptr_t>(p), heap->memory().heap_base());
  EXPECT_TRUE(heap->map().is_inline());
  EXPECT_EQ(heap->stats().pages_grown, 0u);
  // Growth past the initial memory still works, and the map follows.
  void* big = heap->alloc(8 << 20, 1);
  ASSERT_NE(big, nullptr);
  std::memset(big, 1, 8 << 20);
  EXPECT_EQ(heap->check(), nullptr);
}

}  // namespace
}  // namespace wasmheap::test
