// The benchmark's workloads run natively, over a Heap whose simulated memory
// starts the way the benchmark's wasm module does (43 pages of program data
// and stack, the last 20,064 bytes of them free), printing the 64 KiB pages
// each workload makes memory grow by on a fresh heap. Same workload source,
// same allocator code, no engine: the pages match the wasm run's to within
// a page or two, in a second instead of minutes, and under the host presets'
// sanitizers. Built with the tests; `wasmheap_host_replay [name...]`. The
// wasm32-wasi preset builds it too: there pointers and std::string have
// their wasm sizes, so cxx_containers' pages match the benchmark's as well.
// (On a 64-bit host its nodes are twice the size, and so are its pages.)
#include <wasmheap/heap.hpp>
#include <wasmheap/simulated_memory.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

extern "C" {
#include "bench.h"

struct bench_counters bench_c;
void bench_fail(const char* what) {
  std::fprintf(stderr, "workload failed: %s\n", what);
  bench_c.failures++;
}
void bench_fatal(const char* what) {
  std::fprintf(stderr, "workload failed: %s\n", what);
  std::abort();
}
void bench_heap_mark(void) {}
void bench_heap_release(void) {}
}

namespace {

using namespace wasmheap;

// SimulatedMemory with pages already there, like a module's initial memory.
class ModuleMemory {
 public:
  ModuleMemory(std::size_t initial_pages, std::size_t free_bytes) : initial_pages_(initial_pages) {
    auto* start = inner_.grow(initial_pages);
    end_ = reinterpret_cast<std::uintptr_t>(start) + initial_pages * page_size;
    heap_base_ = end_ - free_bytes;
  }
  AddressRange initial_free() const noexcept { return {heap_base_, end_}; }
  std::byte* grow(std::size_t pages) noexcept { return inner_.grow(pages); }
  std::uintptr_t base() const noexcept { return inner_.base(); }
  std::size_t size_pages() const noexcept { return inner_.size_pages(); }
  std::size_t pages_grown() const noexcept { return inner_.pages_grown() - initial_pages_; }

 private:
  SimulatedMemory inner_;
  std::size_t initial_pages_;
  std::uintptr_t heap_base_ = 0, end_ = 0;
};

using ReplayHeap = Heap<ModuleMemory, QuarterClasses>;
ReplayHeap* heap = nullptr;
// While a workload runs, operator new and delete (cxx_containers' allocator
// calls them) use the replay heap too.
bool routing = false;

}  // namespace

void* operator new(std::size_t n) {
  void* p = routing ? heap->alloc(n, 16) : std::malloc(n != 0 ? n : 1);
  if (p == nullptr) bench_fatal("operator new: out of memory");
  return p;
}
void operator delete(void* p) noexcept {
  if (routing && heap->usable_size(p) != 0)
    heap->free(p);
  else
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

// The malloc family the workloads call (bench/src/workloads.c is compiled with
// malloc, free, ... renamed to these), with the alignment wasmheap's malloc gives.
extern "C" {
void* replay_malloc(std::size_t n) { return heap->alloc(n, 16); }
void* replay_calloc(std::size_t count, std::size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  void* p = heap->alloc(count * size, 16);
  if (p != nullptr) std::memset(p, 0, count * size);
  return p;
}
void* replay_realloc(void* p, std::size_t n) { return heap->realloc(p, n); }
void replay_free(void* p) { heap->free(p); }
void* replay_aligned_alloc(std::size_t align, std::size_t n) { return heap->alloc(n, align < 16 ? 16 : align); }
int replay_posix_memalign(void** out, std::size_t align, std::size_t n) {
  *out = heap->alloc(n, align < 16 ? 16 : align);
  return *out != nullptr ? 0 : 12;
}
}

int main(int argc, char** argv) {
  int failed = 0;
  // Besides pages: the calls that grew memory, and the slow paths' work
  // (sweeps, free-list steps they took, free runs looked at).
  std::printf("%-26s %6s %12s %6s %6s %10s %8s\n", "workload", "pages", "peak held B", "grows", "sweeps",
              "sweep steps", "runs");
  // The synthetic benchmark module's own table (bench/src/workload_table.c).
  for (int i = 0; i < bench_workload_count; ++i) {
    const bench_workload& w = bench_workloads[i];
    bool wanted = argc < 2;
    for (int a = 1; a < argc; ++a) wanted = wanted || std::strcmp(argv[a], w.name) == 0;
    if (!wanted) continue;
    auto fresh = std::make_unique<ReplayHeap>(ModuleMemory(43, 20064));
    heap = fresh.get();
    bench_c = {};
    routing = true;
    w.run();
    routing = false;
    const char* problem = heap->check();
    auto s = heap->stats();
    std::printf("%-26s %6zu %12zu %6zu %6zu %10zu %8zu%s%s\n", w.name, s.pages_grown, s.bytes_held_peak,
                s.memory_grows, s.sweeps, s.sweep_steps, s.free_runs_scanned, problem ? "  check: " : "",
                problem ? problem : "");
    if (problem != nullptr || bench_c.failures != 0 || heap->stats().bytes_live != 0) failed = 1;
  }
  return failed;
}
