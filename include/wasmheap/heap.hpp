// Heap<Memory, Classes>: the allocator. Small requests live in slots carved from
// 64 KiB slab pages, one free list and one bump range per size class; big
// requests take whole page runs from the page layer. The page map tells, from any
// pointer, which class or how many pages its block has, so there are no headers.
#pragma once

#include <wasmheap/checked.hpp>
#include <wasmheap/chunk_table.hpp>
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
    if constexpr (checked_build) Checks::sized_block(*this, p, len, align, "free");
    unsigned c = Classes::class_of(len, align);
    if (c < class_count) [[likely]]
      free_small(p, c);
    else
      free_big(p);
  }

  // Frees a block from its pointer alone. nullptr and pointers the heap never
  // handed out are ignored.
  void free(void* p) noexcept {
    if constexpr (checked_build) Checks::live_block(*this, p, "free");
    unsigned c = block_class(p);
    if (c < class_count)
      free_small(p, c);
    else if (c == class_count)
      free_big(p);
  }

  // Whether the block can take new_len bytes without moving. Small blocks can
  // while the size class stays the same; big blocks shrink by giving back tail
  // pages and grow into free pages right after them or at the top of memory.
  bool resize(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    if constexpr (checked_build) Checks::sized_block(*this, p, len, align, "resize");
    unsigned c = Classes::class_of(len, align);
    if (c < class_count) return Classes::class_of(new_len, align) == c;
    return Classes::class_of(new_len, align) == class_count && resize_big(p, new_len);
  }

  void* remap(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    return resize(p, len, align, new_len) ? p : nullptr;
  }

  // Bytes the block at p can hold (its slot or page run); 0 for foreign pointers.
  std::size_t usable_size(const void* p) const noexcept {
    unsigned c = block_class(p);
    if (c < class_count) return Classes::slot_size(c);
    return c == class_count ? std::size_t{map().value(pages_.page_of(p))} << page_shift : 0;
  }

  // C realloc over the unsized API: nullptr p allocates; the block stays in
  // place when new_len keeps its class (small) or fits in place (big); otherwise
  // it moves, and on failure the old block is left untouched and nullptr returned.
  void* realloc(void* p, std::size_t new_len) noexcept {
    if (p == nullptr) return alloc(new_len, 1);
    if constexpr (checked_build) Checks::live_block(*this, p, "realloc");
    unsigned c = block_class(p);
    if (c > class_count) return nullptr;
    unsigned new_c = Classes::class_of(new_len, 1);
    if (new_c == c && (c < class_count || resize_big(p, new_len))) return p;
    void* q = alloc(new_len, 1);
    if (q == nullptr) return nullptr;
    __builtin_memcpy(q, p, std::min(usable_size(p), new_len));
    free(p);
    return q;
  }

  Stats stats() const noexcept {
    Stats s = stats_;
    s.pages_grown = pages_.memory().pages_grown();
    return s;
  }

  // The first inconsistency in the heap's structures, or nullptr if sound: the
  // page layer's runs and bins, then every class's bump range and free list,
  // then the statistics against the blocks the page map holds.
  const char* check() const noexcept {
    if (const char* problem = pages_.check()) return problem;
    return check_blocks();
  }

  Memory& memory() noexcept { return pages_.memory(); }
  const PageMap& map() const noexcept { return pages_.map(); }

 private:
  // The checked build's checks (checked.hpp) read the heap's free lists and map.
  using Checks = checked::HeapChecks<Heap>;
  friend Checks;

  struct FreeSlot {
    FreeSlot* next;
  };

  // The small class of the block at p; class_count for a big block; above that
  // for anything the heap did not hand out.
  unsigned block_class(const void* p) const noexcept {
    if (p == nullptr || !pages_.owns(p)) return class_count + 1;
    std::uint32_t page = pages_.page_of(p);
    switch (map().kind(page)) {
      case PageKind::slab: return map().value(page);
      case PageKind::big: return class_count;
      case PageKind::chunked: {
        unsigned c = chunks_.class_at(map().value(page), p);
        return c < class_count ? c : class_count + 1;
      }
      default: return class_count + 1;
    }
  }

  // Bytes of the slab holding p: a whole page, or a chunk of a chunked page.
  // Slabs are aligned to their size, so p's offset in its slab is p mod that.
  std::size_t slab_bytes_at(const void* p) const noexcept {
    return map().is(pages_.page_of(p), PageKind::chunked) ? ChunkTable::chunk_size : page_size;
  }

  // Whether p is the start of a slot in a slab of class c.
  bool is_slot_start(const void* p, unsigned c) const noexcept {
    if (block_class(p) != c) return false;
    std::size_t bytes = slab_bytes_at(p), size = Classes::slot_size(c);
    std::size_t offset = reinterpret_cast<std::uintptr_t>(p) & (bytes - 1);
    return offset % size == 0 && offset < bytes / size * size;
  }

  // Every slot of a class is live, on its free list or not yet bumped to. The
  // free-list walk stops once it has seen more slots than the slabs hold, so a
  // cycle is reported instead of looping forever.
  const char* check_class(unsigned c, std::size_t capacity) const noexcept {
    std::size_t size = Classes::slot_size(c), unbumped = 0;
    if (bump_[c] != bump_end_[c]) {
      if (bump_[c] > bump_end_[c] || !is_slot_start(bump_[c], c)) return "bump range outside a slab of its class";
      std::size_t bytes = slab_bytes_at(bump_[c]);
      auto slab = reinterpret_cast<std::uintptr_t>(bump_[c]) & ~(std::uintptr_t{bytes} - 1);
      if (reinterpret_cast<std::uintptr_t>(bump_end_[c]) != slab + bytes / size * size)
        return "bump range does not end at its slab's last slot";
      unbumped = static_cast<std::size_t>(bump_end_[c] - bump_[c]) / size;
    }
    std::size_t free_count = 0;
    for (const FreeSlot* slot = free_slots_[c]; slot != nullptr; slot = slot->next) {
      if (++free_count > capacity) return "free list longer than its class's slabs (cycle?)";
      if (!is_slot_start(slot, c)) return "free slot not at a slot of a slab of its class";
      auto* at = reinterpret_cast<const std::byte*>(slot);
      if (at >= bump_[c] && at < bump_end_[c]) return "free slot inside the bump range";
    }
    if (free_count + unbumped + stats_.class_blocks_live[c] != capacity)
      return "a class's live, free and unbumped slots do not add up to its slabs";
    return nullptr;
  }

  // Counts the slots and big blocks the page map holds, and checks each class
  // and the statistics against them.
  const char* check_blocks() const noexcept {
    std::size_t capacity[class_count] = {}, slab_pages = 0, big_blocks = 0, big_bytes = 0;
    for (std::uint32_t page = 0; page < pages_.top(); ++page) {
      std::uint32_t value = map().value(page);
      switch (map().kind(page)) {
        case PageKind::slab:
          if (value >= class_count) return "slab of no class";
          capacity[value] += slots_per_slab(value);
          ++slab_pages;
          break;
        case PageKind::chunked:
          for (unsigned i = 0; i < ChunkTable::chunks_per_page; ++i) {
            unsigned c = chunks_.class_at(value, pages_.address_of(page) + i * ChunkTable::chunk_size);
            if (c < class_count) capacity[c] += ChunkTable::chunk_size / Classes::slot_size(c);
          }
          break;
        case PageKind::big:
          ++big_blocks;
          big_bytes += std::size_t{value} << page_shift;
          break;
        default: break;
      }
    }
    if (slab_pages != slab_pages_) return "slab page count differs from the page map";
    std::size_t small_blocks = 0, small_bytes = 0;
    for (unsigned c = 0; c < class_count; ++c) {
      if (const char* problem = check_class(c, capacity[c])) return problem;
      small_blocks += stats_.class_blocks_live[c];
      small_bytes += stats_.class_blocks_live[c] * Classes::slot_size(c);
    }
    if (stats_.big_blocks_live != big_blocks) return "big_blocks_live differs from the page map";
    if (stats_.blocks_live != small_blocks + big_blocks) return "blocks_live differs from the class and big counts";
    if (stats_.bytes_live != small_bytes + big_bytes) return "bytes_live differs from the live slots and runs";
    if (stats_.bytes_peak < stats_.bytes_live) return "bytes_peak below bytes_live";
    return nullptr;
  }

  void* alloc_small(unsigned c) noexcept {
    void* p = free_slots_[c];
    if (p != nullptr) {
      free_slots_[c] = free_slots_[c]->next;
      if constexpr (checked_build) Checks::slot_taken(*this, p, c);
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

  // Starts a fresh slab for class c and returns its first slot. The first few
  // slabs of a class of small slots are 4 KiB chunks; after that, whole pages.
  [[gnu::noinline]] std::byte* new_slab(unsigned c) noexcept {
    std::size_t size = Classes::slot_size(c);
    std::byte* slab = nullptr;
    std::size_t slab_bytes = ChunkTable::chunk_size;
    if (size <= max_chunk_slot && chunk_slabs_[c] < chunk_slabs_per_class && (slab = new_chunk(c)) != nullptr) {
      ++chunk_slabs_[c];
    } else {
      slab = take_slab_page();
      if (slab == nullptr) return nullptr;
      pages_.map().set(pages_.page_of(slab), PageKind::slab, c);
      ++slab_pages_;
      slab_bytes = page_size;
    }
    bump_[c] = slab + size;
    bump_end_[c] = slab + slab_bytes / size * size;
    return slab;
  }

  static constexpr std::size_t max_chunk_slot = ChunkTable::chunk_size / 4;

  // On first need, takes over the memory that was there before any growth (from
  // __heap_base to the end of the initial memory, on wasm): its whole pages as a
  // free run, and the 4 KiB chunks of the partial page below them as chunk slabs.
  // Backends without initial memory (no initial_free()) skip this.
  void adopt_initial_memory() noexcept {
    if constexpr (requires(Memory& m) { m.initial_free(); }) {
      if (adopted_initial_memory_) return;
      adopted_initial_memory_ = true;
      AddressRange free = pages_.memory().initial_free();
      std::uintptr_t first_page_start = (free.begin + page_size - 1) & ~(std::uintptr_t{page_size} - 1);
      if (free.begin >= free.end || first_page_start > free.end) return;
      std::uint32_t first = pages_.page_of(reinterpret_cast<void*>(first_page_start));
      std::uint32_t end = pages_.page_of(reinterpret_cast<void*>(free.end));
      pages_.adopt(first, end);
      std::uintptr_t first_chunk = (free.begin + ChunkTable::chunk_size - 1) >> ChunkTable::chunk_shift;
      if (first_page_start != free.begin && (first_chunk << ChunkTable::chunk_shift) < first_page_start) {
        std::uint32_t partial = first - 1;
        pages_.map().set(partial, PageKind::chunked,
                         chunks_.add_page(partial, static_cast<unsigned>(first_chunk % ChunkTable::chunks_per_page)));
      }
    }
  }
  static constexpr unsigned chunk_slabs_per_class = 4;

  // A 4 KiB chunk for class c from a chunked page, starting a new chunked page
  // if none has a free chunk; nullptr if neither can be had.
  std::byte* new_chunk(unsigned c) noexcept {
    adopt_initial_memory();
    std::uint32_t page = 0;
    unsigned chunk = 0;
    if (!chunks_.take_chunk(c, page, chunk)) {
      if (chunks_.full()) return nullptr;
      std::byte* fresh = take_slab_page();
      if (fresh == nullptr) return nullptr;
      page = pages_.page_of(fresh);
      pages_.map().set(page, PageKind::chunked, chunks_.add_page(page, 0));
      chunks_.take_chunk(c, page, chunk);
    }
    return pages_.address_of(page) + chunk * ChunkTable::chunk_size;
  }

  static constexpr std::size_t slots_per_slab(unsigned c) noexcept { return page_size / Classes::slot_size(c); }

  // Pages for a slab or big block. Empty slab pages are swept back first once
  // enough slab memory lies free, so they are reused before memory grows and
  // before they scatter between the runs that big blocks grow into.
  std::byte* take_pages(std::size_t n, std::size_t align) noexcept {
    prepare_to_take_pages();
    return pages_.take(n, align);
  }
  std::byte* take_slab_page() noexcept {
    prepare_to_take_pages();
    return pages_.take_low_page();
  }
  void prepare_to_take_pages() noexcept {
    adopt_initial_memory();
    if (free_slab_bytes() >= page_size + 2 * free_slab_bytes_after_sweep_) sweep_empty_slabs();
  }

  // Bytes of slab pages that no live slot holds: free slots and unbumped tails.
  std::size_t free_slab_bytes() const noexcept {
    std::size_t live = 0;
    for (unsigned c = 0; c < class_count; ++c) live += stats_.class_blocks_live[c] * Classes::slot_size(c);
    return slab_pages_ * page_size - live;
  }

  // Gives every slab page without a live slot back to the page layer, for any
  // class or big block to reuse. The free slots of a class are spread over its
  // pages, so finding the empty pages takes a walk over all free lists: their
  // free slots are counted per page in the page map (above the class id), and
  // the slots of pages found empty are unlinked. take_pages runs this only when
  // the free slab memory has grown by a page and at least doubled since the last
  // sweep, so its cost is amortised over the frees that made it worthwhile, and
  // the alloc/free fast paths pay nothing for it.
  [[gnu::noinline]] void sweep_empty_slabs() noexcept {
    PageMap& map = pages_.map();
    auto page_of = [this](const void* p) { return pages_.page_of(p); };
    // Chunk slabs are few and small (chunk_slabs_per_class per class): they stay.
    auto count_free = [&map](std::uint32_t page, std::size_t slots) {
      if (map.is(page, PageKind::slab))
        map.set(page, PageKind::slab, map.value(page) + static_cast<std::uint32_t>(slots << slab_count_shift));
    };
    auto is_empty = [&map](std::uint32_t page, unsigned c) {
      return map.is(page, PageKind::slab) && (map.value(page) >> slab_count_shift) == slots_per_slab(c);
    };
    for (unsigned c = 0; c < class_count; ++c) {
      for (FreeSlot* slot = free_slots_[c]; slot != nullptr; slot = slot->next) count_free(page_of(slot), 1);
      if (bump_[c] != bump_end_[c]) count_free(page_of(bump_[c]), (bump_end_[c] - bump_[c]) / Classes::slot_size(c));
    }
    for (unsigned c = 0; c < class_count; ++c) {
      for (FreeSlot** link = &free_slots_[c]; *link != nullptr;) {
        if (is_empty(page_of(*link), c))
          *link = (*link)->next;
        else
          link = &(*link)->next;
      }
      if (bump_[c] != bump_end_[c] && is_empty(page_of(bump_[c]), c)) bump_[c] = bump_end_[c] = nullptr;
    }
    for (std::uint32_t page = 0; page < pages_.top(); ++page) {
      if (!map.is(page, PageKind::slab)) continue;
      unsigned c = map.value(page) & slab_class_mask;
      if (is_empty(page, c)) {
        pages_.give(page, 1);
        --slab_pages_;
      } else {
        map.set(page, PageKind::slab, c);
      }
    }
    free_slab_bytes_after_sweep_ = free_slab_bytes();
  }

  void free_small(void* p, unsigned c) noexcept {
    auto* slot = static_cast<FreeSlot*>(p);
    slot->next = free_slots_[c];
    free_slots_[c] = slot;
    if constexpr (checked_build) Checks::slot_freed(slot, c);
    note_free(Classes::slot_size(c), stats_.class_blocks_live[c]);
  }

  [[gnu::noinline]] void* alloc_big(std::size_t len, std::size_t align) noexcept {
    if (len > max_block_size || align > max_block_size) return nullptr;
    std::size_t pages = big_block_pages(len);
    std::byte* p = take_pages(pages, align);
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

  // A slab's map entry holds its class id; during a sweep, its free-slot count
  // above that. Outside a sweep the count bits are zero, so value == class id.
  static constexpr unsigned slab_count_shift = 8;
  static constexpr std::uint32_t slab_class_mask = (1u << slab_count_shift) - 1;
  static_assert(class_count <= slab_class_mask);

  FreeSlot* free_slots_[class_count] = {};
  std::byte* bump_[class_count] = {};
  std::byte* bump_end_[class_count] = {};
  bool adopted_initial_memory_ = false;
  std::size_t slab_pages_ = 0;
  std::uint8_t chunk_slabs_[class_count] = {};
  ChunkTable chunks_;
  std::size_t free_slab_bytes_after_sweep_ = 0;
  Stats stats_;
  PageRuns<Memory> pages_;
};

}  // namespace wasmheap
