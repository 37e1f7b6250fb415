/* The workload table of the synthetic benchmark module: the harness
 * (harness.c) runs workload i of it on request. */
#include "bench.h"

const struct bench_workload bench_workloads[] = {
    {"alloc_free_32", wl_alloc_free_32},
    {"alloc_free_32_align16", wl_alloc_free_32_align16},
    {"batch_lifo_32", wl_batch_lifo_32},
    {"batch_fifo_32", wl_batch_fifo_32},
    {"churn", wl_churn},
    {"random_actions", wl_random_actions},
    {"random_actions_norealloc", wl_random_actions_norealloc},
    {"vec_push_growth", wl_vec_push_growth},
    {"realloc_doubling", wl_realloc_doubling},
    {"ratchet", wl_ratchet},
    {"large_alloc_free", wl_large_alloc_free},
    {"phase_shift", wl_phase_shift},
    {"cxx_containers", wl_cxx_containers},
    {"seed_tests", wl_seed_tests},
    {"header_sized", wl_header_sized},
    {"adv_growth_with_free_slots", wl_adv_growth_with_free_slots},
    {"adv_pinned_slabs", wl_adv_pinned_slabs},
    {"adv_many_free_runs", wl_adv_many_free_runs},
    {"adv_realloc_pingpong", wl_adv_realloc_pingpong},
    {"adv_scattered_frees", wl_adv_scattered_frees},
};
const int bench_workload_count = (int)(sizeof bench_workloads / sizeof bench_workloads[0]);
