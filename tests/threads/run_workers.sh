#!/usr/bin/env bash
# Builds tests/threads/workers.c and wasmheap for wasm32 with atomics and no
# libc (clang-19, wasm-ld-19), as one module over imported shared memory, and
# runs it in Node worker threads (run_workers.mjs).
#   run_workers.sh WORK_DIR
# Exits 77 (which CTest reports as skipped) when a tool is missing.
set -euo pipefail

work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
for tool in clang-19 clang++-19 wasm-ld-19 node; do
  command -v $tool > /dev/null || { echo "SKIP: $tool not found"; exit 77; }
done
[ -d /usr/include/wasm32-wasi ] || { echo "SKIP: no wasm32-wasi headers (apt-get install wasi-libc)"; exit 77; }
mkdir -p "$work" && cd "$work"

# -matomics makes src/global_heap.hpp choose the locked heap. As for
# libwasmheap-freestanding, the sources compile against the wasm32-wasi headers
# (the C++ ones are needed) but with WASMHEAP_FREESTANDING they call nothing
# of a libc, and -mbulk-memory turns copies and fills into memory.copy and
# memory.fill; the link below takes no libc at all.
flags=(--target=wasm32-wasi --sysroot=/usr -O2 -matomics -mbulk-memory -DWASMHEAP_FREESTANDING -Wall -Wextra -I"$src/include")
for unit in global_heap c_api malloc; do
  clang++-19 "${flags[@]}" -std=c++20 -fno-exceptions -c "$src/src/$unit.cpp" -o "$unit.o"
done
clang-19 "${flags[@]}" -std=c11 -c "$src/tests/threads/workers.c" -o workers.o

# Shared memory must be imported so every instance uses the same one; the
# stack pointer is exported so each worker can move it to a stack of its own,
# and __wasm_init_tls so it can set up thread-local storage of its own.
wasm-ld-19 --no-entry --import-memory --shared-memory --max-memory=1073741824 \
  --export=__stack_pointer --export=__wasm_init_tls workers.o global_heap.o c_api.o malloc.o -o workers.wasm

node "$src/tests/threads/run_workers.mjs" workers.wasm 4 30000 | tee out.txt
grep -q '^workers: PASS' out.txt
