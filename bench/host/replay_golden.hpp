// The pages (64 KiB) each benchmark workload grows memory by in the host
// replay (replay.cpp), on a fresh heap laid out like the benchmark module's.
// host_replay fails when a workload's pages differ from its row here.
//
// Exact: the replay is deterministic (fixed seeds, one thread, nothing else
// on the heap), and every preset that runs it (host, host-asan, host-checked,
// wasm32-wasi) gives the same pages for the same pointer size. Two columns,
// since only cxx_containers differs between them: its map and string nodes
// hold pointers (and the host's libstdc++ lays them out unlike wasm32's
// libc++), so a 64-bit host grows memory by more. The wasm32 column is also
// what the wasm benchmark measures (pages_added of the wasmheap variant),
// workload for workload, as long as replay.cpp's layout is the module's.
//
// A change to the heap that moves a figure updates the row in the same
// commit: `wasmheap_host_replay --print-golden` (and the wasm32-wasi build's,
// under node tests/node/run_wasi.mjs) prints this build's column.
#pragma once

#include <cstddef>

struct ReplayGoldenRow {
  const char* workload;
  std::size_t pages_64;  // 64-bit pointers: the host presets
  std::size_t pages_32;  // 32-bit pointers: wasm32-wasi
};

inline constexpr ReplayGoldenRow replay_golden[] = {
    // workload                   64-bit  wasm32
    {"alloc_free_32",                  0,    0},
    {"alloc_free_32_align16",          0,    0},
    {"batch_lifo_32",                  1,    1},
    {"batch_fifo_32",                  1,    1},
    {"churn",                         41,   41},
    {"random_actions",                71,   71},
    {"random_actions_norealloc",      55,   55},
    {"vec_push_growth",              257,  257},
    {"realloc_doubling",              22,   22},
    {"ratchet",                      339,  339},
    {"large_alloc_free",             483,  483},
    {"phase_shift",                  374,  374},
    {"cxx_containers",                18,   15},
    {"seed_tests",                    20,   20},
    {"header_sized",                  89,   89},
    {"adv_growth_with_free_slots",  1031, 1031},
    {"adv_pinned_slabs",             238,  238},
    {"adv_many_free_runs",           909,  909},
    {"adv_realloc_pingpong",           1,    1},
    {"adv_scattered_frees",          623,  623},
};
