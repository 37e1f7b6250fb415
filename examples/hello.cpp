// A C++ program using the standard library; every allocation goes through
// wasmheap's operator new/delete (libwasmheap-cxx.a) and its malloc.
// Build (clang + wasi-libc):
//   clang++-19 --target=wasm32-wasi -O2 -std=c++20 -fno-exceptions hello.cpp -I<prefix>/include \
//     -L<prefix>/lib -lwasmheap-cxx -lwasmheap -o hello_cxx.wasm
// Build (Emscripten):
//   em++ -O2 -std=c++20 hello.cpp -I<prefix>/include -L<prefix>/lib -lwasmheap-cxx -lwasmheap \
//     -sMALLOC=none -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -o hello_cxx.wasm
#include <wasmheap/allocator.hpp>
#include <wasmheap/memory_resource.hpp>
#include <wasmheap/wasmheap.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

int main() {
  std::vector<std::string> names;
  for (int i = 0; i < 2000; ++i) names.push_back("name number " + std::to_string((i * 7919) % 2000));
  std::sort(names.begin(), names.end());

  std::map<std::string, int> counts;
  std::unordered_map<std::string, int> lengths;
  for (const auto& n : names) {
    ++counts[n.substr(0, 13)];
    lengths[n] = static_cast<int>(n.size());
  }
  for (int i = 0; i < 1000; ++i) lengths.erase("name number " + std::to_string(i));

  std::vector<int, wasmheap::allocator<int>> squares;
  for (int i = 0; i < 100000; ++i) squares.push_back(i * i % 1000);

#if WASMHEAP_HAS_MEMORY_RESOURCE
  std::pmr::vector<std::pmr::string> pmr_words(wasmheap::get_memory_resource());
#else
  std::vector<std::string> pmr_words;  // this standard library has no std::pmr
#endif
  for (int i = 0; i < 500; ++i) pmr_words.emplace_back("pmr string that does not fit inline #" + std::to_string(i));

  std::printf("first %s, last %s\n", names.front().c_str(), names.back().c_str());
  std::printf("map keys %zu, unordered left %zu, squares %zu, pmr words %zu\n", counts.size(), lengths.size(),
              squares.size(), pmr_words.size());

  wasmheap_stats stats;
  wasmheap_get_stats(&stats);
  std::printf("wasmheap: %zu blocks live, %zu bytes live, at most %zu bytes held, %zu pages grown\n", stats.blocks_live,
              stats.bytes_live, stats.bytes_held_peak, stats.pages_grown);
  return names.size() == 2000 && lengths.size() == 1000 && stats.blocks_live > 4000 ? 0 : 1;
}
