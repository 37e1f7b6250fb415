#!/usr/bin/env bash
# The misuse suite: builds tests/misuse/misuse.c for wasm32-wasi with clang-19
# against wasmheap twice, as the default build and as the checked build
# (WASMHEAP_CHECKED), runs each misuse in both under Node, and checks what
# each build does with it: stops (status 134 from tests/node/run_wasi.mjs)
# with exactly the expected line on stderr, or runs on, with the follow-up
# observations the program prints and nothing on stderr. Then a checked
# build without a libc (WASMHEAP_FREESTANDING): it must link with nothing
# underneath and trap on a misuse (tests/misuse/freestanding.c).
# Usage: run.sh WORK_DIR
set -euo pipefail

work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
here=$src/tests/misuse
run_wasi=(node --no-warnings "$src/tests/node/run_wasi.mjs")
mkdir -p "$work" && cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# /usr/bin/wasm-ld may belong to another LLVM; link with the compiler's own.
wasm_ld=$(command -v wasm-ld-19) || fail "wasm-ld-19 not found"
lib_flags=(-O2 -std=c++20 -fno-exceptions -mbulk-memory -I"$src/include")
units=(global_heap c_api malloc)

# ---- Build ------------------------------------------------------------------
# The library the two ways; the program does not depend on the build (it sees
# only the C header), so it is compiled once. -fno-builtin: clang otherwise
# takes malloc and free to have no effect the program can see, and deletes or
# reorders the misuses themselves (llvm/llvm-project#63142).
for build in default checked; do
  defines=()
  [ "$build" = checked ] && defines=(-DWASMHEAP_CHECKED)
  for unit in "${units[@]}"; do
    clang++-19 --target=wasm32-wasi "${lib_flags[@]}" "${defines[@]}" -c "$src/src/$unit.cpp" -o "$build-$unit.o"
  done
done
clang-19 --target=wasm32-wasi -O2 -fno-builtin -std=c11 -Wall -Wextra -Werror -I"$src/include" \
  -c "$here/misuse.c" -o misuse.o
# Memory capped at 256 MiB (the cases need a few MiB), so that a request for
# 2 GiB and more is out of memory here whatever the engine would allow; that
# such a block is served when memory can hold it, tests/wasm_limits checks.
for build in default checked; do
  clang++-19 --target=wasm32-wasi -fuse-ld="$wasm_ld" -Wl,--max-memory=268435456 \
    misuse.o "$build-global_heap.o" "$build-c_api.o" "$build-malloc.o" -o "misuse-$build.wasm"
done

# ---- Expectations -----------------------------------------------------------
# run BUILD CASE: runs the case, leaving its stdout, stderr and exit status in
# BUILD-CASE.{out,err,status}, and the pointer it printed first in $pointer.
run() {
  local build=$1 name=$2 status=0
  "${run_wasi[@]}" "misuse-$build.wasm" "$name" > "$build-$name.out" 2> "$build-$name.err" || status=$?
  echo "$status" > "$build-$name.status"
  pointer=$(head -n 1 "$build-$name.out")
}

# has_lines FILE LINE...: each LINE is a whole line of FILE.
has_lines() {
  local file=$1; shift
  for line in "$@"; do
    grep -qxF -- "$line" "$file" || { cat "$file" >&2; return 1; }
  done
}

# stops BUILD CASE LINE [STDOUT-LINE...]: the program aborts with LINE
# ("wasmheap: " omitted; %p stands for the pointer it printed first, %p+8
# for 8 bytes past it) as a whole line of stderr, after printing the
# STDOUT-LINEs; it never runs on.
stops() {
  local build=$1 name=$2 line=$3; shift 3
  run "$build" "$name"
  line=${line//%p+8/$(printf '0x%x' $((pointer + 8)))}
  local want="wasmheap: ${line//%p/$pointer}" status
  status=$(cat "$build-$name.status")
  [ "$status" -eq 134 ] ||
    { cat "$build-$name.out" "$build-$name.err" >&2; fail "$build $name: exit status $status, not an abort (134)"; }
  has_lines "$build-$name.err" "$want" || fail "$build $name: stderr lacks the line: $want"
  has_lines "$build-$name.out" "$@" || fail "$build $name: stdout lacks one of: $*"
  if grep -qx "ran on" "$build-$name.out"; then fail "$build $name: ran on after the stop"; fi
  echo "ok: $build $name: $want"
}

# runs_on BUILD CASE [STDOUT-LINE...]: the program ends normally, prints the
# STDOUT-LINEs and "ran on" last, and nothing on stderr (no stop line).
runs_on() {
  local build=$1 name=$2; shift 2
  run "$build" "$name"
  local status
  status=$(cat "$build-$name.status")
  [ "$status" -eq 0 ] ||
    { cat "$build-$name.out" "$build-$name.err" >&2; fail "$build $name: exit status $status, expected to run on"; }
  [ ! -s "$build-$name.err" ] || { cat "$build-$name.err" >&2; fail "$build $name: wrote to stderr"; }
  has_lines "$build-$name.out" "$@" || fail "$build $name: stdout lacks one of: $*"
  [ "$(tail -n 1 "$build-$name.out")" = "ran on" ] || fail "$build $name: \"ran on\" is not the last line"
  echo "ok: $build $name: ran on"
}

# Lines that both builds print for the cases where both run on.
huge_lines=(
  "aligned_alloc(64, 0x80000001): NULL, errno ENOMEM"
  "memalign(1024, SIZE_MAX): NULL, errno ENOMEM"
  "posix_memalign(&q, 32, SIZE_MAX-10): ENOMEM, q untouched: yes"
  "malloc(SIZE_MAX): NULL, errno ENOMEM"
  "calloc(SIZE_MAX/2, 3): NULL, errno ENOMEM"
  "aligned_alloc(24, 10): NULL, errno EINVAL"
  "check: ok")
null_lines=(
  "realloc(NULL, 10) allocates: yes"
  "malloc_usable_size(NULL): 0"
  "wasmheap_resize(NULL, 0, 1, 10): 0"
  "wasmheap_remap(NULL, 10, 1, 20): NULL"
  "wasmheap_usable_size(NULL): 0"
  "check: ok")

# ---- The default build ------------------------------------------------------
# It stops where going on would corrupt the heap (a slot that would become its
# own successor, a free list that has become a cycle, free-run links that no
# longer lead to free runs) and ignores pointers that do not start a block.
b=default
stops $b double-free "double free of %p"
# Not caught at the third free; the next walk of the free list finds the cycle,
# at either of the two slots in it.
run $b double-free-later
a_slot=$pointer b_slot=$(sed -n 's/^b: //p' $b-double-free-later.out)
[ "$(cat $b-double-free-later.status)" -eq 134 ] || fail "$b double-free-later: did not abort"
has_lines $b-double-free-later.out "third free returned" || fail "$b double-free-later: stopped at the free"
grep -qE "^wasmheap: corrupted free list \(a double free, or a write after free\?\) at ($a_slot|$b_slot)$" $b-double-free-later.err ||
  { cat $b-double-free-later.err >&2; fail "$b double-free-later: no corrupted-free-list line"; }
echo "ok: $b double-free-later: $(grep '^wasmheap: ' $b-double-free-later.err)"
runs_on $b double-free-big "malloc(200000) again: ok" "check: ok"
runs_on $b interior-small "usable size of p+8: 0" "next malloc(32) is p+8: no" "check: ok"
runs_on $b interior-big "usable size of p+16: 0" "blocks live unchanged: yes" "check: ok"
runs_on $b foreign-stack "check: ok"
runs_on $b foreign-static "check: ok"
runs_on $b sized-mismatch "next malloc(16) is p: yes" "check: ok"
# realloc moves the freed slot and frees it: a second free at its list's head.
stops $b realloc-freed "double free of %p"
# Not detected: the slot is handed out again; the overwritten link left at
# the head of the free list is what wasmheap_check reports.
runs_on $b write-after-free-slot "malloc(16) is p: yes" "check: free slot not at a slot of a slab of its class"
stops $b write-after-free-run-links "corrupted free-run links (a write after free?) at %p" "links overwritten"
stops $b write-after-free-run-text "corrupted free-run links (a write after free?) at %p" "links overwritten"
runs_on $b write-after-free-run-body "malloc(300000) again is p: yes" "check: ok"
runs_on $b huge-aligned "${huge_lines[@]}"
runs_on $b null-everywhere "${null_lines[@]}"
runs_on $b none "no misuse" "check: ok"

# ---- The checked build ------------------------------------------------------
# Every misuse stops at the call that makes it, or (a write after free) when
# the memory written is reused, with a line naming the pointer and the block.
b=checked
stops $b double-free "double free of %p (16 B slot)"
stops $b double-free-later "double free of %p (16 B slot)"
if grep -qx "third free returned" $b-double-free-later.out; then
  fail "$b double-free-later: not stopped at the free"
fi
stops $b double-free-big "free of %p, which is in free memory (freed already, or never allocated)"
stops $b interior-small "free of %p, which is not at a block's start (inside a 32 B slot)"
# 200000 B is 196 units of 1 KiB.
stops $b interior-big "free of %p, which is not at a block's start (inside a 200704 B block)"
stops $b foreign-stack "free of %p, which is not from the heap"
stops $b foreign-static "free of %p, which is not from the heap"
stops $b sized-mismatch \
  "free of %p with size 100 and align 1, which do not match its block (a 16 B slot)"
stops $b realloc-freed "realloc of freed block %p (16 B slot)"
stops $b write-after-free-slot "write after free to %p (16 B slot), found when reusing it"
# Only the two link words written: the links check fires.
stops $b write-after-free-run-links "corrupted free-run links (a write after free?) at %p" "links overwritten"
# 16 bytes of text are four words on wasm32: past the links, into the pattern
# the checked build keeps in a free run, which is checked first, so the line
# names the first word after the links.
stops $b write-after-free-run-text "write after free to %p+8 (free memory), found when reusing it" \
  "links overwritten"
stops $b write-after-free-run-body "write after free to %p (free memory), found when reusing it"
runs_on $b huge-aligned "${huge_lines[@]}"
runs_on $b null-everywhere "${null_lines[@]}"
runs_on $b none "no misuse" "check: ok"

# ---- The checked build without a libc ---------------------------------------
# Compiled as libwasmheap-freestanding.a is (the wasm32-wasi toolchain for the
# headers, WASMHEAP_FREESTANDING for no libc underneath), plus the checks; the
# program is linked with no libc at all, so any libc symbol the checked build
# needed would fail the link. Without a libc the stop is a trap.
for unit in "${units[@]}"; do
  clang++-19 --target=wasm32-wasi "${lib_flags[@]}" -DWASMHEAP_FREESTANDING -DWASMHEAP_CHECKED \
    -c "$src/src/$unit.cpp" -o "freestanding-$unit.o"
done
clang-19 --target=wasm32 -O2 -mbulk-memory -fno-builtin -nostdlib -Wl,--no-entry -Wl,--export=misuse \
  -I"$src/include" "$here/freestanding.c" freestanding-global_heap.o freestanding-c_api.o freestanding-malloc.o \
  -o freestanding.wasm || fail "the checked freestanding build does not link without a libc"
node --no-warnings "$here/freestanding.mjs" freestanding.wasm || fail "checked freestanding build"
echo "ok: checked freestanding: double free traps"

echo "PASS: misuse suite, default and checked builds under Node"
