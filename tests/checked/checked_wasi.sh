#!/usr/bin/env bash
# Builds tests/checked/misuse.c against a checked wasmheap (WASMHEAP_CHECKED)
# for wasm32-wasi with clang-19, runs each misuse under Node, and expects the
# program to abort (status 134 from tests/node/run_wasi.mjs) after printing
# the one line that names the pointer and the problem.
# Usage: checked_wasi.sh WORK_DIR
set -euo pipefail

work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
run_wasi=(node --no-warnings "$src/tests/node/run_wasi.mjs")
mkdir -p "$work" && cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# /usr/bin/wasm-ld may belong to another LLVM; link with the compiler's own.
wasm_ld=$(command -v wasm-ld-19) || fail "wasm-ld-19 not found"
flags=(--target=wasm32-wasi -O2 -DWASMHEAP_CHECKED -I"$src/include")
for unit in global_heap c_api malloc; do
  clang++-19 "${flags[@]}" -std=c++20 -fno-exceptions -c "$src/src/$unit.cpp" -o "$unit.o"
done
clang-19 "${flags[@]}" -std=c99 -c "$src/tests/checked/misuse.c" -o misuse.o
clang++-19 --target=wasm32-wasi -fuse-ld="$wasm_ld" misuse.o global_heap.o c_api.o malloc.o -o misuse.wasm

"${run_wasi[@]}" misuse.wasm none > none.out || fail "the program fails without a misuse"
grep -qx "no misuse" none.out || fail "the program without a misuse did not run to its end"

expect() {  # misuse, then the line with %p standing for the pointer the program prints
  local misuse=$1 line=$2 status=0
  "${run_wasi[@]}" misuse.wasm "$misuse" > "$misuse.out" 2> "$misuse.err" || status=$?
  local pointer
  pointer=$(head -n 1 "$misuse.out")
  local want="wasmheap: ${line//%p/$pointer}"
  [ "$status" -eq 134 ] || fail "$misuse: exit status $status, not an abort (134)"
  grep -qxF -- "$want" "$misuse.err" || { cat "$misuse.err" >&2; fail "$misuse: stderr lacks the line: $want"; }
  echo "ok: $misuse: $want"
}

expect double-free "double free of %p (16 B slot)"
expect inside-block "free of %p, which is not at a block's start (inside a 16 B slot)"
expect not-from-heap "free of %p, which is not from the heap"
expect sized-mismatch "free of %p with size 100 and align 1, which do not match its block (a 16 B slot)"
expect realloc-freed "realloc of freed block %p (16 B slot)"
expect write-after-free "write after free to %p (16 B slot), found when reusing it"
echo "PASS: checked build under Node"
