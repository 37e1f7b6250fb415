/* A sized allocation API (the caller passes back the length and alignment it
 * allocated with), implemented by the bump and zig variants for the code-size
 * comparison. wasmheap's own sized API (wasmheap_alloc, wasmheap_free,
 * wasmheap_resize) has the same shape and is measured directly. */
#ifndef BENCH_SIZED_API_H
#define BENCH_SIZED_API_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* bench_sized_alloc(size_t len, size_t align);
void bench_sized_free(void* p, size_t len, size_t align);
/* Nonzero if the block now holds new_len bytes without having moved. */
int bench_sized_resize(void* p, size_t len, size_t align, size_t new_len);

#ifdef __cplusplus
}
#endif

#endif
