#!/usr/bin/env node
// Allocators under wasm threads: wasmheap (built with -pthread: per-thread
// caches over the locked global heap, or the locked heap alone) against
// Emscripten's dlmalloc and emmalloc with -pthread, on the workloads of
// threads_bench.c, in Node (each pthread a worker thread) and in headless
// Chromium (each pthread a Web Worker). Also counts wasmheap's lock
// acquisitions (instrumented builds) and the code a threaded build adds.
// Writes threads.json and threads.md to bench/build/results/ (not tracked;
// bench/snapshot.mjs copies a full run into the committed snapshot) and
// prints the tables.
//
//   node bench/threads/run.mjs [--rounds=N] [--warmups=N] [--runs=N]
//        [--variants=a,b] [--workloads=a,b] [--engines=node,chromium]
//        [--no-locks] [--no-size] [--wasmheap-root=DIR] [--help]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobs } from '../lib/build.mjs';
import { pool as runPool, run as runCommand, step as runStep, values } from '../lib/exec.mjs';
import { RUN_RESULTS } from '../lib/results.mjs';
import { median } from '../lib/runner.mjs';
import { codeSectionBytes } from '../lib/wasm_info.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = dirname(HERE);
const OUT = join(BENCH, 'build', 'threads');

const HELP = `node bench/threads/run.mjs [options]     (or: make -C bench threads)
  --rounds=N          rounds; each runs every (engine, variant, workload) once, in a
                      rotated order (default 3)
  --warmups=N         untimed runs per process after the first (default 2)
  --runs=N            timed runs per process (default 5)
  --variants=a,b      of: ${'wasmheap,wasmheap-locked,wasmheap-unlocked,emdlmalloc,emmalloc'}
  --workloads=a,b     of the workloads in threads_bench.c (default all)
  --engines=a,b       node, chromium (default both; chromium needs Debian's chromium
                      and playwright-core from bench/node_modules: npm ci in bench/)
  --no-locks          skip the lock counts (instrumented wasmheap builds, Node)
  --no-size           skip the -Oz code-size probes
  --wasmheap-root=DIR build wasmheap's sources from DIR/include and DIR/src instead of
                      this checkout's (to compare with another commit's tree)
  --results=DIR       where threads.json and threads.md go (default bench/build/results;
                      node bench/snapshot.mjs copies a full run into bench/results/)
  --render=FILE       print the tables of an earlier run's threads.json; runs nothing
  --skip-setup        do not install missing Debian or npm packages (as bench/run.sh does)`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const opt = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const known = ['rounds', 'warmups', 'runs', 'variants', 'workloads', 'engines', 'wasmheap-root', 'results', 'render'];
for (const a of argv)
  if (!known.some((k) => a.startsWith(`--${k}=`)) && !['--no-locks', '--no-size', '--skip-setup'].includes(a)) {
    console.error(`unknown option ${a}\n\n${HELP}`);
    process.exit(2);
  }
const settings = {
  rounds: Number(opt('rounds', 3)),
  warmups: Number(opt('warmups', 2)),
  runs: Number(opt('runs', 5)),
};
const log = (m) => process.stderr.write(m + '\n');

// What each variant links. kind: which build of wasmheap's sources (see
// KINDS). The unlocked wasmheap is the build with WASMHEAP_THREADS=0: safe
// only while one thread allocates, so it runs the one-thread workloads alone,
// where it shows what any lock costs when nobody contends for it.
const VARIANTS = {
  wasmheap: { malloc: 'none', kind: 'cache', count: 'cache-count' },
  'wasmheap-locked': { malloc: 'none', kind: 'locked', count: 'locked-count' },
  'wasmheap-unlocked': { malloc: 'none', kind: 'unlocked', only: ['fifo_small_1t', 'fifo_mixed_1t', 'local_1t'] },
  emdlmalloc: { malloc: 'dlmalloc' },
  emmalloc: { malloc: 'emmalloc' },
};
// The builds of wasmheap's global_heap, c_api and malloc: the default threaded
// build (per-thread caches), today's single locked heap, no lock at all, the
// first two counting their lock acquisitions, and the first two at -Oz for the
// code-size probe.
const KINDS = {
  cache: { opt: '-O2', defs: [] },
  locked: { opt: '-O2', defs: ['-DWASMHEAP_THREAD_CACHE=0'] },
  unlocked: { opt: '-O2', defs: ['-DWASMHEAP_THREADS=0'] },
  'cache-count': { opt: '-O2', defs: ['-DWASMHEAP_COUNT_LOCKS=1'] },
  'locked-count': { opt: '-O2', defs: ['-DWASMHEAP_THREAD_CACHE=0', '-DWASMHEAP_COUNT_LOCKS=1'] },
  'cache-oz': { opt: '-Oz', defs: [] },
  'locked-oz': { opt: '-Oz', defs: ['-DWASMHEAP_THREAD_CACHE=0'] },
};
// Worker threads per workload (as in threads_bench.c's table).
const WORKLOADS = {
  pc_small: 2,
  pc_mixed: 2,
  fifo_small_1t: 1,
  fifo_mixed_1t: 1,
  local_1t: 1,
  local_2t: 2,
  local_4t: 4,
  local_8t: 8,
  // The control: local_*'s work without the allocator (threads_bench.c).
  control_1t: 1,
  control_2t: 2,
  control_4t: 4,
  control_8t: 8,
  larson_2t: 2,
  larson_4t: 4,
  larson_8t: 8,
};
// The pool holds a worker for the proxied main() and one per thread of the
// largest workload, so no thread waits for a worker to be started.
const POOL_SIZE = 1 + Math.max(...Object.values(WORKLOADS));
const ENGINES = ['node', 'chromium'];

const list = (name, all) => {
  const xs = opt(name, all.join(',')).split(',').filter(Boolean);
  for (const x of xs) if (!all.includes(x)) throw new Error(`unknown ${name.replace(/s$/, '')} ${x} (of: ${all.join(', ')})`);
  return xs;
};
const variants = list('variants', Object.keys(VARIANTS));
const workloads = list('workloads', Object.keys(WORKLOADS));
const engines = list('engines', ENGINES);
const countLocks = !argv.includes('--no-locks');
const measureSize = !argv.includes('--no-size');
const WH_ROOT = opt('wasmheap-root', dirname(BENCH));
const RESULTS = opt('results', RUN_RESULTS);

// Emscripten 3.1.6 runs its JS optimiser with the node on PATH; it needs the
// acorn parser, which Debian installs under /usr/share/nodejs, where a node
// from elsewhere does not look.
const env = { ...process.env, NODE_PATH: ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':') };

const run = (cmd, args) => runCommand(cmd, args, { env });
const step = (out, inputs, cmd, args) => runStep(out, inputs, cmd, args, { env });
// Two steps at once by default (BENCH_JOBS), as the suite builds; the first
// error, if any, once all have finished.
const pool = async (fns) => values(await runPool(jobs(), fns));

// ---- build --------------------------------------------------------------------

const SRC = join(WH_ROOT, 'src');
const INCLUDE = join(WH_ROOT, 'include');
// Every header, so one the allocator adds (a thread cache's) counts too.
const headers = () =>
  [join(INCLUDE, 'wasmheap'), SRC].flatMap((d) =>
    readdirSync(d)
      .filter((f) => /\.(h|hpp)$/.test(f))
      .map((f) => join(d, f)),
  );

async function buildKind(kind) {
  const { opt: o, defs } = KINDS[kind];
  const hs = headers();
  return Promise.all(
    ['global_heap', 'c_api', 'malloc'].map((unit) => {
      const out = join(OUT, `wasmheap-${kind}`, `${unit}.o`);
      const src = join(SRC, `${unit}.cpp`);
      return step(out, [src, ...hs], 'em++', ['-pthread', '-std=c++20', o, '-fno-exceptions', ...defs, `-I${INCLUDE}`, '-c', src, '-o', out]);
    }),
  );
}

// Returns {modules: {name: {js, code_bytes}}, probe: {...} | null}. Module
// names are the variants', plus `VARIANT+count` for the instrumented builds.
async function build() {
  // bench/package.json makes .js files ES modules; Emscripten's output (the
  // program and its worker script) is CommonJS.
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
  const benchSrc = join(HERE, 'threads_bench.c');
  // -fno-builtin-*: the compiler must not pair up and delete a malloc and free.
  const benchObj = (name, extra) => {
    const out = join(OUT, `${name}.o`);
    return () => step(out, [benchSrc], 'emcc', ['-pthread', '-O2', '-Wall', '-Wextra', '-fno-builtin-malloc', '-fno-builtin-free',
      ...extra, '-c', benchSrc, '-o', out]);
  };
  // Only the program linked with an instrumented wasmheap may call
  // wasmheap_lock_acquisitions, so it is compiled a second time for those.
  const counted = countLocks ? variants.filter((v) => VARIANTS[v].count) : [];
  const kinds = new Set([
    ...variants.map((v) => VARIANTS[v].kind).filter(Boolean),
    ...counted.map((v) => VARIANTS[v].count),
    ...(measureSize ? ['cache-oz', 'locked-oz'] : []),
  ]);
  const objSteps = [benchObj('threads_bench', []), benchObj('threads_bench_count', ['-DCOUNT_LOCKS', `-I${INCLUDE}`])];
  const probeSrc = join(BENCH, 'src', 'size_probe.c');
  const probeObj = join(OUT, 'probe', 'size_probe.o');
  if (measureSize) objSteps.push(() => step(probeObj, [probeSrc], 'emcc', ['-pthread', '-Oz', '-c', probeSrc, '-o', probeObj]));
  const kindList = [...kinds];
  const built = await pool([...objSteps, ...kindList.map((k) => () => buildKind(k))]);
  const [bench, benchCount] = built;
  const objs = Object.fromEntries(kindList.map((k, i) => [k, built[objSteps.length + i]]));

  const links = [];
  const modules = {};
  const link = (name, benchO, malloc, extra) =>
    links.push(async () => {
      const out = join(OUT, `${name}.js`);
      const inputs = [benchO, ...extra];
      // PROXY_TO_PTHREAD: main runs in a worker, so it may block at the
      // barrier (and the page's own thread stays free in Chromium). The same
      // .js runs in Node and in the browser (ENVIRONMENT defaults to both).
      // Memory: pages added during the first run should be the workload's
      // footprint in every allocator, so the module starts with little more
      // than its static data and main's stack (2 MiB): with the default
      // 16 MiB, the small workloads fit in what is there for every allocator
      // and show no pages at all. The stacks are small for the same reason:
      // this Emscripten's defaults (5 MiB for main, allocated a second time
      // with PROXY_TO_PTHREAD, and 2 MiB per thread, all through the allocator
      // under test) take memory that depends on the thread count, and leave
      // allocator-dependent slack behind; the workloads need little stack.
      // MEMORY_GROWTH_GEOMETRIC_STEP=0: dlmalloc and emmalloc grow memory
      // through sbrk and emscripten_resize_heap, which by default grows by
      // 20% of the memory more than asked; without it they grow by what they
      // ask for, as in the main benchmark's standalone builds. wasmheap grows
      // memory itself, by its own policy.
      await step(out, inputs, 'emcc', ['-pthread', '-O2', ...inputs, `-sMALLOC=${malloc}`, '-sPROXY_TO_PTHREAD',
        '-sEXIT_RUNTIME', '-sALLOW_MEMORY_GROWTH', `-sINITIAL_MEMORY=${2 << 20}`, '-sMAXIMUM_MEMORY=2GB',
        '-sMEMORY_GROWTH_GEOMETRIC_STEP=0',
        `-sPTHREAD_POOL_SIZE=${POOL_SIZE}`, `-sTOTAL_STACK=${1 << 20}`, `-sDEFAULT_PTHREAD_STACK_SIZE=${256 << 10}`,
        '-Wno-pthreads-mem-growth', '-o', out]);
      modules[name] = { js: out, code_bytes: codeSectionBytes(readFileSync(out.replace(/\.js$/, '.wasm'))) };
    });
  for (const v of variants) link(v, bench, VARIANTS[v].malloc, VARIANTS[v].kind ? objs[VARIANTS[v].kind] : []);
  for (const v of counted) link(`${v}+count`, benchCount, 'none', objs[VARIANTS[v].count]);
  // What the allocator adds to a threaded program, as the issue measures it:
  // the malloc family's probe, emcc -pthread -Oz (which runs wasm-opt), with
  // wasmheap's caches and with today's locked heap.
  const probe = {};
  if (measureSize)
    for (const [name, kind] of [['wasmheap', 'cache-oz'], ['wasmheap-locked', 'locked-oz']])
      links.push(async () => {
        const out = join(OUT, 'probe', `${name}.js`);
        const inputs = [probeObj, ...objs[kind]];
        await step(out, inputs, 'emcc', ['-pthread', '-Oz', ...inputs, '-sMALLOC=none', '-sALLOW_MEMORY_GROWTH',
          '-sEXPORTED_FUNCTIONS=_probe', '--no-entry', '-Wno-pthreads-mem-growth', '-o', out]);
        const wasm = readFileSync(out.replace(/\.js$/, '.wasm'));
        probe[name] = { module_bytes: wasm.length, code_bytes: codeSectionBytes(wasm) };
      });
  await pool(links);
  return { modules, probe: measureSize ? probe : null };
}

// ---- run: Node ----------------------------------------------------------------------

// The JSON line a run printed, or an error that says what went wrong.
function resultLine(out, what) {
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no result line from ${what}:\n${out.slice(-2000)}`);
  return JSON.parse(line);
}

async function runNode(js, args) {
  // Node 20's global fetch makes this Emscripten's loader fetch the .wasm by
  // its file path, which fails; without it the loader reads the file.
  return resultLine(await run('node', ['--no-experimental-fetch', js, ...args]), `${js} ${args.join(' ')}`);
}

// ---- run: Chromium ------------------------------------------------------------------

// One headless Chromium for the whole run; each run of a module gets a fresh
// page, threads/page.html, which loads the module as a page would. The
// suite's server (lib/chromium_engine.mjs) serves bench/ with the
// cross-origin isolation headers without which a page has no
// SharedArrayBuffer, so no threads.
async function startChromium() {
  const { CHROMIUM, launchChromium, startServer } = await import('../lib/chromium_engine.mjs');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  const server = await startServer(BENCH);
  const browser = await launchChromium();
  const origin = server.origin;
  return {
    version: browser.version(),
    async run(name, args, timeoutMs = 10 * 60 * 1000) {
      const page = await browser.newPage();
      const said = [];
      let timer;
      try {
        const result = new Promise((resolve, reject) => {
          page.on('console', (m) => {
            const t = m.text();
            if (t.startsWith('{')) resolve(JSON.parse(t));
            else if (said.push(t) && /^abort|exception|error/i.test(t)) reject(new Error(t));
          });
          page.on('pageerror', (e) => reject(new Error(`page error: ${e.message}`)));
          page.once('crash', () => reject(new Error('the page crashed')));
          timer = setTimeout(() => reject(new Error(`no result within ${timeoutMs / 1000} s`)), timeoutMs);
        });
        await page.goto(`${origin}/threads/page.html?${new URLSearchParams({ module: name, args: JSON.stringify(args) })}`);
        if (!(await page.evaluate(() => self.crossOriginIsolated))) throw new Error('the page is not cross-origin isolated');
        return await result;
      } catch (e) {
        e.message += said.length ? ` (console: ${said.slice(-3).join(' / ')})` : '';
        throw e;
      } finally {
        clearTimeout(timer); // or it would keep Node up after the last run
        await page.close().catch(() => {});
      }
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

// Which wasmheap was measured: the commit, and whether its sources differed
// from it (another change under way) before or after the build.
async function sourceState() {
  try {
    const git = (...a) => run('git', ['-C', WH_ROOT, ...a]).then((o) => o.trim());
    const commit = await git('rev-parse', '--short', 'HEAD');
    const dirty = (await git('status', '--porcelain', '--', 'include', 'src')) !== '';
    return { root: WH_ROOT, commit, sources_modified: dirty };
  } catch {
    return { root: WH_ROOT, commit: null };
  }
}

// ---- statistics -----------------------------------------------------------------

// Node prints the (one-line, minified) source around a JS error: keep only
// the lines that say what went wrong.
const shortError = (e) =>
  e.message
    .split('\n')
    .filter((l) => l.length < 400 && /error|abort|exited|usage|unknown|crash|within|isolated/i.test(l))
    .slice(0, 3)
    .join(' / ') || e.message.slice(0, 300);

async function main() {
  const started = Date.now();
  const loadStart = os.loadavg();
  // What the main benchmark installs when it is missing (emcc, Chromium,
  // playwright-core from bench/package-lock.json).
  if (!argv.includes('--skip-setup')) {
    const { ensurePrereqs } = await import('../lib/setup.mjs');
    ensurePrereqs({ chromium: engines.includes('chromium'), log });
  }
  const source = await sourceState();
  log('building...');
  const { modules, probe } = await build();
  log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // Sources that changed while they were being compiled make a mixed build.
  const after = await sourceState();
  if (after.commit !== source.commit || after.sources_modified) Object.assign(source, { sources_modified: true, changed_during_build: after.commit !== source.commit });

  // Lock acquisitions: the instrumented builds, the first run of each
  // workload in Node (not timed; the counter costs an extra store per lock).
  const locks = [];
  if (countLocks)
    for (const v of variants.filter((x) => modules[`${x}+count`]))
      for (const w of workloads) {
        const row = { variant: v, workload: w };
        try {
          const one = await runNode(modules[`${v}+count`].js, [w, '0', '0']);
          Object.assign(row, { ops: one.ops, lock_acquisitions: one.lock_acquisitions_first_run });
          row.per_1000_ops = one.lock_acquisitions_first_run >= 0 ? (one.lock_acquisitions_first_run * 1000) / one.ops : null;
          if (one.failures) row.error = one.failure;
        } catch (e) {
          row.error = shortError(e);
        }
        log(`locks ${v} ${w}: ${row.error ? 'ERROR ' + row.error : row.lock_acquisitions}`);
        locks.push(row);
      }

  // A browser that cannot start costs its own columns, not the Node ones.
  let chromium = null,
    chromiumError = null;
  const engineInfo = {};
  if (engines.includes('chromium'))
    try {
      chromium = await startChromium();
      engineInfo.chromium = chromium.version;
    } catch (e) {
      chromiumError = `Chromium could not run: ${e.message.split('\n')[0]}`;
      engineInfo.chromium = 'not run';
      log(chromiumError);
    }
  engineInfo.node = process.version;
  // Each (variant, workload) runs in both engines one after the other, so a
  // burst of load from elsewhere touches both engines' numbers alike.
  const pairs = [];
  for (const w of workloads)
    for (const v of variants) if (!VARIANTS[v].only || VARIANTS[v].only.includes(w)) for (const e of engines) pairs.push([e, v, w]);
  const results = new Map(pairs.map(([e, v, w]) => [`${e}/${v}/${w}`, { engine: e, variant: v, workload: w, threads: WORKLOADS[w], times_ms: [], ops: 0 }]));
  // Every round runs every pair once, in an order rotated per round, so a
  // burst of load from elsewhere spreads over pairs instead of one variant.
  try {
    for (let round = 0; round < settings.rounds; ++round) {
      const order = pairs.map((_, i) => pairs[(i + round * 3) % pairs.length]);
      for (const [e, v, w] of order) {
        const r = results.get(`${e}/${v}/${w}`);
        const args = [w, String(settings.warmups), String(settings.runs)];
        try {
          if (e === 'chromium' && !chromium) throw new Error(chromiumError);
          const one = e === 'node' ? await runNode(modules[v].js, args) : await chromium.run(v, args);
          r.ops = one.ops;
          r.times_ms.push(...one.times_ms);
          if (round === 0) r.pages_added = one.pages_added;
          if (one.failures) r.error = one.failure;
        } catch (err) {
          r.error = shortError(err);
        }
        log(`round ${round + 1}/${settings.rounds} ${e} ${v} ${w}${r.error ? ' ERROR ' + r.error : ''}`);
      }
    }
  } finally {
    if (chromium) await chromium.close();
  }
  const rows = [...results.values()].map((r) => ({
    ...r,
    ns_per_op_median: r.times_ms.length ? (median(r.times_ms) * 1e6) / r.ops : null,
    ns_per_op_min: r.times_ms.length ? (Math.min(...r.times_ms) * 1e6) / r.ops : null,
  }));
  const data = {
    settings: { ...settings, engines, variants, workloads, pool_size: POOL_SIZE },
    started: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, load_average_start: loadStart, load_average_end: os.loadavg() },
    versions: { ...engineInfo, emcc: (await run('emcc', ['--version'])).split('\n')[0] },
    wasmheap_source: source,
    code_bytes: Object.fromEntries(variants.map((v) => [v, modules[v].code_bytes])),
    code_probe: probe && {
      how: 'bench/src/size_probe.c (malloc family), emcc -pthread -Oz (wasm-opt included), -sMALLOC=none, wasmheap compiled -Oz',
      ...probe,
      added_by_caches: probe.wasmheap.code_bytes - probe['wasmheap-locked'].code_bytes,
    },
    lock_counts: locks,
    results: rows,
  };
  data.ratios = ratios(data);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'threads.json'), JSON.stringify(data, null, 1) + '\n');
  const md = markdown(data);
  writeFileSync(join(RESULTS, 'threads.md'), md);
  process.stdout.write(md);
  if (rows.some((r) => r.error) || locks.some((r) => r.error)) process.exitCode = 1;
}

// ---- ratios ---------------------------------------------------------------------

const find = (data, e, v, w) => data.results.find((x) => x.engine === e && x.variant === v && x.workload === w && !x.error);

// The comparisons the targets are stated in, per engine: each variant's
// speed-up from local_1t to local_Nt (throughput, all threads' ops per second:
// 2.0 = twice as many ops per second on two threads), next to the control's
// from control_1t to control_Nt in the same variant's module (the same work
// without the allocator: what the engine and machine allow) and the share of
// it the variant reached (local speed-up over control speed-up); each
// variant's median time per op over dlmalloc's, and its pages added over
// dlmalloc's.
const COMPARED = ['wasmheap', 'wasmheap-locked', 'emmalloc'];
const MANY = [2, 4, 8];
function ratios(data) {
  const out = { speedup: [], time_vs_dlmalloc: [], pages_vs_dlmalloc: [] };
  const speedup = (e, v, kind, n) => {
    const one = find(data, e, v, `${kind}_1t`);
    const many = find(data, e, v, `${kind}_${n}t`);
    return one && many ? one.ns_per_op_median / many.ns_per_op_median : null;
  };
  for (const e of data.settings.engines) {
    for (const v of data.settings.variants) {
      const row = { engine: e, variant: v };
      for (const n of MANY) {
        row[`local_${n}t`] = speedup(e, v, 'local', n);
        row[`control_${n}t`] = speedup(e, v, 'control', n);
        row[`share_${n}t`] = row[`local_${n}t`] != null && row[`control_${n}t`] ? row[`local_${n}t`] / row[`control_${n}t`] : null;
      }
      if (MANY.some((n) => row[`local_${n}t`] != null || row[`control_${n}t`] != null)) out.speedup.push(row);
    }
    for (const v of COMPARED.filter((x) => data.settings.variants.includes(x)))
      for (const w of data.settings.workloads) {
        const a = find(data, e, v, w);
        const d = find(data, e, 'emdlmalloc', w);
        if (!a || !d) continue;
        out.time_vs_dlmalloc.push({ engine: e, variant: v, workload: w, ratio: a.ns_per_op_median / d.ns_per_op_median });
        out.pages_vs_dlmalloc.push({ engine: e, variant: v, workload: w, pages: a.pages_added, dlmalloc: d.pages_added,
          ratio: d.pages_added ? a.pages_added / d.pages_added : null });
      }
  }
  return out;
}

// ---- markdown -------------------------------------------------------------------

// The numbers the targets name, in words: local_2t's speed-up, wasmheap
// against dlmalloc where threads share blocks or contend, pages, code added.
function headline(data, engineName) {
  const R = data.ratios;
  const fmt = (x) => (x == null ? '—' : x.toFixed(2));
  const lines = ['## In short', ''];
  for (const e of data.settings.engines) {
    const sp = R.speedup.filter((r) => r.engine === e && r.local_2t != null);
    if (sp.length) lines.push(`- ${engineName[e]}, local_2t over local_1t (throughput): ${sp.map((r) => `${r.variant} ${fmt(r.local_2t)}×`).join(', ')}`);
    const cs = R.speedup.filter((r) => r.engine === e && r.control_2t != null);
    const shares = cs.filter((r) => r.share_2t != null);
    if (cs.length) lines.push(`- ${engineName[e]}, the control (the same work without the allocator), control_2t over control_1t: ` +
      `${cs.map((r) => `${fmt(r.control_2t)}×`).join(', ')} in ${cs.map((r) => r.variant).join(', ')}'s modules` +
      (shares.length ? `; local_2t's share of it (local over control): ${shares.map((r) => `${r.variant} ${fmt(r.share_2t)}`).join(', ')}` : ''));
    const t = (w) => R.time_vs_dlmalloc.find((r) => r.engine === e && r.variant === 'wasmheap' && r.workload === w);
    const ws = ['local_2t', 'pc_small', 'pc_mixed'].filter(t);
    if (ws.length) lines.push(`- ${engineName[e]}, wasmheap's time per op over dlmalloc's: ${ws.map((w) => `${w} ${fmt(t(w).ratio)}`).join(', ')}`);
    const pages = R.pages_vs_dlmalloc.filter((r) => r.engine === e && r.variant === 'wasmheap');
    const grew = pages.filter((r) => r.ratio != null);
    if (pages.length) {
      const worst = grew.length ? grew.reduce((a, b) => (b.ratio > a.ratio ? b : a)) : null;
      const only = pages.filter((r) => r.ratio == null && r.pages > 0);
      lines.push(`- ${engineName[e]}, wasmheap's pages over dlmalloc's: ` +
        (worst ? `at most ${fmt(worst.ratio)} (${worst.workload}, ${worst.pages} vs ${worst.dlmalloc})` : 'no workload where dlmalloc grew memory') +
        (only.length ? `; grew where dlmalloc did not: ${only.map((r) => `${r.workload} ${r.pages}`).join(', ')}` : ''));
    }
  }
  const p = data.code_probe;
  if (p) lines.push(`- code the caches add to a threaded -Oz build: ${p.added_by_caches.toLocaleString('en-US')} B ` +
    `(${p.wasmheap.code_bytes.toLocaleString('en-US')} vs ${p['wasmheap-locked'].code_bytes.toLocaleString('en-US')} B of code section)`);
  lines.push('');
  return lines;
}

function markdown(data) {
  const vs = data.settings.variants;
  const ws = data.settings.workloads;
  const fmt = (x, d = 1) => (x == null ? '—' : x.toFixed(d));
  const table = (head, rows) => [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '---:').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  const cell = (e, v, w, f) => {
    const r = data.results.find((x) => x.engine === e && x.variant === v && x.workload === w);
    if (!r) return '';
    return r.error ? `error: ${r.error}` : f(r);
  };
  const engineName = { node: `Node ${data.versions.node}`, chromium: `Chromium ${data.versions.chromium}` };
  const lines = [];
  lines.push(`# Allocators under wasm threads (${data.settings.engines.map((e) => engineName[e]).join(', ')}; ${data.versions.emcc})`, '');
  lines.push(`${data.settings.rounds} rounds × (${data.settings.warmups} warm-ups + ${data.settings.runs} timed runs); ` +
    `load average ${data.machine.load_average_start.map((x) => x.toFixed(2)).join(' ')} at start, ` +
    `${data.machine.load_average_end.map((x) => x.toFixed(2)).join(' ')} at end, ${data.machine.cpus} CPUs; ` +
    `${Math.round(data.seconds)} s in all.`, '');
  const src = data.wasmheap_source;
  if (src?.commit) lines.push(`wasmheap at ${src.commit}${src.sources_modified ? ', with uncommitted changes to include/ or src/' : ''}.`, '');
  lines.push(...headline(data, engineName));
  for (const e of data.settings.engines) {
    lines.push(`## ns per op, median (min): ${engineName[e]}`, '');
    lines.push(...table(['workload', ...vs], ws.map((w) => [w, ...vs.map((v) => cell(e, v, w, (r) => `${fmt(r.ns_per_op_median)} (${fmt(r.ns_per_op_min)})`))])), '');
  }
  for (const e of data.settings.engines) {
    lines.push(`## Pages added (64 KiB) during the first run: ${engineName[e]}`, '');
    lines.push(...table(['workload', ...vs], ws.map((w) => [w, ...vs.map((v) => cell(e, v, w, (r) => String(r.pages_added)))])), '');
  }
  if (data.lock_counts.length) {
    const lv = [...new Set(data.lock_counts.map((r) => r.variant))];
    lines.push('## Lock acquisitions per 1,000 ops (wasmheap, first run, Node)', '');
    lines.push('Counted by the instrumented builds (`-DWASMHEAP_COUNT_LOCKS=1`), not timed. dlmalloc and emmalloc take their lock once per call, i.e. 1,000 per 1,000 ops.', '');
    lines.push(...table(['workload', ...lv], ws.map((w) => [w, ...lv.map((v) => {
      const r = data.lock_counts.find((x) => x.variant === v && x.workload === w);
      if (!r) return '';
      return r.error ? `error: ${r.error}` : fmt(r.per_1000_ops);
    })])), '');
  }
  lines.push('## Ratios', '');
  const R = data.ratios;
  if (R.speedup.length) {
    // Only the thread counts some row has a number for.
    const ns = MANY.filter((n) => R.speedup.some((r) => r[`local_${n}t`] != null || r[`control_${n}t`] != null));
    lines.push('Throughput of local_Nt over local_1t (all threads\' ops per second; 2.00 = twice the ops per second; ' +
      `${data.machine.cpus} CPUs, so at most ${data.machine.cpus.toFixed(2)}), next to control_Nt over control_1t in the ` +
      'same module (the same work without the allocator: the scaling the engine and machine allow), and the share of the ' +
      'machine\'s scaling the variant reached (local over control; 1.00 = all of it):', '');
    lines.push(...table(['engine', 'variant', ...ns.flatMap((n) => [`local_${n}t`, `control_${n}t`, 'share'])],
      R.speedup.map((r) => [r.engine, r.variant, ...ns.flatMap((n) => [fmt(r[`local_${n}t`], 2), fmt(r[`control_${n}t`], 2), fmt(r[`share_${n}t`], 2)])])), '');
  }
  // One column per (engine, variant) compared with dlmalloc, one row per workload.
  const cols = data.settings.engines.flatMap((e) => COMPARED.filter((v) => R.time_vs_dlmalloc.some((r) => r.engine === e && r.variant === v)).map((v) => [e, v]));
  const grid = (rows, f) => ws.map((w) => [w, ...cols.map(([e, v]) => {
    const r = rows.find((x) => x.engine === e && x.variant === v && x.workload === w);
    return r ? f(r) : '';
  })]);
  if (cols.length) {
    lines.push('Median time per op over emdlmalloc\'s in the same engine (below 1: faster than dlmalloc):', '');
    lines.push(...table(['workload', ...cols.map(([e, v]) => `${v} (${e})`)], grid(R.time_vs_dlmalloc, (r) => fmt(r.ratio, 2))), '');
    lines.push('Pages added over emdlmalloc\'s: ratio (pages vs dlmalloc\'s):', '');
    lines.push(...table(['workload', ...cols.map(([e, v]) => `${v} (${e})`)],
      grid(R.pages_vs_dlmalloc, (r) => (r.ratio == null ? `${r.pages} vs ${r.dlmalloc}` : `${fmt(r.ratio, 2)} (${r.pages} vs ${r.dlmalloc})`))), '');
  }
  lines.push('## Code section bytes', '');
  lines.push('Whole benchmark module, `emcc -pthread -O2`:', '');
  lines.push(...table(['', ...vs], [['code', ...vs.map((v) => (data.code_bytes[v] ?? '—').toLocaleString('en-US'))]]), '');
  const p = data.code_probe;
  if (p) {
    lines.push('What the allocator adds to a threaded build: `bench/src/size_probe.c` (the malloc family) with `emcc -pthread -Oz` (wasm-opt runs inside), wasmheap compiled at `-Oz`:', '');
    lines.push(...table(['', 'wasmheap (caches)', 'wasmheap-locked', 'added by the caches'], [
      ['code section', p.wasmheap.code_bytes.toLocaleString('en-US'), p['wasmheap-locked'].code_bytes.toLocaleString('en-US'), p.added_by_caches.toLocaleString('en-US')],
      ['whole .wasm', p.wasmheap.module_bytes.toLocaleString('en-US'), p['wasmheap-locked'].module_bytes.toLocaleString('en-US'),
        (p.wasmheap.module_bytes - p['wasmheap-locked'].module_bytes).toLocaleString('en-US')],
    ]), '');
  }
  return lines.join('\n');
}

const rendering = opt('render', null);
(rendering ? async () => {
  const data = JSON.parse(readFileSync(rendering, 'utf8'));
  data.ratios = ratios(data);
  process.stdout.write(markdown(data));
} : main)().catch((e) => {
  log(e.stack || String(e));
  process.exit(1);
});
