// The C API and the malloc family's C semantics, over the global heap (on the
// host through their wasmheap_ names; on wasm the standard names are the same code).
#include <wasmheap/allocator.hpp>
#include <wasmheap/layout.hpp>
#include <wasmheap/memory_resource.hpp>
#include <wasmheap/wasmheap.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

extern "C" int wasmheap_c99_header_smoke(void);

namespace {

bool aligned_to(const void* p, std::size_t align) { return reinterpret_cast<std::uintptr_t>(p) % align == 0; }

wasmheap_stats current_stats() {
  wasmheap_stats s;
  wasmheap_get_stats(&s);
  return s;
}

TEST(CApi, HeaderCompilesAsC99AndWorks) { EXPECT_EQ(wasmheap_c99_header_smoke(), 0); }

TEST(CApi, SizedApiRoundTrip) {
  auto before = current_stats();
  void* p = wasmheap_alloc(100, 32);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned_to(p, 32));
  // A 128 B slot, or a free 160 B one if the 128 B class has no slab yet.
  EXPECT_TRUE(wasmheap_usable_size(p) == 128u || wasmheap_usable_size(p) == 160u);
  EXPECT_EQ(wasmheap_resize(p, 100, 32, 120), 1);
  EXPECT_EQ(wasmheap_resize(p, 120, 32, 200), 0);
  EXPECT_EQ(wasmheap_remap(p, 120, 32, 65), p);
  EXPECT_EQ(wasmheap_remap(p, 65, 32, 64), nullptr);
  EXPECT_EQ(current_stats().blocks_live, before.blocks_live + 1);
  wasmheap_free(p, 65, 32);
  EXPECT_EQ(current_stats().blocks_live, before.blocks_live);
  EXPECT_EQ(wasmheap_check(), nullptr);
}

TEST(CApi, NullIsNoBlockForTheSizedCalls) {
  EXPECT_EQ(wasmheap_resize(nullptr, 0, 1, 10), 0);
  EXPECT_EQ(wasmheap_remap(nullptr, 10, 1, 20), nullptr);
  wasmheap_free(nullptr, 10, 1);
  EXPECT_EQ(wasmheap_usable_size(nullptr), 0u);
  EXPECT_EQ(wasmheap_check(), nullptr);
}

TEST(MallocFamily, ImpossibleAlignedRequestsFailWithEnomem) {
  for (std::size_t align : {std::size_t{32}, std::size_t{64}, std::size_t{1024}}) {
    // Sizes no wasm32 heap can give (on a 64-bit host, above 2^63 too).
    for (std::size_t size : {std::size_t{SIZE_MAX}, std::size_t{SIZE_MAX - 100}, wasmheap::max_block_size + 1}) {
      errno = 0;
      EXPECT_EQ(wasmheap_aligned_alloc(align, size), nullptr) << align << " " << size;
      EXPECT_EQ(errno, ENOMEM);
      errno = 0;
      EXPECT_EQ(wasmheap_memalign(align, size), nullptr);
      EXPECT_EQ(errno, ENOMEM);
      void* out = &errno;
      EXPECT_EQ(wasmheap_posix_memalign(&out, align, size), ENOMEM);
      EXPECT_EQ(out, &errno) << "posix_memalign wrote its output on failure";
      EXPECT_EQ(wasmheap_alloc(size, align), nullptr);
    }
  }
}

TEST(CApi, StatsSeeEveryAllocation) {
  auto before = current_stats();
  void* a = wasmheap_malloc(16);
  void* b = wasmheap_malloc(200000);
  auto during = current_stats();
  EXPECT_EQ(during.bytes_live, before.bytes_live + 16 + 196 * wasmheap::unit_size);  // 200,000 B: 196 units
  EXPECT_EQ(during.blocks_live, before.blocks_live + 2);
  EXPECT_EQ(during.big_blocks_live, before.big_blocks_live + 1);
  EXPECT_EQ(during.class_slot_size[1], 16u);
  EXPECT_EQ(during.class_blocks_live[1], before.class_blocks_live[1] + 1);
  EXPECT_GE(during.bytes_held, during.bytes_live);
  EXPECT_GE(during.bytes_held_peak, during.bytes_held);
  EXPECT_GT(during.class_count, 0u);
  wasmheap_free_unsized(a);
  wasmheap_free_unsized(b);
  EXPECT_EQ(current_stats().bytes_live, before.bytes_live);
}

TEST(MallocFamily, SixteenBytesAreUsableAsSixteen) {
  void* p = wasmheap_malloc(16);
  ASSERT_NE(p, nullptr);
  // A 16 B slot (no word reserved, as Zig's WasmAllocator has), or a free 32 B
  // one if the 16 B class had no slab (heap_test.cpp checks the first on a heap of its own).
  std::size_t usable = wasmheap_malloc_usable_size(p);
  EXPECT_TRUE(usable == 16u || usable == 32u) << usable;
  wasmheap_free_unsized(p);
}

TEST(MallocFamily, ImpossibleSizesSetEnomem) {
  errno = 0;
  EXPECT_EQ(wasmheap_malloc(SIZE_MAX), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(wasmheap_calloc(SIZE_MAX / 2, 4), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(wasmheap_calloc(65536, 65536 + 1), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(wasmheap_reallocarray(nullptr, SIZE_MAX / 2, 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(MallocFamily, CallocMemoryIsZeroEvenWhenReused) {
  for (std::size_t size : {std::size_t{24}, std::size_t{3000}, std::size_t{300000}}) {
    auto* dirty = static_cast<unsigned char*>(wasmheap_malloc(size));
    ASSERT_NE(dirty, nullptr);
    std::memset(dirty, 0xAB, size);
    wasmheap_free_unsized(dirty);
    auto* p = static_cast<unsigned char*>(wasmheap_calloc(size / 4, 4));
    ASSERT_NE(p, nullptr);
    for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(p[i], 0) << "size " << size << " byte " << i;
    wasmheap_free_unsized(p);
  }
}

TEST(MallocFamily, FreeOfNullIsANoOp) {
  auto before = current_stats();
  wasmheap_free_unsized(nullptr);
  EXPECT_EQ(current_stats().blocks_live, before.blocks_live);
}

TEST(MallocFamily, PosixMemalignChecksItsAlignment) {
  void* p = reinterpret_cast<void*>(0x1234);
  EXPECT_EQ(wasmheap_posix_memalign(&p, 24, 100), EINVAL);
  EXPECT_EQ(wasmheap_posix_memalign(&p, 0, 100), EINVAL);
  EXPECT_EQ(wasmheap_posix_memalign(&p, sizeof(void*) / 2, 100), EINVAL);
  EXPECT_EQ(p, reinterpret_cast<void*>(0x1234));  // untouched on failure
  EXPECT_EQ(wasmheap_posix_memalign(&p, 16, SIZE_MAX), ENOMEM);
  EXPECT_EQ(p, reinterpret_cast<void*>(0x1234));
  for (std::size_t align = sizeof(void*); align <= (std::size_t{1} << 20); align <<= 1) {
    ASSERT_EQ(wasmheap_posix_memalign(&p, align, 100), 0);
    EXPECT_TRUE(aligned_to(p, align));
    wasmheap_free_unsized(p);
  }
}

TEST(MallocFamily, AlignedAllocAndMemalignRejectBadAlignments) {
  errno = 0;
  EXPECT_EQ(wasmheap_aligned_alloc(24, 48), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(wasmheap_memalign(0, 48), nullptr);
  EXPECT_EQ(errno, EINVAL);
  void* a = wasmheap_aligned_alloc(4096, 10);  // C17: size need not be a multiple
  void* m = wasmheap_memalign(128, 1000);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(aligned_to(a, 4096));
  EXPECT_TRUE(aligned_to(m, 128));
  wasmheap_free_unsized(a);
  wasmheap_free_unsized(m);
}

TEST(MallocFamily, ReallocFollowsC) {
  auto* p = static_cast<char*>(wasmheap_realloc(nullptr, 10));
  ASSERT_NE(p, nullptr);
  std::strcpy(p, "wasmheap!");
  p = static_cast<char*>(wasmheap_realloc(p, 100000));
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "wasmheap!");
  errno = 0;
  EXPECT_EQ(wasmheap_realloc(p, SIZE_MAX), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_STREQ(p, "wasmheap!");  // the old block is intact
  p = static_cast<char*>(wasmheap_reallocarray(p, 3, 5));
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "wasmheap!");
  // realloc(p, 0) returns a minimal live block, as wasi-libc's dlmalloc does.
  void* z = wasmheap_realloc(p, 0);
  ASSERT_NE(z, nullptr);
  EXPECT_GT(wasmheap_malloc_usable_size(z), 0u);
  wasmheap_free_unsized(z);
}

TEST(MallocFamily, UsableSizeOfNullAndForeignIsZero) {
  int local = 0;
  EXPECT_EQ(wasmheap_malloc_usable_size(nullptr), 0u);
  EXPECT_EQ(wasmheap_malloc_usable_size(&local), 0u);
}

TEST(CxxAdapters, StlAllocatorServesContainers) {
  auto before = current_stats();
  {
    std::vector<int, wasmheap::allocator<int>> v;
    for (int i = 0; i < 10000; ++i) v.push_back(i);
    std::map<int, std::string, std::less<>, wasmheap::allocator<std::pair<const int, std::string>>> m;
    for (int i = 0; i < 500; ++i) m.emplace(i, std::to_string(i));
    EXPECT_EQ(v[9999], 9999);
    EXPECT_EQ(m.at(321), "321");
    EXPECT_GT(current_stats().blocks_live, before.blocks_live + 500);
  }
  EXPECT_EQ(current_stats().blocks_live, before.blocks_live);
}

TEST(CxxAdapters, PmrResourceServesPmrContainers) {
  auto before = current_stats();
  {
    std::pmr::vector<std::pmr::string> words(wasmheap::get_memory_resource());
    for (int i = 0; i < 1000; ++i) words.emplace_back("a string long enough to need the heap #" + std::to_string(i));
    EXPECT_EQ(words[999].substr(words[999].size() - 4), "#999");
    EXPECT_GT(current_stats().blocks_live, before.blocks_live + 1000);
    EXPECT_TRUE(wasmheap::get_memory_resource()->is_equal(*wasmheap::get_memory_resource()));
  }
  EXPECT_EQ(current_stats().blocks_live, before.blocks_live);
}

}  // namespace
