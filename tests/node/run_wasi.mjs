// Runs a wasm32-wasi command module under Node's WASI, like a native program:
//
//   node --no-warnings tests/node/run_wasi.mjs prog.wasm [args...]
//
// The module sees argv = [prog.wasm, args...], the caller's environment and the
// current directory (preopened as "." and under its absolute path, so relative
// and absolute paths inside it both resolve). The process exits with the
// module's exit status. A trap (abort(), unreachable, out-of-bounds access)
// is reported on stderr and exits with 134, the status a shell gives a native
// process killed by SIGABRT, so a crashing test never looks like a pass.
//
// This is the CMAKE_CROSSCOMPILING_EMULATOR of cmake/wasm32-wasi.cmake; ctest
// and gtest_discover_tests run every test program through it.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import v8 from 'node:v8';
import { WASI } from 'node:wasi';

// Node 20 lets wasm call WASI functions through V8's fast API calls, where a
// garbage collection must not happen; but fd_write's allocations report
// external memory to V8, which can collect right there and destroy the WASI
// object mid-call (nodejs/node#46777). The program then dies in uvwasi with
// SIGABRT or SIGSEGV, at random, after its output looked fine. Without fast
// calls WASI functions are ordinary API calls, where collection is safe. The
// emulator command line passes the flag too; setting it here, before any
// module is compiled, keeps a hand-run of this script just as safe.
v8.setFlagsFromString('--no-turbo-fast-api-calls');

const usage_status = 2;
const trap_status = 134;

async function main(argv) {
  if (argv.length < 1) {
    process.stderr.write('usage: node --no-warnings run_wasi.mjs prog.wasm [args...]\n');
    return usage_status;
  }
  const [program, ...args] = argv;

  let bytes;
  try {
    bytes = await readFile(program);
  } catch (error) {
    process.stderr.write(`run_wasi: cannot read ${program}: ${error.message}\n`);
    return usage_status;
  }

  const cwd = process.cwd();
  const wasi = new WASI({
    version: 'preview1',
    args: [program, ...args],
    env: process.env,
    preopens: { '.': cwd, [cwd]: cwd },
    // proc_exit makes start() return the status instead of ending Node on the
    // spot, so the status is set below like any other outcome.
    returnOnExit: true,
  });

  const module = await WebAssembly.compile(bytes);
  // A -sSTANDALONE_WASM module from Emscripten imports one function of its
  // own: the notice that wasm grew memory, for JS glue that has none here.
  const imports = { ...wasi.getImportObject(), env: { emscripten_notify_memory_growth() {} } };
  const instance = await WebAssembly.instantiate(module, imports);
  try {
    return wasi.start(instance);
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      process.stderr.write(`run_wasi: ${path.basename(program)} trapped: ${error.stack ?? error.message}\n`);
      return trap_status;
    }
    throw error;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Anything else (a module that is not WASI, a missing import, a Node bug)
  // is a failure of the run, never a pass.
  process.stderr.write(`run_wasi: ${error.stack ?? error}\n`);
  process.exitCode = 1;
}
