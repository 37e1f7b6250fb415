// The global heap built with threads (WASMHEAP_THREADS=1, as every wasm build
// with atomics is): the C API and the malloc family called from several
// threads at once, with blocks freed and reallocated by other threads.
#include <wasmheap/wasmheap.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WASMHEAP_TEST_UNDER_TSAN 1
#endif
#endif

#if defined(WASMHEAP_TEST_UNDER_TSAN)
constexpr int ops_per_thread = 5000;
#else
constexpr int ops_per_thread = 20000;
#endif
constexpr unsigned thread_count = 4;
constexpr unsigned slots = 64;

// A block records its own size and a seed in its first 8 bytes; the rest is a
// pattern derived from them.
constexpr std::size_t header = 8;

unsigned char pattern(std::uint32_t seed, std::size_t i) {
  return static_cast<unsigned char>(seed * 2654435761u ^ i * 40503u ^ i >> 8);
}

void write_block(void* p, std::uint32_t size, std::uint32_t seed) {
  auto* b = static_cast<unsigned char*>(p);
  std::memcpy(b, &size, 4);
  std::memcpy(b + 4, &seed, 4);
  for (std::size_t i = header; i < size; ++i) b[i] = pattern(seed, i);
}

// Whether the first min(size, limit) bytes are as written.
bool intact(const void* p, std::size_t limit = SIZE_MAX) {
  auto* b = static_cast<const unsigned char*>(p);
  std::uint32_t size, seed;
  std::memcpy(&size, b, 4);
  std::memcpy(&seed, b + 4, 4);
  for (std::size_t i = header; i < std::min<std::size_t>(size, limit); ++i)
    if (b[i] != pattern(seed, i)) return false;
  return true;
}

TEST(GlobalHeapThreads, MallocFamilyFromManyThreads) {
  wasmheap_stats before;
  wasmheap_get_stats(&before);
  std::vector<std::atomic<void*>> mailbox(slots);
  std::atomic<int> broken{0};

  auto worker = [&](unsigned id) {
    std::mt19937 rng(99 + id);
    std::uint32_t seed = id << 24;
    auto size = [&] { return static_cast<std::uint32_t>(header + (rng() % 4 != 0 ? rng() % 256 : rng() % 70000)); };
    for (int i = 0; i < ops_per_thread; ++i) {
      std::uint32_t n = size();
      void* p = nullptr;
      switch (rng() % 3) {
        case 0: p = wasmheap_malloc(n); break;
        case 1: p = wasmheap_calloc(1, n); break;
        default:
          if (wasmheap_posix_memalign(&p, std::size_t{16} << rng() % 8, n) != 0) p = nullptr;
      }
      if (p == nullptr) {
        broken.fetch_add(1);
        return;
      }
      write_block(p, n, ++seed);
      // Swap it for another thread's block, which this thread then grows or
      // shrinks with realloc and frees.
      void* got = mailbox[rng() % slots].exchange(p, std::memory_order_acq_rel);
      if (got == nullptr) continue;
      if (!intact(got)) broken.fetch_add(1);
      std::uint32_t m = size();
      void* q = wasmheap_realloc(got, m);
      if (q == nullptr || !intact(q, m)) {
        broken.fetch_add(1);
        return;
      }
      if (wasmheap_malloc_usable_size(q) < m) broken.fetch_add(1);
      wasmheap_free_unsized(q);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < thread_count; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();
  for (auto& slot : mailbox)
    if (void* p = slot.exchange(nullptr)) {
      EXPECT_TRUE(intact(p));
      wasmheap_free_unsized(p);
    }

  EXPECT_EQ(broken.load(), 0);
  EXPECT_EQ(wasmheap_check(), nullptr);
  wasmheap_stats after;
  wasmheap_get_stats(&after);
  EXPECT_EQ(after.blocks_live, before.blocks_live);
  EXPECT_EQ(after.bytes_live, before.bytes_live);
}

}  // namespace

namespace {

// Introspection with thread caches: a walk, a snapshot or a trim first takes
// back the calling thread's cache and every thread's set-aside slots, so the
// caller's own freed blocks never show as live; another running thread's
// cached slots do, until it exits.
TEST(GlobalHeapThreads, IntrospectionSeesThroughTheCallersCache) {
#if defined(WASMHEAP_CHECKED)
  GTEST_SKIP() << "the checked build keeps one lock and no thread caches";
#endif
  std::vector<void*> freed;
  for (int i = 0; i < 2000; ++i) freed.push_back(wasmheap_malloc(64));
  for (void* p : freed) wasmheap_free_unsized(p);
  wasmheap_stats before;
  wasmheap_get_stats(&before);
  EXPECT_GT(before.bytes_cached, 0u) << "the frees went to this thread's cache";

  std::vector<void*> visited;
  visited.reserve(before.blocks_live + 4096);
  ASSERT_EQ(wasmheap_walk([](void* block, size_t, int, void* ctx) { static_cast<std::vector<void*>*>(ctx)->push_back(block); },
                          &visited),
            0);
  std::sort(visited.begin(), visited.end());
  for (void* p : freed) EXPECT_FALSE(std::binary_search(visited.begin(), visited.end(), p)) << p;
  wasmheap_stats after;
  wasmheap_get_stats(&after);
  EXPECT_EQ(visited.size(), after.blocks_live);

  // Another thread's cache: its slots are live to a walk while it runs (50
  // slots stay in its list; more would overflow into its set-aside reserve,
  // which a walk takes back), and free once it has exited.
  std::vector<void*> theirs;
  std::atomic<int> stage{0};
  std::thread other([&] {
    for (int i = 0; i < 50; ++i) theirs.push_back(wasmheap_malloc(48));
    for (void* p : theirs) wasmheap_free_unsized(p);
    stage = 1;
    while (stage != 2) std::this_thread::yield();
  });
  while (stage != 1) std::this_thread::yield();
  wasmheap_stats running;
  wasmheap_get_stats(&running);
  EXPECT_GE(running.bytes_cached, 50u * 48);
  visited.clear();
  visited.reserve(running.blocks_live + 4096);
  ASSERT_EQ(wasmheap_walk([](void* block, size_t, int, void* ctx) { static_cast<std::vector<void*>*>(ctx)->push_back(block); },
                          &visited),
            0);
  std::sort(visited.begin(), visited.end());
  for (void* p : theirs) EXPECT_TRUE(std::binary_search(visited.begin(), visited.end(), p)) << "cached by a running thread";
  stage = 2;
  other.join();
  wasmheap_stats done;
  wasmheap_get_stats(&done);
  EXPECT_EQ(done.bytes_cached, 0u);
  EXPECT_EQ(wasmheap_check(), nullptr);
}

}  // namespace
