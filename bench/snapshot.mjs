#!/usr/bin/env node
// Saves the last runs' results as the committed snapshot: copies the suite's
// (suite.json, suite.md, report.html) and the threads mode's (threads.json,
// threads.md) results from bench/build/results/ into a new
// bench/results/snapshot-YYYY-MM-DD/ (today, UTC), carries over from the
// current snapshot whichever of the two was not run, writes the snapshot's
// README.md (which run each part is), and removes the old snapshot. Nothing
// else writes under bench/results/; the READMEs quote the snapshot by name,
// so update their numbers and paths in the same commit.
//
//   node bench/snapshot.mjs              (or: make -C bench snapshot)
//   options: --from=DIR   results to save (default bench/build/results)
//            --date=YYYY-MM-DD   the snapshot's name (default today, UTC)
//            --force      also save a partial run (quick mode, or some
//                         engines, variants or workloads only)
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { RUN_RESULTS, SNAPSHOTS, SUITE_FILES, THREADS_FILES, currentSnapshot } from './lib/results.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
if (argv.includes('--help')) {
  const lines = readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
  process.stdout.write(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n') + '\n');
  process.exit(0);
}
const from = resolve(opt('from', RUN_RESULTS));
const date = opt('date', new Date().toISOString().slice(0, 10));
if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`--date=${date}: not YYYY-MM-DD`);
const force = argv.includes('--force');
const show = (p) => relative(process.cwd(), p) || '.';

const readJson = (dir, name) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

// Why a run is not a full one (empty if it is).
function suitePartial(d) {
  const why = [];
  if (d.settings?.mode !== 'full') why.push(`mode ${d.settings?.mode}`);
  if (d.settings?.only_workloads) why.push(`workloads ${d.settings.only_workloads.join(',')}`);
  if (!['node', 'chromium'].every((e) => d.settings?.engines?.includes(e))) why.push(`engines ${d.settings?.engines}`);
  if (d.results?.some((r) => r.skipped)) why.push('variants skipped');
  return why;
}
function threadsPartial(d) {
  const why = [];
  const s = d.settings ?? {};
  if (s.rounds < 3 || s.runs < 5 || s.warmups < 2) why.push(`rounds ${s.rounds}, runs ${s.runs}, warm-ups ${s.warmups}`);
  if (!['node', 'chromium'].every((e) => s.engines?.includes(e))) why.push(`engines ${s.engines}`);
  return why;
}

const parts = [
  { name: 'suite', files: SUITE_FILES, partial: suitePartial },
  { name: 'threads', files: THREADS_FILES, partial: threadsPartial },
];
const old = currentSnapshot();
const target = join(SNAPSHOTS, `snapshot-${date}`);
const sources = {};
for (const p of parts) {
  if (p.files.every((f) => existsSync(join(from, f)))) {
    const why = p.partial(readJson(from, p.files[0]));
    if (why.length && !force) {
      console.error(`${show(from)}: the ${p.name} results are not from a full run (${why.join('; ')}); --force saves them anyway`);
      process.exit(1);
    }
    sources[p.name] = from;
  } else if (old && p.files.every((f) => existsSync(join(old, f)))) {
    sources[p.name] = old;
  }
}
if (!Object.values(sources).includes(from)) {
  console.error(`nothing to save: ${show(from)} has neither ${SUITE_FILES.join(', ')} nor ${THREADS_FILES.join(', ')}`);
  process.exit(1);
}

// Copy into a fresh directory first, so saving over today's snapshot works.
const staging = join(SNAPSHOTS, `.staging-${process.pid}`);
mkdirSync(staging, { recursive: true });
for (const p of parts) if (sources[p.name]) for (const f of p.files) copyFileSync(join(sources[p.name], f), join(staging, f));

// The snapshot's README: what each part is, from its own JSON.
const lines = [`# Benchmark results: snapshot of ${date}`, '',
  'The committed copy of the last full runs, which `README.md` and `bench/README.md` quote.',
  'Runs write to `bench/build/results/` (not tracked); `node bench/snapshot.mjs` saves them here.', ''];
if (sources.suite) {
  const d = readJson(staging, 'suite.json');
  const m = d.machine ?? {};
  lines.push(`- \`suite.json\`, \`suite.md\`, \`report.html\`: \`bench/run.sh --${d.settings?.mode ?? '?'}\`, ` +
    `finished ${d.generated}, ${m.seconds ?? '?'} s, library at ${m.git ?? '?'}; ${Object.values(d.engines ?? {}).map((e) => e.label).join(', ')}; ` +
    `${m.cpu ?? '?'}, ${m.cores ?? '?'} cores, load average ${m.load_average_start ?? '?'} at the start, ${m.load_average_end ?? '?'} at the end.`);
}
if (sources.threads) {
  const d = readJson(staging, 'threads.json');
  const s = d.settings ?? {};
  lines.push(`- \`threads.json\`, \`threads.md\`: \`node bench/threads/run.mjs\` (${s.rounds} rounds × (${s.warmups} warm-ups + ${s.runs} timed runs), ` +
    `${(s.engines ?? []).join(' and ')}), started ${d.started}, ${Math.round(d.seconds ?? 0)} s, library at ${d.wasmheap_source?.commit ?? '?'}` +
    `${d.wasmheap_source?.sources_modified ? ' (with uncommitted changes)' : ''}; load average ${d.machine?.load_average_start?.[0] ?? '?'} at the start, ` +
    `${d.machine?.load_average_end?.[0] ?? '?'} at the end.`);
}
writeFileSync(join(staging, 'README.md'), lines.join('\n') + '\n');

rmSync(target, { recursive: true, force: true });
if (old && resolve(old) !== resolve(target)) rmSync(old, { recursive: true, force: true });
renameSync(staging, target);
console.log(`saved ${Object.entries(sources).map(([k, v]) => `${k} (from ${v === from ? show(from) : basename(v)})`).join(', ')} to ${show(target)}`);
if (old && resolve(old) !== resolve(target)) console.log(`removed ${show(old)}`);
console.log('Now update the numbers and the snapshot path in README.md ("Benchmarks") and bench/README.md, and commit them with it.');
