// A memory backend that runs out of memory on cue, for fault injection: the
// k-th call to grow() fails, and so does every later one until recover(), as
// if memory were exhausted from that moment. An operation that retries with
// another grow (the unit layer's top-up, then a plain grow) sees no memory
// either, so its failure is the heap's to handle.
#pragma once

#include <wasmheap/simulated_memory.hpp>

#include <cstddef>
#include <cstdint>

namespace wasmheap::test {

class FailingMemory {
 public:
  // fail_from == 0: never fail.
  explicit FailingMemory(std::size_t fail_from = 0, std::size_t max_pages = max_memory_pages)
      : inner_(max_pages), fail_from_(fail_from) {}

  std::byte* grow(std::size_t pages) noexcept {
    ++grow_calls_;
    if (fail_from_ != 0 && grow_calls_ >= fail_from_) {
      ++failed_grows_;
      return nullptr;
    }
    std::byte* fresh = inner_.grow(pages);
    if (fresh != nullptr && origin_ == nullptr) origin_ = fresh;
    return fresh;
  }
  std::uintptr_t base() const noexcept { return inner_.base(); }
  std::size_t size_pages() const noexcept { return inner_.size_pages(); }
  std::size_t pages_grown() const noexcept { return inner_.pages_grown(); }

  // Memory is available again.
  void recover() noexcept { fail_from_ = 0; }

  std::size_t grow_calls() const noexcept { return grow_calls_; }
  std::size_t failed_grows() const noexcept { return failed_grows_; }
  // The first page handed out. After align_origin(), addresses relative to it
  // are the same in every run of the same operations, even for blocks aligned
  // to up to origin_alignment.
  const std::byte* origin() const noexcept { return origin_; }
  static constexpr std::size_t origin_alignment = std::size_t{1} << 20;

  // Before the heap's first grow: grows (and never hands out) the pages up to
  // the next origin_alignment boundary, as another user of memory might, so
  // the first page the heap gets lies on one. Not counted as a grow call.
  void align_origin() noexcept {
    std::uintptr_t next = inner_.base() + inner_.size_pages() * page_size;
    std::size_t gap = (origin_alignment - next % origin_alignment) % origin_alignment;
    if (gap != 0) inner_.grow(gap / page_size);
  }

 private:
  SimulatedMemory inner_;
  std::size_t fail_from_;
  std::size_t grow_calls_ = 0;
  std::size_t failed_grows_ = 0;
  std::byte* origin_ = nullptr;
};

}  // namespace wasmheap::test
