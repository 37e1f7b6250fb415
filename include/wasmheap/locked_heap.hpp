// LockedHeap<Heap, Lock>: a heap that any number of threads may call at once.
// It has the public API of Heap and takes one lock around each call, so every
// block can be freed, resized or reallocated by any thread, whichever thread
// allocated it.
//
// In builds with threads the global heap is a CachedHeap (thread_cache.hpp),
// which keeps a cache of free slots per thread in front of a LockedHeap; it
// is a LockedHeap alone with WASMHEAP_THREAD_CACHE=0 and in the checked
// build, whose checks need every free slot. Single-threaded builds use Heap
// directly and contain no trace of this file.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace wasmheap {

// The names a heap that wraps another (LockedHeap, CachedHeap) shares with it.
template <class InnerHeap, class Lock>
struct WrappedHeapTypes {
  using heap_type = InnerHeap;
  using lock_type = Lock;
  using Stats = typename InnerHeap::Stats;
  using class_policy = typename InnerHeap::class_policy;
  static constexpr unsigned class_count = InnerHeap::class_count;
};

template <class InnerHeap, class Lock>
class LockedHeap : public WrappedHeapTypes<InnerHeap, Lock> {
 public:
  using typename WrappedHeapTypes<InnerHeap, Lock>::Stats;

  // Whatever constructs the inner heap (its memory backend, or nothing), so a
  // LockedHeap over WasmMemory stays constant-initialisable like Heap itself.
  template <class... Args>
    requires std::is_constructible_v<InnerHeap, Args...>
  constexpr explicit LockedHeap(Args&&... args) noexcept(std::is_nothrow_constructible_v<InnerHeap, Args...>)
      : heap_(std::forward<Args>(args)...) {}
  LockedHeap(const LockedHeap&) = delete;
  LockedHeap& operator=(const LockedHeap&) = delete;

  void* alloc(std::size_t len, std::size_t align) noexcept {
    Guard guard(*this);
    return heap_.alloc(len, align);
  }

  void free(void* p, std::size_t len, std::size_t align) noexcept {
    // free(nullptr) is common (C code frees unconditionally) and needs no lock.
    if (p == nullptr) return;
    Guard guard(*this);
    heap_.free(p, len, align);
  }

  void free(void* p) noexcept {
    if (p == nullptr) return;
    Guard guard(*this);
    heap_.free(p);
  }

  bool resize(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    Guard guard(*this);
    return heap_.resize(p, len, align, new_len);
  }

  void* remap(void* p, std::size_t len, std::size_t align, std::size_t new_len) noexcept {
    Guard guard(*this);
    return heap_.remap(p, len, align, new_len);
  }

  // Under the lock even though it only reads: the unit map it reads can move
  // when another thread's allocation grows it.
  std::size_t usable_size(const void* p) const noexcept {
    Guard guard(*this);
    return heap_.usable_size(p);
  }

  // The whole realloc, copy included, is one locked call, so it keeps Heap's
  // exact semantics (checked builds included). Copying outside the lock would
  // let other threads in during a big move, at the price of re-deriving
  // Heap's in-place rules here.
  void* realloc(void* p, std::size_t new_len) noexcept {
    Guard guard(*this);
    return heap_.realloc(p, new_len);
  }

  Stats stats() const noexcept {
    Guard guard(*this);
    return heap_.stats();
  }

  const char* check() const noexcept {
    Guard guard(*this);
    return heap_.check();
  }

  // The memory backend, without the lock: a reference outlives any lock taken
  // here, so the caller must make sure no other thread uses the heap meanwhile
  // (or use with_lock).
  auto& memory() noexcept { return heap_.memory(); }

  // Runs f(heap) on the inner heap under the lock, for anything the wrapper
  // does not forward, e.g. several calls that must see one consistent heap.
  template <class F>
  decltype(auto) with_lock(F&& f) {
    Guard guard(*this);
    return std::forward<F>(f)(heap_);
  }

  // The inner heap without the lock, for what it allows then (CachedHeap's
  // reads of the unit map, Heap::block_class_unlocked).
  InnerHeap& without_lock() noexcept { return heap_; }

#if defined(WASMHEAP_COUNT_LOCKS)
  // How many times the lock was taken: how often threads meet here, which is
  // what limits how far past a few cores the heap scales. Instrumented builds
  // only (-DWASMHEAP_COUNT_LOCKS), for bench/threads.
  std::size_t lock_acquisitions() const noexcept { return __atomic_load_n(&lock_acquisitions_, __ATOMIC_RELAXED); }
#endif

 private:
  // A scope guard of its own: <mutex> is not available to freestanding builds.
  // Taking the lock also lets a memory backend that needs it (WasmMemory)
  // catch up with growth done by other threads, before the heap touches it.
  class Guard {
   public:
    explicit Guard(const LockedHeap& heap) noexcept : lock_(heap.lock_) {
      lock_.lock();
#if defined(WASMHEAP_COUNT_LOCKS)
      __atomic_store_n(&heap.lock_acquisitions_, heap.lock_acquisitions_ + 1, __ATOMIC_RELAXED);
#endif
      if constexpr (requires { heap.heap_.memory().catch_up_with_growth(); })
        heap.heap_.memory().catch_up_with_growth();
    }
    ~Guard() { lock_.unlock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    Lock& lock_;
  };

  // mutable: the const calls (usable_size, stats, check) lock too.
  mutable Lock lock_;
#if defined(WASMHEAP_COUNT_LOCKS)
  mutable std::size_t lock_acquisitions_ = 0;  // written under the lock
#endif
  InnerHeap heap_;
};

}  // namespace wasmheap
