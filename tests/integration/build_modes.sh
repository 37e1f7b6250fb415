#!/usr/bin/env bash
# Builds the example programs the three ways people build wasm, with the same
# command lines the README gives, and runs them under Node:
#   wasi-c, wasi-cxx           clang-19 + wasi-libc, linking libwasmheap.a (and -cxx)
#   emscripten-c, emscripten-cxx   emcc -sMALLOC=none -sSTANDALONE_WASM, run under Node's WASI
#   freestanding               clang-19 --target=wasm32 with no libc at all
# Usage: build_modes.sh MODE WORK_DIR LIB_DIR
#   LIB_DIR holds libwasmheap.a, libwasmheap-cxx.a and libwasmheap-freestanding.a
#   for wasm32-wasi (the emscripten modes build their own with the emscripten preset).
set -euo pipefail

mode=$1 work=$2 libs=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
run_wasi=(node --no-warnings "$src/tests/node/run_wasi.mjs")
mkdir -p "$work" && cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

expect_lines() {  # output file, then lines that must appear in it
  local out=$1; shift
  for line in "$@"; do grep -qF -- "$line" "$out" || fail "missing output line: $line"; done
}

# Names of dlmalloc's internals, as they appear in a module's name section.
dlmalloc_names='\<(dlmalloc|dlfree|dlrealloc|dlcalloc|internal_memalign|sys_alloc|tmalloc_small|tmalloc_large|dispose_chunk|prepend_alloc|add_segment|init_top)\>'

case "$mode" in
  wasi-c)
    # Linked at -O0 so the name section survives (at -O1+ wasm-opt drops it).
    clang-19 --target=wasm32-wasi -O0 "$src/examples/hello.c" -I"$src/include" -L"$libs" -lwasmheap -o hello.wasm
    wasm-objdump -x hello.wasm > names.txt
    grep -q '<wasmheap_get_stats>' names.txt || fail "name section missing: the check below would prove nothing"
    if grep -qE "$dlmalloc_names" names.txt; then fail "dlmalloc is still linked in"; fi
    # The same check does see dlmalloc in a program built without wasmheap.
    printf '#include <stdlib.h>\nint main(void) { free(malloc(10)); return 0; }\n' > plain.c
    clang-19 --target=wasm32-wasi -O0 plain.c -o plain.wasm
    wasm-objdump -x plain.wasm | grep -qE "$dlmalloc_names" || fail "the dlmalloc check cannot see dlmalloc"
    # What the README's install ships carries no debug info, so a program
    # linked with it as the README says carries no DWARF for it. (Debian's
    # wasi-libc brings DWARF of its own, with dlmalloc or without.)
    for lib in libwasmheap.a libwasmheap-cxx.a; do
      if llvm-objdump-19 -h "$libs/$lib" | grep -q '\.debug_'; then fail "$lib carries debug info"; fi
    done
    "${run_wasi[@]}" hello.wasm | tee out.txt
    expect_lines out.txt "malloc_usable_size(malloc(16)) >= 16: yes" "calloc(SIZE_MAX/2, 4) = NULL, errno ENOMEM" \
      "posix_memalign(4096) rc 0, aligned 1" "after free: 0 blocks live"
    grep -qE 'wasmheap: [1-9][0-9]* blocks live' out.txt || fail "wasmheap_get_stats saw no allocations"
    ;;
  wasi-report | emscripten-report)
    # dlmalloc's reporting calls, valloc/pvalloc, wasmheap's introspection and
    # the leak report at exit, with the README's lines.
    if [ "$mode" = wasi-report ]; then
      clang-19 --target=wasm32-wasi -O0 "$src/examples/heap_report.c" -I"$src/include" -L"$libs" -lwasmheap \
        -o heap_report.wasm
      # Calling mallinfo & co. must not pull wasi-libc's dlmalloc back in.
      if wasm-objdump -x heap_report.wasm | grep -qE "$dlmalloc_names"; then fail "dlmalloc is linked in"; fi
    else
      (cd "$src" && cmake --preset emscripten > /dev/null && cmake --build --preset emscripten -j 2 > /dev/null)
      emcc -O2 "$src/examples/heap_report.c" -I"$src/include" -L"$src/build/emscripten" -lwasmheap \
        -sMALLOC=none -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -o heap_report.wasm
    fi
    "${run_wasi[@]}" heap_report.wasm > out.txt 2>&1
    cat out.txt
    expect_lines out.txt "malloc_trim(0) = 1" "mallopt(M_TRIM_THRESHOLD) = 1, mallopt(12345) = 0" \
      "valloc aligned to 64 KiB: yes, pvalloc(70000) holds 131072 B" "system bytes     = " "in use bytes     = " \
      "Live: 144 byte(s) in 3 block(s) of 48 B (slot class 3)" "SUMMARY: wasmheap: 144 byte(s) leaked in 3 allocation(s)."
    grep -qE 'mallinfo2 arena [0-9]+ = in use [0-9]+ \+ free [0-9]+: yes' out.txt || fail "mallinfo2 does not add up"
    grep -qE 'with a big block: arena [0-9]+, in use [0-9]{6}' out.txt || fail "mallinfo misses the big block"
    grep -qE 'snapshot: [0-9]+ B, [1-9][0-9]* units' out.txt || fail "no snapshot"
    if [ "$mode" = emscripten-report ]; then
      expect_lines out.txt "emscripten_builtin_calloc zeroed: yes, realloc kept it: yes"
    fi
    ;;
  emscripten-js)
    # Emscripten's usual output, a module with its JS glue (no
    # -sSTANDALONE_WASM): after wasmheap grows memory, the glue's views of it
    # must follow, or its big copies (emscripten_memcpy_big) and prints fail.
    # Debian's emcc minifies the glue with Node modules (acorn) it installs
    # under /usr/share/nodejs.
    export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
    (cd "$src" && cmake --preset emscripten > /dev/null && cmake --build --preset emscripten -j 2 > /dev/null)
    cat > grow.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  enum { blocks = 48, size = 1 << 20 };
  char* b[blocks];
  for (int i = 0; i < blocks; ++i) memset(b[i] = malloc(size), i, size);  /* 48 MiB: memory grows */
  char* moved = realloc(b[0], 3 * size);                                   /* a big copy, through the glue */
  long sum = 0;
  for (int i = 1; i < blocks; ++i) sum += b[i][size - 1];
  printf("grown: moved %d, sum %ld\n", moved[size - 1] == 0 && moved != NULL, sum);
  return 0;
}
C
    emcc -O2 grow.c -L"$src/build/emscripten" -lwasmheap -sMALLOC=none -sALLOW_MEMORY_GROWTH -o grow.js
    node --no-experimental-fetch grow.js | tee out.txt
    expect_lines out.txt "grown: moved 1, sum 1128"
    ;;
  wasi-cxx)
    clang++-19 --target=wasm32-wasi -O2 -std=c++20 -fno-exceptions "$src/examples/hello.cpp" -I"$src/include" \
      -L"$libs" -lwasmheap-cxx -lwasmheap -o hello_cxx.wasm
    "${run_wasi[@]}" hello_cxx.wasm | tee out.txt
    expect_lines out.txt "map keys 10, unordered left 1000, squares 100000, pmr words 500"
    ;;
  emscripten-c | emscripten-cxx)
    (cd "$src" && cmake --preset emscripten > /dev/null && cmake --build --preset emscripten -j 2 > /dev/null)
    em_libs="$src/build/emscripten"
    if [ "$mode" = emscripten-c ]; then
      emcc -O2 "$src/examples/hello.c" -I"$src/include" -L"$em_libs" -lwasmheap \
        -sMALLOC=none -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -o hello_em.wasm
      "${run_wasi[@]}" hello_em.wasm | tee out.txt
      expect_lines out.txt "malloc_usable_size(malloc(16)) >= 16: yes" "calloc(SIZE_MAX/2, 4) = NULL, errno ENOMEM" \
        "after free: 0 blocks live"
    else
      em++ -O2 -std=c++20 "$src/examples/hello.cpp" -I"$src/include" -L"$em_libs" -lwasmheap-cxx -lwasmheap \
        -sMALLOC=none -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -o hello_em_cxx.wasm
      "${run_wasi[@]}" hello_em_cxx.wasm | tee out.txt
      expect_lines out.txt "map keys 10, unordered left 1000, squares 100000, pmr words 500"
    fi
    ;;
  freestanding)
    clang-19 --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -Wl,--export=run \
      "$src/examples/freestanding.c" -I"$src/include" -L"$libs" -lwasmheap-freestanding -o freestanding.wasm
    node "$src/examples/run_freestanding.mjs" freestanding.wasm | tee out.txt
    expect_lines out.txt "imports: 0, run() = 0"
    ;;
  *) fail "unknown mode $mode" ;;
esac
echo "PASS: $mode"
