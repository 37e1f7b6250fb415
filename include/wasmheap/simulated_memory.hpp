// A host stand-in for wasm linear memory, so the allocator runs natively under
// sanitizers, fuzzers and debuggers, and out-of-memory can be provoked at will.
#pragma once

#include <wasmheap/layout.hpp>

#include <cstddef>
#include <cstdint>

namespace wasmheap {

// Reserves address space for max_pages pages up front (nothing is committed
// until grown), and hands it out in 64 KiB pages from a 64 KiB-aligned base,
// exactly as memory.grow does: contiguous, zero-filled, never given back.
class SimulatedMemory {
 public:
  explicit SimulatedMemory(std::size_t max_pages = max_memory_pages);
  ~SimulatedMemory();
  SimulatedMemory(SimulatedMemory&& other) noexcept;
  SimulatedMemory& operator=(SimulatedMemory&& other) noexcept;
  SimulatedMemory(const SimulatedMemory&) = delete;
  SimulatedMemory& operator=(const SimulatedMemory&) = delete;

  // Adds `pages` pages; returns the address of the first one, or nullptr when
  // that would pass the cap (memory is then unchanged).
  std::byte* grow(std::size_t pages) noexcept;

  // Address of page 0: page i spans [base + i * page_size, base + (i+1) * page_size).
  std::uintptr_t base() const noexcept { return reinterpret_cast<std::uintptr_t>(base_); }
  std::size_t size_pages() const noexcept { return memory_pages(); }
  std::size_t pages_grown() const noexcept { return pages_; }

  // The cap can move, e.g. to give memory back after an out-of-memory test;
  // it never exceeds what was reserved.
  std::size_t max_pages() const noexcept { return max_pages_; }
  void set_max_pages(std::size_t max_pages) noexcept;

 private:
  // Pages of the memory this instance's pages live in. On the host that is its
  // own reservation, so it equals pages_. On wasm every instance (and malloc,
  // and anything else calling memory.grow) shares linear memory 0, so this is
  // its real size: the heap compares it with its own top to tell whether memory
  // is still contiguous with its last pages.
  std::size_t memory_pages() const noexcept {
#if defined(__wasm__)
    return __builtin_wasm_memory_size(0);
#else
    return pages_;
#endif
  }

#if !defined(__wasm__)
  void release() noexcept;

  void* reservation_ = nullptr;
  std::size_t reserved_bytes_ = 0;
#endif
  // Null on wasm, where linear memory starts at address 0 and a page's index is
  // its address >> 16.
  std::byte* base_ = nullptr;
  // The cap set_max_pages cannot pass: the reservation on the host, the
  // constructor's max_pages on wasm.
  std::size_t reserved_pages_ = 0;
  std::size_t max_pages_ = 0;
  // Pages this instance has grown (and, on the host, the size of its memory).
  std::size_t pages_ = 0;
};

}  // namespace wasmheap
