// What the default build (no WASMHEAP_CHECKED) does with misuse that would
// otherwise make it hand out wrong blocks, write where a program chose, or
// loop: it stops with one line, or ignores a pointer that is no block's start.
// Every test runs over both class policies.
#include "../class_policies.hpp"
#include "../test_heap.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#if defined(WASMHEAP_CHECKED)
#error "hardening_test.cpp tests the default build: build it without WASMHEAP_CHECKED"
#endif

namespace wasmheap::test {
namespace {

std::byte* at(void* p, std::size_t offset) { return static_cast<std::byte*>(p) + offset; }

template <class Classes>
class HardeningDeathTest : public PolicyTest<Classes> {};
template <class Classes>
class Hardening : public PolicyTest<Classes> {};
TYPED_TEST_SUITE(HardeningDeathTest, ClassPolicies, ClassPolicyNames);
TYPED_TEST_SUITE(Hardening, ClassPolicies, ClassPolicyNames);

// Freeing the slot at the head of its free list again would make it its own
// successor: every later malloc of the class would return it.
TYPED_TEST(HardeningDeathTest, DoubleFreeOfASlotStops) {
  auto heap = this->make_heap();
  void* p = heap->alloc(16, 1);
  heap->free(p);
  EXPECT_DEATH(heap->free(p), "^wasmheap: double free of 0x[0-9a-f]+\n$");
  EXPECT_DEATH(heap->free(p, 16, 1), "^wasmheap: double free of 0x[0-9a-f]+\n$");
}

// 40 blocks of another class: freed after the misuse, they make a sweep due
// at the next request for units (Heap::sweep_affordable).
struct FreesForASweep {
  void* blocks[40];
  template <class HeapPtr>
  explicit FreesForASweep(HeapPtr& heap) {
    for (void*& p : blocks) p = heap->alloc(200, 1);
  }
  template <class HeapPtr>
  void free(HeapPtr& heap) {
    for (void* p : blocks) heap->free(p);
  }
};

// With another free between, the list has a cycle. The default build does not
// see it at the free; every walk of the list is bounded, so the next one
// (statistics, the sweep before memory grows) stops instead of looping.
TYPED_TEST(HardeningDeathTest, DoubleFreeWithFreesBetweenStopsTheNextWalk) {
  auto heap = this->make_heap();
  void* a = heap->alloc(16, 1);
  void* b = heap->alloc(16, 1);
  FreesForASweep others(heap);
  heap->free(a);
  heap->free(b);
  heap->free(a);
  others.free(heap);
  const char* line = "^wasmheap: corrupted free list \\(a double free, or a write after free\\?\\) at 0x[0-9a-f]+\n$";
  EXPECT_DEATH(heap->stats(), line);
  EXPECT_DEATH(heap->alloc(4 * page_size, 1), line);
}

// A free slot's link overwritten with an address outside the heap: the
// sweep of empty slabs, which writes to the unit map for every slot it meets,
// stops there.
TYPED_TEST(HardeningDeathTest, OverwrittenFreeSlotLinkStopsTheSweep) {
  auto heap = this->make_heap();
  void* a = heap->alloc(64, 1);
  FreesForASweep others(heap);
  heap->free(a);
  others.free(heap);
  static char elsewhere[64];
  void* link = elsewhere;
  std::memcpy(a, &link, sizeof link);
  auto take_slabs = [&] {  // new slabs: units are taken, and a sweep is due
    for (int i = 0; i < 128; ++i) heap->alloc(1000, 1);
  };
  EXPECT_DEATH(take_slabs(), "^wasmheap: corrupted free list \\(a double free, or a write after free\\?\\) at 0x[0-9a-f]+\n$");
}

// A freed run's links point where the program wrote: unlinking the run would
// write through them. They are checked first.
TYPED_TEST(HardeningDeathTest, OverwrittenFreeRunLinksStop) {
  auto heap = this->make_heap();
  void* p = heap->alloc(5 * page_size, 1);
  void* guard = heap->alloc(page_size, 1);  // the freed run does not merge with the top
  heap->free(p);
  static void* target[2];
  void* links[2] = {&target[0], &target[1]};
  std::memcpy(p, links, sizeof links);
  std::string line = "^wasmheap: corrupted free-run links \\(a write after free\\?\\) at 0x[0-9a-f]+\n$";
  EXPECT_DEATH(heap->alloc(5 * page_size, 1), line);
  std::memset(p, 'A', 2 * sizeof(void*));  // addresses far outside memory
  EXPECT_DEATH(heap->alloc(5 * page_size, 1), line);
  EXPECT_DEATH(heap->free(guard), line);  // merging unlinks it too
}

// A run that links to itself in a bin of long runs, which a request scans.
TYPED_TEST(HardeningDeathTest, CycleInABinOfLongRunsStopsTheScan) {
  auto heap = this->make_heap();
  void* p = heap->alloc(100 * unit_size, 1);
  heap->alloc(unit_size, 1);  // keeps the freed run apart from the top
  heap->free(p);
  std::memcpy(p, &p, sizeof p);  // next = itself
  EXPECT_DEATH(heap->alloc(60 * unit_size, 1), "^wasmheap: corrupted free-run links");
}

// Pointers that start no block are ignored by unsized free, and have no usable
// size: inside a slot, inside a big block, past a slab's last slot, foreign.
TYPED_TEST(Hardening, PointersThatStartNoBlockAreIgnored) {
  auto heap = this->make_heap();
  void* p = heap->alloc(32, 1);
  void* big = heap->alloc(3 * page_size, 1);
  int local = 0;
  for (void* q : {static_cast<void*>(at(p, 8)), static_cast<void*>(at(big, 16)), static_cast<void*>(at(big, unit_size)),
                  static_cast<void*>(at(big, 2 * page_size)), static_cast<void*>(&local)}) {
    heap->free(q);
    EXPECT_EQ(heap->usable_size(q), 0u) << q;
    EXPECT_EQ(heap->realloc(q, 10), nullptr) << q;
    EXPECT_FALSE(heap->resize(q, 8, 1, 16)) << q;
  }
  auto s = heap->stats();
  EXPECT_EQ(s.blocks_live, 2u);
  EXPECT_EQ(s.big_blocks_live, 1u);
  void* q = heap->alloc(32, 1);
  EXPECT_NE(q, at(p, 8));
  EXPECT_EQ(heap->check(), nullptr);
}

// 48 B slots: a one-unit slab holds 21 of them, and its last 16 bytes none.
TEST(HardeningQuarter, PointerPastASlabsLastSlotIsIgnored) {
  auto heap = make_heap<QuarterClasses>();
  void* p = heap->alloc(48, 1);  // a fresh heap's first slab starts its first unit
  ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % unit_size, 0u);
  heap->free(at(p, 21 * 48));
  EXPECT_EQ(heap->usable_size(at(p, 21 * 48)), 0u);
  EXPECT_EQ(heap->stats().blocks_live, 1u);
  EXPECT_EQ(heap->check(), nullptr);
}

// A double free of a big block finds free memory where the block was: ignored.
TYPED_TEST(Hardening, DoubleFreeOfABigBlockIsIgnored) {
  auto heap = this->make_heap();
  void* p = heap->alloc(3 * page_size, 1);
  void* guard = heap->alloc(page_size, 1);
  heap->free(p);
  heap->free(p);
  EXPECT_EQ(heap->stats().blocks_live, 1u);
  EXPECT_EQ(heap->check(), nullptr);
  heap->free(guard);
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

}  // namespace
}  // namespace wasmheap::test
