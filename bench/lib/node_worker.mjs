// Runs the benchmark matrices in this Node process and prints the results as
// JSON on stdout (progress goes to stderr).
//   node --expose-gc --no-liftoff lib/node_worker.mjs CONFIG_JSON
// CONFIG_JSON: {only: [workload] | null, matrices: [{kind, warmups, runs,
// rounds, modules: {variant: path}}]}: the real programs' modules (kind
// 'program') and the synthetic ones (kind 'synthetic'), one matrix each.
import { readFile } from 'node:fs/promises';
import { progressLine, runMatrix } from './runner.mjs';

const config = JSON.parse(process.argv[2]);
const clock = {
  nowNs: () => process.hrtime.bigint(),
  clockResolutionNs: 1n,
};
const results = [];
for (const m of config.matrices) {
  const modules = {};
  for (const [name, path] of Object.entries(m.modules)) modules[name] = await WebAssembly.compile(await readFile(path));
  if (!Object.keys(modules).length) continue;
  const rows = await runMatrix(modules, {
    warmups: m.warmups,
    runs: m.runs,
    rounds: m.rounds,
    kind: m.kind,
    clock,
    only: config.only,
    onResult: (w, r, group) => process.stderr.write(progressLine('node', w, r, group, m.kind) + '\n'),
    afterEach: () => globalThis.gc?.(),
  });
  results.push(...rows.map((x) => ({ kind: m.kind, ...x })));
}
process.stdout.write(JSON.stringify(results) + '\n');
