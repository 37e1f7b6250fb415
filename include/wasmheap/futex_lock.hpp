// FutexLock: the lock LockedHeap takes around each heap call. One 32-bit word,
// constant-initialised (so a heap holding it stays in zeroed static memory),
// never allocating, with no constructor or destructor to run.
//
// The word is 0 when free, 1 when held, 2 when held and somebody may be
// asleep on it (the futex mutex of Drepper's "Futexes Are Tricky"). Taking a
// free lock is one compare-and-swap; releasing it is one exchange, plus a wake
// only when the word said 2, so an uncontended lock never leaves the thread.
// A contended one is spun on briefly first: a heap call holds it for well under
// a microsecond, less than a sleep and wake-up costs.
//
// How a thread sleeps depends on where it runs:
//  - Emscripten with -pthread: emscripten_futex_wait / emscripten_futex_wake.
//    A browser's main thread may not block (memory.atomic.wait32 traps there),
//    and these busy-wait on it instead, running the calls other threads proxy
//    to it meanwhile, so a thread waiting on the main thread cannot deadlock it.
//  - any other wasm with atomics (wasm32-wasi-threads, freestanding -matomics):
//    memory.atomic.wait32 / memory.atomic.notify. Where the waiting thread may
//    not block (a browser's main thread), define WASMHEAP_LOCK_NEVER_WAITS to
//    spin instead.
//  - the host: C++20 atomic wait/notify (a futex on Linux).
//  - wasm without atomics has one thread, so the lock is never contended; if a
//    heap call ever re-entered the heap, that thread would wait on itself, and
//    it traps instead of hanging.
#pragma once

#include <cstdint>

#if !defined(__wasm__)
#include <atomic>
#elif defined(__wasm_atomics__) && defined(__EMSCRIPTEN__)
#include <emscripten/threading.h>
#endif

namespace wasmheap {

class FutexLock {
 public:
  constexpr FutexLock() noexcept = default;
  FutexLock(const FutexLock&) = delete;
  FutexLock& operator=(const FutexLock&) = delete;

  void lock() noexcept {
    if (try_lock()) [[likely]]
      return;
    lock_contended();
  }

  bool try_lock() noexcept {
    std::int32_t expected = free_;
    return __atomic_compare_exchange_n(&word_, &expected, held, /*weak=*/false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
  }

  void unlock() noexcept {
    if (__atomic_exchange_n(&word_, free_, __ATOMIC_RELEASE) == held_with_sleepers) [[unlikely]]
      wake_one();
  }

 private:
  static constexpr std::int32_t free_ = 0, held = 1, held_with_sleepers = 2;
  // Rounds of spinning before sleeping; each round is one relaxed load (and a
  // pause hint on x86). Enough to outlast a short critical section, few
  // enough that spinners leave the core to the holder (docs/design-log.md).
  static constexpr int spin_rounds = 100;

  [[gnu::noinline]] void lock_contended() noexcept {
    // Unrolling a loop that waits for another thread gains nothing and costs code.
#pragma clang loop unroll(disable)
    for (int i = 0; i < spin_rounds; ++i) {
      relax();
      // Read before trying, so waiters do not keep stealing the word's cache
      // line from the holder with failed swaps.
      if (__atomic_load_n(&word_, __ATOMIC_RELAXED) == free_ && try_lock()) return;
    }
    // Announce a sleeper, so the holder's unlock wakes one. Whoever gets the
    // lock this way leaves the word at 2 even if nobody else sleeps: that
    // costs at most one needless wake, while leaving it at 1 could lose one.
    while (__atomic_exchange_n(&word_, held_with_sleepers, __ATOMIC_ACQUIRE) != free_)
      sleep_while(held_with_sleepers);
  }

  static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  // Sleeps while the word still holds `value` (returning at once if it does
  // not: the wake it would wait for has already happened); spurious returns
  // are fine, the caller retries.
  void sleep_while(std::int32_t value) noexcept {
#if !defined(__wasm__)
    std::atomic_ref<std::int32_t>(word_).wait(value, std::memory_order_relaxed);
#elif defined(__wasm_atomics__) && defined(__EMSCRIPTEN__)
    emscripten_futex_wait(&word_, static_cast<std::uint32_t>(value), __builtin_inf());
#elif defined(__wasm_atomics__) && !defined(WASMHEAP_LOCK_NEVER_WAITS)
    __builtin_wasm_memory_atomic_wait32(&word_, value, /*no timeout=*/-1);
#elif defined(__wasm_atomics__)
    (void)value;
#else
    (void)value;
    __builtin_trap();
#endif
  }

  void wake_one() noexcept {
#if !defined(__wasm__)
    std::atomic_ref<std::int32_t>(word_).notify_one();
#elif defined(__wasm_atomics__) && defined(__EMSCRIPTEN__)
    emscripten_futex_wake(&word_, 1);
#elif defined(__wasm_atomics__) && !defined(WASMHEAP_LOCK_NEVER_WAITS)
    __builtin_wasm_memory_atomic_notify(&word_, 1);
#endif
  }

  // Aligned for the 32-bit wait and notify, which trap on a misaligned address.
  alignas(4) std::int32_t word_ = free_;
};

}  // namespace wasmheap
