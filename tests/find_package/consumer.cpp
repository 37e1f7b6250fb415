// Uses the installed headers (the STL allocator, a template) and the installed
// library (the C API under it), so both halves of the install are needed.
#include <wasmheap/allocator.hpp>
#include <wasmheap/wasmheap.h>

#include <cstdio>
#include <vector>

int main() {
  wasmheap_stats before, during, after;
  wasmheap_get_stats(&before);
  {
    std::vector<int, wasmheap::allocator<int>> numbers;
    for (int i = 0; i < 10000; ++i) numbers.push_back(i);
    wasmheap_get_stats(&during);
    if (during.blocks_live != before.blocks_live + 1 || numbers[9999] != 9999) return 1;
    if (wasmheap_usable_size(numbers.data()) < numbers.capacity() * sizeof(int)) return 2;
  }
  wasmheap_get_stats(&after);
  if (after.blocks_live != before.blocks_live || wasmheap_check() != nullptr) return 3;
  std::puts("wasmheap consumer: ok");
  return 0;
}
