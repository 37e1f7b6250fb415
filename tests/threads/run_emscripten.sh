#!/usr/bin/env bash
# A real wasm threads test: tests/threads/threads_malloc.c built with
# Emscripten -pthread and linked with wasmheap compiled with -pthread (so the
# global heap is a LockedHeap), where each pthread is a worker thread sharing
# the module's memory.
#   run_emscripten.sh WORK_DIR [node|browser]
#   node     (default) in Node, main() proxied to a worker (PROXY_TO_PTHREAD)
#   browser  in headless Chromium with main() on the browser's main thread,
#            which may not block: the lock must busy-wait there
# Exits 77 (which CTest reports as skipped) when emcc (or, for browser,
# Chromium) is not installed.
set -euo pipefail

work=$1
mode=${2:-node}
src=$(cd "$(dirname "$0")/../.." && pwd)
threads=${THREADS_MALLOC_THREADS:-4}

if ! command -v emcc > /dev/null; then
  echo "SKIP: emcc not found, so no wasm threads build (apt-get install emscripten)"
  exit 77
fi

# Emscripten 3.1.6 runs its JS optimiser (tools/acorn-optimizer.js) with the
# node on PATH. That needs the acorn parser, which Debian installs under
# /usr/share/nodejs: the Debian node searches there, a node from elsewhere does
# not, and the link then fails at any -O level that runs the optimiser.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

mkdir -p "$work" && cd "$work"
rm -f threads_malloc.js threads_malloc.wasm threads_malloc.worker.js out.txt

for unit in global_heap c_api malloc; do
  em++ -pthread -std=c++20 -O2 -fno-exceptions -Wall -Wextra -I"$src/include" -c "$src/src/$unit.cpp" -o "$unit.o"
done
emcc -pthread -O2 -DTHREADS_MALLOC_WASMHEAP -DTHREADS="$threads" -I"$src/include" \
  -c "$src/tests/threads/threads_malloc.c" -o threads_malloc.o

# -sMALLOC=none: wasmheap's malloc.o provides the malloc family (and the
# emscripten_builtin_* names the pthread runtime allocates stacks with).
# node: -sPROXY_TO_PTHREAD runs main in a worker too; the pool has a worker
# ready for it and for each thread. browser: main stays on the page's thread,
# and the pool's workers are started before main runs, since the page's thread
# cannot start one while main keeps it busy.
# --profiling-funcs keeps function names, for the checks below.
if [ "$mode" = node ]; then
  placement=(-sPROXY_TO_PTHREAD -sPTHREAD_POOL_SIZE=$((threads + 1)))
else
  placement=(-sPTHREAD_POOL_SIZE=$threads)
fi
emcc -pthread -O2 --profiling-funcs threads_malloc.o global_heap.o c_api.o malloc.o \
  -sMALLOC=none "${placement[@]}" -sEXIT_RUNTIME -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=1GB \
  -Wno-pthreads-mem-growth -o threads_malloc.js

# The module must hold wasmheap's lock and neither of Emscripten's allocators,
# or the test would prove nothing about wasmheap.
wasm-objdump -x threads_malloc.wasm > names.txt
grep -q 'FutexLock' names.txt || { echo "FAIL: wasmheap's lock is not in the module"; exit 1; }
if grep -qE '\<(dlmalloc|dlfree|emmalloc_malloc|emmalloc_free)\>' names.txt; then
  echo "FAIL: an Emscripten allocator is linked in beside wasmheap"
  exit 1
fi

if [ "$mode" = browser ]; then
  node "$src/tests/threads/run_browser.mjs" "$work" threads_malloc.js
  exit
fi

# Node 20 has a global fetch, which this Emscripten's loader then tries on the
# .wasm's file path (and fails); without it, it reads the file.
node --no-experimental-fetch threads_malloc.js | tee out.txt
grep -q '^threads_malloc: PASS' out.txt
