// The reference allocator's own test scenarios, run against wasmheap.
#include "test_heap.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace wasmheap::test {
namespace {

TEST(SeedScenarios, SmallAllocationsFreedInSameOrder) {
  auto heap = make_heap();
  std::vector<std::uint64_t*> list;
  for (int i = 0; i < 513; ++i) {
    auto* p = static_cast<std::uint64_t*>(heap->alloc(sizeof(std::uint64_t), alignof(std::uint64_t)));
    ASSERT_NE(p, nullptr);
    *p = static_cast<std::uint64_t>(i);
    list.push_back(p);
  }
  for (int i = 0; i < 513; ++i) {
    EXPECT_EQ(*list[i], static_cast<std::uint64_t>(i));
    heap->free(list[i], sizeof(std::uint64_t), alignof(std::uint64_t));
  }
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

TEST(SeedScenarios, SmallAllocationsFreedInReverseOrder) {
  auto heap = make_heap();
  std::vector<std::uint64_t*> list;
  for (int i = 0; i < 513; ++i) {
    auto* p = static_cast<std::uint64_t*>(heap->alloc(sizeof(std::uint64_t), alignof(std::uint64_t)));
    ASSERT_NE(p, nullptr);
    *p = static_cast<std::uint64_t>(i);
    list.push_back(p);
  }
  for (int i = 512; i >= 0; --i) {
    EXPECT_EQ(*list[i], static_cast<std::uint64_t>(i));
    heap->free(list[i], sizeof(std::uint64_t), alignof(std::uint64_t));
  }
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

TEST(SeedScenarios, LargeAllocations) {
  auto heap = make_heap();
  void* a = heap->alloc(42768 * 8, 8);
  void* b = heap->alloc(52768 * 8, 8);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  fill(a, 42768 * 8, 1);
  fill(b, 52768 * 8, 2);
  heap->free(a, 42768 * 8, 8);
  void* c = heap->alloc(62768 * 8, 8);
  ASSERT_NE(c, nullptr);
  fill(c, 62768 * 8, 3);
  EXPECT_EQ(first_mismatch(b, 52768 * 8, 2), 52768u * 8);
  heap->free(c, 62768 * 8, 8);
  heap->free(b, 52768 * 8, 8);
  EXPECT_EQ(heap->stats().bytes_live, 0u);
}

TEST(SeedScenarios, ImpossibleAllocationFails) {
  auto heap = make_heap();
  EXPECT_EQ(heap->alloc(SIZE_MAX, 1), nullptr);
  EXPECT_EQ(heap->alloc(SIZE_MAX / 8 * 8, 8), nullptr);
  // And the heap is still fine afterwards.
  EXPECT_NE(heap->alloc(100, 8), nullptr);
}

TEST(SeedScenarios, ReallocAcrossClasses) {
  auto heap = make_heap();
  auto* p = static_cast<std::uint8_t*>(heap->alloc(1, 1));
  ASSERT_NE(p, nullptr);
  p[0] = 0x12;
  // Stays in its 8 B slot.
  EXPECT_TRUE(heap->resize(p, 1, 1, 2));
  p[1] = 0x34;
  // Moves to a larger class, keeping its bytes.
  auto* q = static_cast<std::uint8_t*>(heap->realloc(p, 17));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q[0], 0x12);
  EXPECT_EQ(q[1], 0x34);
  heap->free(q);
}

TEST(SeedScenarios, ShrinkInPlace) {
  auto heap = make_heap();
  auto* p = static_cast<std::uint8_t*>(heap->alloc(20, 1));
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x11, 20);
  ASSERT_TRUE(heap->resize(p, 20, 1, 17));
  for (int i = 0; i < 17; ++i) EXPECT_EQ(p[i], 0x11);
  ASSERT_TRUE(heap->resize(p, 17, 1, 16 + 1));
  for (int i = 0; i < 17; ++i) EXPECT_EQ(p[i], 0x11);
  heap->free(p, 17, 1);
}

TEST(SeedScenarios, LargeObjectGrows) {
  auto heap = make_heap();
  std::size_t len = page_size * 2 - 20;
  auto* p = static_cast<std::uint8_t*>(heap->alloc(len, 1));
  ASSERT_NE(p, nullptr);
  fill(p, len, 7);
  EXPECT_TRUE(heap->resize(p, len, 1, page_size * 2 - 10));
  // One more page: grows in place at the top of memory.
  EXPECT_TRUE(heap->resize(p, page_size * 2 - 10, 1, page_size * 2 + 10));
  EXPECT_EQ(first_mismatch(p, len, 7), len);
  heap->free(p, page_size * 2 + 10, 1);
}

TEST(SeedScenarios, ReallocSmallObjectToLarge) {
  auto heap = make_heap();
  auto* p = static_cast<std::uint8_t*>(heap->alloc(2, 1));
  ASSERT_NE(p, nullptr);
  p[0] = 0x12;
  p[1] = 0x34;
  auto* q = static_cast<std::uint8_t*>(heap->realloc(p, page_size * 2 + 50));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q[0], 0x12);
  EXPECT_EQ(q[1], 0x34);
  heap->free(q);
}

TEST(SeedScenarios, ReallocLargeObjectToSmall) {
  auto heap = make_heap();
  auto* p = static_cast<std::uint8_t*>(heap->alloc(page_size * 2 + 50, 1));
  ASSERT_NE(p, nullptr);
  p[0] = 0x12;
  p[16] = 0x34;
  auto* q = static_cast<std::uint8_t*>(heap->realloc(p, 17));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q[0], 0x12);
  EXPECT_EQ(q[16], 0x34);
  heap->free(q);
  EXPECT_EQ(heap->stats().bytes_live, 0u);
}

TEST(SeedScenarios, ObjectsOf1024And2048Bytes) {
  auto heap = make_heap();
  void* a = heap->alloc(1024, 1);
  void* b = heap->alloc(2048, 1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(heap->usable_size(a), 1024u);
  EXPECT_EQ(heap->usable_size(b), 2048u);
  fill(a, 1024, 1);
  fill(b, 2048, 2);
  EXPECT_EQ(first_mismatch(a, 1024, 1), 1024u);
  heap->free(a, 1024, 1);
  heap->free(b, 2048, 1);
}

// The generic allocator conformance checks: many single objects, slices grown
// and shrunk, every alignment, large alignments, aligned shrink.
TEST(SeedScenarios, GenericConformance) {
  auto heap = make_heap();
  std::vector<std::uint64_t*> slots(100);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i] = static_cast<std::uint64_t*>(heap->alloc(8, 8));
    ASSERT_NE(slots[i], nullptr);
    *slots[i] = i;
  }
  auto* slice = static_cast<std::uint64_t**>(heap->alloc(100 * sizeof(void*), alignof(void*)));
  ASSERT_NE(slice, nullptr);
  for (std::size_t i = 0; i < 100; ++i) slice[i] = slots[i];
  slice = static_cast<std::uint64_t**>(heap->realloc(slice, 20000 * sizeof(void*)));
  ASSERT_NE(slice, nullptr);
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(*slice[i], i);
  slice = static_cast<std::uint64_t**>(heap->realloc(slice, 50 * sizeof(void*)));
  ASSERT_NE(slice, nullptr);
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(*slice[i], i);
  for (auto* p : slots) heap->free(p, 8, 8);
  heap->free(slice);
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

TEST(SeedScenarios, GenericAlignedAllocations) {
  auto heap = make_heap();
  for (std::size_t align = 1; align <= 64 * 1024; align <<= 1) {
    for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{10}, align, align * 3 + 1}) {
      void* p = heap->alloc(len, align);
      ASSERT_NE(p, nullptr) << "len " << len << " align " << align;
      EXPECT_TRUE(aligned_to(p, align)) << "len " << len << " align " << align;
      fill(p, len, 5);
      EXPECT_TRUE(heap->resize(p, len, align, len));
      heap->free(p, len, align);
    }
  }
}

TEST(SeedScenarios, GenericLargeAlignment) {
  auto heap = make_heap();
  for (std::size_t align = page_size * 2; align <= std::size_t{16} << 20; align <<= 1) {
    void* p = heap->alloc(500, align);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned_to(p, align));
    void* q = heap->alloc(page_size * 3 + 1, align);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(aligned_to(q, align));
    heap->free(p, 500, align);
    heap->free(q, page_size * 3 + 1, align);
  }
  EXPECT_EQ(heap->stats().bytes_live, 0u);
}

TEST(SeedScenarios, GenericAlignedShrink) {
  auto heap = make_heap();
  std::size_t align = 64 * 1024 * 2;
  std::size_t len = page_size * 5;
  auto* p = static_cast<std::uint8_t*>(heap->alloc(len, align));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(aligned_to(p, align));
  fill(p, len, 9);
  ASSERT_TRUE(heap->resize(p, len, align, page_size * 2));
  EXPECT_TRUE(aligned_to(p, align));
  EXPECT_EQ(first_mismatch(p, page_size * 2, 9), page_size * 2);
  heap->free(p, page_size * 2, align);
}

}  // namespace
}  // namespace wasmheap::test
