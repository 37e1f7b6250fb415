#!/usr/bin/env bash
# Builds tests/wasm_limits/wasm_limits.c against wasmheap for wasm32-wasi with
# clang-19, with memory allowed to grow to wasm32's full 4 GiB, and runs it
# under Node: blocks and alignments past 2 GiB, impossible requests, memory
# filled to its last page. The program prints PASS as its last line.
# Usage: run.sh WORK_DIR
set -euo pipefail

work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
run_wasi=(node --no-warnings "$src/tests/node/run_wasi.mjs")
mkdir -p "$work" && cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# /usr/bin/wasm-ld may belong to another LLVM; link with the compiler's own.
wasm_ld=$(command -v wasm-ld-19) || fail "wasm-ld-19 not found"
flags=(--target=wasm32-wasi -O2 -mbulk-memory -I"$src/include")
for unit in global_heap c_api malloc; do
  clang++-19 "${flags[@]}" -std=c++20 -fno-exceptions -c "$src/src/$unit.cpp" -o "$unit.o"
done
# -fno-builtin: clang (LLVM 12 and later) takes the malloc family to touch no
# memory the program can see, so it moves `errno = 0` past a failing call and
# folds the errno read after it to 0, and deletes allocations whose result is
# only compared to NULL (llvm/llvm-project#63142). The test must see the real
# calls and the errno they set.
clang-19 "${flags[@]}" -fno-builtin -std=c11 -Wall -Wextra -Werror \
  -c "$src/tests/wasm_limits/wasm_limits.c" -o wasm_limits.o
# The module declares wasm32's whole 65,536 pages (4 GiB) as its maximum, as
# cmake/wasm32-wasi.cmake links every test: the limit the test reaches is
# then the module's own, not whatever an engine allows a memory without one
# (Node's V8 happens to allow 4 GiB too).
clang++-19 --target=wasm32-wasi -fuse-ld="$wasm_ld" -Wl,--max-memory=4294967296 \
  wasm_limits.o global_heap.o c_api.o malloc.o -o wasm_limits.wasm

status=0
"${run_wasi[@]}" wasm_limits.wasm > wasm_limits.out 2>&1 || status=$?
cat wasm_limits.out
[ "$status" -eq 0 ] || fail "wasm_limits.wasm exited with status $status"
[ "$(tail -n 1 wasm_limits.out)" = PASS ] || fail "wasm_limits.wasm did not print PASS last"
