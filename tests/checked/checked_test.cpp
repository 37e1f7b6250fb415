// The checked build (WASMHEAP_CHECKED): each misuse it detects stops the
// program with one line naming the pointer and the problem. Death tests, so
// host only; tests/misuse/run.sh checks the same lines under Node.
// Correct use must never trip a check, which the last tests (and the whole
// suite in the host-checked preset) show. Every test runs over both class
// policies: the one that ships (QuarterClasses) and the power-of-two one.
#include "../class_policies.hpp"
#include "../test_heap.hpp"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#if !defined(WASMHEAP_CHECKED)
#error "checked_test.cpp must be built with WASMHEAP_CHECKED"
#endif

namespace wasmheap::test {
namespace {

static_assert(checked_build);

// The whole line the heap must print for p, as a regex: "%p" in `line` stands
// for p's address, and every other character is matched literally.
std::string line_for(const char* line, const void* p) {
  char address[32];
  std::snprintf(address, sizeof address, "0x%" PRIxPTR, reinterpret_cast<std::uintptr_t>(p));
  std::string text = line;
  text.replace(text.find("%p"), 2, address);
  std::string regex = "^wasmheap: ";
  for (char ch : text) {
    if (std::strchr("()[]{}.*+?^$|\\", ch) != nullptr) regex += '\\';
    regex += ch;
  }
  return regex + "\n$";
}

std::string line_for(const std::string& line, const void* p) { return line_for(line.c_str(), p); }

std::byte* at(void* p, std::size_t offset) { return static_cast<std::byte*>(p) + offset; }

template <class Classes>
class CheckedDeathTest : public PolicyTest<Classes> {
 protected:
  // "48 B slot": how messages name the slot a request of len bytes takes.
  static std::string slot(std::size_t len, std::size_t align = 1) {
    return std::to_string(Classes::slot_size(Classes::class_of(len, align))) + " B slot";
  }
};
template <class Classes>
class Checked : public CheckedDeathTest<Classes> {};
TYPED_TEST_SUITE(CheckedDeathTest, ClassPolicies, ClassPolicyNames);
TYPED_TEST_SUITE(Checked, ClassPolicies, ClassPolicyNames);

TYPED_TEST(CheckedDeathTest, DoubleFreeOfASlot) {
  auto heap = this->make_heap();
  void* p = heap->alloc(16, 1);
  heap->free(p);
  EXPECT_DEATH(heap->free(p), line_for("double free of %p (16 B slot)", p));
  EXPECT_DEATH(heap->free(p, 16, 1), line_for("double free of %p (16 B slot)", p));
}

// 8 B slots have no room for the free marker on 64-bit hosts: the free list
// itself tells.
TYPED_TEST(CheckedDeathTest, DoubleFreeOfAnEightByteSlot) {
  auto heap = this->make_heap();
  void* p = heap->alloc(8, 1);
  void* q = heap->alloc(8, 1);
  heap->free(p);
  heap->free(q);
  EXPECT_DEATH(heap->free(p), line_for("double free of %p (8 B slot)", p));
}

// A slot that fills its slab.
TYPED_TEST(CheckedDeathTest, DoubleFreeOfASlotFillingItsSlab) {
  auto heap = this->make_heap();
  void* p = heap->alloc(4000, 1);
  heap->free(p, 4000, 1);
  EXPECT_DEATH(heap->free(p, 4000, 1), line_for("double free of %p (" + this->slot(4000) + ")", p));
}

TYPED_TEST(CheckedDeathTest, DoubleFreeOfABigBlock) {
  auto heap = this->make_heap();
  void* p = heap->alloc(3 * page_size, 1);
  void* guard = heap->alloc(page_size, 1);  // keeps the freed run from merging away
  heap->free(p);
  const char* in_free_memory = "free of %p, which is in free memory (freed already, or never allocated)";
  EXPECT_DEATH(heap->free(p), line_for(in_free_memory, p));
  heap->free(guard);
  EXPECT_DEATH(heap->free(p, 3 * page_size, 1), line_for(in_free_memory, p));
}

TYPED_TEST(CheckedDeathTest, ReallocAndResizeOfAFreedBlock) {
  auto heap = this->make_heap();
  void* p = heap->alloc(100, 1);
  heap->free(p);
  EXPECT_DEATH(heap->realloc(p, 200), line_for("realloc of freed block %p (" + this->slot(100) + ")", p));
  EXPECT_DEATH(heap->resize(p, 100, 1, 120), line_for("resize of freed block %p (" + this->slot(100) + ")", p));
}

TYPED_TEST(CheckedDeathTest, PointerNotFromTheHeap) {
  auto heap = this->make_heap();
  void* p = heap->alloc(16, 1);
  int local = 0;
  EXPECT_DEATH(heap->free(&local), line_for("free of %p, which is not from the heap", &local));
  EXPECT_DEATH(heap->realloc(&local, 8), line_for("realloc of %p, which is not from the heap", &local));
  auto other = this->make_heap();
  void* theirs = other->alloc(16, 1);
  EXPECT_DEATH(heap->free(theirs), line_for("free of %p, which is not from the heap", theirs));
  heap->free(p);
}

TYPED_TEST(CheckedDeathTest, PointerInsideASlot) {
  auto heap = this->make_heap();
  void* p = heap->alloc(64, 1);
  EXPECT_DEATH(heap->free(at(p, 8)), line_for("free of %p, which is not at a block's start (inside a 64 B slot)", at(p, 8)));
}

TYPED_TEST(CheckedDeathTest, PointerInsideABigBlock) {
  auto heap = this->make_heap();
  void* p = heap->alloc(3 * page_size, 1);
  EXPECT_DEATH(heap->free(at(p, 16)),
               line_for("free of %p, which is not at a block's start (inside a 196608 B block)", at(p, 16)));
  EXPECT_DEATH(heap->free(at(p, 2 * page_size)),
               line_for("free of %p, which is not at a block's start (inside a 196608 B block)", at(p, 2 * page_size)));
}

TYPED_TEST(CheckedDeathTest, PointerInsideFreePages) {
  auto heap = this->make_heap();
  void* p = heap->alloc(3 * page_size, 1);
  void* guard = heap->alloc(page_size, 1);
  heap->free(p);
  EXPECT_DEATH(heap->free(at(p, page_size + 8)),
               line_for("free of %p, which is in free memory (freed already, or never allocated)", at(p, page_size + 8)));
  heap->free(guard);
}

// The slot after the last one handed out was never allocated.
TYPED_TEST(CheckedDeathTest, SlotNeverAllocated) {
  auto heap = this->make_heap();
  void* p = heap->alloc(32, 1);
  EXPECT_DEATH(heap->free(at(p, 32)), line_for("free of %p, which was never allocated (32 B slot)", at(p, 32)));
}

TYPED_TEST(CheckedDeathTest, SizedFreeOfTheWrongSize) {
  auto heap = this->make_heap();
  void* p = heap->alloc(40, 1);
  EXPECT_DEATH(heap->free(p, 100, 1),
               line_for("free of %p with size 100 and align 1, which do not match its block (a " + this->slot(40) + ")", p));
  void* big = heap->alloc(2 * page_size, 1);
  EXPECT_DEATH(heap->free(big, 3 * page_size, 1),
               line_for("free of %p with size 196608 and align 1, which do not match its block (a 131072 B block)", big));
  EXPECT_DEATH(heap->free(big, 100, 1),
               line_for("free of %p with size 100 and align 1, which do not match its block (a 131072 B block)", big));
}

// An alignment that picks another class, or that the block's address lacks.
TYPED_TEST(CheckedDeathTest, SizedFreeOfTheWrongAlignment) {
  auto heap = this->make_heap();
  void* p = heap->alloc(16, 1);
  EXPECT_DEATH(heap->free(p, 16, 64),
               line_for("free of %p with size 16 and align 64, which do not match its block (a 16 B slot)", p));
  EXPECT_DEATH(heap->free(p, 16, 3),
               line_for("free of %p with size 16 and align 3, which do not match its block (a 16 B slot)", p));
  // Of two adjacent one-page blocks, one is not aligned to 128 KiB.
  void* a = heap->alloc(page_size, 1);
  void* b = heap->alloc(page_size, 1);
  void* odd = aligned_to(a, 2 * page_size) ? b : a;
  EXPECT_DEATH(heap->free(odd, page_size, 2 * page_size),
               line_for("free of %p with size 65536 and align 131072, which do not match its block (a 65536 B block)", odd));
}

TYPED_TEST(CheckedDeathTest, ResizeWithTheWrongSize) {
  auto heap = this->make_heap();
  void* p = heap->alloc(5 * page_size, 1);
  EXPECT_DEATH(heap->resize(p, 4 * page_size, 1, 6 * page_size),
               line_for("resize of %p with size 262144 and align 1, which do not match its block (a 327680 B block)", p));
}

TYPED_TEST(CheckedDeathTest, WriteAfterFreeFoundWhenTheSlotIsReused) {
  auto heap = this->make_heap();
  void* p = heap->alloc(32, 1);
  heap->free(p);
  std::memset(p, 0x5a, 32);  // the program still writes to the freed slot
  EXPECT_DEATH(heap->alloc(32, 1), line_for("write after free to %p (32 B slot), found when reusing it", p));
}

TYPED_TEST(CheckedDeathTest, OverwrittenFreeListLinkFoundWhenTheSlotIsReused) {
  auto heap = this->make_heap();
  void* p = heap->alloc(8, 1);
  heap->free(p);
  std::memset(p, 0x5a, 8);
  EXPECT_DEATH(heap->alloc(8, 1), line_for("write after free to %p (8 B slot): its free-list link was overwritten", p));
}

// A freed run's first unit holds a pattern after its links; a write there
// is found when the run is taken again.
TYPED_TEST(CheckedDeathTest, WriteAfterFreeFoundWhenAFreeRunIsReused) {
  auto heap = this->make_heap();
  void* p = heap->alloc(3 * page_size, 1);
  void* guard = heap->alloc(page_size, 1);  // keeps the freed run from merging with the top
  heap->free(p);
  std::memset(at(p, 64), 0x5a, 32);
  EXPECT_DEATH(heap->alloc(3 * page_size, 1),
               line_for("write after free to %p (free memory), found when reusing it", at(p, 64)));
  (void)guard;  // not freed: merging with the corrupted run would stop this process too
}

// nullptr is no block: it resizes to nothing, and frees to nothing.
TYPED_TEST(Checked, NullIsNoBlock) {
  auto heap = this->make_heap();
  EXPECT_FALSE(heap->resize(nullptr, 0, 1, 10));
  EXPECT_FALSE(heap->resize(nullptr, 16, 1, 16));
  EXPECT_EQ(heap->remap(nullptr, 100, 8, 50), nullptr);
  heap->free(nullptr, 100, 8);
  EXPECT_EQ(heap->usable_size(nullptr), 0u);
  EXPECT_EQ(heap->check(), nullptr);
}

// Correct use never trips a check: slots and pages reused across frees, data
// that happens to equal a free marker, blocks resized and reallocated.
TYPED_TEST(Checked, CorrectUseRunsThrough) {
  auto heap = this->make_heap();
  for (int round = 0; round < 3; ++round) {
    void* p = heap->alloc(48, 1);
    void* q = heap->alloc(48, 1);
    heap->free(p, 48, 1);
    void* again = heap->alloc(33, 1);  // the same slot, live again
    EXPECT_EQ(again, p);
    heap->free(again);
    heap->free(q, 40, 1);
  }
  void* live = heap->alloc(16, 1);
  void* freed = heap->alloc(16, 1);
  heap->free(freed);
  std::memcpy(at(live, sizeof(void*)), at(freed, sizeof(void*)), sizeof(void*));  // a copy of a marker
  heap->free(live);
  void* big = heap->alloc(page_size, page_size * 4);
  ASSERT_TRUE(heap->resize(big, page_size, page_size * 4, 3 * page_size));
  heap->free(big, 3 * page_size, page_size * 4);
  void* moving = heap->realloc(nullptr, 10);
  moving = heap->realloc(moving, 10000);
  moving = heap->realloc(moving, 200000);
  moving = heap->realloc(moving, 5);
  heap->free(moving);
  heap->free(nullptr);
  heap->free(nullptr, 10, 1);
  EXPECT_EQ(heap->check(), nullptr);
  EXPECT_EQ(heap->stats().blocks_live, 0u);
}

}  // namespace
}  // namespace wasmheap::test
