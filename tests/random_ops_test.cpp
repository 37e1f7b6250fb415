// Long random sequences of alloc / free / resize / realloc checked against a
// simple model: every live block keeps its own bytes, is aligned as asked, never
// overlaps another, and the heap's statistics agree with the model's.
#include "test_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace wasmheap::test {
namespace {

struct Block {
  void* p;
  std::size_t len;
  std::size_t align;
  std::uint32_t seed;
};

template <class Classes>
class RandomOps {
 public:
  explicit RandomOps(std::uint32_t seed, std::size_t max_pages = max_memory_pages)
      : heap_(make_heap<Classes>(max_pages)), rng_(seed) {}

  void run(int ops) {
    for (int i = 0; i < ops; ++i) {
      step();
      if (i % 512 == 0) check_all();
    }
    check_all();
    for (const Block& b : live_) heap_->free(b.p);
    live_.clear();
    check_all();
  }

 private:
  std::size_t random_len() {
    unsigned r = pick(100);
    if (r < 2) return pick(5);                                      // 0..4
    if (r < 70) return std::size_t{1} << pick(13) | pick(64);       // small, log-uniform
    if (r < 90) return pick(Classes::max_slot + 1);       // up to 32 KiB (+/-)
    if (r < 99) return Classes::max_slot + pick(16 * page_size);
    return pick(64 * page_size);
  }
  std::size_t random_align() {
    unsigned r = pick(100);
    if (r < 60) return 1;
    if (r < 97) return std::size_t{1} << pick(13);
    return std::size_t{1} << (16 + pick(3));
  }
  unsigned pick(std::size_t n) { return static_cast<unsigned>(rng_() % n); }

  void step() {
    unsigned op = live_.empty() ? 0 : pick(10);
    if (op < 4 || live_.size() < 8) {
      Block b{nullptr, random_len(), random_align(), next_seed_++};
      b.p = heap_->alloc(b.len, b.align);
      ASSERT_NE(b.p, nullptr);
      ASSERT_TRUE(aligned_to(b.p, b.align));
      ASSERT_GE(heap_->usable_size(b.p), b.len);
      fill(b.p, b.len, b.seed);
      live_.push_back(b);
      return;
    }
    std::size_t i = pick(live_.size());
    Block& b = live_[i];
    ASSERT_EQ(first_mismatch(b.p, b.len, b.seed), b.len);
    if (op < 7) {
      if (op == 4)
        heap_->free(b.p);
      else
        heap_->free(b.p, b.len, b.align);
      live_[i] = live_.back();
      live_.pop_back();
    } else if (op == 7 || op == 8) {
      std::size_t new_len = op == 7 ? random_len() : b.len + pick(65) - std::min<std::size_t>(b.len, 32);
      if (heap_->resize(b.p, b.len, b.align, new_len)) {
        ASSERT_GE(heap_->usable_size(b.p), new_len);
        refill(b, new_len);
      }
    } else {
      std::size_t new_len = random_len();
      void* q = heap_->realloc(b.p, new_len);
      ASSERT_NE(q, nullptr);
      b.p = q;
      b.align = 1;
      refill(b, new_len);
    }
  }

  // After a resize the first min(old, new) bytes must survive; then the block
  // gets a fresh pattern over its new length.
  void refill(Block& b, std::size_t new_len) {
    std::size_t kept = std::min(b.len, new_len);
    ASSERT_EQ(first_mismatch(b.p, kept, b.seed), kept);
    b.len = new_len;
    b.seed = next_seed_++;
    fill(b.p, b.len, b.seed);
  }

  void check_all() {
    std::vector<std::pair<std::uintptr_t, std::size_t>> spans;
    std::size_t bytes = 0;
    for (const Block& b : live_) {
      ASSERT_EQ(first_mismatch(b.p, b.len, b.seed), b.len);
      std::size_t size = heap_->usable_size(b.p);
      bytes += size;
      spans.emplace_back(reinterpret_cast<std::uintptr_t>(b.p), size);
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
      ASSERT_LE(spans[i - 1].first + spans[i - 1].second, spans[i].first) << "blocks overlap";
    ASSERT_EQ(heap_->check(), nullptr);
    auto s = heap_->stats();
    ASSERT_EQ(s.blocks_live, live_.size());
    ASSERT_EQ(s.bytes_live, bytes);
    ASSERT_GE(s.bytes_held, s.bytes_live);
    ASSERT_GE(s.bytes_held_peak, s.bytes_held);
  }

  std::unique_ptr<Heap<SimulatedMemory, Classes>> heap_;
  std::mt19937 rng_;
  std::vector<Block> live_;
  std::uint32_t next_seed_ = 1;
};

class RandomOpsTest : public ::testing::TestWithParam<std::uint32_t> {};

// Under a wasm engine each step costs more, and every heap's pages stay taken
// until the program ends (memory cannot shrink), so one seed runs, for fewer
// steps.
#if defined(__wasm__)
constexpr int steps = 3000;
const auto seeds = ::testing::Values(42u);
#else
constexpr int steps = 20000;
const auto seeds = ::testing::Values(1u, 2u, 3u, 42u);
#endif

TEST_P(RandomOpsTest, ModelAgreesAfterEveryStepWithPowerOfTwoClasses) {
  RandomOps<PowerOfTwoClasses>(GetParam()).run(steps);
}
TEST_P(RandomOpsTest, ModelAgreesAfterEveryStepWithQuarterClasses) { RandomOps<QuarterClasses>(GetParam()).run(steps); }

INSTANTIATE_TEST_SUITE_P(Seeds, RandomOpsTest, seeds);

}  // namespace
}  // namespace wasmheap::test
