// The page layer on its own: exact runs, merging, best fit, in-place growth.
#include <wasmheap/heap.hpp>
#include <wasmheap/page_runs.hpp>
#include <wasmheap/simulated_memory.hpp>

#include <gtest/gtest.h>

#include <memory>

namespace wasmheap::test {
namespace {

using Runs = PageRuns<SimulatedMemory>;

std::unique_ptr<Runs> make_runs(std::size_t max_pages = max_memory_pages) {
  return std::make_unique<Runs>(SimulatedMemory(max_pages));
}

TEST(PageRuns, TakeGrowsExactlyTheRequestedPages) {
  auto runs = make_runs();
  std::byte* a = runs->take(3);
  std::byte* b = runs->take(5);
  EXPECT_EQ(runs->memory().pages_grown(), 8u);
  EXPECT_EQ(b, a + 3 * page_size);
  EXPECT_EQ(runs->map().kind(runs->page_of(a)), PageKind::big);
  EXPECT_EQ(runs->map().value(runs->page_of(a)), 3u);
  EXPECT_EQ(runs->map().kind(runs->page_of(a) + 1), PageKind::interior);
}

TEST(PageRuns, FreedNeighboursMergeIntoOneRun) {
  auto runs = make_runs();
  std::byte* a = runs->take(2);
  std::byte* b = runs->take(3);
  std::byte* c = runs->take(4);
  runs->take(1);  // keeps the run away from the top of memory
  runs->give(runs->page_of(a), 2);
  runs->give(runs->page_of(c), 4);
  runs->give(runs->page_of(b), 3);  // joins both sides
  std::uint32_t first = runs->page_of(a);
  EXPECT_EQ(runs->map().kind(first), PageKind::free);
  EXPECT_EQ(runs->map().value(first), 9u);
  EXPECT_EQ(runs->map().value(first + 8), 9u);
  EXPECT_EQ(runs->map().kind(first + 4), PageKind::interior);
  EXPECT_EQ(runs->check(), nullptr);
  // The merged run serves a 9-page request in place.
  EXPECT_EQ(runs->take(9), a);
  EXPECT_EQ(runs->memory().pages_grown(), 10u);
}

TEST(PageRuns, BestFitPicksTheSmallestRunThatFits) {
  auto runs = make_runs();
  std::byte* big = runs->take(8);
  runs->take(1);
  std::byte* snug = runs->take(3);
  runs->take(1);
  runs->give(runs->page_of(big), 8);
  runs->give(runs->page_of(snug), 3);
  EXPECT_EQ(runs->take(3), snug);
  EXPECT_EQ(runs->take(2), big);
  // What is left of the 8-page run, 6 pages, still serves 6.
  EXPECT_EQ(runs->take(6), big + 2 * page_size);
  EXPECT_EQ(runs->memory().pages_grown(), 13u);
}

TEST(PageRuns, FreeRunAtTheTopIsToppedUpNotLeftBehind) {
  auto runs = make_runs();
  runs->take(1);
  std::byte* top = runs->take(3);
  runs->give(runs->page_of(top), 3);
  EXPECT_EQ(runs->take(5), top);
  EXPECT_EQ(runs->memory().pages_grown(), 6u);
}

TEST(PageRuns, ExtendIntoFreeNeighbourSplitsIt) {
  auto runs = make_runs();
  std::byte* a = runs->take(2);
  std::byte* b = runs->take(6);
  runs->take(1);
  runs->give(runs->page_of(b), 6);
  std::uint32_t first = runs->page_of(a);
  ASSERT_TRUE(runs->extend(first, 2, 5));
  EXPECT_EQ(runs->map().value(first), 5u);
  EXPECT_EQ(runs->map().kind(first + 5), PageKind::free);
  EXPECT_EQ(runs->map().value(first + 5), 3u);
  ASSERT_TRUE(runs->extend(first, 5, 8));  // takes the rest exactly
  EXPECT_EQ(runs->map().kind(first + 7), PageKind::interior);
  EXPECT_FALSE(runs->extend(first, 8, 9));
  EXPECT_EQ(runs->check(), nullptr);
  EXPECT_EQ(runs->memory().pages_grown(), 9u);
}

TEST(PageRuns, ExtendAtTopGrowsMemoryThroughAFreeTail) {
  auto runs = make_runs();
  std::byte* a = runs->take(2);
  std::byte* b = runs->take(2);
  runs->give(runs->page_of(b), 2);
  ASSERT_TRUE(runs->extend(runs->page_of(a), 2, 7));
  EXPECT_EQ(runs->memory().pages_grown(), 7u);
}

TEST(PageRuns, ShrinkFreesTheTailAndMergesIt) {
  auto runs = make_runs();
  std::byte* a = runs->take(6);
  std::byte* b = runs->take(2);
  runs->take(1);
  runs->give(runs->page_of(b), 2);
  runs->shrink(runs->page_of(a), 6, 2);
  std::uint32_t tail = runs->page_of(a) + 2;
  EXPECT_EQ(runs->map().kind(tail), PageKind::free);
  EXPECT_EQ(runs->map().value(tail), 6u);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(PageRuns, CheckFindsABrokenMap) {
  auto runs = make_runs();
  std::byte* a = runs->take(3);
  runs->take(1);
  EXPECT_EQ(runs->check(), nullptr);
  runs->map().set(runs->page_of(a) + 1, PageKind::slab, 0);
  EXPECT_STREQ(runs->check(), "run page not marked interior");
}

TEST(PageRuns, OverAlignedTakeGivesBackTheSlack) {
  auto runs = make_runs();
  runs->take(1);
  std::byte* p = runs->take(2, 8 * page_size);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % (8 * page_size), 0u);
  // Slack pages are free and serve later requests without growth.
  std::size_t grown = runs->memory().pages_grown();
  for (std::size_t left = grown - 3; left > 0; --left) ASSERT_NE(runs->take(1), nullptr);
  EXPECT_EQ(runs->memory().pages_grown(), grown);
}

TEST(PageRuns, TakeFailsWhenMemoryIsCapped) {
  auto runs = make_runs(4);
  EXPECT_NE(runs->take(3), nullptr);
  EXPECT_EQ(runs->take(2), nullptr);
  EXPECT_NE(runs->take(1), nullptr);
  EXPECT_EQ(runs->take(1), nullptr);
  EXPECT_EQ(runs->take(0), nullptr);
  EXPECT_EQ(runs->take(max_memory_pages + 1), nullptr);
}

}  // namespace
}  // namespace wasmheap::test

namespace wasmheap::test {
namespace {

TEST(PageRunsMap, MovesToItsOwnPagesWhenMemoryOutgrowsIt) {
  auto runs = std::make_unique<PageRuns<SimulatedMemory>>(SimulatedMemory());
  EXPECT_TRUE(runs->map().is_inline());
  std::byte* a = runs->take(200);
  std::byte* b = runs->take(100);  // passes the 256 pages the inline map covers
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(runs->map().is_inline());
  EXPECT_GE(runs->map().capacity(), 300u);
  EXPECT_EQ(runs->map().value(runs->page_of(a)), 200u);  // entries survived the move
  EXPECT_EQ(runs->map().value(runs->page_of(b)), 100u);
  EXPECT_EQ(runs->check(), nullptr);
  // 300 pages taken, and one for the map.
  EXPECT_EQ(runs->memory().pages_grown(), 301u);
}

TEST(PageRunsMap, MovesIntoAFreeRunWhenOneFits) {
  auto runs = std::make_unique<PageRuns<SimulatedMemory>>(SimulatedMemory());
  std::byte* a = runs->take(200);
  runs->take(50);
  runs->give(runs->page_of(a), 200);
  // Needs more than 256 pages of memory only if the free run cannot serve it.
  std::byte* c = runs->take(20);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(runs->map().is_inline());
  std::byte* d = runs->take(300);
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(runs->map().is_inline());
  // The map's page came from the free run left of the 50-page block, not from growth.
  EXPECT_LT(reinterpret_cast<std::uintptr_t>(runs->map().storage()), reinterpret_cast<std::uintptr_t>(d));
  EXPECT_EQ(runs->memory().pages_grown(), 250u + 300u);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(PageRunsMap, StepsAsideForABlockGrowingAtTheTop) {
  auto runs = std::make_unique<PageRuns<SimulatedMemory>>(SimulatedMemory());
  std::byte* block = runs->take(250);
  std::uint32_t first = runs->page_of(block);
  for (std::uint32_t pages = 251; pages <= 1100; ++pages) ASSERT_TRUE(runs->extend(first, pages - 1, pages));
  EXPECT_FALSE(runs->map().is_inline());
  // The block never moved, and memory holds only it and the map's pages.
  EXPECT_EQ(runs->map().value(first), 1100u);
  EXPECT_LE(runs->memory().pages_grown(), 1100u + 4);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(PageRunsMap, HeapObjectStaysSmall) {
  // The map starts inside the heap object at 1 KiB, not at its 256 KiB maximum.
  EXPECT_LT(sizeof(Heap<SimulatedMemory, QuarterClasses>), std::size_t{8} * 1024);
}

}  // namespace
}  // namespace wasmheap::test

namespace wasmheap::test {
namespace {

TEST(PageRunsMap, CoversMemoryGrownBySomeoneElse) {
  auto runs = std::make_unique<PageRuns<SimulatedMemory>>(SimulatedMemory());
  std::byte* block = runs->take(200);
  ASSERT_NE(runs->memory().grow(2000), nullptr);  // another user of memory.grow
  std::uint32_t first = runs->page_of(block);
  EXPECT_FALSE(runs->extend(first, 200, 300));  // not contiguous any more
  std::byte* other = runs->take(300);            // lands above the foreign pages
  ASSERT_NE(other, nullptr);
  EXPECT_GE(runs->map().capacity(), runs->page_of(other) + 300);
  EXPECT_EQ(runs->map().value(first), 200u);
  EXPECT_EQ(runs->map().value(runs->page_of(other)), 300u);
  EXPECT_EQ(runs->check(), nullptr);
}

}  // namespace
}  // namespace wasmheap::test
