// The page layer: hands out runs of whole 64 KiB pages (for slabs and big
// blocks) and takes them back, over a memory backend that can only grow.
//
// - A request takes exactly the pages it needs, best-fit from the free runs;
//   only when none fits does memory grow, and then only by what a free run at
//   the top of memory lacks.
// - A freed run merges with free neighbours on both sides, so pages freed by
//   different blocks serve any later request.
// - A run can grow in place into a free right neighbour, or past the top of
//   memory (memory.grow extends the heap contiguously), and shrink in place.
//
// Free runs keep their links in their own first page; their lengths live in the
// page map at both ends (boundary tags), which is how a freed run finds its left
// neighbour's start. Runs are binned by floor(log2(pages)).
//
// The page map grows with the heap (see page_map.hpp): before memory grows past
// what the map covers, the map moves to pages of its own, taken like any run.
// When those pages sit right above a block that grows in place at the top of
// memory, the map moves up out of its way.
#pragma once

#include <wasmheap/layout.hpp>
#include <wasmheap/page_map.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace wasmheap {

template <class Memory>
class PageRuns {
 public:
  constexpr explicit PageRuns(Memory memory) noexcept : memory_(std::move(memory)) {}

  Memory& memory() noexcept { return memory_; }
  const Memory& memory() const noexcept { return memory_; }
  const PageMap& map() const noexcept { return map_; }
  PageMap& map() noexcept { return map_; }

  // Index of the page holding p. Meaningful only when owns(p).
  std::uint32_t page_of(const void* p) const noexcept {
    return static_cast<std::uint32_t>((reinterpret_cast<std::uintptr_t>(p) - memory_.base()) >> page_shift);
  }
  std::byte* address_of(std::uint32_t page) const noexcept {
    return reinterpret_cast<std::byte*>(memory_.base() + (std::uintptr_t{page} << page_shift));
  }
  // Whether p points into memory below the heap's top (so its map entry is meaningful).
  bool owns(const void* p) const noexcept {
    return reinterpret_cast<std::uintptr_t>(p) - memory_.base() < (std::uintptr_t{top_} << page_shift);
  }

  // Takes over pages [first, end) that already exist (memory present before any
  // growth) as one free run; the heap's top becomes `end`. Only before any take.
  void adopt(std::uint32_t first, std::uint32_t end) noexcept {
    if (!cover(end)) return;
    top_ = std::max(top_, end);
    if (first >= end) return;
    mark_interior(first + 1, end);
    give(first, end - first);
  }

  // One past the highest page the heap owns.
  std::uint32_t top() const noexcept { return top_; }

  // One page for a slab, marked as a big block of one page. Slabs come from the
  // lowest free run, so they gather at the bottom of memory and leave the runs
  // above them to big blocks, which can then grow in place.
  std::byte* take_low_page() noexcept {
    std::uint32_t first = 0;
    if (lowest_run(first)) {
      take_from_free_run(first, 1);
      map_.set(first, PageKind::big, 1);
      return address_of(first);
    }
    return take(1);
  }

  // A run of n pages starting at an address aligned to `align` bytes, marked in
  // the map as a big block of n pages; nullptr when memory cannot (or, without
  // may_grow, must not) grow enough.
  std::byte* take(std::size_t n, std::size_t align = page_size, bool may_grow = true) noexcept {
    std::size_t slack = align > page_size ? (align >> page_shift) - 1 : 0;
    if (n == 0 || n + slack > max_memory_pages) return nullptr;
    auto span = static_cast<std::uint32_t>(n + slack);
    std::uint32_t first = 0;
    if (!take_span(span, first, may_grow)) return nullptr;
    if (slack == 0) return address_of(first);
    // Over-aligned: keep the aligned part of the span, give back both ends.
    auto aligned = (reinterpret_cast<std::uintptr_t>(address_of(first)) + align - 1) & ~(std::uintptr_t{align} - 1);
    std::uint32_t start = page_of(reinterpret_cast<void*>(aligned));
    auto pages = static_cast<std::uint32_t>(n);
    map_.set(start, PageKind::big, pages);
    if (start > first) give(first, start - first);
    if (start + pages < first + span) give(start + pages, first + span - start - pages);
    return address_of(start);
  }

  // Returns the run [first, first + n) to the free runs, merged with free neighbours.
  // Pages after the first must be marked interior.
  void give(std::uint32_t first, std::uint32_t n) noexcept {
    std::uint32_t start = first, len = n, end = first + n;
    if (start > 0 && map_.is(start - 1, PageKind::free)) {
      std::uint32_t left = map_.value(start - 1);
      unlink(start - left);
      map_.set(start - 1, PageKind::interior);
      map_.set(start, PageKind::interior);
      start -= left;
      len += left;
    }
    if (end < top_ && map_.is(end, PageKind::free)) {
      std::uint32_t right = map_.value(end);
      unlink(end);
      map_.set(end - 1, PageKind::interior);
      map_.set(end, PageKind::interior);
      len += right;
    }
    add_free(start, len);
  }

  // Grows the big block at `first` from n to new_n pages without moving it: into
  // a free right neighbour, and past the top of memory if the block (or that
  // neighbour) ends there.
  bool extend(std::uint32_t first, std::uint32_t n, std::uint32_t new_n) noexcept {
    std::uint32_t end = first + n, need = new_n - n;
    if (!cover(top_ + need)) return false;
    std::uint32_t right = end < top_ && map_.is(end, PageKind::free) ? map_.value(end) : 0;
    if (right < need) {
      if (right == 0 && map_is_between(end, top_)) {
        if (!shift_map_up(need)) return false;
        map_.set(first, PageKind::big, new_n);
        return true;
      }
      if (end + right != top_ || !grow_at_top(need - right)) return false;
    }
    if (right != 0) {
      unlink(end);
      map_.set(end, PageKind::interior);
      if (right > need)
        add_free(end + need, right - need);
      else
        map_.set(end + right - 1, PageKind::interior);
    }
    map_.set(first, PageKind::big, new_n);
    return true;
  }

  // Shrinks the big block at `first` from n to new_n (>= 1) pages, freeing the tail.
  void shrink(std::uint32_t first, std::uint32_t n, std::uint32_t new_n) noexcept {
    map_.set(first, PageKind::big, new_n);
    give(first + new_n, n - new_n);
  }

  // Walks every page below the top and every bin; returns the first
  // inconsistency found, or nullptr if the page layer is sound.
  const char* check() const noexcept {
    if (top_ > map_.capacity()) return "page map does not cover the heap";
    std::uint32_t free_runs = 0;
    for (std::uint32_t page = 0; page < top_;) {
      PageKind kind = map_.kind(page);
      bool is_run = kind == PageKind::big || kind == PageKind::free || kind == PageKind::page_map;
      std::uint32_t len = is_run ? map_.value(page) : 1;
      if (kind == PageKind::page_map && !map_is_between(page, page + len)) return "stray page-map pages";
      if (kind == PageKind::interior) return "interior page outside any run";
      if (len == 0 || page + len > top_) return "run passes the top of memory";
      for (std::uint32_t i = 1; i + 1 < len; ++i)
        if (!map_.is(page + i, PageKind::interior)) return "run page not marked interior";
      if (kind == PageKind::free) {
        if (len > 1 && (!map_.is(page + len - 1, PageKind::free) || map_.value(page + len - 1) != len))
          return "free run's tail does not match its head";
        if (page > 0 && map_.is(page - 1, PageKind::free)) return "free runs left unmerged";
        ++free_runs;
      } else if (kind == PageKind::big && len > 1 && !map_.is(page + len - 1, PageKind::interior)) {
        return "big block's last page not marked interior";
      }
      page += len;
    }
    std::uint32_t binned = 0;
    for (unsigned b = 0; b < bin_count; ++b) {
      const FreeRun* prev = nullptr;
      for (const FreeRun* run = bins_[b]; run != nullptr; prev = run, run = run->next) {
        if (++binned > free_runs) return "free list longer than the free runs (cycle?)";
        std::uint32_t page = page_of(run);
        if (page >= top_ || !map_.is(page, PageKind::free)) return "binned run is not free";
        if (bin_of(map_.value(page)) != b) return "free run in the wrong bin";
        if (run->prev != prev) return "free list back link broken";
      }
    }
    return binned == free_runs ? nullptr : "free run missing from the bins";
  }

 private:
  struct FreeRun {
    FreeRun* next;
    FreeRun* prev;
  };
  static constexpr unsigned bin_count = 17;  // floor(log2(1 .. 65,536))
  static unsigned bin_of(std::uint32_t pages) noexcept { return std::bit_width(pages) - 1; }

  FreeRun* run_at(std::uint32_t page) const noexcept { return reinterpret_cast<FreeRun*>(address_of(page)); }

  // Marks [first, first + len) free at both ends and files it in its bin.
  void add_free(std::uint32_t first, std::uint32_t len) noexcept {
    map_.set(first, PageKind::free, len);
    map_.set(first + len - 1, PageKind::free, len);
    FreeRun* run = run_at(first);
    FreeRun*& head = bins_[bin_of(len)];
    run->next = head;
    run->prev = nullptr;
    if (head != nullptr) head->prev = run;
    head = run;
  }

  void unlink(std::uint32_t first) noexcept {
    FreeRun* run = run_at(first);
    if (run->prev != nullptr)
      run->prev->next = run->next;
    else
      bins_[bin_of(map_.value(first))] = run->next;
    if (run->next != nullptr) run->next->prev = run->prev;
  }

  // The smallest free run of at least n pages in n's bin, else in the first
  // non-empty bin above it (where every run fits).
  bool best_fit(std::uint32_t n, std::uint32_t& found) const noexcept {
    for (unsigned b = bin_of(n); b < bin_count; ++b) {
      std::uint32_t best_len = 0;
      for (FreeRun* run = bins_[b]; run != nullptr; run = run->next) {
        std::uint32_t page = page_of(run), len = map_.value(page);
        if (len >= n && (best_len == 0 || len < best_len)) {
          found = page;
          best_len = len;
          if (len == n) break;
        }
      }
      if (best_len != 0) return true;
    }
    return false;
  }

  // Takes the first n pages of the free run at `first`, leaving the rest free.
  // The caller marks the first page.
  void take_from_free_run(std::uint32_t first, std::uint32_t n) noexcept {
    std::uint32_t len = map_.value(first);
    unlink(first);
    if (len > n)
      add_free(first + n, len - n);
    else if (len > 1)
      map_.set(first + len - 1, PageKind::interior);
  }

  // The free run at the lowest address.
  bool lowest_run(std::uint32_t& found) const noexcept {
    const FreeRun* lowest = nullptr;
    for (const FreeRun* head : bins_)
      for (const FreeRun* run = head; run != nullptr; run = run->next)
        if (lowest == nullptr || run < lowest) lowest = run;
    if (lowest != nullptr) found = page_of(lowest);
    return lowest != nullptr;
  }

  // Finds or makes a run of exactly n pages and marks it as one big block.
  bool take_span(std::uint32_t n, std::uint32_t& first, bool may_grow) noexcept {
    if (best_fit(n, first)) {
      take_from_free_run(first, n);
    } else if (!may_grow || !cover(std::max<std::size_t>(memory_.size_pages(), top_) + n)) {
      return false;
    } else {
      // A free run at the top of memory is topped up instead of left behind.
      std::uint32_t tail = top_ > 0 && map_.is(top_ - 1, PageKind::free) ? map_.value(top_ - 1) : 0;
      if (tail != 0 && grow_at_top(n - tail)) {
        first = top_ - n;
        unlink(first);
        map_.set(first + tail - 1, PageKind::interior);
      } else {
        std::byte* fresh = memory_.grow(n);
        if (fresh == nullptr) return false;
        first = page_of(fresh);
        mark_interior(first + 1, first + n);
        top_ = first + n;
      }
    }
    map_.set(first, PageKind::big, n);
    return true;
  }

  // Grows memory by n pages right at the heap's top; fails if memory was grown
  // by someone else since (the new pages would not be contiguous with ours).
  bool grow_at_top(std::uint32_t n) noexcept {
    if (memory_.size_pages() != top_ || memory_.grow(n) == nullptr) return false;
    mark_interior(top_, top_ + n);
    top_ += n;
    return true;
  }

  // Makes the page map cover every page below `needed`: moves it, at twice that
  // size, into a free run that fits or onto fresh pages at the top of memory.
  bool cover(std::size_t needed) noexcept {
    if (needed <= map_.capacity()) return true;
    if (needed > max_memory_pages) return false;
    // Fresh pages for the map land at the current end of memory, which may lie
    // above the heap's top if something else grew memory: cover those too.
    std::size_t span = std::max(needed, memory_.size_pages() + map_pages(max_memory_pages));
    auto capacity = static_cast<std::uint32_t>(std::min(std::bit_ceil(span) * 2, max_memory_pages));
    std::uint32_t pages = map_pages(capacity), first = 0;
    bool fresh = !best_fit(pages, first);
    if (fresh) {
      // Below `capacity`: memory is at most `needed` pages before this growth.
      std::byte* grown = memory_.grow(pages);
      if (grown == nullptr) return false;
      first = page_of(grown);
    } else {
      take_from_free_run(first, pages);
    }
    const void* old_storage = map_.is_inline() ? nullptr : map_.storage();
    std::uint32_t old_pages = map_pages(map_.capacity());
    map_.move_to(reinterpret_cast<std::uint32_t*>(address_of(first)), capacity);
    if (fresh) {
      mark_interior(first + 1, first + pages);
      top_ = first + pages;
    }
    map_.set(first, PageKind::page_map, pages);
    if (old_storage != nullptr) give(page_of(old_storage), old_pages);
    return true;
  }

  static std::uint32_t map_pages(std::uint32_t capacity) noexcept {
    return static_cast<std::uint32_t>(pages_for(std::size_t{capacity} * sizeof(std::uint32_t)));
  }

  // Whether the page map's own pages are exactly [first, end).
  bool map_is_between(std::uint32_t first, std::uint32_t end) const noexcept {
    return !map_.is_inline() && page_of(map_.storage()) == first && first + map_.value(first) == end;
  }

  // The map sits at the top of memory, right above a block that wants n more
  // pages: grow memory by n and move the map up by n pages, leaving the pages it
  // held (marked interior) for the block below.
  bool shift_map_up(std::uint32_t n) noexcept {
    std::uint32_t first = page_of(map_.storage()), pages = map_.value(first);
    if (top_ + n > map_.capacity() || memory_.size_pages() != top_ || memory_.grow(n) == nullptr) return false;
    map_.move_to(reinterpret_cast<std::uint32_t*>(address_of(first + n)), map_.capacity());
    mark_interior(first, top_ + n);
    map_.set(first + n, PageKind::page_map, pages);
    top_ += n;
    return true;
  }

  void mark_interior(std::uint32_t from, std::uint32_t to) noexcept {
    for (std::uint32_t page = from; page < to; ++page) map_.set(page, PageKind::interior);
  }

  FreeRun* bins_[bin_count] = {};
  std::uint32_t top_ = 0;  // one past the highest page the heap has grown
  Memory memory_;
  PageMap map_;
};

}  // namespace wasmheap
