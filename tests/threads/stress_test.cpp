// LockedHeap and CachedHeap under threads: several threads run random alloc / free / resize /
// realloc sequences on one heap and hand blocks to each other through a
// mailbox, so blocks are freed, resized and reallocated by threads that did not
// allocate them. Every block carries a fill pattern that is checked whenever
// it changes hands or size and before it is freed; blocks that overlapped
// because two threads raced inside the heap would break the patterns, and
// ThreadSanitizer (preset host-tsan) reports any access the lock leaves
// unordered.
#include <wasmheap/futex_lock.hpp>
#include <wasmheap/heap.hpp>
#include <wasmheap/locked_heap.hpp>
#include <wasmheap/simulated_memory.hpp>
#include <wasmheap/thread_cache.hpp>

#include "../test_heap.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace wasmheap::test {
namespace {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WASMHEAP_TEST_UNDER_TSAN 1
#endif
#endif

// ThreadSanitizer makes every access several times slower; fewer operations
// still give thousands of cross-thread handoffs.
#if defined(WASMHEAP_TEST_UNDER_TSAN)
constexpr int ops_per_thread = 6000;
#else
constexpr int ops_per_thread = 40000;
#endif
// More threads than the machine has cores, so threads are also preempted while
// holding the lock or waiting for it.
constexpr unsigned thread_count = 4;
constexpr unsigned local_blocks = 24;
constexpr unsigned mailbox_slots = 32;

struct Block {
  void* p = nullptr;
  std::size_t len = 0;
  std::size_t align = 1;
  std::uint32_t seed = 0;
  unsigned allocated_by = 0;
};

template <class Classes>
using LockedTestHeap = LockedHeap<Heap<SimulatedMemory, Classes>, FutexLock>;
#if !defined(WASMHEAP_CHECKED)
// A tag of its own: with none, the type would be the global heap's, whose
// thread caches (one thread_local per type) it would then share.
struct StressCaches;
template <class Classes>
using CachedTestHeap = CachedHeap<Heap<SharedMemory<SimulatedMemory>, Classes>, FutexLock, StressCaches>;
#endif

template <class TestHeap>
class Stress {
 public:
  using Classes = typename TestHeap::class_policy;
  // 4,096 pages (256 MiB) is far more than the live blocks ever need; the cap
  // only bounds the reservation.
  Stress() : heap_(std::make_unique<TestHeap>(SimulatedMemory(4096))), mailbox_(mailbox_slots) {}

  void run() {
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < thread_count; ++t) threads.emplace_back([this, t] { run_thread(t); });
    for (auto& t : threads) t.join();

    for (auto& slot : mailbox_) {
      if (Block* b = slot.exchange(nullptr)) {
        expect_intact(*b);
        heap_->free(b->p);
        delete b;
      }
    }
    EXPECT_EQ(failures_.load(), 0);
    EXPECT_EQ(heap_->check(), nullptr);
    auto s = heap_->stats();
    EXPECT_EQ(s.blocks_live, 0u);
    EXPECT_EQ(s.bytes_live, 0u);
    // The workers' caches went back when they ended; the main thread's now.
    if constexpr (requires { heap_->thread_exit(); }) {
      heap_->thread_exit();
      auto inner = heap_->with_lock([](auto& heap) { return heap.stats(); });
      EXPECT_EQ(inner.blocks_live, 0u);
    }
    // Proof that the test did what it is for.
    EXPECT_GT(handoffs_.load(), 100);
    EXPECT_GT(foreign_frees_.load(), 100);
    EXPECT_GT(foreign_reallocs_.load(), 10);
  }

 private:
  struct Worker {
    std::mt19937 rng;
    unsigned id;
    Block* blocks[local_blocks] = {};
    std::uint32_t next_seed;
    unsigned pick(std::size_t n) { return static_cast<unsigned>(rng() % n); }
  };

  // Mostly small blocks of every class, some near the biggest slot, a few
  // spanning several pages (they move through the unit layer).
  std::size_t random_len(Worker& w) {
    unsigned r = w.pick(100);
    if (r < 2) return w.pick(4);
    if (r < 80) return std::size_t{1} << w.pick(12) | w.pick(64);
    if (r < 97) return w.pick(Classes::max_slot + 1);
    return Classes::max_slot + w.pick(4 * page_size);
  }
  std::size_t random_align(Worker& w) {
    unsigned r = w.pick(100);
    if (r < 70) return 1;
    if (r < 98) return std::size_t{1} << w.pick(12);
    return std::size_t{1} << 16;
  }

  void fail(const std::string& what) {
    if (failures_.fetch_add(1) < 5) ADD_FAILURE() << what;
  }

  void expect_intact(const Block& b) {
    std::size_t at = first_mismatch(b.p, b.len, b.seed);
    if (at != b.len) fail("block " + std::to_string(reinterpret_cast<std::uintptr_t>(b.p)) + " of " +
                          std::to_string(b.len) + " B changed at byte " + std::to_string(at));
  }

  void refill(Worker& w, Block& b, std::size_t new_len) {
    std::size_t kept = std::min(b.len, new_len);
    if (first_mismatch(b.p, kept, b.seed) != kept) fail("resized or reallocated block lost its contents");
    b.len = new_len;
    b.seed = w.next_seed++;
    fill(b.p, b.len, b.seed);
  }

  void run_thread(unsigned id) {
    Worker w{std::mt19937(1234 + id), id, {}, (id + 1) << 24};
    for (int i = 0; i < ops_per_thread && failures_.load(std::memory_order_relaxed) == 0; ++i) step(w);
    for (Block*& b : w.blocks) {
      if (b == nullptr) continue;
      expect_intact(*b);
      heap_->free(b->p, b->len, b->align);
      delete b;
      b = nullptr;
    }
  }

  void step(Worker& w) {
    Block*& slot = w.blocks[w.pick(local_blocks)];
    if (slot == nullptr) {
      auto* b = new Block{nullptr, random_len(w), random_align(w), w.next_seed++, w.id};
      b->p = heap_->alloc(b->len, b->align);
      if (b->p == nullptr) {
        fail("out of memory");
        delete b;
        return;
      }
      if (!aligned_to(b->p, b->align)) fail("misaligned block");
      if (heap_->usable_size(b->p) < b->len) fail("usable_size below the request");
      fill(b->p, b->len, b->seed);
      slot = b;
      return;
    }
    Block& b = *slot;
    expect_intact(b);
    bool foreign = b.allocated_by != w.id;
    unsigned op = w.pick(20);
    if (op < 6) {  // free, sized or not
      if (foreign) foreign_frees_.fetch_add(1, std::memory_order_relaxed);
      if (op < 3)
        heap_->free(b.p);
      else
        heap_->free(b.p, b.len, b.align);
      delete slot;
      slot = nullptr;
    } else if (op < 8) {  // resize in place, if the heap can
      std::size_t new_len = op == 6 ? random_len(w) : b.len + w.pick(65) - std::min<std::size_t>(b.len, 32);
      if (heap_->remap(b.p, b.len, b.align, new_len) == b.p) refill(w, b, new_len);
    } else if (op < 11) {  // realloc: may move, then the block's alignment is 1
      if (foreign) foreign_reallocs_.fetch_add(1, std::memory_order_relaxed);
      std::size_t new_len = random_len(w);
      void* q = heap_->realloc(b.p, new_len);
      if (q == nullptr) {
        fail("realloc failed");
        return;
      }
      if (q != b.p) b.allocated_by = w.id;
      b.p = q;
      b.align = 1;
      refill(w, b, new_len);
    } else if (op < 19) {  // hand over: swap with a mailbox slot
      slot = mailbox_[w.pick(mailbox_slots)].exchange(slot, std::memory_order_acq_rel);
      if (slot != nullptr) {
        handoffs_.fetch_add(1, std::memory_order_relaxed);
        expect_intact(*slot);
      }
    } else if (w.pick(50) == 0) {  // the whole heap's consistency, while others run
      if (const char* problem = heap_->check()) fail(std::string("heap check: ") + problem);
    } else {
      auto s = heap_->stats();
      if (s.bytes_held < s.bytes_live || s.bytes_held_peak < s.bytes_held) fail("stats torn: held below live");
    }
  }

  std::unique_ptr<TestHeap> heap_;
  std::vector<std::atomic<Block*>> mailbox_;
  std::atomic<int> failures_{0};
  std::atomic<long> handoffs_{0}, foreign_frees_{0}, foreign_reallocs_{0};
};

TEST(LockedHeapThreads, StressWithPowerOfTwoClasses) { Stress<LockedTestHeap<PowerOfTwoClasses>>().run(); }
TEST(LockedHeapThreads, StressWithQuarterClasses) { Stress<LockedTestHeap<QuarterClasses>>().run(); }
// The checked build keeps one lock: its checks need every free slot.
#if !defined(WASMHEAP_CHECKED)
TEST(CachedHeapThreads, StressWithPowerOfTwoClasses) { Stress<CachedTestHeap<PowerOfTwoClasses>>().run(); }
TEST(CachedHeapThreads, StressWithQuarterClasses) { Stress<CachedTestHeap<QuarterClasses>>().run(); }
#endif

// The lock alone: a plain counter stays exact, and a holder that sleeps makes
// the others go to sleep on the word, so a lost wake-up would hang the test
// (CTest's timeout turns that into a failure).
TEST(FutexLock, ExcludesAndWakes) {
  FutexLock lock;
  long counter = 0;
  constexpr int rounds = 2000;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < thread_count; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        lock.lock();
        ++counter;
        if (i % 500 == static_cast<int>(t)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        lock.unlock();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, long{rounds} * thread_count);
  EXPECT_TRUE(lock.try_lock());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
}

TEST(LockedHeap, ForwardsTheHeapApi) {
  LockedTestHeap<QuarterClasses> heap(SimulatedMemory(64));
  void* p = heap.alloc(100, 16);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(heap.usable_size(p), heap.with_lock([&](auto& inner) { return inner.usable_size(p); }));
  EXPECT_TRUE(heap.resize(p, 100, 16, 101));
  EXPECT_EQ(heap.remap(p, 101, 16, 102), p);
  EXPECT_EQ(heap.stats().blocks_live, 1u);
  void* q = heap.realloc(p, 5000);
  ASSERT_NE(q, nullptr);
  heap.free(q);
  heap.free(nullptr);
  heap.free(nullptr, 8, 8);
  EXPECT_EQ(heap.stats().blocks_live, 0u);
  EXPECT_EQ(heap.check(), nullptr);
  EXPECT_EQ(heap.memory().max_pages(), 64u);
}

}  // namespace
}  // namespace wasmheap::test
