// Runs tests/misuse/freestanding.c's module: it must import nothing (no libc
// underneath), misuse(0) must return 0, and misuse(1), a double free, must
// trap with `unreachable` (the checked heap's stop without a libc), not run
// on and not fault elsewhere.
//   node freestanding.mjs freestanding.wasm
import { readFileSync } from 'node:fs';

const module = new WebAssembly.Module(readFileSync(process.argv[2]));
const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
const { exports } = new WebAssembly.Instance(module, {});

function fail(message) {
  console.error(`FAIL: freestanding: ${message}`);
  process.exit(1);
}

if (imports.length !== 0) fail(`the module imports ${imports.join(', ')}`);
const clean = exports.misuse(0);
if (clean !== 0) fail(`misuse(0) returned ${clean}, not 0`);
let trap = null;
try {
  const result = exports.misuse(1);
  fail(`misuse(1) returned ${result} instead of trapping`);
} catch (error) {
  trap = error;
}
if (!(trap instanceof WebAssembly.RuntimeError) || !/unreachable/.test(trap.message))
  fail(`misuse(1) failed otherwise than by an unreachable trap: ${trap}`);
console.log(`imports: 0, misuse(0) = 0, misuse(1) trapped: ${trap.message}`);
