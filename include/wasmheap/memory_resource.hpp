// A std::pmr::memory_resource over the global heap, with sized deallocation.
#pragma once

#include <wasmheap/allocator.hpp>
#include <wasmheap/wasmheap.h>

#include <cstddef>

// Older standard libraries (e.g. Emscripten 3.1's libc++) lack <memory_resource>;
// WASMHEAP_HAS_MEMORY_RESOURCE says whether wasmheap::memory_resource exists.
#if __has_include(<memory_resource>)
#include <memory_resource>
#define WASMHEAP_HAS_MEMORY_RESOURCE 1
#else
#define WASMHEAP_HAS_MEMORY_RESOURCE 0
#endif

#if WASMHEAP_HAS_MEMORY_RESOURCE
namespace wasmheap {

class memory_resource final : public std::pmr::memory_resource {
 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    void* p = wasmheap_alloc(bytes, align);
    if (p == nullptr) detail::allocator_out_of_memory(bytes);
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override { wasmheap_free(p, bytes, align); }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    // Every instance draws on the same global heap, so any can free for another.
#if defined(__cpp_rtti)
    return dynamic_cast<const memory_resource*>(&other) != nullptr;
#else
    return this == &other;
#endif
  }
};

// The process-wide instance, e.g. for std::pmr::set_default_resource.
inline memory_resource* get_memory_resource() noexcept {
  static memory_resource resource;
  return &resource;
}

}  // namespace wasmheap
#endif  // WASMHEAP_HAS_MEMORY_RESOURCE
