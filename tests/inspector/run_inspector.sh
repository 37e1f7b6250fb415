#!/usr/bin/env bash
# The heap inspector (tools/inspector/) against a real recording:
#   1. builds libwasmheap for wasm32-wasi (the project's own CMake and
#      toolchain file, in a build tree under WORK_DIR),
#   2. builds tools/inspector/record.c with the README's command line and runs
#      it under Node's WASI: a recording of one snapshot per phase, and one
#      line per snapshot of what wasmheap_get_stats() and
#      wasmheap_get_fragmentation() said,
#   3. loads the recording into tools/inspector/index.html in headless
#      Chromium (check_inspector.mjs, over the DevTools pipe) and checks what
#      is drawn and shown; saves a screenshot to WORK_DIR/inspector.png (and
#      inspector-256.png, in 256 colours: docs/images/inspector.png is a copy).
#   run_inspector.sh WORK_DIR
# Exits 77 (which CTest reports as skipped) when a tool is missing.
set -euo pipefail

work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
for tool in cmake clang-19 wasm-ld-19 llvm-ar-19 node; do
  command -v $tool > /dev/null || { echo "SKIP: $tool not found"; exit 77; }
done
[ -d /usr/include/wasm32-wasi ] || { echo "SKIP: no wasm32-wasi headers (apt-get install wasi-libc)"; exit 77; }
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || { echo "SKIP: chromium not found (apt-get install chromium)"; exit 77; }
export CHROMIUM=$chromium
mkdir -p "$work" && cd "$work"

# A build tree of its own, so this test never races a build of build/wasm32-wasi.
cmake -S "$src" -B wasm32-wasi --toolchain "$src/cmake/wasm32-wasi.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DWASMHEAP_BUILD_TESTS=OFF -DWASMHEAP_INSTALL=OFF > configure.log
cmake --build wasm32-wasi --target wasmheap -j 2 > build.log

clang-19 --target=wasm32-wasi -O2 -Wall -Wextra "$src/tools/inspector/record.c" -I"$src/include" \
  -Lwasm32-wasi -lwasmheap -o record.wasm
rm -f recording.whsn
node --no-warnings "$src/tests/node/run_wasi.mjs" record.wasm recording.whsn > expected.jsonl
echo "recording: $(grep -c '"label"' expected.jsonl) snapshots, $(wc -c < recording.whsn) bytes"

node "$src/tests/inspector/check_inspector.mjs" recording.whsn expected.jsonl inspector.png | tee out.txt
grep -q '^inspector: PASS' out.txt
# The same screenshot in 256 colours, as docs/images/inspector.png is kept.
node "$src/tests/inspector/png_palette.mjs" inspector.png inspector-256.png
