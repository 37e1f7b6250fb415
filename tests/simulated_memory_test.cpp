// The host memory backend behaves like wasm linear memory.
//
// Built for wasm, SimulatedMemory hands out pages of the real linear memory,
// which every instance shares with the program's data, stack and malloc. So
// there memory does not start empty, base() is 0, and size_pages() is the size
// of the whole memory; pages_grown() and the cap still count one instance's
// pages. The tests measure from the size before their first grow, which is 0
// on the host.
#include <wasmheap/simulated_memory.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace wasmheap::test {
namespace {

// Memory a fresh instance starts with: none of its own on the host; on wasm,
// the linear memory the program already has, addressed from 0.
void expect_initial_memory(const SimulatedMemory& memory, std::size_t before) {
#if defined(__wasm__)
  EXPECT_EQ(memory.base(), 0u);
  EXPECT_GT(before, 0u);
#else
  (void)memory;
  EXPECT_EQ(before, 0u);
#endif
}

TEST(SimulatedMemory, GrowsContiguousAlignedZeroedPages) {
  SimulatedMemory memory;
  std::size_t before = memory.size_pages();
  expect_initial_memory(memory, before);
  std::byte* a = memory.grow(2);
  std::byte* b = memory.grow(1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % page_size, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a), memory.base() + before * page_size);
  EXPECT_EQ(b, a + 2 * page_size);
  for (std::size_t i = 0; i < 3 * page_size; i += 4099) EXPECT_EQ(a[i], std::byte{0});
  EXPECT_EQ(memory.size_pages(), before + 3);
  EXPECT_EQ(memory.pages_grown(), 3u);
}

TEST(SimulatedMemory, RefusesToPassItsCap) {
  SimulatedMemory memory(4);
  std::size_t before = memory.size_pages();
  expect_initial_memory(memory, before);
  EXPECT_NE(memory.grow(3), nullptr);
  EXPECT_EQ(memory.grow(2), nullptr);
  EXPECT_EQ(memory.size_pages(), before + 3);
  EXPECT_EQ(memory.pages_grown(), 3u);
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
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  a[0] = std::byte{1};
  EXPECT_EQ(b[0], std::byte{0});
  EXPECT_EQ(one.pages_grown(), 1u);
  EXPECT_EQ(two.pages_grown(), 1u);
  SimulatedMemory moved(std::move(one));
  EXPECT_EQ(moved.pages_grown(), 1u);
#if defined(__wasm__)
  // Both instances grow the one linear memory, so `two`'s page comes right
  // after `one`'s, and `moved` continues after `two`'s rather than after its
  // own; sizes are the whole memory's.
  EXPECT_EQ(moved.base(), 0u);
  EXPECT_EQ(b, a + page_size);
  EXPECT_EQ(moved.size_pages(), two.size_pages());
  EXPECT_EQ(moved.grow(1), b + page_size);
#else
  // Each instance has a reservation of its own, which moves with it.
  EXPECT_EQ(moved.size_pages(), 1u);
  EXPECT_EQ(moved.base(), reinterpret_cast<std::uintptr_t>(a));
  EXPECT_EQ(moved.grow(1), a + page_size);
#endif
  EXPECT_EQ(moved.pages_grown(), 2u);
  // The moved-from instance keeps no cap to grow with.
  EXPECT_EQ(one.grow(1), nullptr);
}

TEST(SimulatedMemory, GrowingZeroPagesIsANoOp) {
  SimulatedMemory memory(1);
  std::size_t before = memory.size_pages();
  expect_initial_memory(memory, before);
  EXPECT_NE(memory.grow(0), nullptr);
  EXPECT_EQ(memory.size_pages(), before);
  EXPECT_EQ(memory.pages_grown(), 0u);
}

}  // namespace
}  // namespace wasmheap::test
