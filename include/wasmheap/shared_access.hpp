// Loads and stores of words that threads share without a lock: the page
// layer's geometry and map entries, which the free path of CachedHeap reads
// while another thread may hold the heap's lock and change them, and the
// counts of a thread cache, which stats() reads from other threads. Only
// heaps over shared memory (SharedMemory) use them; single-threaded builds
// keep plain accesses and compile exactly as before.
#pragma once

#include <cstdint>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WASMHEAP_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WASMHEAP_TSAN 1
#endif

#if defined(WASMHEAP_TSAN)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

namespace wasmheap::shared {

template <class T>
T load_acquire(const T& word) noexcept {
  return __atomic_load_n(&word, __ATOMIC_ACQUIRE);
}
template <class T>
T load_relaxed(const T& word) noexcept {
  return __atomic_load_n(&word, __ATOMIC_RELAXED);
}
template <class T>
void store_release(T& word, T value) noexcept {
  __atomic_store_n(&word, value, __ATOMIC_RELEASE);
}

// A store that a reader without the lock may see at any moment, with no
// ordering asked of it. On wasm a plain store: wasm's atomic stores are all
// sequentially consistent (an exchange on x86, which the fast paths would
// pay for every slot), while an aligned store of a word cannot tear, and the
// readers tolerate old values (they check a generation, or only report).
// Elsewhere a relaxed atomic store, which costs the same as a plain one and
// lets ThreadSanitizer see the sharing.
template <class T>
void store_relaxed(T& word, T value) noexcept {
#if defined(__wasm__)
  word = value;
#else
  __atomic_store_n(&word, value, __ATOMIC_RELAXED);
#endif
}

// A load whose value is thrown away unless a generation read afterwards
// shows nothing moved meanwhile (a seqlock read): the word may be one that
// the writer was rewriting with plain stores at that moment, which is a race
// ThreadSanitizer would report although the value is never used. It is an
// acquire load so that the generation's second read cannot be done before it
// (on wasm an atomic load; on an ARM host that is what keeps the two in order).
template <class T>
T load_speculative(const T& word) noexcept {
#if defined(WASMHEAP_TSAN)
  // A plain read, which the annotation hides (it does not hide atomics).
  AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
  T value = *static_cast<const volatile T*>(&word);
  AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  return value;
#else
  return __atomic_load_n(&word, __ATOMIC_ACQUIRE);
#endif
}

}  // namespace wasmheap::shared
