// The unit layer: hands out runs of whole 1 KiB units (for slabs and big
// blocks) and takes them back, over a memory backend that can only grow, and
// only by 64 KiB pages.
//
// - A request takes exactly the units it needs, best-fit from the free runs;
//   only when none fits does memory grow, and then only by the pages a free run
//   at the top of memory lacks. Units of a grown page left over stay free.
// - A freed run merges with free neighbours on both sides, so units freed by
//   different blocks serve any later request.
// - A run can grow in place into a free right neighbour, or past the top of
//   memory (memory.grow extends the heap contiguously), and shrink in place.
//
// Free runs keep their links in their own first unit; their lengths live in the
// unit map at both ends (boundary tags), which is how a freed run finds its left
// neighbour's start. Runs up to 32 units have a bin per length; longer ones, a
// bin per quarter of a power of two.
//
// The unit map grows with the heap (see unit_map.hpp): once the heap outgrows
// the map inside the heap object, the map takes the heap's last units, and
// whenever memory grows, it moves up to the new top, so free runs below it
// merge whole and a block below can grow in place. Memory grows by at least
// a 32nd of the heap at a time (see grow_top_run), so growths are few and
// moving the map (a 256th of the heap) costs an eighth of a byte per byte
// grown.
#pragma once

#include <wasmheap/checked.hpp>
#include <wasmheap/concepts.hpp>
#include <wasmheap/layout.hpp>
#include <wasmheap/stop.hpp>
#include <wasmheap/unit_map.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace wasmheap {

// Which end of a free run a request takes (UnitRuns::take).
enum class RunEnd { low, high };
// Whether a request may grow memory when no free run fits (UnitRuns::take).
// (Over bool, so that testing one costs what testing a flag would.)
enum class Growth : bool { forbidden, allowed };
// Where new pages may lie (UnitRuns::grow_top_run): anywhere above the heap's
// top, or right after it only (to extend a run that ends there).
enum class Placement : bool { anywhere, contiguous };

// A memory backend under a heap that threads call at once, some calls
// without the heap's lock (SharedMemory, thread_cache.hpp): the unit layer
// then lets them read the map (entry_unlocked).
template <class Memory>
inline constexpr bool is_shared_memory = requires { requires Memory::shared; };

template <MemoryBackend Memory>
class UnitRuns {
 public:
  static constexpr bool shared = is_shared_memory<Memory>;
  using Map = BasicUnitMap<shared>;

  constexpr explicit UnitRuns(Memory memory) noexcept : memory_(std::move(memory)) {}

  Memory& memory() noexcept { return memory_; }
  const Memory& memory() const noexcept { return memory_; }
  const Map& map() const noexcept { return map_; }
  Map& map() noexcept { return map_; }

  // For a thread without the heap's lock (shared memory only): the map entry
  // of the unit holding p, and that unit; false when p is not in the heap, or
  // when the heap's top or its map moved while this read them (a seqlock:
  // the generation is odd while they change, see GeometryChange), so the
  // caller asks again under the lock. A block's own entry does not change
  // while it is live, except for the free-slot count a sweep writes above
  // the class in a slab's first entry.
  [[gnu::always_inline]] bool entry_unlocked(const void* p, std::uint32_t& unit, std::uint32_t& entry) const noexcept
    requires shared
  {
    std::uint32_t generation = shared::load_acquire(geometry_);
    std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(p) - shared::load_acquire(origin_);
    if (offset >= std::uintptr_t{shared::load_acquire(top_)} << unit_shift) return false;
    unit = static_cast<std::uint32_t>(offset >> unit_shift);
    const std::uint32_t* entries = map_.entries_unlocked();
    if (unit >= map_.capacity_unlocked()) return false;
    // The map may lie in pages another thread grew, which this thread's
    // engine may not know of yet (see WasmMemory::catch_up_with_growth).
    if constexpr (requires { memory_.catch_up_with_growth(); }) memory_.catch_up_with_growth();
    entry = shared::load_speculative(entries[unit]);
    return generation % 2 == 0 && shared::load_relaxed(geometry_) == generation;
  }

  // Index of the unit holding p, which lies at or above the heap's first unit
  // (in the heap, or in memory just grown above its top).
  std::uint32_t unit_of(const void* p) const noexcept {
    WASMHEAP_ASSERT(reinterpret_cast<std::uintptr_t>(p) >= origin_);
    return static_cast<std::uint32_t>((reinterpret_cast<std::uintptr_t>(p) - origin_) >> unit_shift);
  }
  // Where p lies inside its unit (units start at multiples of unit_size).
  static std::size_t offset_in_unit(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p) & (unit_size - 1);
  }
  std::byte* address_of(std::uint32_t unit) const noexcept {
    return reinterpret_cast<std::byte*>(origin_ + (std::uintptr_t{unit} << unit_shift));
  }
  // Work done on slow paths, for tests that make sure it stays bounded.
  struct Work {
    std::size_t runs_scanned = 0;     // free runs looked at by best_fit
    std::size_t grows = 0;            // calls that grew memory
    std::size_t map_units_moved = 0;  // units of map copied when it moved
  };
  const Work& work() const noexcept { return work_; }

  // Whether p points into memory below the heap's top (so its map entry is meaningful).
  bool owns(const void* p) const noexcept { return owns(p, top_); }
  // The same, for a loop that has read top() once.
  bool owns(const void* p, std::uint32_t top) const noexcept {
    return reinterpret_cast<std::uintptr_t>(p) - origin_ < (std::uintptr_t{top} << unit_shift);
  }

  // One past the highest unit the heap owns.
  std::uint32_t top() const noexcept { return top_; }

  // A run of n units starting at an address aligned to `align` bytes, marked in
  // the map as a big block of n units; nullptr when memory cannot (or, with
  // Growth::forbidden, must not) grow enough. The units come from the low end of the
  // free run they fit best, or with RunEnd::high, from its high end unless it
  // is the top run, which memory growth extends: a block at its low end can
  // grow in place into the rest.
  std::byte* take(std::size_t n, std::size_t align = unit_size, RunEnd end = RunEnd::low,
                  Growth growth = Growth::allowed) noexcept {
    std::size_t slack = align > unit_size ? (align >> unit_shift) - 1 : 0;
    if (n == 0 || n + slack > max_units) return nullptr;
    auto span = static_cast<std::uint32_t>(n + slack);
    start();
    std::uint32_t first = 0;
    if (!best_fit(span, first)) {
      if (growth == Growth::forbidden || !grow_top_run(span, Placement::anywhere)) return nullptr;
      first = free_top() - map_.value(free_top() - 1);
    }
    if (first + map_.value(first) == free_top()) end = RunEnd::low;
    first = take_from_free_run(first, span, end);
    // Over-aligned: keep the aligned part of the span, give back both ends.
    auto aligned = (reinterpret_cast<std::uintptr_t>(address_of(first)) + align - 1) & ~(std::uintptr_t{align} - 1);
    std::uint32_t block = unit_of(reinterpret_cast<void*>(aligned));
    auto units = static_cast<std::uint32_t>(n);
    map_.set(block, UnitKind::big, units);
    if (block > first) give(first, block - first);
    if (block + units < first + span) give(block + units, first + span - block - units);
    return address_of(block);
  }

  // Returns the run [first, first + n) to the free runs, merged with free
  // neighbours. Units after the first are marked interior.
  void give(std::uint32_t first, std::uint32_t n) noexcept {
    WASMHEAP_ASSERT(n > 0 && first + n <= top_);
    WASMHEAP_ASSERT(n == 1 || map_.is(first + n - 1, UnitKind::interior));
    std::uint32_t start = first, len = n, end = first + n;
    if (start > 0 && map_.is(start - 1, UnitKind::free)) {
      std::uint32_t left = map_.value(start - 1);
      unlink(start - left);
      map_.set(start - 1, UnitKind::interior);
      map_.set(start, UnitKind::interior);
      start -= left;
      len += left;
    }
    if (end < top_ && map_.is(end, UnitKind::free)) {
      std::uint32_t right = map_.value(end);
      unlink(end);
      map_.set(end - 1, UnitKind::interior);
      map_.set(end, UnitKind::interior);
      len += right;
    }
    add_free(start, len);
  }

  // Grows the big block at `first` from n to new_n units without moving it: into
  // a free right neighbour, and past the top of memory if the block (or that
  // neighbour) ends there.
  bool extend(std::uint32_t first, std::uint32_t n, std::uint32_t new_n) noexcept {
    WASMHEAP_ASSERT(map_.is(first, UnitKind::big) && map_.value(first) == n && new_n > n);
    std::uint32_t end = first + n, need = new_n - n;
    std::uint32_t right = end < top_ && map_.is(end, UnitKind::free) ? map_.value(end) : 0;
    if (right < need && (end + right != free_top() || !grow_top_run(need, Placement::contiguous))) return false;
    map_.set(take_from_free_run(end, need, RunEnd::low), UnitKind::interior);
    map_.set(first, UnitKind::big, new_n);
    return true;
  }

  // Shrinks the big block at `first` from n to new_n units, freeing the tail.
  void shrink(std::uint32_t first, std::uint32_t n, std::uint32_t new_n) noexcept {
    WASMHEAP_ASSERT(map_.is(first, UnitKind::big) && map_.value(first) == n && new_n >= 1 && new_n < n);
    map_.set(first, UnitKind::big, new_n);
    give(first + new_n, n - new_n);
  }

  // Walks every unit below the top and every bin; returns the first
  // inconsistency found, or nullptr if the unit layer is sound.
  const char* check() const noexcept {
    if (top_ > map_.capacity()) return "unit map does not cover the heap";
    if (!map_.is_inline() && !map_.is(free_top(), UnitKind::map)) return "unit map not at the heap's top";
    std::uint32_t free_runs = 0;
    for (std::uint32_t unit = 0; unit < top_;) {
      UnitKind kind = map_.kind(unit);
      bool is_run = kind == UnitKind::big || kind == UnitKind::free || kind == UnitKind::map;
      std::uint32_t len = is_run ? map_.value(unit) : 1;
      if (kind == UnitKind::map && (map_.is_inline() || unit != free_top() || unit + len != top_))
        return "map units other than the map's, at the top";
      if (kind == UnitKind::interior) return "interior unit outside any run";
      if (len == 0 || unit + len > top_) return "run passes the top of memory";
      for (std::uint32_t i = 1; i + 1 < len; ++i)
        if (!map_.is(unit + i, UnitKind::interior)) return "run unit not marked interior";
      if (kind == UnitKind::free) {
        if (len > 1 && (!map_.is(unit + len - 1, UnitKind::free) || map_.value(unit + len - 1) != len))
          return "free run's tail does not match its head";
        if (unit > 0 && map_.is(unit - 1, UnitKind::free)) return "free runs left unmerged";
        ++free_runs;
      } else if (kind == UnitKind::big && len > 1 && !map_.is(unit + len - 1, UnitKind::interior)) {
        return "big block's last unit not marked interior";
      }
      unit += len;
    }
    std::uint32_t binned = 0;
    for (unsigned b = 0; b < bin_count; ++b) {
      bool marked = bin_marked(b);
      if (marked != (bins_[b] != nullptr)) return "bitmap of non-empty bins out of step with the bins";
      const FreeRun* prev = nullptr;
      for (const FreeRun* run = bins_[b]; run != nullptr; prev = run, run = run->next) {
        if (++binned > free_runs) return "free list longer than the free runs (cycle?)";
        std::uint32_t unit = unit_of(run);
        if (unit >= top_ || !map_.is(unit, UnitKind::free)) return "binned run is not free";
        if (bin_of(map_.value(unit)) != b) return "free run in the wrong bin";
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
  // Runs of up to 32 units each have a bin of their own, so a request for
  // a slab or a big block up to 32 KiB finds a run that fits in O(1), through
  // the bitmap of non-empty bins. Longer runs have a bin per quarter of a
  // power of two (33-39 units, 40-47, 48-55, 56-63, 64-79, ...): every run
  // in a bin above a request's own fits it, so best_fit looks at a few runs
  // of the request's bin for the best and otherwise takes the first run of
  // the next non-empty bin, which is at most a quarter larger than needed
  // (the rest stays free) -- never a scan of a whole bin.
  static constexpr unsigned exact_bins = 32;
  static constexpr unsigned first_split_octave = std::bit_width(exact_bins) - 1;  // 33 units lie in [2^5, 2^6)
  // The last bin holds runs of max_units (a power of two) and no more.
  static constexpr unsigned bin_count = exact_bins + 4 * (std::bit_width(max_units) - 1 - first_split_octave) + 1;
  static constexpr unsigned bitmap_words = (bin_count + 63) / 64;
  static constexpr unsigned runs_looked_at = 8;  // in a request's own split bin (best_fit)
  static unsigned bin_of(std::uint32_t units) noexcept {
    if (units <= exact_bins) return units - 1;
    unsigned octave = static_cast<unsigned>(std::bit_width(units)) - 1;
    return exact_bins + 4 * (octave - first_split_octave) + ((units >> (octave - 2)) & 3);
  }
  // The first non-empty bin at or above b; bin_count if none.
  unsigned next_bin(unsigned b) const noexcept {
    for (unsigned w = b / 64; w < bitmap_words; ++w) {
      std::uint64_t bits = nonempty_[w] & (w == b / 64 ? ~std::uint64_t{0} << (b % 64) : ~std::uint64_t{0});
      if (bits != 0) return w * 64 + static_cast<unsigned>(std::countr_zero(bits));
    }
    return bin_count;
  }
  bool bin_marked(unsigned b) const noexcept { return (nonempty_[b / 64] >> (b % 64) & 1) != 0; }
  void mark_bin(unsigned b, bool nonempty) noexcept {
    std::uint64_t bit = std::uint64_t{1} << (b % 64);
    nonempty_[b / 64] = nonempty ? nonempty_[b / 64] | bit : nonempty_[b / 64] & ~bit;
  }

  FreeRun* run_at(std::uint32_t unit) const noexcept { return reinterpret_cast<FreeRun*>(address_of(unit)); }

  // Units in memory as the backend has it: everything below is grown (by us or others).
  std::size_t memory_units() const noexcept { return (memory_end() - origin_) >> unit_shift; }
  std::uintptr_t memory_end() const noexcept { return memory_.base() + memory_.size_pages() * page_size; }

  // On the first take, unit 0 becomes the first the heap owns, so the map
  // describes the heap, not the program's data below it. Memory that was there
  // before any growth and that nothing else uses (from __heap_base to the end
  // of the initial memory, on wasm: the backend's initial_free()) becomes the
  // heap's first units, one free run of them, as dlmalloc uses it, so small
  // programs never grow memory. Without such memory (or a backend without
  // initial_free()), unit 0 is where memory ends when the heap first grows it.
  void start() noexcept {
    if (started_) return;
    started_ = true;
    GeometryChange change(*this);
    set_shared(origin_, memory_end());
    if constexpr (requires(Memory& m) { m.initial_free(); }) {
      AddressRange free = memory_.initial_free();
      std::uintptr_t first = (free.begin + unit_size - 1) & ~(std::uintptr_t{unit_size} - 1);
      if (first >= free.end) return;
      set_shared(origin_, first);
      set_shared(top_, unit_of(reinterpret_cast<void*>(free.end)));
      // More initial memory than the inline map covers (Emscripten's default
      // is 16 MiB): the map takes the last units of it.
      std::uint32_t free_end = top_ > map_.capacity() ? move_map_to_top() : top_;
      if (free_end == 0) return;
      mark_interior(1, free_end);
      give(0, free_end);
    }
  }

  // Marks [first, first + len) free at both ends and files it in its bin.
  void add_free(std::uint32_t first, std::uint32_t len) noexcept {
    map_.set(first, UnitKind::free, len);
    map_.set(first + len - 1, UnitKind::free, len);
    FreeRun* run = run_at(first);
    unsigned b = bin_of(len);
    FreeRun*& head = bins_[b];
    if constexpr (checked_build) set_canary(run);
    mark_bin(b, true);
    run->next = head;
    run->prev = nullptr;
    if (head != nullptr) head->prev = run;
    head = run;
  }

  // Takes the free run at `first` out of its bin. Its links lie in memory a
  // program may write to after freeing it, and unlinking writes through
  // them: so they must lead to free runs that link back to this one (or to
  // the bin's head) first, or a program could make the heap write a word of
  // its choice where it chose.
  void unlink(std::uint32_t first) noexcept {
    FreeRun* run = run_at(first);
    if constexpr (checked_build) check_canary(run);
    FreeRun *next = run->next, *prev = run->prev;
    unsigned b = bin_of(map_.value(first));
    if ((next != nullptr && (!is_run_head(next) || next->prev != run)) ||
        (prev != nullptr ? !is_run_head(prev) || prev->next != run : bins_[b] != run))
      stop_free_runs(run);
    if (prev != nullptr) {
      prev->next = next;
    } else {
      bins_[b] = next;
      if (next == nullptr) mark_bin(b, false);
    }
    if (next != nullptr) next->prev = prev;
  }

  // Whether r is where a free run starts: a free unit whose length leads to
  // a last unit of that length (a run's last unit fails this, since no run
  // can start inside another).
  bool is_run_head(const FreeRun* r) const noexcept {
    if (!owns(r) || offset_in_unit(r) != 0) return false;
    std::uint32_t unit = unit_of(r), len = map_.value(unit), last = unit + len - 1;
    return map_.is(unit, UnitKind::free) && len != 0 && last < top_ && map_.is(last, UnitKind::free) &&
           map_.value(last) == len;
  }

  [[noreturn, gnu::cold, gnu::noinline]] static void stop_free_runs(const FreeRun* run) noexcept {
    stop("corrupted free-run links (a write after free?) at", run);
  }

  // The checked build fills the rest of a free run's first unit with a
  // pattern and finds any write to it when the run is taken or merged.
  static constexpr std::size_t canary_words = unit_size / sizeof(std::uintptr_t);
  static std::uintptr_t canary(const void* at) noexcept {
    return reinterpret_cast<std::uintptr_t>(at) ^ static_cast<std::uintptr_t>(0x5A5A'F4EE'DEAD'BEEFull);
  }
  static void set_canary(FreeRun* run) noexcept {
    auto* words = reinterpret_cast<std::uintptr_t*>(run);
    for (std::size_t i = 2; i < canary_words; ++i) words[i] = canary(words + i);
  }
  static void check_canary(const FreeRun* run) noexcept {
    auto* words = reinterpret_cast<const std::uintptr_t*>(run);
    for (std::size_t i = 2; i < canary_words; ++i)
      if (words[i] != canary(words + i))
        StopLine().text("write after free to ").address(words + i).text(" (free memory), found when reusing it").stop();
  }

  // A free run of at least n units: the first of the smallest non-empty
  // exact bin that fits; in a split bin, the best fit among the first few
  // runs of the request's own bin, else the first run of the next non-empty
  // bin. At most runs_looked_at + 1 runs are looked at.
  bool best_fit(std::uint32_t n, std::uint32_t& found) noexcept {
    unsigned own = bin_of(n), b = next_bin(own);
    if (b == own && b >= exact_bins) {
      std::uint32_t best_len = 0, looked = 0;
      for (FreeRun* run = bins_[b]; run != nullptr && looked < runs_looked_at; run = run->next) {
        ++looked;
        if (!is_run_head(run)) stop_free_runs(run);
        std::uint32_t unit = unit_of(run), len = map_.value(unit);
        if (len >= n && (best_len == 0 || len < best_len)) {
          found = unit;
          best_len = len;
          if (len == n) break;
        }
      }
      work_.runs_scanned += looked;
      if (best_len != 0) return true;
      b = next_bin(b + 1);
    }
    if (b >= bin_count) return false;
    ++work_.runs_scanned;
    if (!is_run_head(bins_[b])) stop_free_runs(bins_[b]);
    found = unit_of(bins_[b]);
    return true;
  }

  // Takes n units from the low or high end of the free run at `first`, leaving
  // the rest free, and returns the first unit taken, which the caller marks.
  std::uint32_t take_from_free_run(std::uint32_t first, std::uint32_t n, RunEnd end) noexcept {
    std::uint32_t len = map_.value(first), last = first + len - 1;
    unlink(first);
    if (len > n && end == RunEnd::low) {
      add_free(first + n, len - n);
      return first;
    }
    if (len > n) add_free(first, len - n);
    if (n > 1) map_.set(last, UnitKind::interior);
    return last + 1 - n;
  }

  // Where free space at the top of the heap ends: below the map once it has
  // left the heap object (it then always holds the heap's last units, see
  // grow_top_run), else the heap's top.
  std::uint32_t free_top() const noexcept { return map_.is_inline() ? top_ : unit_of(map_.storage()); }

  // Grows memory so that a free run of at least n units ends at free_top(),
  // topping up the free run already there rather than leaving it behind.
  // Once the heap outgrows the map inside the heap object, the map takes the
  // last units of the new pages, with an entry for every unit up to there:
  // it moves up with each growth (its old units are freed), so it never
  // stands between free runs, and it costs 0.4% of the heap. With
  // Placement::contiguous, fails unless the new pages follow the heap's top
  // (memory grown by someone else lies between); with Placement::anywhere,
  // the heap's top moves past the foreign pages.
  //
  // Memory grows by what the request lacks, but by at least a 32nd of the
  // heap: a growth costs the engine far more than its pages (V8 also does
  // garbage-collector work on each; docs/design-log.md), and each growth
  // moves the map. The
  // extra is at most a 32nd of the heap, free at its top for what comes
  // next; if memory cannot grow that much, it grows by what is needed.
  bool grow_top_run(std::uint32_t n, Placement placement) noexcept {
    std::size_t old_end = memory_units();
    std::uint32_t old_top = top_, old_map = free_top();
    bool at_top = old_end == old_top;
    if (placement == Placement::contiguous && !at_top) return false;
    std::uint32_t tail = at_top && old_map > 0 && map_.is(old_map - 1, UnitKind::free) ? map_.value(old_map - 1) : 0;
    // The free run after growth starts at that free tail, or at the new
    // pages. Memory grows by whole pages to `end`, enough for n units of that
    // run and, above them, the map, whose size depends on `end`.
    auto map_units_at = [&](std::size_t e) {
      return map_.is_inline() && e <= map_.capacity() ? 0 : map_units(static_cast<std::uint32_t>(e));
    };
    std::size_t run_start = at_top ? old_map - tail : old_end, end = old_end;
    do {
      std::size_t needed = run_start + n + map_units_at(end);
      end = old_end + (needed - old_end + units_per_page - 1) / units_per_page * units_per_page;
    } while (end < run_start + n + map_units_at(end));
    if (end > max_units) return false;
    std::size_t least = end;
    end = std::min(max_units, std::max(end, old_end + (old_end / growth_fraction + units_per_page - 1) /
                                                          units_per_page * units_per_page));
    if (end < run_start + n + map_units_at(end)) end = least;
    std::byte* fresh = memory_.grow((end - old_end) / units_per_page);
    if (fresh == nullptr && end > least) fresh = memory_.grow(((end = least) - old_end) / units_per_page);
    if (fresh == nullptr) return false;
    ++work_.grows;
    bool map_moves = map_units_at(end) != 0;
    // Memory grown by someone else since it was measured: those pages are foreign now.
    if (unit_of(fresh) != old_end) return grow_top_run(n, placement);
    std::uint32_t free_start = at_top ? old_map : static_cast<std::uint32_t>(old_end), free_end = 0;
    {
      GeometryChange change(*this);
      set_shared(top_, static_cast<std::uint32_t>(end));
      free_end = map_moves ? move_map_to_top() : top_;
    }
    mark_interior(free_start, free_end);
    give(free_start, free_end - free_start);  // merges with the free tail, if any
    // A map left below foreign pages frees its units where it was.
    if (!at_top && old_map < old_top) give(old_map, old_top - old_map);
    return true;
  }

  // Moves the map to the last units below the heap's top, with an entry for
  // every unit up to there, and returns its first unit. Its old units keep
  // their entries (the caller frees them). Sized exactly, the map changes
  // size with most growths; no margin of room did better, since which free
  // runs big blocks land in is sensitive to where the top run ends
  // (docs/design-log.md).
  std::uint32_t move_map_to_top() noexcept {
    std::uint32_t units = map_units(top_), first = top_ - units;
    work_.map_units_moved += map_units(map_.capacity());
    map_.move_to(reinterpret_cast<std::uint32_t*>(address_of(first)), top_);
    mark_interior(first + 1, top_);
    map_.set(first, UnitKind::map, units);
    return first;
  }

  static std::uint32_t map_units(std::uint32_t capacity) noexcept {
    return static_cast<std::uint32_t>(units_for(std::size_t{capacity} * sizeof(std::uint32_t)));
  }

  void mark_interior(std::uint32_t from, std::uint32_t to) noexcept {
    for (std::uint32_t unit = from; unit < to; ++unit) map_.set(unit, UnitKind::interior);
  }

  static constexpr std::size_t growth_fraction = 32;  // memory grows by at least 1/32 of the heap

  // With shared memory, the heap's origin, top and map change only inside a
  // GeometryChange, during which the generation is odd; entry_unlocked
  // trusts what it read only if the generation was even and the same before
  // and after. Without, this is nothing.
  class GeometryChange {
   public:
    explicit GeometryChange(UnitRuns& runs) noexcept : runs_(runs) {
      if constexpr (shared) {
        __atomic_store_n(&runs_.geometry_, runs_.geometry_ + 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE);  // odd before anything it guards changes
      }
    }
    ~GeometryChange() {
      if constexpr (shared) __atomic_store_n(&runs_.geometry_, runs_.geometry_ + 1, __ATOMIC_RELEASE);
    }
    GeometryChange(const GeometryChange&) = delete;
    GeometryChange& operator=(const GeometryChange&) = delete;

   private:
    UnitRuns& runs_;
  };
  template <class T>
  static void set_shared(T& word, T value) noexcept {
    if constexpr (shared)
      shared::store_relaxed(word, value);
    else
      word = value;
  }
  struct NoGeneration {};

  FreeRun* bins_[bin_count] = {};
  std::uint64_t nonempty_[bitmap_words] = {};  // bit b: bins_[b] is not empty
  Work work_;
  std::uintptr_t origin_ = 0;  // address of unit 0
  bool started_ = false;
  std::uint32_t top_ = 0;  // one past the highest unit the heap has grown
  Memory memory_;
  Map map_;
  [[no_unique_address]] std::conditional_t<shared, std::uint32_t, NoGeneration> geometry_{};
};

}  // namespace wasmheap
