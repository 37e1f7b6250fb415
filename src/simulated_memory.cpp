#include <wasmheap/simulated_memory.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace wasmheap {

SimulatedMemory::SimulatedMemory(std::size_t max_pages)
    : reserved_pages_(std::min(max_pages, max_memory_pages)), max_pages_(reserved_pages_) {
  // One spare page of reservation lets us align the base to 64 KiB, as in wasm.
  reserved_bytes_ = (reserved_pages_ + 1) * page_size;
  reservation_ = mmap(nullptr, reserved_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reservation_ == MAP_FAILED) {
    std::fprintf(stderr, "wasmheap: SimulatedMemory cannot reserve %zu bytes of address space\n", reserved_bytes_);
    std::abort();
  }
  auto start = reinterpret_cast<std::uintptr_t>(reservation_);
  base_ = reinterpret_cast<std::byte*>((start + page_size - 1) & ~(page_size - 1));
}

SimulatedMemory::~SimulatedMemory() { release(); }

SimulatedMemory::SimulatedMemory(SimulatedMemory&& other) noexcept { *this = std::move(other); }

SimulatedMemory& SimulatedMemory::operator=(SimulatedMemory&& other) noexcept {
  if (this != &other) {
    release();
    reservation_ = std::exchange(other.reservation_, nullptr);
    reserved_bytes_ = std::exchange(other.reserved_bytes_, 0);
    base_ = std::exchange(other.base_, nullptr);
    reserved_pages_ = std::exchange(other.reserved_pages_, 0);
    max_pages_ = std::exchange(other.max_pages_, 0);
    pages_ = std::exchange(other.pages_, 0);
  }
  return *this;
}

void SimulatedMemory::release() noexcept {
  if (reservation_ != nullptr) munmap(reservation_, reserved_bytes_);
  reservation_ = nullptr;
}

void SimulatedMemory::set_max_pages(std::size_t max_pages) noexcept {
  max_pages_ = std::min(max_pages, reserved_pages_);
}

std::byte* SimulatedMemory::grow(std::size_t pages) noexcept {
  if (pages > max_pages_ || pages_ > max_pages_ - pages) return nullptr;
  std::byte* start = base_ + pages_ * page_size;
  if (pages != 0 && mprotect(start, pages * page_size, PROT_READ | PROT_WRITE) != 0) return nullptr;
  pages_ += pages;
  return start;
}

}  // namespace wasmheap
