// How the heap stops a program that corrupted it or misused it: one line on
// stderr, "wasmheap: " and what was found, then abort. A heap that finds its
// own structures broken cannot go on safely (it would hand out a wrong block
// or loop), and a silent trap leaves the program's author nothing to go on.
//
// The line is built here, with no printf: a formatter would pull a libc's
// stdio into every program that links the heap, and a module built without a
// libc (WASMHEAP_FREESTANDING) has none. There, with nowhere to write, the
// heap traps.
#pragma once

#include <cstddef>
#include <cstdint>

#if !defined(WASMHEAP_FREESTANDING)
#include <cstdlib>
#include <unistd.h>
#endif

namespace wasmheap {

class StopLine {
 public:
  StopLine() noexcept { text("wasmheap: "); }

  StopLine& text(const char* s) noexcept {
    while (*s != '\0' && length_ < capacity) line_[length_++] = *s++;
    return *this;
  }
  StopLine& decimal(std::size_t n) noexcept {
    char digits[24];
    unsigned count = 0;
    do digits[count++] = static_cast<char>('0' + n % 10);
    while ((n /= 10) != 0);
    while (count > 0 && length_ < capacity) line_[length_++] = digits[--count];
    return *this;
  }
  StopLine& address(const void* p) noexcept {
    auto value = reinterpret_cast<std::uintptr_t>(p);
    text("0x");
    int shift = 4 * (sizeof value * 2 - 1);
    while (shift > 0 && (value >> shift) == 0) shift -= 4;  // no leading zeros
    for (; shift >= 0 && length_ < capacity; shift -= 4) line_[length_++] = "0123456789abcdef"[(value >> shift) & 15];
    return *this;
  }

  [[noreturn, gnu::cold]] void stop() noexcept {
#if defined(WASMHEAP_FREESTANDING)
    __builtin_trap();
#else
    line_[length_++] = '\n';
    (void)!::write(2, line_, length_);
    std::abort();
#endif
  }

 private:
  static constexpr std::size_t capacity = 191;  // one byte left for the newline
  char line_[capacity + 1];
  std::size_t length_ = 0;
};

// "wasmheap: <what> 0x<p>", the common case: a problem and the pointer it is about.
[[noreturn, gnu::cold, gnu::noinline]] inline void stop(const char* what, const void* p) noexcept {
  StopLine().text(what).text(" ").address(p).stop();
}

// A precondition or invariant the code relies on, checked where asserts are
// on: WASMHEAP_ASSERTS=1, the default in builds without NDEBUG (CMake's
// Debug: the host-asan and wasm32-wasi-debug presets). Elsewhere the
// condition is not evaluated at all, so release code pays nothing.
#if !defined(WASMHEAP_ASSERTS)
#if defined(NDEBUG)
#define WASMHEAP_ASSERTS 0
#else
#define WASMHEAP_ASSERTS 1
#endif
#endif
#if WASMHEAP_ASSERTS
#define WASMHEAP_ASSERT(condition) \
  ((condition) ? void() : ::wasmheap::assert_failed(#condition, __FILE__, __LINE__))
[[noreturn, gnu::cold, gnu::noinline]] inline void assert_failed(const char* condition, const char* file,
                                                                 unsigned line) noexcept {
  StopLine().text("assertion failed: ").text(condition).text(" (").text(file).text(":").decimal(line).text(")").stop();
}
#else
#define WASMHEAP_ASSERT(condition) ((void)0)
#endif

}  // namespace wasmheap
