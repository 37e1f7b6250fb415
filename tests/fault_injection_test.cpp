// Out-of-memory at every possible moment. Each scenario first runs with
// memory that never fails, recording what every operation returned and
// counting the grows it made. Then, for every k up to that count, it runs
// again over FailingMemory with the k-th grow failing (and every later one,
// until the operation in progress has returned). The operation that met the
// failure must return nullptr or false, leave the heap sound (check()), every
// block intact and the statistics exactly as before; once memory is back, the
// same operation must succeed, and everything after it must return exactly
// what the first run returned: a failed operation leaves no trace.
//
// That last comparison is made on the host only. Under a wasm engine every
// heap shares one memory and page numbers are absolute, so where the unit map
// moves as the heap grows (and so where later blocks land, and how many grows
// a run makes) depends on how much memory earlier tests took.
//
// Every scenario runs over both class policies: the one that ships
// (QuarterClasses) and the power-of-two one.
#include "failing_memory.hpp"
#include "test_heap.hpp"

#include <wasmheap/heap.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <random>
#include <vector>

namespace wasmheap::test {
namespace {

// What each operation returned: a block's offset from the first page grown, 1
// or 0 for resize, and `failed` for nullptr or false.
using Trace = std::vector<std::uintptr_t>;
constexpr std::uintptr_t failed = UINTPTR_MAX;

#if defined(__wasm__)
constexpr bool runs_are_reproducible = false;
#else
constexpr bool runs_are_reproducible = true;
#endif

struct Block {
  void* p;
  std::size_t len;
  std::size_t align;
  std::uint32_t seed;
};

template <class ClassPolicy>
class FaultRun {
 public:
  using Classes = ClassPolicy;
  using FailingHeap = Heap<FailingMemory, Classes>;

  // fail_from == 0 records `trace`; otherwise the run fails the fail_from-th
  // grow and compares every result with `trace`.
  FaultRun(std::size_t fail_from, Trace& trace)
      : heap_(std::make_unique<FailingHeap>(FailingMemory(fail_from))), trace_(trace), recording_(fail_from == 0) {
    // Nothing below allocates during the run: on wasm, where every heap shares
    // one memory, the global heap growing it would change where ours can grow.
    blocks_.reserve(2048);
    if (recording_) {
      trace_.clear();
      trace_.reserve(4096);
    }
    heap_->memory().align_origin();
  }

  std::size_t alloc(std::size_t len, std::size_t align) {
    void* p = attempt([&] { return heap_->alloc(len, align); });
    if (p == nullptr) return SIZE_MAX;
    EXPECT_TRUE(aligned_to(p, align));
    Block b{p, len, align, next_seed_++};
    fill(b.p, b.len, b.seed);
    blocks_.push_back(b);
    return blocks_.size() - 1;
  }

  // Frees block i, by size and alignment or by pointer alone.
  void free(std::size_t i, bool sized) {
    Block& b = live(i);
    expect_intact(b);
    if (sized)
      heap_->free(b.p, b.len, b.align);
    else
      heap_->free(b.p);
    b.p = nullptr;
  }

  bool resize(std::size_t i, std::size_t new_len) {
    Block& b = live(i);
    bool ok = attempt([&] { return heap_->resize(b.p, b.len, b.align, new_len) ? b.p : nullptr; }) != nullptr;
    if (ok) refill(b, b.p, new_len);
    return ok;
  }

  bool realloc(std::size_t i, std::size_t new_len) {
    Block& b = live(i);
    void* q = attempt([&] { return heap_->realloc(b.p, new_len); });
    if (q == nullptr) return false;
    refill(b, q, new_len);
    b.align = 1;
    return true;
  }

  std::size_t block_count() const { return blocks_.size(); }
  bool is_live(std::size_t i) const { return blocks_[i].p != nullptr; }

  // Frees every block; the heap must end sound and empty.
  void finish() {
    verify_all();
    for (std::size_t i = 0; i < blocks_.size(); ++i)
      if (is_live(i)) free(i, i % 2 == 0);
    EXPECT_EQ(heap_->check(), nullptr);
    auto s = heap_->stats();
    EXPECT_EQ(s.blocks_live, 0u);
    EXPECT_EQ(s.bytes_live, 0u);
    if (!recording_ && runs_are_reproducible)
      EXPECT_EQ(position_, trace_.size()) << "the run made fewer operations than the recorded one";
  }

  std::size_t grow_calls() const { return heap_->memory().grow_calls(); }
  // Operations during which a grow failed; each such operation counts once.
  std::size_t operations_hit() const { return operations_hit_; }
  // Whether an operation met the failure and still succeeded (realloc may,
  // by moving into free pages instead of growing in place), so later results
  // need not match the recorded ones.
  bool diverged() const { return diverged_; }

 private:
  Block& live(std::size_t i) {
    EXPECT_TRUE(i < blocks_.size() && is_live(i)) << "scenario used block " << i << ", which is not live";
    return blocks_[i];
  }

  // Runs op (which returns a pointer, nullptr meaning failure). If a grow
  // failed during it, the failure must have been clean; memory then comes
  // back and op runs again. The result is recorded or compared.
  template <class Op>
  void* attempt(Op&& op) {
    FailingMemory& memory = heap_->memory();
    auto before = heap_->stats();
    std::size_t failed_before = memory.failed_grows();
    void* result = op();
    if (memory.failed_grows() != failed_before) {
      ++operations_hit_;
      if (result != nullptr) {
        diverged_ = true;
        memory.recover();
      } else {
        expect_unchanged(before);
        memory.recover();
        result = op();
        EXPECT_NE(result, nullptr) << "the operation still fails once memory is back";
      }
    }
    note(result);
    return result;
  }

  void note(const void* result) {
    std::uintptr_t value = failed;
    if (result != nullptr)
      value = reinterpret_cast<std::uintptr_t>(result) - reinterpret_cast<std::uintptr_t>(heap_->memory().origin());
    if (recording_) {
      trace_.push_back(value);
    } else if (runs_are_reproducible && !diverged_) {
      ASSERT_LT(position_, trace_.size()) << "the run made more operations than the recorded one";
      EXPECT_EQ(value, trace_[position_]) << "operation " << position_ << " differs from the run without failure";
    }
    ++position_;
  }

  // After a failed operation: the heap is sound, each block intact, and the
  // statistics exactly what they were, memory included: a request grows
  // memory once, for itself and the unit map together, so a failed growth
  // leaves nothing behind.
  void expect_unchanged(const typename FailingHeap::Stats& before) {
    EXPECT_EQ(heap_->check(), nullptr);
    verify_all();
    auto after = heap_->stats();
    EXPECT_EQ(after.bytes_live, before.bytes_live);
    EXPECT_EQ(after.bytes_held_peak, before.bytes_held_peak);
    EXPECT_EQ(after.pages_grown, before.pages_grown);
    EXPECT_EQ(after.blocks_live, before.blocks_live);
    EXPECT_EQ(after.big_blocks_live, before.big_blocks_live);
    for (unsigned c = 0; c < Classes::count; ++c) EXPECT_EQ(after.class_blocks_live[c], before.class_blocks_live[c]);
  }

  void verify_all() {
    std::size_t count = 0, bytes = 0;
    for (const Block& b : blocks_) {
      if (b.p == nullptr) continue;
      expect_intact(b);
      ++count;
      bytes += heap_->usable_size(b.p);
    }
    auto s = heap_->stats();
    EXPECT_EQ(s.blocks_live, count);
    EXPECT_EQ(s.bytes_live, bytes);
    EXPECT_GE(s.bytes_held, s.bytes_live);
    EXPECT_GE(s.bytes_held_peak, s.bytes_held);
  }

  void expect_intact(const Block& b) {
    EXPECT_EQ(first_mismatch(b.p, b.len, b.seed), b.len) << "block of " << b.len << " bytes lost its contents";
    EXPECT_GE(heap_->usable_size(b.p), b.len);
  }

  // The block now holds new_len bytes at q: the bytes it kept must be intact.
  void refill(Block& b, void* q, std::size_t new_len) {
    std::size_t kept = std::min(b.len, new_len);
    EXPECT_EQ(first_mismatch(q, kept, b.seed), kept);
    b.p = q;
    b.len = new_len;
    b.seed = next_seed_++;
    fill(b.p, b.len, b.seed);
  }

  std::unique_ptr<FailingHeap> heap_;
  std::vector<Block> blocks_;
  Trace& trace_;
  bool recording_;
  std::size_t position_ = 0;
  std::size_t operations_hit_ = 0;
  bool diverged_ = false;
  std::uint32_t next_seed_ = 1;
};

// ---- Scenarios --------------------------------------------------------------

// A big block at the top of memory grows in place by resize and by realloc,
// shrinks, and grows again into its own freed tail and past it.
template <class Run>
void big_block_grows_in_place(Run& run) {
  std::size_t b = run.alloc(page_size, 1);
  for (std::size_t pages = 2; pages <= 6; ++pages) run.resize(b, pages * page_size);
  for (std::size_t pages = 7; pages <= 9; ++pages) run.realloc(b, pages * page_size - 100);
  run.resize(b, 3 * page_size);
  run.resize(b, 11 * page_size);
  run.realloc(b, 12 * page_size + 1);
}

// Blocks move between small and big through realloc, both ways needing fresh
// memory: the slabs they move into are full (and pinned by live slots, so no
// empty slab can be swept into service), and the pages a moved big block
// leaves are taken at once by a block of the same size. A big block that
// cannot move into a slot shrinks where it is instead, so such a realloc
// succeeds despite the failure.
template <class Run>
void realloc_across_classes(Run& run) {
  std::size_t a = run.alloc(100, 1);
  std::size_t b = run.alloc(3000, 1);
  run.alloc(3000, 1);     // keeps b's slab in use once b moves out
  run.realloc(a, 40000);  // 128 B slot -> one page
  run.realloc(b, 70000);  // 4 KiB slot -> two pages
  for (int i = 0; i < 4; ++i) run.alloc(9000, 1);   // 9 KiB slots (pow2: a full slab of 16 KiB ones)
  for (int i = 0; i < 2; ++i) run.alloc(20000, 1);  // 20 units (pow2: a full slab of 32 KiB slots)
  run.realloc(a, 9000);   // one page -> a slot in a new slab
  run.alloc(page_size, 1);
  run.realloc(b, 20000);  // two pages -> 20 units (pow2: a 32 KiB slot in a new slab)
  run.alloc(2 * page_size, 1);
  run.realloc(a, 300000);  // and back to big
  run.realloc(b, 2 * page_size + 1);
  run.realloc(a, 16);
}

// Enough slots of several classes that their slabs fill up again and again:
// the largest slots (16 KiB, a slab each; pow2: 32 KiB, two per page), 2 KiB
// slots, and 16 B slots over many one-unit slabs. Freed slots are reused without growing.
template <class Run>
void slab_refill(Run& run) {
  using Classes = typename Run::Classes;
  for (int i = 0; i < 12; ++i) run.alloc(Classes::max_slot, 1);
  for (int i = 0; i < 70; ++i) run.alloc(2048, 1);
  std::size_t first_tiny = run.block_count();
  for (int i = 0; i < 1100; ++i) run.alloc(16, 1);
  for (std::size_t i = first_tiny; i < first_tiny + 600; i += 2) run.free(i, i % 4 == 0);
  for (int i = 0; i < 400; ++i) run.alloc(12, 4);
  run.alloc(Classes::max_slot - 1, 1);
}

// Over-aligned big blocks take slack pages and give the unaligned ends back;
// later blocks are served from those ends.
template <class Run>
void aligned_big_allocation(Run& run) {
  run.alloc(100, 1);
  run.alloc(page_size, 2 * page_size);
  std::size_t b = run.alloc(3 * page_size, 4 * page_size);
  run.alloc(page_size, 16 * page_size);
  run.alloc(5000, page_size);
  run.alloc(100, 4096);
  run.alloc(2 * page_size, 1);
  run.resize(b, 5 * page_size);
  run.alloc(page_size / 2, 8 * page_size);
}

// A free run at the top of memory is topped up by growing only what it lacks.
template <class Run>
void free_run_at_top_is_topped_up(Run& run) {
  std::size_t a = run.alloc(2 * page_size, 1);
  std::size_t b = run.alloc(4 * page_size, 1);
  run.free(b, true);
  run.alloc(6 * page_size, 1);
  run.free(a, false);
  run.alloc(3 * page_size, 1);
  run.alloc(page_size, 1);
}

// A seeded random mix of every operation over small and big sizes.
template <class Run>
void mixed_random_sequence(Run& run) {
  using Classes = typename Run::Classes;
  std::mt19937 rng(20240607);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto random_len = [&]() -> std::size_t {
    switch (pick(4)) {
      case 0: return pick(64);
      case 1: return std::size_t{1} << pick(16) | pick(8);
      case 2: return pick(Classes::max_slot + 2);
      default: return pick(2 * page_size + 2);
    }
  };
  std::size_t live = 0;
  for (int op = 0; op < 200; ++op) {
    std::size_t i = run.block_count() == 0 ? 0 : pick(run.block_count());
    if (run.block_count() == 0 || !run.is_live(i) || (live < 32 && pick(3) == 0)) {
      std::size_t align = pick(4) == 0 ? std::size_t{1} << pick(18) : 1;
      if (run.alloc(random_len(), align) != SIZE_MAX) ++live;
      continue;
    }
    switch (pick(4)) {
      case 0:
        run.free(i, pick(2) == 0);
        --live;
        break;
      case 1: run.resize(i, random_len()); break;
      default: run.realloc(i, random_len()); break;
    }
  }
}

struct Scenario {
  const char* name;
  void (*run_quarter)(FaultRun<QuarterClasses>&);
  void (*run_pow2)(FaultRun<PowerOfTwoClasses>&);
  // Whether an operation may succeed despite the failure (a realloc moving
  // into free pages when it cannot grow in place, or shrinking in place).
  bool may_succeed_anyway;
};
#define WASMHEAP_SCENARIO(name, run, may_succeed_anyway) \
  Scenario { name, run<FaultRun<QuarterClasses>>, run<FaultRun<PowerOfTwoClasses>>, may_succeed_anyway }

// Test names and failure messages show the scenario's name.
void PrintTo(const Scenario& scenario, std::ostream* out) { *out << scenario.name; }

class FaultInjection : public ::testing::TestWithParam<Scenario> {};

template <class Classes>
void every_grow_can_fail(const Scenario& scenario, void (*run_scenario)(FaultRun<Classes>&)) {
  Trace trace;
  std::size_t grows = 0;
  {
    FaultRun<Classes> run(0, trace);
    run_scenario(run);
    run.finish();
    grows = run.grow_calls();
  }
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the run without failures must pass first";
  ASSERT_GT(grows, 0u);
  for (std::size_t k = 1; k <= grows; ++k) {
    SCOPED_TRACE(::testing::Message() << "grow " << k << " of " << grows << " fails");
    FaultRun<Classes> run(k, trace);
    run_scenario(run);
    run.finish();
    // Where runs differ (wasm), run k may make fewer than k grows.
    if (runs_are_reproducible)
      EXPECT_EQ(run.operations_hit(), 1u);
    else
      EXPECT_LE(run.operations_hit(), 1u);
    if (!scenario.may_succeed_anyway) EXPECT_FALSE(run.diverged());
    if (::testing::Test::HasFailure()) return;  // one failing k tells the story
  }
}

TEST_P(FaultInjection, EveryGrowCanFailWithQuarterClasses) {
  every_grow_can_fail<QuarterClasses>(GetParam(), GetParam().run_quarter);
}
TEST_P(FaultInjection, EveryGrowCanFailWithPowerOfTwoClasses) {
  every_grow_can_fail<PowerOfTwoClasses>(GetParam(), GetParam().run_pow2);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, FaultInjection,
                         ::testing::Values(WASMHEAP_SCENARIO("BigBlockGrowsInPlace", big_block_grows_in_place, false),
                                           WASMHEAP_SCENARIO("ReallocAcrossClasses", realloc_across_classes, true),
                                           WASMHEAP_SCENARIO("SlabRefill", slab_refill, false),
                                           WASMHEAP_SCENARIO("AlignedBigAllocation", aligned_big_allocation, false),
                                           WASMHEAP_SCENARIO("FreeRunAtTopIsToppedUp", free_run_at_top_is_topped_up, false),
                                           WASMHEAP_SCENARIO("MixedRandomSequence", mixed_random_sequence, true)),
                         [](const ::testing::TestParamInfo<Scenario>& info) { return info.param.name; });

}  // namespace
}  // namespace wasmheap::test
