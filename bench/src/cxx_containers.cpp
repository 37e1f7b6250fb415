// cxx_containers: the standard containers a C++ program leans on, with
// std::string keys long enough to live on the heap.
//
// The containers use CountingAllocator, which does exactly what std::allocator
// does -- ::operator new(n) and the sized ::operator delete(p, n) -- and also
// counts the calls and live bytes. So every byte still goes through the
// variant's operator new/delete (wasmheap's libwasmheap-cxx, or libc++abi's,
// which calls malloc), and the counts need no hook in the allocator.
#include "bench.h"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

template <class T>
struct CountingAllocator {
  using value_type = T;
  CountingAllocator() noexcept = default;
  template <class U>
  CountingAllocator(const CountingAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    void* p = ::operator new(bytes);
    bench_c.ops++;
    bench_live_add(bytes);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    std::size_t bytes = n * sizeof(T);
    ::operator delete(static_cast<void*>(p), bytes);
    bench_c.ops++;
    bench_c.live -= bytes;
  }
  template <class U>
  bool operator==(const CountingAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const CountingAllocator<U>&) const noexcept { return false; }
};

using String = std::basic_string<char, std::char_traits<char>, CountingAllocator<char>>;
using Map = std::map<String, std::uint32_t, std::less<String>,
                     CountingAllocator<std::pair<const String, std::uint32_t>>>;

struct StringHash {
  std::size_t operator()(const String& s) const noexcept {
    // FNV-1a: the same hash under every standard library, so the table sees
    // the same collisions and rehashes with libc++ 14 (Emscripten) and 19.
    std::uint32_t h = 2166136261u;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }
};
using UnorderedMap = std::unordered_map<String, std::uint32_t, StringHash, std::equal_to<String>,
                                        CountingAllocator<std::pair<const String, std::uint32_t>>>;
using Vector = std::vector<String, CountingAllocator<String>>;

constexpr std::uint32_t kKeys = 10000;

// "key-" + 8 decimal digits + "-value": 18 chars, beyond libc++'s short-string
// capacity on wasm32 (10), so every key is a heap block.
String make_key(std::uint32_t v) {
  char buf[24] = {'k', 'e', 'y', '-'};
  for (int i = 11; i >= 4; i--) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  const char tail[] = "-value";
  for (int i = 0; i < 6; i++) buf[12 + i] = tail[i];
  return String(buf, 18);
}

// Key numbers from a seeded PRNG: the same keys, in the same order, every run.
std::uint32_t key_number(struct bench_rng* r) { return static_cast<std::uint32_t>(rng_next(r) % 100000000u); }

void ordered_map_round() {
  struct bench_rng r = {0x3A9u};
  Map m;
  for (std::uint32_t i = 0; i < kKeys; i++) m.emplace(make_key(key_number(&r)), i);
  std::uint64_t sum = 0;
  struct bench_rng q = {0x3A9u};
  for (std::uint32_t i = 0; i < kKeys; i++) {
    auto it = m.find(make_key(key_number(&q)));
    if (it == m.end()) bench_fail("map lost a key");
    else sum += it->second;
  }
  // Erase half by key, then the rest by clearing.
  struct bench_rng e = {0x3A9u};
  for (std::uint32_t i = 0; i < kKeys / 2; i++) m.erase(make_key(key_number(&e)));
  m.clear();
  bench_c.checksum += sum;
}

void unordered_map_round() {
  struct bench_rng r = {0x7B1u};
  UnorderedMap m;
  for (std::uint32_t i = 0; i < kKeys; i++) m.emplace(make_key(key_number(&r)), i);
  std::uint64_t sum = 0;
  struct bench_rng q = {0x7B1u};
  for (std::uint32_t i = 0; i < kKeys; i++) {
    auto it = m.find(make_key(key_number(&q)));
    if (it == m.end()) bench_fail("unordered_map lost a key");
    else sum += it->second;
  }
  struct bench_rng e = {0x7B1u};
  for (std::uint32_t i = 0; i < kKeys / 2; i++) m.erase(make_key(key_number(&e)));
  m.clear();
  bench_c.checksum += sum + m.bucket_count();
}

void sorted_vector_round() {
  struct bench_rng r = {0xD0Cu};
  Vector v;  // grown by push_back, with its own doubling
  for (std::uint32_t i = 0; i < kKeys; i++) v.push_back(make_key(key_number(&r)));
  std::sort(v.begin(), v.end());
  if (!std::is_sorted(v.begin(), v.end())) bench_fail("sort failed");
  bench_c.checksum += static_cast<unsigned char>(v[kKeys / 2][7]);
}

}  // namespace

extern "C" void wl_cxx_containers(void) {
  ordered_map_round();
  unordered_map_round();
  sorted_vector_round();
}
