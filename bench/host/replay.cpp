// The benchmark's synthetic workloads run natively, each over a fresh heap
// whose simulated memory starts the way the benchmark's wasm module does (43
// pages of program data and stack, the last 16,112 bytes of them free), and
// through the malloc family wasmheap ships: the same templates
// (<wasmheap/malloc_family.hpp>) that give libwasmheap's malloc, calloc, realloc,
// aligned_alloc and posix_memalign their semantics, here over the replay's
// heap instead of the global one, and operator new and delete as
// src/new_delete.cpp makes them. Same workload source, same allocator code,
// no engine: the pages are the wasm run's, in a second instead of minutes,
// and under the host presets' sanitizers and checks.
//
// It prints, per workload, the 64 KiB pages memory grew by (with the calls
// that grew it, and the slow paths' work: sweeps, their free-list steps, free
// runs looked at), and fails when a workload breaks a promise, leaves a block
// live, leaves the heap inconsistent, or grows memory by other than the pages
// replay_golden.hpp expects of it.
//
//   wasmheap_host_replay [workload...]   the named workloads only
//   wasmheap_host_replay --print-golden  the golden table's rows from this run
//
// Built with the tests (ctest: host_replay) on the host presets and on
// wasm32-wasi, where pointers and std::string have their wasm sizes, so
// cxx_containers' pages are the benchmark's too; on a 64-bit host its nodes
// are larger, and so are its pages.

#include <wasmheap/heap.hpp>
#include <wasmheap/malloc_family.hpp>
#include <wasmheap/simulated_memory.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "replay_golden.hpp"

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

// The benchmark module's start (bench/build/wasm/wasmheap.wasm): 43 pages of
// initial memory (pages_at_start in the results), whose static data ends at
// byte 2,801,936 (lib/wasm_info.mjs's staticEnd), leaving 16,112 bytes for the
// heap. The pages of large_alloc_free and header_sized turn on this layout:
// with 20,064 free bytes they were 438 and 86 instead of the module's 483
// and 89. If the harness's static data changes, set these from the new module.
constexpr std::size_t module_pages = 43, module_free_bytes = 16112;

// The global heap's class policy: the one this build of the library uses.
using ReplayHeap = Heap<ModuleMemory, LibraryClasses>;
ReplayHeap* heap = nullptr;
// While a workload runs, operator new and delete (cxx_containers' allocator
// calls them) use the replay heap too.
bool routing = false;

// What src/new_delete.cpp's operator new and sized delete ask of the heap:
// the alignment malloc asks for, and the size given back on delete.
constexpr std::size_t new_align = malloc_family::malloc_align;

}  // namespace

void* operator new(std::size_t n) {
  void* p = routing ? heap->alloc(n, new_align) : std::malloc(n != 0 ? n : 1);
  if (p == nullptr) bench_fatal("operator new: out of memory");
  return p;
}
void operator delete(void* p) noexcept {
  if (routing && heap->usable_size(p) != 0)
    heap->free(p);
  else
    std::free(p);
}
void operator delete(void* p, std::size_t n) noexcept {
  if (routing && heap->usable_size(p) != 0)
    heap->free(p, n, new_align);
  else
    std::free(p);
}

// The malloc family the workloads call (bench/src/workloads.c is compiled with
// malloc, free, ... renamed to these): wasmheap's, over the replay heap.
extern "C" {
void* replay_malloc(std::size_t n) { return malloc_family::malloc(*heap, n); }
void* replay_calloc(std::size_t count, std::size_t size) { return malloc_family::calloc(*heap, count, size); }
void* replay_realloc(void* p, std::size_t n) { return malloc_family::realloc(*heap, p, n); }
void replay_free(void* p) { heap->free(p); }
void* replay_aligned_alloc(std::size_t align, std::size_t n) { return malloc_family::memalign(*heap, align, n); }
int replay_posix_memalign(void** out, std::size_t align, std::size_t n) {
  return malloc_family::posix_memalign(*heap, out, align, n);
}
}

namespace {

// The expected pages of a workload for this build's pointer size; -1 if the
// table has no row for it.
long expected_pages(const char* name) {
  for (const auto& row : replay_golden)
    if (std::strcmp(row.workload, name) == 0) return static_cast<long>(sizeof(void*) == 8 ? row.pages_64 : row.pages_32);
  return -1;
}

struct Outcome {
  const char* workload;
  std::size_t pages;
  long expected;
};

}  // namespace

int main(int argc, char** argv) {
  bool print_golden = false;
  int named = 0;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--print-golden") == 0)
      print_golden = true;
    else
      ++named;
  }
  bool failed = false;
  std::vector<Outcome> outcomes;

  std::printf("%-26s %6s %8s %12s %6s %6s %10s %8s\n", "workload", "pages", "expected", "peak held B", "grows",
              "sweeps", "sweep steps", "runs");
  // The synthetic benchmark module's own table (bench/src/workload_table.c).
  for (int i = 0; i < bench_workload_count; ++i) {
    const bench_workload& w = bench_workloads[i];
    bool wanted = named == 0;
    for (int a = 1; a < argc; ++a) wanted = wanted || std::strcmp(argv[a], w.name) == 0;
    if (!wanted) continue;
    auto fresh = std::make_unique<ReplayHeap>(ModuleMemory(module_pages, module_free_bytes));
    heap = fresh.get();
    bench_c = {};
    routing = true;
    w.run();
    routing = false;
    const char* problem = heap->check();
    auto s = heap->stats();
    long expected = expected_pages(w.name);
    outcomes.push_back({w.name, s.pages_grown, expected});
    std::printf("%-26s %6zu %8ld %12zu %6zu %6zu %10zu %8zu%s%s\n", w.name, s.pages_grown, expected,
                s.bytes_held_peak, s.memory_grows, s.sweeps, s.sweep_steps, s.free_runs_scanned,
                problem ? "  check: " : "", problem ? problem : "");
    if (problem != nullptr) failed = true;
    if (bench_c.failures != 0) failed = true;
    if (s.bytes_live != 0) {
      std::printf("%s: %zu bytes still live after the workload\n", w.name, s.bytes_live);
      failed = true;
    }
  }

  // The golden table: every workload's pages, exactly (the replay is
  // deterministic: fixed seeds, one thread, a fresh heap per workload).
  int off = 0;
  for (const Outcome& o : outcomes)
    if (o.expected != static_cast<long>(o.pages)) ++off;
  if (off != 0) {
    std::printf("\n%d workload(s) grew memory by other than bench/host/replay_golden.hpp's pages (%zu-bit column):\n",
                off, sizeof(void*) * 8);
    std::printf("%-26s %8s %6s %6s\n", "workload", "expected", "pages", "diff");
    for (const Outcome& o : outcomes) {
      if (o.expected == static_cast<long>(o.pages)) continue;
      if (o.expected < 0)
        std::printf("%-26s %8s %6zu   (no row)\n", o.workload, "-", o.pages);
      else
        std::printf("%-26s %8ld %6zu %+6ld\n", o.workload, o.expected, o.pages,
                    static_cast<long>(o.pages) - o.expected);
    }
    std::printf("If the change is meant, update the table (--print-golden prints this build's rows).\n");
    failed = true;
  }
  if (print_golden) {
    std::printf("\n// %zu-bit pointers: pages of every workload run\n", sizeof(void*) * 8);
    for (const Outcome& o : outcomes) std::printf("    {\"%s\", %zu},\n", o.workload, o.pages);
  }
  return failed ? 1 : 0;
}
