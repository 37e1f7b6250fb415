// The unit layer on its own: exact runs, merging, best fit, in-place growth.
#include <wasmheap/heap.hpp>
#include <wasmheap/unit_runs.hpp>
#include <wasmheap/simulated_memory.hpp>

#include <gtest/gtest.h>

#include <memory>

namespace wasmheap::test {
namespace {

using Runs = UnitRuns<SimulatedMemory>;

// Most tests take whole 64 KiB pages' worth of units, so that memory growth is exact.
constexpr std::uint32_t P = units_per_page;

std::unique_ptr<Runs> make_runs(std::size_t max_pages = max_memory_pages) {
  return std::make_unique<Runs>(SimulatedMemory(max_pages));
}

TEST(UnitRuns, TakeGrowsExactlyTheRequestedPages) {
  auto runs = make_runs();
  std::byte* a = runs->take(3 * P);
  std::byte* b = runs->take(5 * P);
  EXPECT_EQ(runs->memory().pages_grown(), 8u);
  EXPECT_EQ(b, a + 3 * page_size);
  EXPECT_EQ(runs->map().kind(runs->unit_of(a)), UnitKind::big);
  EXPECT_EQ(runs->map().value(runs->unit_of(a)), 3u * P);
  EXPECT_EQ(runs->map().kind(runs->unit_of(a) + 1), UnitKind::interior);
}

TEST(UnitRuns, FreedNeighboursMergeIntoOneRun) {
  auto runs = make_runs();
  std::byte* a = runs->take(2 * P);
  std::byte* b = runs->take(3 * P);
  std::byte* c = runs->take(4 * P);
  runs->take(1 * P);  // keeps the run away from the top of memory
  runs->give(runs->unit_of(a), 2 * P);
  runs->give(runs->unit_of(c), 4 * P);
  runs->give(runs->unit_of(b), 3 * P);  // joins both sides
  std::uint32_t first = runs->unit_of(a);
  EXPECT_EQ(runs->map().kind(first), UnitKind::free);
  EXPECT_EQ(runs->map().value(first), 9u * P);
  EXPECT_EQ(runs->map().value(first + 9 * P - 1), 9u * P);
  EXPECT_EQ(runs->map().kind(first + 4 * P), UnitKind::interior);
  EXPECT_EQ(runs->check(), nullptr);
  // The merged run serves a 9-page request in place.
  EXPECT_EQ(runs->take(9 * P), a);
  EXPECT_EQ(runs->memory().pages_grown(), 10u);
}

// RunEnd::high takes the high end of a run in the middle of the heap, leaving
// the rest free at its low end; the top run gives its low end even then, so a
// block there can grow in place into the rest.
TEST(UnitRuns, HighEndOfARunInTheMiddleButLowEndOfTheTopRun) {
  auto runs = make_runs();
  std::byte* a = runs->take(4 * P);
  runs->take(1 * P);
  std::byte* top = runs->take(2 * P);
  runs->give(runs->unit_of(a), 4 * P);
  runs->give(runs->unit_of(top), 2 * P);
  EXPECT_EQ(runs->take(1 * P, unit_size, RunEnd::high), top);
  EXPECT_EQ(runs->take(3 * P, unit_size, RunEnd::high), a + page_size);
  EXPECT_EQ(runs->map().kind(runs->unit_of(a)), UnitKind::free);
  EXPECT_EQ(runs->map().value(runs->unit_of(a)), 1u * P);
  std::byte* aligned = runs->take(2, 4 * unit_size, RunEnd::high);  // from what is left of a's run
  EXPECT_TRUE(aligned >= a && aligned + 2 * unit_size <= a + page_size);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % (4 * unit_size), 0u);
  EXPECT_EQ(runs->memory().pages_grown(), 7u);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitRuns, BestFitPicksTheSmallestRunThatFits) {
  auto runs = make_runs();
  std::byte* big = runs->take(8 * P);
  runs->take(1 * P);
  std::byte* snug = runs->take(3 * P);
  runs->take(1 * P);
  runs->give(runs->unit_of(big), 8 * P);
  runs->give(runs->unit_of(snug), 3 * P);
  EXPECT_EQ(runs->take(3 * P), snug);
  EXPECT_EQ(runs->take(2 * P), big);
  // What is left of the 8-unit run, 6 pages, still serves 6.
  EXPECT_EQ(runs->take(6 * P), big + 2 * page_size);
  EXPECT_EQ(runs->memory().pages_grown(), 13u);
}

TEST(UnitRuns, RunsOfSharedBinsAreSearchedForTheSmallestThatFits) {
  // Runs of 32 units and fewer have bins of their own; 40 to 47 share one, 48 to 55 another.
  auto runs = make_runs();
  std::byte* r60 = runs->take(60);
  runs->take(1);
  std::byte* r50 = runs->take(50);
  runs->take(1);
  std::byte* r46 = runs->take(46);
  runs->take(1);
  runs->give(runs->unit_of(r50), 50);
  runs->give(runs->unit_of(r46), 46);
  runs->give(runs->unit_of(r60), 60);
  EXPECT_EQ(runs->take(48), r50);  // not the 60-unit run, filed after it (first in the bin)
  EXPECT_EQ(runs->take(46), r46);
  EXPECT_EQ(runs->take(47), r60);  // 2 units of the 50 are too few
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitRuns, FreeRunAtTheTopIsToppedUpNotLeftBehind) {
  auto runs = make_runs();
  runs->take(1 * P);
  std::byte* top = runs->take(3 * P);
  runs->give(runs->unit_of(top), 3 * P);
  EXPECT_EQ(runs->take(5 * P), top);
  EXPECT_EQ(runs->memory().pages_grown(), 6u);
}

TEST(UnitRuns, ExtendIntoFreeNeighbourSplitsIt) {
  auto runs = make_runs();
  std::byte* a = runs->take(2 * P);
  std::byte* b = runs->take(6 * P);
  runs->take(1 * P);
  runs->give(runs->unit_of(b), 6 * P);
  std::uint32_t first = runs->unit_of(a);
  ASSERT_TRUE(runs->extend(first, 2 * P, 5 * P));
  EXPECT_EQ(runs->map().value(first), 5u * P);
  EXPECT_EQ(runs->map().kind(first + 5 * P), UnitKind::free);
  EXPECT_EQ(runs->map().value(first + 5 * P), 3u * P);
  ASSERT_TRUE(runs->extend(first, 5 * P, 8 * P));  // takes the rest exactly
  EXPECT_EQ(runs->map().kind(first + 8 * P - 1), UnitKind::interior);
  EXPECT_FALSE(runs->extend(first, 8 * P, 9 * P));
  EXPECT_EQ(runs->check(), nullptr);
  EXPECT_EQ(runs->memory().pages_grown(), 9u);
}

TEST(UnitRuns, ExtendAtTopGrowsMemoryThroughAFreeTail) {
  auto runs = make_runs();
  std::byte* a = runs->take(2 * P);
  std::byte* b = runs->take(2 * P);
  runs->give(runs->unit_of(b), 2 * P);
  ASSERT_TRUE(runs->extend(runs->unit_of(a), 2 * P, 7 * P));
  EXPECT_EQ(runs->memory().pages_grown(), 7u);
}

TEST(UnitRuns, ShrinkFreesTheTailAndMergesIt) {
  auto runs = make_runs();
  std::byte* a = runs->take(6 * P);
  std::byte* b = runs->take(2 * P);
  runs->take(1 * P);
  runs->give(runs->unit_of(b), 2 * P);
  runs->shrink(runs->unit_of(a), 6 * P, 2 * P);
  std::uint32_t tail = runs->unit_of(a) + 2 * P;
  EXPECT_EQ(runs->map().kind(tail), UnitKind::free);
  EXPECT_EQ(runs->map().value(tail), 6u * P);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitRuns, CheckFindsABrokenMap) {
  auto runs = make_runs();
  std::byte* a = runs->take(3 * P);
  runs->take(1 * P);
  EXPECT_EQ(runs->check(), nullptr);
  runs->map().set(runs->unit_of(a) + 1, UnitKind::slab, 0);
  EXPECT_STREQ(runs->check(), "run unit not marked interior");
}

TEST(UnitRuns, OverAlignedTakeGivesBackTheSlack) {
  auto runs = make_runs();
  runs->take(1 * P);
  std::byte* p = runs->take(2 * P, 8 * page_size);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % (8 * page_size), 0u);
  // Slack units are free and serve later requests without growth.
  std::size_t grown = runs->memory().pages_grown();
  for (std::size_t left = grown - 3; left > 0; --left) ASSERT_NE(runs->take(1 * P), nullptr);
  EXPECT_EQ(runs->memory().pages_grown(), grown);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitRuns, TakeFailsWhenMemoryIsCapped) {
  auto runs = make_runs(4);
  EXPECT_NE(runs->take(3 * P), nullptr);
  EXPECT_EQ(runs->take(2 * P), nullptr);
  EXPECT_NE(runs->take(1 * P), nullptr);
  EXPECT_EQ(runs->take(1), nullptr);
  EXPECT_EQ(runs->take(0), nullptr);
  EXPECT_EQ(runs->take(max_units + 1), nullptr);
}

TEST(UnitRuns, UnitsOfAGrownPageLeftOverStayFreeForTheNextRequest) {
  auto runs = make_runs();
  std::byte* a = runs->take(3);
  std::byte* b = runs->take(5);
  std::byte* c = runs->take(P - 8);
  EXPECT_EQ(runs->memory().pages_grown(), 1u);  // P units: one page
  EXPECT_EQ(b, a + 3 * unit_size);
  EXPECT_EQ(c, b + 5 * unit_size);
  std::byte* d = runs->take(2);  // the next page; the rest of it stays free
  EXPECT_EQ(d, a + page_size);
  EXPECT_EQ(runs->memory().pages_grown(), 2u);
  EXPECT_EQ(runs->map().kind(runs->unit_of(d) + 2), UnitKind::free);
  EXPECT_EQ(runs->map().value(runs->unit_of(d) + 2), P - 2);
  // A block at the top grows in place through them, then past the top.
  ASSERT_TRUE(runs->extend(runs->unit_of(d), 2, P + 4));
  EXPECT_EQ(runs->memory().pages_grown(), 3u);
  EXPECT_EQ(runs->map().value(runs->unit_of(d) + P + 4), P - 4);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitRuns, AnExactFitIsTakenBeforeALargerRun) {
  auto runs = make_runs();
  std::byte* a = runs->take(7);
  runs->take(1);
  std::byte* b = runs->take(3);
  runs->take(1);
  std::byte* c = runs->take(5);
  runs->take(1);
  runs->give(runs->unit_of(a), 7);
  runs->give(runs->unit_of(b), 3);
  runs->give(runs->unit_of(c), 5);
  EXPECT_EQ(runs->take(5), c);
  EXPECT_EQ(runs->take(2), b);  // the smallest run that fits
  EXPECT_EQ(runs->take(7), a);
  EXPECT_EQ(runs->take(1), b + 2 * unit_size);
  EXPECT_EQ(runs->check(), nullptr);
}

}  // namespace
}  // namespace wasmheap::test

namespace wasmheap::test {
namespace {

TEST(UnitMap, MovesToItsOwnUnitsWhenMemoryOutgrowsIt) {
  auto runs = std::make_unique<UnitRuns<SimulatedMemory>>(SimulatedMemory());
  EXPECT_TRUE(runs->map().is_inline());
  std::byte* a = runs->take(20 * P);
  std::byte* b = runs->take(20 * P);  // passes the 16 pages the inline map covers
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(runs->map().is_inline());
  EXPECT_EQ(runs->map().capacity(), runs->top());  // the map's units are the heap's last
  EXPECT_EQ(runs->map().value(runs->unit_of(a)), 20u * P);  // entries survived the move
  EXPECT_EQ(runs->map().value(runs->unit_of(b)), 20u * P);
  EXPECT_EQ(runs->check(), nullptr);
  // 40 pages taken, and one for the map: one growth for both.
  EXPECT_EQ(runs->memory().pages_grown(), 41u);
}

TEST(UnitMap, FloatsAtTheTopSoFreedRunsMergeWhole) {
  auto runs = std::make_unique<UnitRuns<SimulatedMemory>>(SimulatedMemory());
  std::byte* a = runs->take(10 * P);
  std::byte* b = runs->take(10 * P);  // passes the 16 pages the inline map covers
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(runs->map().is_inline());
  EXPECT_GT(reinterpret_cast<std::uintptr_t>(runs->map().storage()), reinterpret_cast<std::uintptr_t>(b));
  runs->give(runs->unit_of(a), 10 * P);
  runs->give(runs->unit_of(b), 10 * P);
  // The two runs merge: the map is above them, not between.
  std::size_t grown = runs->memory().pages_grown();
  EXPECT_EQ(runs->take(20 * P), a);
  EXPECT_EQ(runs->memory().pages_grown(), grown);
  // Growing memory moves the map up to the new top, and its units are reused.
  std::byte* c = runs->take(5 * P);
  ASSERT_NE(c, nullptr);
  EXPECT_GT(reinterpret_cast<std::uintptr_t>(runs->map().storage()), reinterpret_cast<std::uintptr_t>(c));
  EXPECT_EQ(runs->memory().pages_grown(), grown + 5);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitMap, StepsAsideForABlockGrowingAtTheTop) {
  auto runs = std::make_unique<UnitRuns<SimulatedMemory>>(SimulatedMemory());
  std::byte* block = runs->take(25 * P);
  std::uint32_t first = runs->unit_of(block);
  std::uint32_t units = 25 * P;
  for (; units + 5 <= 1100 * P; units += 5) ASSERT_TRUE(runs->extend(first, units, units + 5));
  EXPECT_FALSE(runs->map().is_inline());
  // The block never moved, and memory holds only it, the map's units (0.4%)
  // and what the last growth took ahead (at most a 32nd of memory).
  EXPECT_EQ(runs->map().value(first), units);
  EXPECT_LE(runs->memory().pages_grown(), 1100u + 5 + 1100 / 32 + 1);
  // Memory grew by a 32nd at least each time, not by the page each extend
  // lacked (about 1,100 growths), so the map, which moves with every growth,
  // was copied no more than an eighth of a byte per byte grown.
  EXPECT_LE(runs->work().grows, 32 + 130u);
  EXPECT_LE(runs->work().map_units_moved, 1100u * P / 8);
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitMap, CostsLittleMoreThanItsShareOfMemory) {
  auto runs = std::make_unique<UnitRuns<SimulatedMemory>>(SimulatedMemory());
  for (int i = 0; i < 400; ++i) ASSERT_NE(runs->take(P), nullptr);
  // 400 pages take 25,600 entries (100 KiB, two pages): the map has an entry
  // for each unit of the heap and no more.
  EXPECT_EQ(runs->map().capacity(), runs->top());
  EXPECT_LE(runs->memory().pages_grown(), 402u + 400 / 32 + 1);  // and a 32nd grown ahead
  EXPECT_EQ(runs->check(), nullptr);
}

TEST(UnitMap, HeapObjectStaysSmall) {
  // The map starts inside the heap object at 2 KiB, not at its 4 MiB maximum.
  EXPECT_LT(sizeof(Heap<SimulatedMemory, QuarterClasses>), std::size_t{8} * 1024);
}

}  // namespace
}  // namespace wasmheap::test

namespace wasmheap::test {
namespace {

TEST(UnitMap, CoversMemoryGrownBySomeoneElse) {
  auto runs = std::make_unique<UnitRuns<SimulatedMemory>>(SimulatedMemory());
  std::byte* block = runs->take(20 * P);
  ASSERT_NE(runs->memory().grow(200), nullptr);  // another user of memory.grow
  std::uint32_t first = runs->unit_of(block);
  EXPECT_FALSE(runs->extend(first, 20 * P, 30 * P));  // not contiguous any more
  std::byte* other = runs->take(30 * P);               // lands above the foreign pages
  ASSERT_NE(other, nullptr);
  EXPECT_GE(runs->map().capacity(), runs->unit_of(other) + 30 * P);
  EXPECT_EQ(runs->map().value(first), 20u * P);
  EXPECT_EQ(runs->map().value(runs->unit_of(other)), 30u * P);
  EXPECT_EQ(runs->check(), nullptr);
}

}  // namespace
}  // namespace wasmheap::test
