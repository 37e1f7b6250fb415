// Chunked pages: 64 KiB pages split into sixteen 4 KiB chunks, each a small
// slab of its own class. A class in light use then holds 4 KiB, not a whole
// page; and the free space of the initial memory below the first whole page
// (from __heap_base up) serves small slabs through the same mechanism.
//
// Which class owns each chunk is kept in a small static pool of descriptors, one
// per chunked page; the page map's entry for a chunked page names its descriptor.
#pragma once

#include <wasmheap/layout.hpp>

#include <cstddef>
#include <cstdint>

namespace wasmheap {

class ChunkTable {
 public:
  static constexpr std::size_t chunk_shift = 12;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_shift;
  static constexpr unsigned chunks_per_page = page_size / chunk_size;
  static constexpr unsigned max_pages = 16;
  static constexpr std::uint8_t free_chunk = 0xFF;  // not yet given to a class
  static constexpr std::uint8_t not_heap = 0xFE;    // below __heap_base: program data

  // Class of the chunk holding p in chunked page `descriptor`, or a value >= not_heap.
  unsigned class_at(std::uint32_t descriptor, const void* p) const noexcept {
    return owners_[descriptor][(reinterpret_cast<std::uintptr_t>(p) >> chunk_shift) % chunks_per_page];
  }

  bool full() const noexcept { return pages_used_ == max_pages; }

  // Registers a page as chunked, with chunks before `first_chunk` unusable;
  // returns its descriptor. The caller checks full() first.
  std::uint32_t add_page(std::uint32_t page, unsigned first_chunk) noexcept {
    std::uint32_t d = pages_used_++;
    page_index_[d] = page;
    for (unsigned i = 0; i < chunks_per_page; ++i) owners_[d][i] = i < first_chunk ? not_heap : free_chunk;
    return d;
  }

  // Gives a free chunk to class c: its page and chunk number, or false if none is free.
  bool take_chunk(unsigned c, std::uint32_t& page, unsigned& chunk) noexcept {
    for (std::uint32_t d = 0; d < pages_used_; ++d) {
      for (unsigned i = 0; i < chunks_per_page; ++i) {
        if (owners_[d][i] == free_chunk) {
          owners_[d][i] = static_cast<std::uint8_t>(c);
          page = page_index_[d];
          chunk = i;
          return true;
        }
      }
    }
    return false;
  }

 private:
  std::uint32_t pages_used_ = 0;
  std::uint32_t page_index_[max_pages] = {};
  std::uint8_t owners_[max_pages][chunks_per_page] = {};
};

}  // namespace wasmheap
