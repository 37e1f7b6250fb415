// Runs the benchmark matrix in this Node process and prints the results as
// JSON on stdout (progress goes to stderr).
//   node --expose-gc --no-liftoff lib/node_worker.mjs WARMUPS RUNS ROUNDS ONLY|- NAME=MODULE.wasm...
import { readFile } from 'node:fs/promises';
import { progressLine, runMatrix } from './runner.mjs';

const [warmups, runs, rounds, only, ...pairs] = process.argv.slice(2);
const modules = {};
for (const p of pairs) {
  const [name, path] = p.split('=');
  modules[name] = await WebAssembly.compile(await readFile(path));
}
const clock = {
  nowNs: () => process.hrtime.bigint(),
  clockResolutionNs: 1n,
};
const results = await runMatrix(modules, {
  warmups: Number(warmups),
  runs: Number(runs),
  rounds: Number(rounds),
  clock,
  only: only && only !== '-' ? only.split(',') : null,
  onResult: (w, r, group) => process.stderr.write(progressLine('node', w, r, group) + '\n'),
  afterEach: () => globalThis.gc?.(),
});
process.stdout.write(JSON.stringify(results) + '\n');
