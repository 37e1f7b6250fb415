// CachedHeap's own promises, each counted rather than timed: cached slots
// count as free in stats() from any thread; a thread's cache goes back to the
// heap when it exits, when it passes its limits, and when memory is about to
// grow; and threads that keep to their own blocks, or pass blocks one way,
// take the heap's lock rarely (the lock counts need WASMHEAP_COUNT_LOCKS,
// which this test target defines).
#include <wasmheap/futex_lock.hpp>
#include <wasmheap/heap.hpp>
#include <wasmheap/simulated_memory.hpp>
#include <wasmheap/thread_cache.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <future>
#include <random>
#include <thread>
#include <vector>

// The checked build keeps one lock (LockedHeap): its checks need every free slot.
#if !defined(WASMHEAP_CHECKED)
namespace wasmheap::test {
namespace {

// Each test has a heap type of its own (the Tag), so no thread cache outlives
// its heap into the next test.
template <class Tag>
using TestHeap = CachedHeap<Heap<SharedMemory<SimulatedMemory>>, FutexLock, Tag>;
using Classes = QuarterClasses;

// Slots the heap itself holds as live: with caches, those include cached ones.
template <class H>
std::size_t inner_live(H& heap) {
  return heap.with_lock([](auto& inner) { return inner.stats().blocks_live; });
}

TEST(CachedHeap, CachedSlotsCountAsFreeAndGoBackWhenTheThreadExits) {
  struct Tag;
  TestHeap<Tag> heap(SimulatedMemory(256));
  std::promise<void> freed, checked;
  std::thread t([&] {
    std::vector<void*> blocks;
    for (int i = 0; i < 40; ++i) blocks.push_back(heap.alloc(48, 8));
    for (void* p : blocks) heap.free(p);
    freed.set_value();
    checked.get_future().wait();
  });
  freed.get_future().wait();
  // The thread still runs: its freed blocks sit in its cache, which the heap
  // counts as live and stats() as free.
  EXPECT_EQ(heap.stats().blocks_live, 0u);
  EXPECT_GT(inner_live(heap), 0u);
  EXPECT_EQ(heap.check(), nullptr);
  checked.set_value();
  t.join();
  EXPECT_EQ(inner_live(heap), 0u);
  EXPECT_EQ(heap.check(), nullptr);
}

TEST(CachedHeap, BlocksFreedByAnotherThreadAreExactlyAccounted) {
  struct Tag;
  TestHeap<Tag> heap(SimulatedMemory(1024));
  std::vector<void*> blocks;
  std::thread producer([&] {
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) blocks.push_back(heap.alloc(16 + rng() % 2000, 8));
  });
  producer.join();
  EXPECT_EQ(heap.stats().blocks_live, 20000u);
  std::thread consumer([&] {
    for (void* p : blocks) heap.free(p);
    EXPECT_EQ(heap.stats().blocks_live, 0u);
    EXPECT_EQ(heap.check(), nullptr);
  });
  consumer.join();
  EXPECT_EQ(inner_live(heap), 0u);
}

TEST(CachedHeap, ACacheStaysWithinItsLimitsAndItsReserveServesOthers) {
  struct Tag;
  TestHeap<Tag> heap(SimulatedMemory(2048));
  std::vector<void*> small, all;
  for (int i = 0; i < 5000; ++i) small.push_back(heap.alloc(16, 16));
  for (std::size_t size = 16; size <= Classes::max_slot; size += size / 8)
    for (int i = 0; i < 64; ++i) all.push_back(heap.alloc(size, 8));
  std::size_t grown = heap.stats().pages_grown;
  std::promise<void> freed, done;
  std::thread t([&] {
    for (void* p : small) heap.free(p);
    for (void* p : all) heap.free(p);
    freed.set_value();
    done.get_future().wait();
  });
  freed.get_future().wait();
  // The thread keeps what it freed: its lists (at most 128 slots of a class,
  // 64 KiB in all) and the rest set aside, which another thread's
  // allocations take before the heap would grow.
  std::vector<void*> again;
  for (int i = 0; i < 5000; ++i) again.push_back(heap.alloc(16, 16));
  EXPECT_EQ(heap.stats().pages_grown, grown);
  // Memory about to grow: every reserve goes back to the heap; what the
  // thread still holds is its lists.
  std::size_t before = heap.with_lock([](auto& inner) { return inner.stats().bytes_live; });
  constexpr std::size_t big_bytes = 512 * page_size;  // more than all memory so far
  void* big = heap.alloc(big_bytes, 8);
  ASSERT_NE(big, nullptr);
  std::size_t after = heap.with_lock([](auto& inner) { return inner.stats().bytes_live; });
  std::size_t held_by_thread = after - big_bytes - 5000 * 16;
  EXPECT_LT(after - big_bytes, before);
  EXPECT_LE(held_by_thread, 65536 + Classes::max_slot);
  done.set_value();
  t.join();
  for (void* p : again) heap.free(p);
  heap.free(big);
  heap.thread_exit();
  EXPECT_EQ(inner_live(heap), 0u);
}

TEST(CachedHeap, MemoryAboutToGrowCallsCachesBack) {
  struct Tag;
  TestHeap<Tag> heap(SimulatedMemory(1024));
  std::promise<void> cached, grown;
  std::promise<std::size_t> live_after_next_call;
  std::thread t([&] {
    std::vector<void*> blocks;
    for (int i = 0; i < 30; ++i) blocks.push_back(heap.alloc(100, 8));
    for (void* p : blocks) heap.free(p);
    cached.set_value();
    grown.get_future().wait();
    // Its next call that takes the lock (a class it has no slot of) gives
    // everything back first.
    void* p = heap.alloc(500, 8);
    heap.free(p);
    live_after_next_call.set_value(
        heap.with_lock([](auto& inner) { return inner.stats().class_blocks_live[Classes::class_of(100, 8)]; }));
  });
  cached.get_future().wait();
  std::size_t live_with_cache = inner_live(heap);
  EXPECT_GE(live_with_cache, 30u);
  std::size_t grows = heap.with_lock([](auto& inner) { return inner.stats().memory_grows; });
  void* big = heap.alloc(8 * page_size, 8);  // more than the heap has free: memory grows
  ASSERT_NE(big, nullptr);
  EXPECT_GT(heap.with_lock([](auto& inner) { return inner.stats().memory_grows; }), grows);
  grown.set_value();
  // None of the 100 B slots it held is left with it.
  EXPECT_EQ(live_after_next_call.get_future().get(), 0u);
  t.join();
  heap.free(big);
  heap.thread_exit();
  EXPECT_EQ(inner_live(heap), 0u);
}

TEST(CachedHeap, AThreadThatExitedCallsTheHeapUnderItsLock) {
  struct Tag;
  TestHeap<Tag> heap(SimulatedMemory(256));
  std::thread t([&] {
    heap.free(heap.alloc(64, 8));
    heap.thread_exit();
    // As Emscripten frees a thread's storage after its exit hook ran.
    void* p = heap.alloc(64, 8);
    EXPECT_EQ(inner_live(heap), 1u);
    heap.free(p);
    EXPECT_EQ(inner_live(heap), 0u);
  });
  t.join();
  EXPECT_EQ(heap.check(), nullptr);
}

#if defined(WASMHEAP_COUNT_LOCKS)
// Locks per 1,000 calls: what tells how far past two cores the heap scales.
template <class H>
double locks_per_thousand(H& heap, std::size_t before, std::size_t calls) {
  return 1000.0 * static_cast<double>(heap.lock_acquisitions() - before) / static_cast<double>(calls);
}

TEST(CachedHeap, ThreadsKeepingToTheirOwnBlocksRarelyLock) {
  struct Tag;
  TestHeap<Tag> heap(SimulatedMemory(1024));
  constexpr int live = 1000, steps = 200000;
  auto churn = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<void*> blocks(live);
    for (void*& p : blocks) p = heap.alloc(16 + rng() % 241, 8);
    for (int i = 0; i < steps; ++i) {
      void*& p = blocks[rng() % live];
      heap.free(p);
      p = heap.alloc(16 + rng() % 241, 8);
    }
    for (void* p : blocks) heap.free(p);
  };
  std::size_t before = heap.lock_acquisitions();
  std::thread a(churn, 1), b(churn, 2);
  a.join();
  b.join();
  double rate = locks_per_thousand(heap, before, 2 * 2 * (live + steps));
  RecordProperty("locks_per_1000", std::to_string(rate));
  EXPECT_LE(rate, 20.0);
}

TEST(CachedHeap, AProducerAndAConsumerLockOncePerBatch) {
  struct Tag;
  TestHeap<Tag> heap(SimulatedMemory(1024));
  constexpr int blocks = 100000;
  std::vector<void*> ring(blocks);
  std::atomic<int> made{0};
  std::size_t before = heap.lock_acquisitions();
  std::thread producer([&] {
    std::mt19937 rng(3);
    for (int i = 0; i < blocks; ++i) {
      ring[i] = heap.alloc(16 + rng() % 241, 8);
      made.store(i + 1, std::memory_order_release);
    }
  });
  std::thread consumer([&] {
    for (int i = 0; i < blocks; ++i) {
      while (made.load(std::memory_order_acquire) <= i) std::this_thread::yield();
      heap.free(ring[i]);
    }
  });
  producer.join();
  consumer.join();
  double rate = locks_per_thousand(heap, before, 2 * blocks);
  RecordProperty("locks_per_1000", std::to_string(rate));
  EXPECT_LE(rate, 100.0);
}
#endif

}  // namespace
}  // namespace wasmheap::test
#endif
