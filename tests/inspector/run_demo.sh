#!/usr/bin/env bash
# The inspector's live demo: builds tools/inspector/demo/heap_demo.c with
# Emscripten over wasmheap (tools/inspector/build_demo.sh, which builds the
# emscripten preset's libwasmheap.a) into WORK_DIR and steps through it in
# tools/inspector/demo.html in headless Chromium (check_demo.mjs).
#   run_demo.sh WORK_DIR
# Exits 77 (which CTest reports as skipped) when emcc, Node or Chromium is missing.
set -euo pipefail

work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
for tool in emcc node cmake; do
  command -v $tool > /dev/null || { echo "SKIP: $tool not found"; exit 77; }
done
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || { echo "SKIP: chromium not found (apt-get install chromium)"; exit 77; }
export CHROMIUM=$chromium
mkdir -p "$work"

bash "$src/tools/inspector/build_demo.sh" "$work"
node "$src/tests/inspector/check_demo.mjs" "$work/heap_demo.wasm.js" "$work/demo.png" | tee "$work/out.txt"
grep -q '^demo: PASS' "$work/out.txt"
