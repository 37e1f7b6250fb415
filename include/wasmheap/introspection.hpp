// What a tool sees of a whole heap: a fragmentation summary, dlmalloc's
// mallinfo, a snapshot of every unit, and a walk over every live block.
// Each reads the unit map run by run and the free lists once, so it costs as
// much as the heap is large; nothing here is on an allocation path, and a
// program that calls none of it links none of it.
#pragma once

#include <wasmheap/heap.hpp>
#include <wasmheap/wasmheap.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace wasmheap {

template <class InnerHeap, class Lock>
class LockedHeap;
template <class InnerHeap, class Lock, class Tag>
class CachedHeap;

namespace introspection {

// Runs f(heap) on the plain Heap inside h, with h's lock held (threads) and
// the caches it can reach given back, so that the heap's free lists hold
// every free slot but those other threads keep cached.
template <class M, class C, class F>
decltype(auto) with_whole_heap(Heap<M, C>& h, F&& f) {
  return std::forward<F>(f)(h);
}
template <class I, class L, class F>
decltype(auto) with_whole_heap(LockedHeap<I, L>& h, F&& f) {
  return h.with_lock(std::forward<F>(f));
}
template <class I, class L, class T, class F>
decltype(auto) with_whole_heap(CachedHeap<I, L, T>& h, F&& f) {
  return h.with_caches_returned(std::forward<F>(f));
}

template <class H>
void fragmentation(const H& heap, wasmheap_fragmentation& out) noexcept {
  out = wasmheap_fragmentation{};
  bool free_at_top = false;  // the last run but the map's is free
  heap.for_each_run([&](const typename H::Run& run) {
    std::size_t bytes = std::size_t{run.units} << unit_shift;
    if (run.kind != UnitKind::map) free_at_top = false;
    switch (run.kind) {
      case UnitKind::slab: out.slab_bytes += bytes; break;
      case UnitKind::big:
        out.big_bytes += bytes;
        ++out.big_blocks;
        break;
      case UnitKind::free: {
        ++out.free_runs;
        out.free_run_bytes += bytes;
        out.largest_free_run = std::max(out.largest_free_run, bytes);
        unsigned bucket = std::min<unsigned>(std::bit_width(run.units) - 1, WASMHEAP_RUN_BUCKETS - 1);
        ++out.free_runs_by_length[bucket];
        out.top_free_bytes = bytes;
        free_at_top = true;
        break;
      }
      case UnitKind::map: out.map_bytes += bytes; break;
      default: out.foreign_bytes += bytes; break;
    }
  });
  if (!free_at_top) out.top_free_bytes = 0;
  out.heap_bytes = std::size_t{heap.units()} << unit_shift;
  out.class_count = H::class_count;
  auto stats = heap.stats();
  for (unsigned c = 0; c < H::class_count; ++c) {
    auto& k = out.classes[c];
    k.slot_size = H::class_policy::slot_size(c);
    k.slab_units = H::slab_units_of(c);
    k.slabs = heap.slabs(c);
    k.slots_live = stats.class_blocks_live[c];
    k.slots_free = k.slabs * H::slots_per_slab(c) - k.slots_live;
  }
}

// dlmalloc's figures from the summary: arena is the heap's own units,
// uordblks what is live (the unit map counts as in use, as dlmalloc's chunk
// headers do), fordblks the rest of arena.
template <class H>
wasmheap_mallinfo mallinfo(const H& heap) noexcept {
  wasmheap_fragmentation f;
  fragmentation(heap, f);
  wasmheap_mallinfo m{};
  m.arena = m.usmblks = f.heap_bytes - f.foreign_bytes;
  m.ordblks = f.free_runs;
  std::size_t live = f.big_bytes;  // the summary's own count: no second walk of the free lists
  for (unsigned c = 0; c < f.class_count; ++c) {
    m.smblks += f.classes[c].slots_free;
    m.fsmblks += f.classes[c].slots_free * f.classes[c].slot_size;
    live += f.classes[c].slots_live * f.classes[c].slot_size;
  }
  m.uordblks = live + f.map_bytes;
  m.fordblks = m.arena - m.uordblks;
  m.keepcost = f.top_free_bytes;
  return m;
}

// ---- Snapshot (the format is in wasmheap.h) ----

template <class H>
std::size_t snapshot_bytes(const H& heap) noexcept {
  return (WASMHEAP_SNAPSHOT_HEADER_WORDS + 4 * std::size_t{H::class_count} + heap.units()) * sizeof(std::uint32_t);
}

template <class H>
std::size_t snapshot(const H& heap, std::uint32_t* out, std::size_t cap, std::size_t bytes_cached,
                     std::uint32_t sequence) noexcept {
  const std::size_t size = snapshot_bytes(heap);
  if (cap < size) return size;
  auto word = [](std::size_t x) { return static_cast<std::uint32_t>(std::min<std::size_t>(x, UINT32_MAX)); };
  auto stats = heap.stats();
  std::uint32_t* w = out;
  const std::uint32_t header[WASMHEAP_SNAPSHOT_HEADER_WORDS] = {
      WASMHEAP_SNAPSHOT_MAGIC, WASMHEAP_SNAPSHOT_VERSION, word(size), WASMHEAP_SNAPSHOT_HEADER_WORDS,
      word(unit_size), word(page_size), word(reinterpret_cast<std::uintptr_t>(heap.unit_address(0))),
      heap.units(), word(heap.memory().size_pages()), H::class_count, word(stats.bytes_live), word(stats.bytes_held),
      word(stats.bytes_held_peak), word(stats.pages_grown), word(stats.blocks_live), word(stats.big_blocks_live),
      word(bytes_cached), sequence};
  w = std::copy(header, header + WASMHEAP_SNAPSHOT_HEADER_WORDS, w);
  for (unsigned c = 0; c < H::class_count; ++c) {
    *w++ = word(H::class_policy::slot_size(c));
    *w++ = H::slab_units_of(c);
    *w++ = word(heap.slabs(c));
    *w++ = word(stats.class_blocks_live[c]);
  }
  std::uint32_t* units = w;
  auto entry = [](wasmheap_unit_kind kind, std::uint32_t detail) { return std::uint32_t{kind} << 28 | detail; };
  heap.for_each_run([&](const typename H::Run& run) {
    for (std::uint32_t i = 0; i < run.units; ++i) {
      std::uint32_t& e = units[run.first + i];
      switch (run.kind) {
        case UnitKind::slab: e = entry(WASMHEAP_UNIT_SLAB, run.c | i << 7); break;
        case UnitKind::big: e = i == 0 ? entry(WASMHEAP_UNIT_BIG, run.units) : entry(WASMHEAP_UNIT_BIG_INTERIOR, i); break;
        case UnitKind::free: e = i == 0 ? entry(WASMHEAP_UNIT_FREE, run.units) : entry(WASMHEAP_UNIT_FREE_INTERIOR, i); break;
        case UnitKind::map: e = entry(WASMHEAP_UNIT_MAP, i); break;
        default: e = entry(WASMHEAP_UNIT_UNUSED, 0); break;
      }
    }
  });
  // Each free slot counts on its slab's first unit.
  const auto base = reinterpret_cast<std::uintptr_t>(heap.unit_address(0));
  for (unsigned c = 0; c < H::class_count; ++c)
    heap.for_each_free_slot(c, [&](const void* slot) {
      auto unit = static_cast<std::uint32_t>((reinterpret_cast<std::uintptr_t>(slot) - base) >> unit_shift);
      units[unit - ((units[unit] >> 7) & 63)] += 1u << 13;
    });
  return size;
}

// ---- Walk ----

// Slots start at multiples of their size, and every size is a multiple of
// this: a free-slot bitmap needs one bit per granule of slab.
template <class Classes>
inline constexpr std::size_t slot_granule = [] {
  std::size_t g = Classes::slot_size(0);
  for (unsigned c = 0; c < Classes::count; ++c) g = std::min(g, Classes::slot_size(c) & -Classes::slot_size(c));
  return g;
}();

// Bytes of scratch a walk needs: one bit per granule of every unit.
template <class H>
std::size_t walk_scratch_bytes(const H& heap) noexcept {
  constexpr std::size_t bits_per_unit = unit_size / slot_granule<typename H::class_policy>;
  return std::size_t{heap.units()} * bits_per_unit / 8;
}

// Calls visit(block, size, class_id) for every live block in address order
// but `skip` (the scratch itself, when the caller took it from this heap).
// False, and nothing visited, if scratch is smaller than walk_scratch_bytes.
template <class H, class Visit>
bool walk(const H& heap, Visit&& visit, std::uint32_t* scratch, std::size_t scratch_bytes, const void* skip) noexcept {
  const std::size_t need = walk_scratch_bytes(heap);
  if (scratch_bytes < need) return false;
  constexpr std::size_t granule = slot_granule<typename H::class_policy>;
  __builtin_memset(scratch, 0, need);
  const auto base = reinterpret_cast<std::uintptr_t>(heap.unit_address(0));
  auto bit = [&](const void* p) { return (reinterpret_cast<std::uintptr_t>(p) - base) / granule; };
  for (unsigned c = 0; c < H::class_count; ++c)
    heap.for_each_free_slot(c, [&](const void* slot) { scratch[bit(slot) / 32] |= 1u << bit(slot) % 32; });
  heap.for_each_run([&](const typename H::Run& run) {
    auto* at = const_cast<std::byte*>(heap.unit_address(run.first));
    if (run.kind == UnitKind::big && at != skip) visit(static_cast<void*>(at), std::size_t{run.units} << unit_shift, -1);
    if (run.kind != UnitKind::slab) return;
    const std::size_t size = H::class_policy::slot_size(run.c);
    for (std::size_t i = 0; i < H::slots_per_slab(run.c); ++i, at += size)
      if ((scratch[bit(at) / 32] >> bit(at) % 32 & 1) == 0 && at != skip)
        visit(static_cast<void*>(at), size, static_cast<int>(run.c));
  });
  return true;
}

}  // namespace introspection
}  // namespace wasmheap
