#!/usr/bin/env bash
# Builds tests/sbrk/sbrk_coexist.c with the README's command lines and runs it
# under Node: malloc, free and realloc interleaved with sbrk, checked for
# overlaps and overwritten patterns (see the program's comment).
#   run.sh wasi WORK_DIR LIB_DIR      clang-19 + wasi-libc, LIB_DIR holding libwasmheap.a
#   run.sh emscripten WORK_DIR        emcc -sMALLOC=none -sSTANDALONE_WASM, the emscripten preset's library
#   run.sh emscripten-pthreads WORK_DIR   the same with -pthread: 4 threads at once, main proxied to a worker
# The emscripten modes exit 77 (which CTest reports as skipped) without emcc.
set -euo pipefail

mode=$1 work=$2 libs=${3:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
prog="$src/tests/sbrk/sbrk_coexist.c"
mkdir -p "$work" && cd "$work"
rm -f out.txt

if [ "$mode" != wasi ]; then
  if ! command -v emcc > /dev/null; then
    echo "SKIP: emcc not found (apt-get install emscripten)"
    exit 77
  fi
  # Emscripten 3.1.6's JS optimiser needs Debian's acorn (see tests/threads/run_emscripten.sh).
  export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
fi

case "$mode" in
  wasi)
    clang-19 --target=wasm32-wasi -O2 -Wall -Wextra "$prog" -I"$src/include" -L"$libs" -lwasmheap -o sbrk_coexist.wasm
    node --no-warnings "$src/tests/node/run_wasi.mjs" sbrk_coexist.wasm | tee out.txt
    ;;
  emscripten)
    (cd "$src" && cmake --preset emscripten > /dev/null && cmake --build --preset emscripten -j 2 > /dev/null)
    emcc -O2 -Wall -Wextra "$prog" -I"$src/include" -L"$src/build/emscripten" -lwasmheap \
      -sMALLOC=none -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -o sbrk_coexist.wasm
    # The module must take sbrk from wasmheap and import nothing but WASI and
    # the growth notice every standalone Emscripten module with growth imports.
    if wasm-objdump -x -j Import sbrk_coexist.wasm | grep '<- env\.' | grep -qv '<- env\.emscripten_notify_memory_growth$'; then
      echo "FAIL: the module imports from env:"; wasm-objdump -x -j Import sbrk_coexist.wasm; exit 1
    fi
    node --no-warnings "$src/tests/node/run_wasi.mjs" sbrk_coexist.wasm | tee out.txt
    ;;
  emscripten-pthreads)
    # libwasmheap compiled with -pthread, as the README asks for threads.
    rm -f libwasmheap.a
    for unit in global_heap c_api malloc; do
      em++ -pthread -std=c++20 -O2 -fno-exceptions -Wall -Wextra -I"$src/include" -c "$src/src/$unit.cpp" -o "$unit.o"
    done
    emar rcs libwasmheap.a global_heap.o c_api.o malloc.o
    emcc -pthread -O2 -Wall -Wextra -DTHREADS=4 "$prog" -I"$src/include" -L. -lwasmheap \
      -sMALLOC=none -sALLOW_MEMORY_GROWTH -sPROXY_TO_PTHREAD -sPTHREAD_POOL_SIZE=5 -sEXIT_RUNTIME \
      -sMAXIMUM_MEMORY=1GB -Wno-pthreads-mem-growth -o sbrk_coexist.js
    # Node 20's global fetch breaks this Emscripten's loader on a file path.
    node --no-experimental-fetch sbrk_coexist.js | tee out.txt
    ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
grep -q '^sbrk_coexist: PASS' out.txt
