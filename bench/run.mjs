#!/usr/bin/env node
// The benchmark driver: installs what is missing, builds every variant, runs
// the matrix in Node and in headless Chromium, prints Markdown tables and
// writes suite.json, suite.md and report.html to bench/build/results/ (not
// tracked; bench/results/snapshot-*/ holds the committed copy of a full run,
// which only `node bench/snapshot.mjs` replaces).
//
//   node bench/run.mjs                 quick matrix (a few minutes)
//   node bench/run.mjs --full          more warm-ups and timed runs
//   options: --engines=node,chromium  --variants=a,b  --workloads=a,b
//            --runs=N --warmups=N --rounds=N  --skip-setup  --strict (exit 1 if a workload failed)
//            --program-runs=N --program-warmups=N --program-rounds=N (the real programs')
//            --results=DIR (where the results go; default bench/build/results)
//            --report-only (re-render DIR's suite.md and report.html from its suite.json)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { BENCH, JS_INPUT, ROOT, VARIANTS, ZIG, buildAll, jobs, tableNames } from './lib/build.mjs';
import { RUN_RESULTS } from './lib/results.mjs';
import { ensurePrereqs, versionOf } from './lib/setup.mjs';
import { markdown, html } from './lib/report.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
if (flag('help')) {
  const lines = readFileSync(new URL(import.meta.url)).toString().split('\n').slice(1);
  process.stdout.write(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n') + '\n');
  process.exit(0);
}

const RESULTS = resolve(opt('results', RUN_RESULTS));
if (flag('report-only')) {
  const data = JSON.parse(readFileSync(join(RESULTS, 'suite.json'), 'utf8'));
  const md = markdown(data);
  writeFileSync(join(RESULTS, 'suite.md'), md);
  writeFileSync(join(RESULTS, 'report.html'), html(data));
  process.stdout.write(md);
  process.exit(0);
}

const full = flag('full');
// Timed runs are split across rounds (see runMatrix in lib/runner.mjs);
// each round starts a fresh instance with its own warm-up.
const settings = {
  mode: full ? 'full' : 'quick',
  warmups: Number(opt('warmups', full ? 3 : 2)),
  runs: Number(opt('runs', full ? 21 : 8)),
  rounds: Number(opt('rounds', full ? 3 : 2)),
};
// The real programs run for 0.1-1 s each, a hundred times an allocator
// workload's run: fewer runs (the first run, which measures pages, is the
// only warm-up in quick mode).
const programSettings = {
  warmups: Number(opt('program-warmups', full ? 2 : 1)),
  runs: Number(opt('program-runs', full ? 9 : 4)),
  rounds: Number(opt('program-rounds', full ? 3 : 2)),
};
const engines = opt('engines', 'node,chromium').split(',');
const variants = opt('variants', VARIANTS.join(',')).split(',');
const onlyWorkloads = opt('workloads', null)?.split(',') ?? null;
// Which of the two modules have selected workloads (their tables, read from the sources).
const knownPrograms = tableNames('program');
const knownSynthetic = tableNames('synthetic');
const wantPrograms = !onlyWorkloads || onlyWorkloads.some((w) => knownPrograms.includes(w));
const wantSynthetic = !onlyWorkloads || onlyWorkloads.some((w) => knownSynthetic.includes(w));
for (const w of onlyWorkloads ?? []) if (!knownPrograms.includes(w) && !knownSynthetic.includes(w)) throw new Error(`unknown workload ${w}`);
const log = (m) => process.stderr.write(m + '\n');

for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v}; known: ${VARIANTS.join(', ')}`);

const started = Date.now();
const loadAtStart = os.loadavg();
if (!flag('skip-setup')) ensurePrereqs({ chromium: engines.includes('chromium'), log });

// ---- build ----------------------------------------------------------------------
const since = (t) => `${Math.round((Date.now() - t) / 1000)} s`;
let phase = Date.now();
const manifest = await buildAll({ variants, log });
log(`built in ${since(phase)}`);
const built = variants.filter((v) => manifest.variants[v]?.wasm);
for (const v of variants) if (!built.includes(v)) log(`skipping ${v}: ${manifest.variants[v]?.reason}`);
const builtReal = variants.filter((v) => manifest.variants[v]?.real_wasm);
for (const v of built) if (!builtReal.includes(v)) log(`skipping the real programs of ${v}: ${manifest.variants[v]?.real_reason}`);

// The two matrices each engine runs: the real programs first.
const matrices = [
  ...(wantPrograms ? [{ kind: 'program', ...programSettings, variants: builtReal, wasm: (v) => manifest.variants[v].real_wasm }] : []),
  ...(wantSynthetic ? [{ kind: 'synthetic', ...settings, variants: built, wasm: (v) => manifest.variants[v].wasm }] : []),
].filter((m) => m.variants.length);

// ---- run ----------------------------------------------------------------------------
const results = [];
const engineInfo = {};
let workloadNames = null;
let programNames = null;

function record(engine, variant, r) {
  results.push({ ...r, engine, variant });
  if (r.reason) log(`  ${engine}/${variant}/${r.workload}: ${r.reason}`);
}

function nodeMatrix() {
  return new Promise((resolve) => {
    // --no-liftoff: optimised (TurboFan) code from the start, so a short
    // warm-up measures the same code tier as a long one.
    const config = {
      only: onlyWorkloads,
      matrices: matrices.map((m) => ({
        kind: m.kind,
        warmups: m.warmups,
        runs: m.runs,
        rounds: m.rounds,
        modules: Object.fromEntries(m.variants.map((v) => [v, join(BENCH, m.wasm(v))])),
      })),
    };
    const args = ['--expose-gc', '--no-liftoff', join(BENCH, 'lib/node_worker.mjs'), JSON.stringify(config)];
    const child = spawn(process.execPath, args.map(String), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      try {
        resolve({ results: JSON.parse(out.trim().split('\n').pop()) });
      } catch {
        resolve({ error: `node exited ${code} without results` });
      }
    });
  });
}

function recordAll(engine, out) {
  if (out.error) for (const v of built) record(engine, v, { workload: '*', reason: out.error });
  for (const x of out.results ?? []) record(engine, x.variant, x);
  const names = (kind) => {
    const ws = (out.results ?? []).filter((x) => (x.kind ?? 'synthetic') === kind).map((x) => x.workload);
    return ws.length ? [...new Set(ws)] : null;
  };
  workloadNames ??= names('synthetic');
  programNames ??= names('program');
}

if (engines.includes('node') && matrices.length) {
  engineInfo.node = {
    label: `Node ${process.version} (V8 ${process.versions.v8})`,
    notes: 'flags --no-liftoff --expose-gc; WASI imports from bench/lib/wasi.mjs; timer process.hrtime (ns)',
  };
  log('node: running the matrix');
  phase = Date.now();
  recordAll('node', await nodeMatrix());
  log(`node done in ${since(phase)}`);
}

if (engines.includes('chromium') && matrices.length) {
  try {
    const { runChromium } = await import('./lib/chromium_engine.mjs');
    log('chromium: running the matrix');
    phase = Date.now();
    const out = await runChromium({
      root: BENCH,
      matrices: matrices.map((m) => ({
        kind: m.kind,
        warmups: m.warmups,
        runs: m.runs,
        rounds: m.rounds,
        modules: m.variants.map((v) => ({ name: v, wasm: m.wasm(v) })),
      })),
      only: onlyWorkloads,
      log,
    });
    engineInfo.chromium = {
      label: `Chromium ${out.version} (headless, Debian)`,
      notes: `flags --js-flags=--expose-gc --no-liftoff; timer performance.now(); crossOriginIsolated=${out.crossOriginIsolated}`,
    };
    recordAll('chromium', out);
    log(`chromium done in ${since(phase)}`);
  } catch (e) {
    log(`chromium: ${e.message}`);
    engineInfo.chromium = { label: 'Chromium', notes: `not run: ${e.message.split('\n')[0]}` };
    recordAll('chromium', { error: `Chromium could not run: ${e.message.split('\n')[0]}` });
  }
}

// Variants that were not built get a row per workload saying why; so do
// variants whose real-program module was not built, for each program.
workloadNames ??= wantSynthetic ? knownSynthetic.filter((w) => !onlyWorkloads || onlyWorkloads.includes(w)) : [];
programNames ??= wantPrograms ? knownPrograms.filter((w) => !onlyWorkloads || onlyWorkloads.includes(w)) : [];
for (const engine of engines) {
  for (const v of variants.filter((x) => !built.includes(x))) {
    for (const w of workloadNames) {
      results.push({ engine, variant: v, workload: w, ns_per_op_median: null, ns_per_op_min: null, pages_added: null, peak_live_bytes: null, skipped: true, reason: manifest.variants[v]?.reason ?? 'not built' });
    }
  }
  for (const v of variants.filter((x) => !builtReal.includes(x))) {
    for (const w of programNames) {
      results.push({ engine, variant: v, workload: w, kind: 'program', run_ms_median: null, run_ms_min: null, pages_added: null, skipped: true, reason: manifest.variants[v]?.real_reason ?? manifest.variants[v]?.reason ?? 'not built' });
    }
  }
}

// ---- write ------------------------------------------------------------------------
function sqliteVersion() {
  try {
    return readFileSync(join(BENCH, 'node_modules/better-sqlite3/deps/sqlite3/sqlite3.h'), 'utf8').match(/#define SQLITE_VERSION\s+"([^"]+)"/)?.[1] ?? null;
  } catch {
    return null;
  }
}

function packageVersions() {
  const out = {};
  for (const p of ['better-sqlite3', 'tree-sitter', 'tree-sitter-javascript', JS_INPUT.package]) {
    try {
      out[p] = JSON.parse(readFileSync(join(BENCH, 'node_modules', p, 'package.json'), 'utf8')).version;
    } catch {
      out[p] = null;
    }
  }
  return out;
}

function gitDescribe() {
  const head = versionOf('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = versionOf('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']);
  return head ? `${head}${dirty ? ' (with uncommitted changes)' : ''}` : null;
}

const data = {
  generated: new Date().toISOString(),
  settings: { ...settings, programs: programSettings, engines, only_workloads: onlyWorkloads },
  variants,
  // The real programs (ms per run) and the synthetic workloads (ns per op).
  programs: programNames,
  workloads: workloadNames,
  program_sources: {
    sqlite: `better-sqlite3 deps/sqlite3/sqlite3.c${sqliteVersion() ? ` (SQLite ${sqliteVersion()})` : ''}`,
    tree_sitter: 'tree-sitter vendor/tree-sitter/lib/src/lib.c, tree-sitter-javascript src/parser.c and src/scanner.c',
    js_input: `${JS_INPUT.package}/${JS_INPUT.path}`,
    versions: packageVersions(),
  },
  results: results.map((r) => ({
    engine: r.engine,
    variant: r.variant,
    workload: r.workload,
    ...(r.kind === 'program'
      ? {
          kind: 'program',
          run_ms_median: r.run_ms_median ?? null,
          run_ms_min: r.run_ms_min ?? null,
          checksum: r.checksum ?? null,
          ...(r.checksum_ok === false ? { checksum_ok: false } : {}),
        }
      : {}),
    ns_per_op_median: r.ns_per_op_median ?? null,
    ns_per_op_min: r.ns_per_op_min ?? null,
    pages_added: r.pages_added ?? null,
    peak_live_bytes: r.peak_live_bytes ?? null,
    pages_at_start: r.pages_at_start ?? null,
    ops: r.ops ?? null,
    runs: r.runs ?? 0,
    ...(r.skipped ? { skipped: true } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
  })),
  code: manifest.code,
  machine: {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    debian: (() => {
      try {
        return readFileSync('/etc/debian_version', 'utf8').trim();
      } catch {
        return null;
      }
    })(),
    load_average_start: loadAtStart.map((x) => x.toFixed(2)).join(' '),
    load_average_end: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    build_jobs: jobs(),
    clang: versionOf('clang-19'),
    emcc: versionOf('emcc'),
    zig: versionOf(ZIG, ['version']),
    wasm_opt: versionOf('wasm-opt'),
    git: gitDescribe(),
    wasmheap_libraries: manifest.notes.find((n) => n.startsWith('wasmheap')) ?? manifest.variants.wasmheap?.reason ?? null,
    seconds: Math.round((Date.now() - started) / 1000),
  },
  engines: engineInfo,
};

// Run-to-run stability: each variant's median as a ratio to dlmalloc's in the
// same engine and workload, against the same ratio in the previous run's
// suite.json (the one this run replaces). Cells that moved by more than 10%
// are listed as noisy, in the JSON and on stdout, so a reader knows which
// ratios not to trust.
function stability(previous) {
  if (!previous?.results) return null;
  const key = (r) => `${r.engine}/${r.variant}/${r.workload}`;
  const ratios = (all) => {
    // ns per op, or a real program's ms per run.
    const time = (r) => r.ns_per_op_median ?? r.run_ms_median;
    const base = new Map(all.filter((r) => r.variant === 'dlmalloc').map((r) => [`${r.engine}/${r.workload}`, time(r)]));
    const out = new Map();
    for (const r of all) {
      const b = base.get(`${r.engine}/${r.workload}`);
      if (r.variant !== 'dlmalloc' && time(r) && b) out.set(key(r), time(r) / b);
    }
    return out;
  };
  const before = ratios(previous.results), now = ratios(data.results);
  const noisy = [];
  let compared = 0;
  for (const [k, ratio] of now) {
    const old = before.get(k);
    if (old === undefined) continue;
    compared++;
    const change = ratio / old - 1;
    if (Math.abs(change) > 0.1) noisy.push({ cell: k, ratio_to_dlmalloc: +ratio.toFixed(3), previous: +old.toFixed(3), change: +change.toFixed(3) });
  }
  return { previous_run: previous.generated ?? null, cells_compared: compared, within_10_percent: compared - noisy.length, noisy };
}
const previousPath = join(RESULTS, 'suite.json');
if (existsSync(previousPath)) {
  try {
    data.stability = stability(JSON.parse(readFileSync(previousPath, 'utf8')));
  } catch {
    data.stability = null;
  }
}

mkdirSync(RESULTS, { recursive: true });
const md = markdown(data);
writeFileSync(join(RESULTS, 'suite.json'), JSON.stringify(data, null, 2) + '\n');
writeFileSync(join(RESULTS, 'suite.md'), md);
writeFileSync(join(RESULTS, 'report.html'), html(data));
process.stdout.write('\n' + md);
if (data.stability) {
  const st = data.stability;
  log(`\nstability against the previous run (${st.previous_run}): ${st.within_10_percent} of ${st.cells_compared} median ratios to dlmalloc within 10%`);
  for (const n of st.noisy) log(`  noisy: ${n.cell}: ${n.previous} -> ${n.ratio_to_dlmalloc} (${(n.change * 100).toFixed(0)}%)`);
}
log(`\nwrote ${join(relative(ROOT, RESULTS), 'suite.json')}, suite.md, report.html in ${data.machine.seconds} s`);

const failed = data.results.filter((r) => r.reason && built.includes(r.variant));
if (failed.length) log(`${failed.length} workload run(s) failed`);
if (flag('strict') && failed.length) process.exit(1);
