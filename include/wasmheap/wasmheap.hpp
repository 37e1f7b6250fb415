// wasmheap's C++ API in one include.
#pragma once

#include <wasmheap/heap.hpp>
#include <wasmheap/layout.hpp>
#include <wasmheap/size_classes.hpp>
#if defined(__wasm__)
#include <wasmheap/wasm_memory.hpp>
#else
#include <wasmheap/simulated_memory.hpp>
#endif
