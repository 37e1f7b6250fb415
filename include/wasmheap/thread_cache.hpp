// CachedHeap<Heap, Lock>: a heap that any number of threads may call at once,
// where each thread keeps a few free slots of each small class (up to 1 KiB)
// of its own, so most calls do not meet other threads' at all.
//
// Allocation path: malloc(n) finds n's class by arithmetic, as Heap does, and
// pops a slot from this thread's list for the class; only an empty list takes
// the heap's lock, to fetch a batch of free slots (half the list's limit).
// Free path: free(p) reads p's class from the unit map without the lock (a
// seqlock read, UnitRuns::entry_unlocked) and pushes p on this thread's list
// for the class, whichever thread allocated it; only a full list takes the
// lock, to set its older half aside for this thread (set_aside). Larger
// slots, big blocks, resize, realloc, stats and check take the lock, as in
// LockedHeap.
//
// Why caches of slots per thread rather than per-thread heaps that own slabs
// (mimalloc's way): the slabs, their unit map and the sweep stay exactly the
// single-threaded heap's, and a slot freed by another thread needs no way
// home (it simply joins the freeing thread's cache). See docs/threads.md.
//
// What threads hold is counted as free: stats() subtracts every thread's
// counts, which each thread publishes as it changes them. A thread's lists
// go back to the heap when it exits (threads on the host and Emscripten's
// pthreads do that by themselves, see watch_thread_exit; other embedders
// call thread_exit()), and when the heap is about to grow memory: the
// thread that grows gives back its own lists and every thread's reserve at
// once, and the others give back their lists at their next locked call.
//
// A CachedHeap must outlive the threads that use it, or they must call
// thread_exit() first (the process-wide heap lives as long as the program).
#pragma once

#include <wasmheap/layout.hpp>
#include <wasmheap/locked_heap.hpp>
#include <wasmheap/shared_access.hpp>
#include <wasmheap/stop.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace wasmheap {

// A memory backend shared by threads (the heap over it is a CachedHeap's):
// the unit layer then keeps its map readable without the lock, and the heap
// calls before_growth() with its lock held before memory grows.
template <class Memory>
class SharedMemory : public Memory {
 public:
  static constexpr bool shared = true;
  using Memory::Memory;
  constexpr SharedMemory() noexcept = default;
  SharedMemory(Memory memory) noexcept : Memory(std::move(memory)) {}  // NOLINT: implicit, as Heap(Memory) takes it

  void on_growth(void (*hook)(void*), void* context) noexcept {
    hook_ = hook;
    context_ = context;
  }
  void before_growth() noexcept {
    if (hook_ != nullptr) hook_(context_);
  }

 private:
  void (*hook_)(void*) = nullptr;
  void* context_ = nullptr;
};

// Tag: each CachedHeap type has one set of thread caches (a thread_local),
// so two heaps alive at once need distinct tags.
template <class InnerHeap, class Lock, class Tag = void>
class CachedHeap : public WrappedHeapTypes<InnerHeap, Lock> {
 public:
  using typename WrappedHeapTypes<InnerHeap, Lock>::Stats;
  using typename WrappedHeapTypes<InnerHeap, Lock>::class_policy;
  using WrappedHeapTypes<InnerHeap, Lock>::class_count;
  // Classes of slots up to a unit (1 KiB) are cached; larger slots and big
  // blocks are taken and freed under the lock. Few larger slots would fit in
  // a cache, and each free of one fills it and sends every class's older
  // half back: caching them cost more than it saved (docs/design-log.md).
  static constexpr unsigned cached_classes = [] {
    unsigned c = 0;
    while (c < class_count && class_policy::slot_size(c) <= unit_size) ++c;
    return c;
  }();
  static_assert(InnerHeap::shared, "a CachedHeap's heap must be over SharedMemory");
  static_assert(!checked_build, "the checked build keeps one lock (LockedHeap): its checks need every free slot");

  template <class... Args>
  constexpr explicit CachedHeap(Args&&... args) noexcept(noexcept(LockedHeap<InnerHeap, Lock>(std::forward<Args>(args)...)))
      : locked_(std::forward<Args>(args)...) {}
  CachedHeap(const CachedHeap&) = delete;
  CachedHeap& operator=(const CachedHeap&) = delete;

  WASMHEAP_INLINE_FAST_PATH void* alloc(std::size_t len, std::size_t align) noexcept {
    if (!is_power_of_two(align)) [[unlikely]]
      return nullptr;
    unsigned c = Classes::class_of(len, align);
    if (c >= cached_classes) return locked_.alloc(len, align);
    Cache& cache = cache_;
    auto* slot = static_cast<Link*>(cache.slots[c]);
    if (slot == nullptr) [[unlikely]]
      return slow_path(c, nullptr, align);
    cache.slots[c] = slot->next;
    shared::store_relaxed(cache.counts[c], static_cast<std::uint16_t>(cache.counts[c] - 1));
    cache.room += Classes::slot_size(c);
    return slot;
  }

  // Freed by its pointer alone, as Heap::free(p), whichever thread
  // allocated it. The sized free needs no more: the map gives the class.
  WASMHEAP_INLINE_FAST_PATH void free(void* p) noexcept {
    if (p == nullptr) return;
    unsigned c = heap().block_class_unlocked(p);
    if (c < cached_classes) [[likely]]
      return push(p, c);
    locked_.free(p);  // a bigger block, or the map could not tell without the lock
  }
  void free(void* p, std::size_t, std::size_t) noexcept { free(p); }

  bool resize(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    return locked_.resize(p, len, align, new_len);
  }
  void* remap(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    return locked_.remap(p, len, align, new_len);
  }
  std::size_t usable_size(const void* p) const noexcept { return locked_.usable_size(p); }
  void* realloc(void* p, std::size_t new_len) noexcept { return locked_.realloc(p, new_len); }

  // The heap's statistics with every thread's cached slots counted as free.
  // A thread that allocates or frees meanwhile may be seen a slot early or late.
  Stats stats() const noexcept {
    return const_cast<CachedHeap*>(this)->locked_.with_lock([&](InnerHeap& heap) {
      Stats s = heap.stats();
      for (const Cache* cache = caches_; cache != nullptr; cache = cache->next)
        for (unsigned c = 0; c < cached_classes; ++c) {
          std::size_t n = shared::load_relaxed(cache->counts[c]) + cache->reserved[c];
          s.class_blocks_live[c] -= n;
          s.blocks_live -= n;
          s.bytes_live -= n * Classes::slot_size(c);
          s.bytes_cached += n * Classes::slot_size(c);
        }
      return s;
    });
  }

  // The heap's own check, then this thread's lists (each slot a free slot
  // of its class, as many as counted), every thread's set-aside slots (the
  // same), and that no class has more slots with threads than it has live.
  const char* check() const noexcept {
    return const_cast<CachedHeap*>(this)->locked_.with_lock([&](InnerHeap& heap) -> const char* {
      if (const char* problem = heap.check()) return problem;
      auto list_holds = [&](const void* first, std::size_t count, unsigned c) {
        std::size_t n = 0;
        for (auto* slot = static_cast<const Link*>(first); slot != nullptr; slot = slot->next)
          if (++n > count || heap.block_class(slot) != c) return false;
        return n == count;
      };
      Stats s = heap.stats();
      for (unsigned c = 0; c < cached_classes; ++c) {
        if (!list_holds(cache_.slots[c], cache_.counts[c], c)) return "thread cache list differs from its class or count";
        std::size_t with_threads = 0;
        for (const Cache* cache = caches_; cache != nullptr; cache = cache->next) {
          if (!list_holds(cache->reserve[c], cache->reserved[c], c)) return "set-aside slots differ from their class or count";
          with_threads += shared::load_relaxed(cache->counts[c]) + cache->reserved[c];
        }
        if (with_threads > s.class_blocks_live[c]) return "threads hold more slots than their classes have";
      }
      return nullptr;
    });
  }

  // Gives this thread's cached slots back to the heap and forgets the
  // thread, which from then on calls the heap under its lock (a thread may
  // still free blocks while it ends).
  [[gnu::noinline]] void thread_exit() noexcept {
    Cache& cache = cache_;
    if (!cache.attached) return;
    locked_.with_lock([&](InnerHeap& heap) {
      give_back_all(cache, heap);
      (cache.prev != nullptr ? cache.prev->next : caches_) = cache.next;
      if (cache.next != nullptr) cache.next->prev = cache.prev;
    });
    cache = Cache{};
    cache.retired = true;
#if !defined(__wasm__)
    exit_guard_.heap = nullptr;
#endif
  }

  // The heap behind the caches, for callers that must not use a thread's
  // cache (Emscripten's runtime, for a thread's own storage).
  LockedHeap<InnerHeap, Lock>& locked() noexcept { return locked_; }

  auto& memory() noexcept { return locked_.memory(); }
  template <class F>
  decltype(auto) with_lock(F&& f) {
    return locked_.with_lock(std::forward<F>(f));
  }
  // f(heap) under the lock, once every thread's reserve and this thread's
  // lists are back in the heap, as before memory grows (other threads give
  // back their lists at their next locked call): for what looks at or tidies
  // the whole heap (introspection, trim).
  template <class F>
  decltype(auto) with_caches_returned(F&& f) {
    return locked_.with_lock([&](InnerHeap& heap) -> decltype(auto) {
      before_growth(this);
      return std::forward<F>(f)(heap);
    });
  }
#if defined(WASMHEAP_COUNT_LOCKS)
  std::size_t lock_acquisitions() const noexcept { return locked_.lock_acquisitions(); }
#endif

 private:
  using Classes = class_policy;
  struct Link {
    Link* next;
  };

  // One thread's free slots. Zero-initialised in every new thread: no room
  // sends its first free, like its first allocation, to the slow path, which
  // attaches the cache (registers it for stats and for the exit) before
  // anything is kept in it. Until then the fast paths only read it, so they
  // are safe even before the thread's storage exists.
  struct alignas(64) Cache {  // whole cache lines: no thread writes a line another thread's cache uses
    void* slots[cached_classes];           // free slots, linked through their first word
    std::uint16_t counts[cached_classes];  // read by stats() from other threads
    std::size_t room;                      // bytes it may still take; 0 until attached
    // Slots the lists gave back, set aside for this thread (under the lock):
    // see set_aside.
    void* reserve[cached_classes];
    std::uint32_t reserved[cached_classes];
    std::uint32_t growth_seen;          // growths_ when it last gave everything back
    bool attached;
    bool retired;  // thread_exit() was called: no cache any more
    Cache* next;  // every attached cache, under the lock
    Cache* prev;
  };

  // Most slots a class keeps per thread: 16 KiB of them, between 16 (1 KiB
  // slots) and 128. A full list sets its older half aside, an empty one
  // fetches half, so a thread meets the lock once per limit/2 calls of a
  // class at worst (a producer, a consumer), and far less while its
  // allocations and frees balance. With 8 KiB and at most 64, two threads
  // churning blocks of 16-256 B each met it 4 times as often.
  static constexpr std::size_t class_bytes = 16384;
  static constexpr auto limits = [] {
    struct Table {
      std::uint8_t limit[cached_classes];
      constexpr std::uint8_t operator[](unsigned c) const { return limit[c]; }
    } table{};
    for (unsigned c = 0; c < cached_classes; ++c)
      table.limit[c] = static_cast<std::uint8_t>(std::clamp<std::size_t>(class_bytes / Classes::slot_size(c), 1, 128));
    return table;
  }();
  // And at most a page in all classes, so a thread that stops calling the
  // heap pins no more: past it, every class sets its older half aside. Room
  // for a dozen classes half full, so that busy threads do not pass it over
  // and over (docs/design-log.md).
  static constexpr std::size_t cache_bytes = 65536;

  InnerHeap& heap() noexcept { return locked_.without_lock(); }

  WASMHEAP_INLINE_FAST_PATH void push(void* p, unsigned c) noexcept {
    Cache& cache = cache_;
    // The commonest double free, as in Heap::push_free_slot.
    if (p == cache.slots[c]) [[unlikely]]
      stop("double free of", p);
    if (cache.counts[c] >= limits[c] || cache.room < Classes::slot_size(c)) [[unlikely]]
      return void(slow_path(c, p, 1));
    static_cast<Link*>(p)->next = static_cast<Link*>(cache.slots[c]);
    cache.slots[c] = p;
    shared::store_relaxed(cache.counts[c], static_cast<std::uint16_t>(cache.counts[c] + 1));
    cache.room -= Classes::slot_size(c);
  }

  // Both slow paths, under one lock. A free (p) found class c's list full,
  // or the cache full: the older halves are set aside, and p joins the
  // list, or is freed here if this thread may not cache or it still does
  // not fit. An allocation (p null) found class c's list empty: one slot for
  // it, and a batch for the next ones, from what this thread set aside, else
  // from the heap (taking back what other threads set aside if the heap has
  // no free slot of the class, before it makes a new slab).
  [[gnu::noinline]] void* slow_path(unsigned c, void* p, std::size_t align) noexcept {
    Cache& cache = cache_;
    std::size_t size = Classes::slot_size(c);
    return locked_.with_lock([&](InnerHeap& heap) -> void* {
      bool caching = attach(cache);
      if (p != nullptr) {
        if (caching) {
          if (cache.counts[c] >= limits[c]) set_aside(cache, c, limits[c] / 2);
          if (cache.room < size)
            for (unsigned k = 0; k < cached_classes; ++k) set_aside(cache, k, cache.counts[k] / 2);
        }
        if (!caching || cache.room < size) heap.free_slots(c, p, p, 1);
        else cache_slots(cache, c, p, p, 1);
        return nullptr;
      }
      std::size_t most = caching ? std::min<std::size_t>(std::max(limits[c] / 2, 1), cache.room / size) : 0;
      // The heap has no slot of the class at hand: another thread's reserve
      // becomes this one's (in one step, so nobody walks it) before the heap
      // makes a new slab.
      if (caching && cache.reserved[c] == 0 && !heap.has_free_slot(c))
        for (Cache* other = caches_; other != nullptr; other = other->next)
          if (other->reserved[c] != 0) {
            std::swap(cache.reserve[c], other->reserve[c]);
            std::swap(cache.reserved[c], other->reserved[c]);
            break;
          }
      void* last = nullptr;
      std::size_t n = 0;
      if (caching && cache.reserved[c] != 0) {
        // This thread's own slots come back to it first, so threads do not
        // trade slots (whose neighbours another thread then writes).
        p = cache.reserve[c];
        void* rest = static_cast<Link*>(p)->next;
        n = std::min<std::size_t>(most, cache.reserved[c] - 1);
        cache.reserve[c] = cut(rest, n, last);
        cache.reserved[c] -= static_cast<std::uint32_t>(1 + n);
        if (n != 0) cache_slots(cache, c, rest, last, n);
        return p;
      }
      void* spares = nullptr;
      p = heap.alloc_with_spares(c, align, most, spares, last, n);
      if (n != 0) cache_slots(cache, c, spares, last, n);
      return p;
    });
  }

  // Puts n slots, linked from first to last, in front of class c's list.
  // The list is not always empty when an allocation found it so: a
  // browser's main thread, waiting for the lock, runs calls proxied to it,
  // which may free into it meanwhile.
  static void cache_slots(Cache& cache, unsigned c, void* first, void* last, std::size_t n) noexcept {
    static_cast<Link*>(last)->next = static_cast<Link*>(cache.slots[c]);
    cache.slots[c] = first;
    shared::store_relaxed(cache.counts[c], static_cast<std::uint16_t>(cache.counts[c] + n));
    cache.room -= n * Classes::slot_size(c);
  }

  // Ends the list at `first` after n > 0 slots, the last of which it
  // stores in `last`; returns the rest. With n == 0, returns first.
  static void* cut(void* first, std::size_t n, void*& last) noexcept {
    if (n == 0) return first;
    auto* end = static_cast<Link*>(first);
    while (--n != 0) end = end->next;
    void* rest = end->next;
    end->next = nullptr;
    last = end;
    return rest;
  }
  static void* tail_of(void* first) noexcept {
    auto* last = static_cast<Link*>(first);
    while (last->next != nullptr) last = last->next;
    return last;
  }

  // Under the lock: class c's list keeps its first `keep` slots (the most
  // recently freed, likeliest still in the processor's cache), and the rest
  // go to the thread's reserve, which its own refills take first. Slots
  // that went back to the heap's shared lists would go to whichever thread
  // asks next, and two threads that trade slots end up writing the same
  // cache lines (on two cores, local_2t then took twice as long as
  // local_1t). The reserve is still the heap's: other threads take it when
  // the heap has no free slot of the class, and it goes back to the heap
  // when memory is about to grow and when the thread ends.
  static void set_aside(Cache& cache, unsigned c, std::size_t keep) noexcept {
    std::size_t count = cache.counts[c];
    if (count <= keep) return;
    void* kept_last = nullptr;
    void* rest = cut(cache.slots[c], keep, kept_last);
    if (keep == 0) cache.slots[c] = nullptr;
    static_cast<Link*>(tail_of(rest))->next = static_cast<Link*>(cache.reserve[c]);
    cache.reserve[c] = rest;
    cache.reserved[c] += static_cast<std::uint32_t>(count - keep);
    shared::store_relaxed(cache.counts[c], static_cast<std::uint16_t>(keep));
    cache.room += (count - keep) * Classes::slot_size(c);
  }

  // Under the lock: a thread's reserve of class c goes back to the heap.
  static void release_reserve(Cache& cache, InnerHeap& heap, unsigned c) noexcept {
    if (cache.reserved[c] == 0) return;
    heap.free_slots(c, cache.reserve[c], tail_of(cache.reserve[c]), cache.reserved[c]);
    cache.reserve[c] = nullptr;
    cache.reserved[c] = 0;
  }

  // Under the lock: a thread's lists and reserve all go back to the heap.
  static void give_back_all(Cache& cache, InnerHeap& heap) noexcept {
    for (unsigned c = 0; c < cached_classes; ++c) {
      set_aside(cache, c, 0);
      release_reserve(cache, heap, c);
    }
  }

  // Under the lock: whether this thread may keep a cache, registering it on
  // its first call, and giving everything back if memory was about to grow
  // since it last did (so a grower's request reaches every thread that
  // still calls the heap). A thread may not once it has exited (its last
  // frees come after, e.g. Emscripten freeing its TLS block), nor before
  // it has thread-local storage (Emscripten allocates the main thread's).
  bool attach(Cache& cache) noexcept {
    if (!cache.attached) {
      if (cache.retired || !has_thread_storage()) return false;
      cache.attached = true;
      cache.room = cache_bytes;
      cache.next = caches_;
      cache.prev = nullptr;
      if (caches_ != nullptr) caches_->prev = &cache;
      caches_ = &cache;
      cache.growth_seen = growths_;
      memory().on_growth(&before_growth, this);
      watch_thread_exit();
    }
    if (cache.growth_seen != growths_) {
      cache.growth_seen = growths_;
      give_back_all(cache, heap());
    }
    return true;
  }

  static bool has_thread_storage() noexcept {
#if defined(__wasm__)
    return __builtin_wasm_tls_base() != nullptr;
#else
    return true;
#endif
  }

  // The heap is about to grow memory (it calls this with its lock held):
  // every thread's reserve goes back now, and this thread's lists; other
  // threads' lists at their next locked call.
  static void before_growth(void* self) noexcept {
    auto& cached = *static_cast<CachedHeap*>(self);
    ++cached.growths_;
    for (Cache* cache = cached.caches_; cache != nullptr; cache = cache->next)
      for (unsigned c = 0; c < cached_classes; ++c) release_reserve(*cache, cached.heap(), c);
    Cache& own = cache_;
    if (!has_thread_storage() || !own.attached) return;
    own.growth_seen = cached.growths_;
    give_back_all(own, cached.heap());
  }

  // Arranges for thread_exit() to run when this thread ends, where the
  // platform tells: the host's thread_local destructors. Emscripten's
  // runtime frees a thread's storage as it ends, and src/malloc.cpp calls
  // thread_exit() then; freestanding wasm has no such hook, and its embedder
  // calls wasmheap_thread_exit().
  void watch_thread_exit() noexcept {
#if !defined(__wasm__)
    exit_guard_.heap = this;
#endif
  }

#if !defined(__wasm__)
  struct ExitGuard {
    CachedHeap* heap = nullptr;
    ~ExitGuard() {
      if (heap != nullptr) heap->thread_exit();
    }
  };
  static inline thread_local ExitGuard exit_guard_;
#endif

  static inline thread_local constinit Cache cache_{};
  LockedHeap<InnerHeap, Lock> locked_;
  Cache* caches_ = nullptr;      // under the lock
  std::uint32_t growths_ = 0;    // times memory was about to grow; under the lock
};

}  // namespace wasmheap
