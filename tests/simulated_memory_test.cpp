// The host memory backend behaves like wasm linear memory.
#include <wasmheap/simulated_memory.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace wasmheap::test {
namespace {

TEST(SimulatedMemory, GrowsContiguousAlignedZeroedPages) {
  SimulatedMemory memory;
  std::byte* a = memory.grow(2);
  std::byte* b = memory.grow(1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % page_size, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a), memory.base());
  EXPECT_EQ(b, a + 2 * page_size);
  for (std::size_t i = 0; i < 3 * page_size; i += 4099) EXPECT_EQ(a[i], std::byte{0});
  EXPECT_EQ(memory.size_pages(), 3u);
  EXPECT_EQ(memory.pages_grown(), 3u);
}

TEST(SimulatedMemory, RefusesToPassItsCap) {
  SimulatedMemory memory(4);
  EXPECT_NE(memory.grow(3), nullptr);
  EXPECT_EQ(memory.grow(2), nullptr);
  EXPECT_EQ(memory.size_pages(), 3u);
  memory.set_max_pages(2);
  EXPECT_EQ(memory.grow(1), nullptr);
  memory.set_max_pages(100);  // clamped to the reservation
  EXPECT_EQ(memory.max_pages(), 4u);
  EXPECT_NE(memory.grow(1), nullptr);
  EXPECT_EQ(memory.grow(1), nullptr);
}

TEST(SimulatedMemory, InstancesAreIndependentAndMovable) {
  SimulatedMemory one, two;
  std::byte* a = one.grow(1);
  std::byte* b = two.grow(1);
  a[0] = std::byte{1};
  EXPECT_EQ(b[0], std::byte{0});
  SimulatedMemory moved(std::move(one));
  EXPECT_EQ(moved.size_pages(), 1u);
  EXPECT_EQ(moved.base(), reinterpret_cast<std::uintptr_t>(a));
  EXPECT_EQ(moved.grow(1), a + page_size);
}

TEST(SimulatedMemory, GrowingZeroPagesIsANoOp) {
  SimulatedMemory memory(1);
  EXPECT_NE(memory.grow(0), nullptr);
  EXPECT_EQ(memory.size_pages(), 0u);
}

}  // namespace
}  // namespace wasmheap::test
