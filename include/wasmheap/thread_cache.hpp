// CachedHeap<Heap, Lock>: a heap that any number of threads may call at once,
// where each thread keeps a few free slots of each small class of its own, so
// most calls do not meet other threads' at all.
//
// Allocation path: malloc(n) finds n's class by arithmetic, as Heap does, and
// pops a slot from this thread's list for the class; only an empty list takes
// the heap's lock, to fetch a batch of free slots (half the list's limit).
// Free path: free(p) reads p's class from the page map without the lock (a
// seqlock read, PageRuns::entry_unlocked) and pushes p on this thread's list
// for the class, whichever thread allocated it; only a full list takes the
// lock, to give back its older half. Big blocks, resize, realloc, stats and
// check take the lock, as in LockedHeap.
//
// Why caches of slots per thread rather than per-thread heaps that own slabs
// (mimalloc's way): the slabs, their page map and the sweep stay exactly the
// single-threaded heap's, a slot freed by another thread needs no way home
// (it simply joins the freeing thread's cache, or the shared lists), and
// the code added is the two lists' push and pop, their batches, and the
// bookkeeping below. See docs/threads.md for what was measured.
//
// What a cache holds is counted as free: stats() subtracts every thread's
// counts, which each thread publishes as it changes them. A cache goes back
// to the heap when its thread exits (threads on the host and Emscripten's
// pthreads do that by themselves, see watch_thread_exit; other embedders
// call thread_exit()), when
// it passes its limits, and when the heap is about to grow memory: the
// thread that grows gives back its own cache at once and asks the others to
// give back theirs at their next call that takes the lock.
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
// the page layer then keeps its map readable without the lock, and the heap
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
class CachedHeap {
 public:
  using heap_type = InnerHeap;
  using lock_type = Lock;
  using Stats = typename InnerHeap::Stats;
  using class_policy = typename InnerHeap::class_policy;
  static constexpr unsigned class_count = InnerHeap::class_count;
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
    if (c >= class_count) return locked_.alloc(len, align);
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
    if (c < class_count) [[likely]]
      return push(p, c);
    locked_.free(p);  // a big block, or the map could not tell without the lock
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
        for (unsigned c = 0; c < class_count; ++c) {
          std::size_t n = shared::load_relaxed(cache->counts[c]);
          s.class_blocks_live[c] -= n;
          s.blocks_live -= n;
          s.bytes_live -= n * Classes::slot_size(c);
          s.bytes_cached += n * Classes::slot_size(c);
        }
      return s;
    });
  }

  // The heap's own check, then this thread's cache (each slot a free slot of
  // its class, as many as counted), then every cache's counts against the
  // slots their classes have live.
  const char* check() const noexcept {
    return const_cast<CachedHeap*>(this)->locked_.with_lock([&](InnerHeap& heap) -> const char* {
      if (const char* problem = heap.check()) return problem;
      const Cache& own = cache_;
      for (unsigned c = 0; c < class_count; ++c) {
        std::size_t n = 0;
        for (const Link* slot = static_cast<const Link*>(own.slots[c]); slot != nullptr; slot = slot->next)
          if (++n > own.counts[c] || heap.block_class(slot) != c) return "thread cache holds a slot not of its class";
        if (n != own.counts[c]) return "thread cache count differs from its list";
      }
      Stats s = heap.stats();
      for (unsigned c = 0; c < class_count; ++c) {
        std::size_t cached = 0;
        for (const Cache* cache = caches_; cache != nullptr; cache = cache->next)
          cached += shared::load_relaxed(cache->counts[c]);
        if (cached > s.class_blocks_live[c]) return "thread caches hold more slots than their classes have";
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
    void* slots[class_count];           // free slots, linked through their first word
    std::uint16_t counts[class_count];  // read by stats() from other threads
    std::size_t room;                   // bytes it may still take; 0 until attached
    std::uint32_t growth_seen;          // growths_ when it last gave everything back
    bool attached;
    bool retired;  // thread_exit() was called: no cache any more
    Cache* next;  // every attached cache, under the lock
    Cache* prev;
  };

  // Most slots a class keeps per thread: about 8 KiB of them, between 1 and
  // 64. A full list gives back its older half, an empty one fetches half, so
  // a thread meets the lock about once per limit/2 calls of one class at
  // worst (alternating), and far less while allocations and frees balance.
  static constexpr std::size_t class_bytes = 8192;
  static constexpr auto limits = [] {
    struct Table {
      std::uint8_t limit[class_count];
      constexpr std::uint8_t operator[](unsigned c) const { return limit[c]; }
    } table{};
    for (unsigned c = 0; c < class_count; ++c)
      table.limit[c] = static_cast<std::uint8_t>(std::clamp<std::size_t>(class_bytes / Classes::slot_size(c), 1, 64));
    return table;
  }();
  // And at most this much in all classes, so a thread that stops calling
  // the heap pins no more: past it, every class gives back its older half.
  static constexpr std::size_t cache_bytes = 32768;

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
  // or the cache full: the older halves go back, and p joins the list, or
  // is freed here if this thread may not cache or it still does not fit.
  // An allocation (p null) found class c's list empty: one slot for it, and
  // a batch for the next ones.
  [[gnu::noinline]] void* slow_path(unsigned c, void* p, std::size_t align) noexcept {
    Cache& cache = cache_;
    std::size_t size = Classes::slot_size(c);
    return locked_.with_lock([&](InnerHeap& heap) -> void* {
      bool caching = attach(cache);
      if (p != nullptr) {
        if (caching) {
          if (cache.counts[c] >= limits[c]) give_back(cache, heap, c, limits[c] / 2);
          if (cache.room < size)
            for (unsigned k = 0; k < class_count; ++k) give_back(cache, heap, k, cache.counts[k] / 2);
        }
        if (!caching || cache.room < size) heap.free_slots(c, p, p, 1);
        else cache_slots(cache, c, p, p, 1);
        return nullptr;
      }
      std::size_t most = caching ? std::min<std::size_t>(std::max(limits[c] / 2, 1), cache.room / size) : 0;
      void* spares = nullptr;
      std::size_t n = 0;
      p = heap.alloc_with_spares(c, align, most, spares, n);
      if (n != 0) cache_slots(cache, c, spares, nullptr, n);
      return p;
    });
  }

  // Puts n slots, linked from first to last (or to null), in front of class
  // c's list. The list is not always empty when an allocation found it so:
  // a browser's main thread, waiting for the lock, runs calls proxied to it,
  // which may free into it meanwhile.
  static void cache_slots(Cache& cache, unsigned c, void* first, void* last, std::size_t n) noexcept {
    if (last == nullptr)
      for (last = first; static_cast<Link*>(last)->next != nullptr;) last = static_cast<Link*>(last)->next;
    static_cast<Link*>(last)->next = static_cast<Link*>(cache.slots[c]);
    cache.slots[c] = first;
    shared::store_relaxed(cache.counts[c], static_cast<std::uint16_t>(cache.counts[c] + n));
    cache.room -= n * Classes::slot_size(c);
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
  // this thread's slots go back now, other threads' at their next locked call.
  static void before_growth(void* self) noexcept {
    auto& cached = *static_cast<CachedHeap*>(self);
    Cache& cache = cache_;
    ++cached.growths_;
    if (!has_thread_storage() || !cache.attached) return;
    cache.growth_seen = cached.growths_;
    give_back_all(cache, cached.heap());
  }

  static void give_back_all(Cache& cache, InnerHeap& heap) noexcept {
    for (unsigned c = 0; c < class_count; ++c) give_back(cache, heap, c, 0);
  }

  // Keeps the first `keep` slots of class c's list (the most recently freed,
  // likeliest still in the processor's cache) and gives the rest back.
  static void give_back(Cache& cache, InnerHeap& heap, unsigned c, std::size_t keep) noexcept {
    std::size_t count = cache.counts[c];
    if (count <= keep) return;
    void** cut = &cache.slots[c];
    for (std::size_t i = 0; i < keep; ++i) cut = reinterpret_cast<void**>(*cut);
    void* first = *cut;
    Link* last = static_cast<Link*>(first);
    while (last->next != nullptr) last = last->next;
    *cut = nullptr;
    heap.free_slots(c, first, last, count - keep);
    shared::store_relaxed(cache.counts[c], static_cast<std::uint16_t>(keep));
    cache.room += (count - keep) * Classes::slot_size(c);
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
