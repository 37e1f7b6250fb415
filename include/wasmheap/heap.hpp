// Heap<Memory, Classes>: the allocator. Small requests live in slots carved from
// 64 KiB slab pages, one free list and one bump range per size class; big
// requests take whole page runs from the page layer. The page map tells, from any
// pointer, which class or how many pages its block has, so there are no headers.
#pragma once

#include <wasmheap/layout.hpp>
#include <wasmheap/page_map.hpp>
#include <wasmheap/page_runs.hpp>
#include <wasmheap/size_classes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace wasmheap {

template <class Classes>
struct HeapStats {
  std::size_t bytes_live = 0;  // bytes of the slots and page runs held by live blocks
  std::size_t bytes_peak = 0;  // highest bytes_live so far
  std::size_t pages_grown = 0;  // 64 KiB pages the memory backend has grown
  std::size_t blocks_live = 0;
  std::size_t big_blocks_live = 0;
  std::size_t class_blocks_live[Classes::count] = {};
};

template <class Memory, class Classes = PowerOfTwoClasses>
class Heap {
 public:
  using Stats = HeapStats<Classes>;
  using class_policy = Classes;
  static constexpr unsigned class_count = Classes::count;

  constexpr explicit Heap(Memory memory = Memory()) noexcept : pages_(std::move(memory)) {}
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // len bytes aligned to align (a power of two); nullptr if impossible or out of
  // memory. len == 0 gives a distinct, freeable minimal block.
  void* alloc(std::size_t len, std::size_t align) noexcept {
    if (!is_power_of_two(align)) [[unlikely]]
      return nullptr;
    unsigned c = Classes::class_of(len, align);
    if (c < class_count) [[likely]]
      return alloc_small(c);
    return alloc_big(len, align);
  }

  // Frees a block given the len and align it was allocated (or last resized) with.
  void free(void* p, std::size_t len, std::size_t align) noexcept {
    if (p == nullptr) return;
    unsigned c = Classes::class_of(len, align);
    if (c < class_count) [[likely]]
      free_small(p, c);
    else
      free_big(p);
  }

  // Frees a block from its pointer alone. nullptr and pointers the heap never
  // handed out are ignored.
  void free(void* p) noexcept {
    if (p == nullptr || !pages_.owns(p)) return;
    std::uint32_t page = pages_.page_of(p);
    switch (map().kind(page)) {
      case PageKind::slab: free_small(p, map().value(page)); break;
      case PageKind::big: free_big(p); break;
      default: break;
    }
  }

  // Whether the block can take new_len bytes without moving. Small blocks can
  // while the size class stays the same; big blocks shrink by giving back tail
  // pages and grow into free pages right after them or at the top of memory.
  bool resize(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    unsigned c = Classes::class_of(len, align);
    if (c < class_count) return Classes::class_of(new_len, align) == c;
    return Classes::class_of(new_len, align) == class_count && resize_big(p, new_len);
  }

  void* remap(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    return resize(p, len, align, new_len) ? p : nullptr;
  }

  // Bytes the block at p can hold (its slot or page run); 0 for foreign pointers.
  std::size_t usable_size(const void* p) const noexcept {
    if (p == nullptr || !pages_.owns(p)) return 0;
    std::uint32_t page = pages_.page_of(p);
    switch (map().kind(page)) {
      case PageKind::slab: return Classes::slot_size(map().value(page));
      case PageKind::big: return std::size_t{map().value(page)} << page_shift;
      default: return 0;
    }
  }

  // C realloc over the unsized API: nullptr p allocates; the block stays in
  // place when new_len keeps its class (small) or fits in place (big); otherwise
  // it moves, and on failure the old block is left untouched and nullptr returned.
  void* realloc(void* p, std::size_t new_len) noexcept {
    if (p == nullptr) return alloc(new_len, 1);
    std::size_t old_size = usable_size(p);
    if (old_size == 0) return nullptr;
    unsigned c = Classes::class_of(new_len, 1);
    std::uint32_t page = pages_.page_of(p);
    if (map().is(page, PageKind::slab) ? c == map().value(page) : c == class_count && resize_big(p, new_len))
      return p;
    void* q = alloc(new_len, 1);
    if (q == nullptr) return nullptr;
    __builtin_memcpy(q, p, std::min(old_size, new_len));
    free(p);
    return q;
  }

  Stats stats() const noexcept {
    Stats s = stats_;
    s.pages_grown = pages_.memory().pages_grown();
    return s;
  }

  // The first inconsistency in the heap's structures, or nullptr if sound.
  const char* check() const noexcept { return pages_.check(); }

  Memory& memory() noexcept { return pages_.memory(); }
  const PageMap& map() const noexcept { return pages_.map(); }

 private:
  struct FreeSlot {
    FreeSlot* next;
  };

  void* alloc_small(unsigned c) noexcept {
    void* p = free_slots_[c];
    if (p != nullptr) {
      free_slots_[c] = free_slots_[c]->next;
    } else if (bump_[c] != bump_end_[c]) {
      p = bump_[c];
      bump_[c] += Classes::slot_size(c);
    } else {
      p = new_slab(c);
      if (p == nullptr) return nullptr;
    }
    note_alloc(Classes::slot_size(c), stats_.class_blocks_live[c]);
    return p;
  }

  // Starts a fresh slab page for class c and returns its first slot.
  [[gnu::noinline]] std::byte* new_slab(unsigned c) noexcept {
    std::byte* page = pages_.take(1);
    if (page == nullptr) return nullptr;
    pages_.map().set(pages_.page_of(page), PageKind::slab, c);
    std::size_t size = Classes::slot_size(c);
    bump_[c] = page + size;
    bump_end_[c] = page + page_size / size * size;
    return page;
  }

  void free_small(void* p, unsigned c) noexcept {
    auto* slot = static_cast<FreeSlot*>(p);
    slot->next = free_slots_[c];
    free_slots_[c] = slot;
    note_free(Classes::slot_size(c), stats_.class_blocks_live[c]);
  }

  [[gnu::noinline]] void* alloc_big(std::size_t len, std::size_t align) noexcept {
    if (len > max_block_size || align > max_block_size) return nullptr;
    std::size_t pages = big_block_pages(len);
    std::byte* p = pages_.take(pages, align);
    if (p == nullptr) return nullptr;
    note_alloc(pages << page_shift, stats_.big_blocks_live);
    return p;
  }

  [[gnu::noinline]] void free_big(void* p) noexcept {
    std::uint32_t page = pages_.page_of(p), pages = map().value(page);
    pages_.give(page, pages);
    note_free(std::size_t{pages} << page_shift, stats_.big_blocks_live);
  }

  // A big block has at least one page, even for len 0 with a page-sized alignment.
  static std::size_t big_block_pages(std::size_t len) noexcept { return std::max<std::size_t>(pages_for(len), 1); }

  bool resize_big(void* p, std::size_t new_len) noexcept {
    if (new_len > max_block_size) return false;
    std::uint32_t page = pages_.page_of(p), pages = map().value(page);
    auto new_pages = static_cast<std::uint32_t>(big_block_pages(new_len));
    if (new_pages < pages)
      pages_.shrink(page, pages, new_pages);
    else if (new_pages > pages && !pages_.extend(page, pages, new_pages))
      return false;
    stats_.bytes_live = stats_.bytes_live - (std::size_t{pages} << page_shift) + (std::size_t{new_pages} << page_shift);
    stats_.bytes_peak = std::max(stats_.bytes_peak, stats_.bytes_live);
    return true;
  }

  void note_alloc(std::size_t bytes, std::size_t& class_count_live) noexcept {
    stats_.bytes_live += bytes;
    stats_.bytes_peak = std::max(stats_.bytes_peak, stats_.bytes_live);
    ++stats_.blocks_live;
    ++class_count_live;
  }
  void note_free(std::size_t bytes, std::size_t& class_count_live) noexcept {
    stats_.bytes_live -= bytes;
    --stats_.blocks_live;
    --class_count_live;
  }

  FreeSlot* free_slots_[class_count] = {};
  std::byte* bump_[class_count] = {};
  std::byte* bump_end_[class_count] = {};
  Stats stats_;
  PageRuns<Memory> pages_;
};

}  // namespace wasmheap
