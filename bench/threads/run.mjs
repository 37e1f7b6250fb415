#!/usr/bin/env node
// Allocators under wasm threads: wasmheap (built with -pthread, so its global
// heap takes a lock) against Emscripten's dlmalloc and emmalloc with -pthread,
// on the workloads of threads_bench.c, in Node (each pthread a worker thread).
// Writes results/threads.json and results/threads.md and prints the tables.
//
//   node bench/threads/run.mjs [--rounds=N] [--warmups=N] [--runs=N]
//                              [--variants=a,b] [--workloads=a,b]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeSectionBytes } from '../lib/wasm_info.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = dirname(HERE);
const ROOT = dirname(BENCH);
const OUT = join(BENCH, 'build', 'threads');
const RESULTS = join(BENCH, 'results');
const SELF = fileURLToPath(import.meta.url);

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const settings = {
  rounds: Number(opt('rounds', 3)),
  warmups: Number(opt('warmups', 2)),
  runs: Number(opt('runs', 5)),
};
const log = (m) => process.stderr.write(m + '\n');

// The unlocked wasmheap is the same build with WASMHEAP_THREADS=0: safe only
// while one thread allocates, so it runs the one-thread workloads alone, where
// it shows what the lock costs when nobody contends for it.
const VARIANTS = {
  wasmheap: { malloc: 'none', objs: 'locked' },
  'wasmheap-unlocked': { malloc: 'none', objs: 'unlocked', only: ['fifo_small_1t', 'fifo_mixed_1t', 'local_1t'] },
  emdlmalloc: { malloc: 'dlmalloc' },
  emmalloc: { malloc: 'emmalloc' },
};
const WORKLOADS = ['pc_small', 'pc_mixed', 'fifo_small_1t', 'fifo_mixed_1t', 'local_1t', 'local_2t'];
const variants = opt('variants', Object.keys(VARIANTS).join(',')).split(',');
const workloads = opt('workloads', WORKLOADS.join(',')).split(',');
for (const v of variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}`);
for (const w of workloads) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}`);

// Emscripten 3.1.6 runs its JS optimiser with the node on PATH; it needs the
// acorn parser, which Debian installs under /usr/share/nodejs, where a node
// from elsewhere does not look.
const env = { ...process.env, NODE_PATH: ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':') };

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')}\nexited ${code}\n${(out + err).slice(-3000)}`));
    });
  });
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1);
// Rebuilds `out` unless it is newer than its inputs and this file (the flags).
async function step(out, inputs, cmd, args) {
  const t = mtime(out);
  if (t > 0 && [...inputs, SELF].every((i) => mtime(i) <= t)) return out;
  mkdirSync(dirname(out), { recursive: true });
  await run(cmd, args);
  return out;
}

// ---- build --------------------------------------------------------------------

const SRC = join(ROOT, 'src');
const INCLUDE = join(ROOT, 'include');
const HEADERS = ['heap.hpp', 'page_runs.hpp', 'page_map.hpp', 'size_classes.hpp', 'layout.hpp',
  'wasm_memory.hpp', 'locked_heap.hpp', 'futex_lock.hpp', 'checked.hpp'].map((h) => join(INCLUDE, 'wasmheap', h))
  .concat(['global_heap.hpp', 'malloc_family.hpp'].map((h) => join(SRC, h)));

async function build() {
  // bench/package.json makes .js files ES modules; Emscripten's output (the
  // program and its worker script) is CommonJS.
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
  const bench = join(OUT, 'threads_bench.o');
  const benchSrc = join(HERE, 'threads_bench.c');
  // -fno-builtin-*: the compiler must not pair up and delete a malloc and free.
  await step(bench, [benchSrc], 'emcc', ['-pthread', '-O2', '-Wall', '-Wextra',
    '-fno-builtin-malloc', '-fno-builtin-free', '-c', benchSrc, '-o', bench]);
  const objs = {};
  for (const [kind, defs] of [['locked', []], ['unlocked', ['-DWASMHEAP_THREADS=0']]]) {
    objs[kind] = [];
    for (const unit of ['global_heap', 'c_api', 'malloc']) {
      const out = join(OUT, `wasmheap-${kind}`, `${unit}.o`);
      const src = join(SRC, `${unit}.cpp`);
      objs[kind].push(await step(out, [src, ...HEADERS], 'em++', ['-pthread', '-std=c++20', '-O2', '-fno-exceptions',
        ...defs, `-I${INCLUDE}`, '-c', src, '-o', out]));
    }
  }
  const modules = {};
  for (const v of variants) {
    const { malloc, objs: kind } = VARIANTS[v];
    const out = join(OUT, `${v}.js`);
    const inputs = [bench, ...(kind ? objs[kind] : [])];
    // PROXY_TO_PTHREAD: main runs in a worker, so it may block at the barrier;
    // the pool holds a worker for it and for each of the two threads.
    await step(out, inputs, 'emcc', ['-pthread', '-O2', ...inputs, `-sMALLOC=${malloc}`, '-sPROXY_TO_PTHREAD',
      '-sEXIT_RUNTIME', '-sALLOW_MEMORY_GROWTH', '-sMAXIMUM_MEMORY=2GB', '-sPTHREAD_POOL_SIZE=3',
      '-Wno-pthreads-mem-growth', '-o', out]);
    modules[v] = { js: out, code_bytes: codeSectionBytes(readFileSync(out.replace(/\.js$/, '.wasm'))) };
  }
  return modules;
}

// ---- run ----------------------------------------------------------------------

async function runOne(js, workload, warmups, runs) {
  // Node 20's global fetch makes this Emscripten's loader fetch the .wasm by
  // its file path, which fails; without it the loader reads the file.
  const out = await run('node', ['--no-experimental-fetch', js, workload, String(warmups), String(runs)]);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no result line from ${js} ${workload}:\n${out}`);
  return JSON.parse(line);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const started = Date.now();
  const loadStart = os.loadavg();
  log('building...');
  const modules = await build();
  const pairs = [];
  for (const w of workloads)
    for (const v of variants) if (!VARIANTS[v].only || VARIANTS[v].only.includes(w)) pairs.push([v, w]);
  const results = new Map(pairs.map(([v, w]) => [`${v}/${w}`, { variant: v, workload: w, times_ms: [], ops: 0 }]));
  // Every round runs every pair once, in an order rotated per round, so a
  // burst of load from elsewhere spreads over pairs instead of one variant.
  for (let round = 0; round < settings.rounds; ++round) {
    const order = pairs.map((_, i) => pairs[(i + round * 3) % pairs.length]);
    for (const [v, w] of order) {
      const r = results.get(`${v}/${w}`);
      try {
        const one = await runOne(modules[v].js, w, settings.warmups, settings.runs);
        r.ops = one.ops;
        r.times_ms.push(...one.times_ms);
        if (round === 0) r.pages_added = one.pages_added;
        if (one.failures) r.error = one.failure;
      } catch (e) {
        // Node prints the (one-line, minified) source around a JS error: keep
        // only the lines that say what went wrong.
        const said = e.message.split('\n').filter((l) => l.length < 400 && /error|abort|exited|usage|unknown/i.test(l));
        r.error = said.slice(0, 3).join(' / ');
      }
      log(`round ${round + 1}/${settings.rounds} ${v} ${w}${r.error ? ' ERROR ' + r.error : ''}`);
    }
  }
  const rows = [...results.values()].map((r) => ({
    ...r,
    ns_per_op_median: r.times_ms.length ? (median(r.times_ms) * 1e6) / r.ops : null,
    ns_per_op_min: r.times_ms.length ? (Math.min(...r.times_ms) * 1e6) / r.ops : null,
  }));
  const data = {
    settings,
    started: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, load_average_start: loadStart, load_average_end: os.loadavg() },
    versions: { node: process.version, emcc: (await run('emcc', ['--version'])).split('\n')[0] },
    code_bytes: Object.fromEntries(Object.entries(modules).map(([v, m]) => [v, m.code_bytes])),
    results: rows,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'threads.json'), JSON.stringify(data, null, 1) + '\n');
  const md = markdown(data);
  writeFileSync(join(RESULTS, 'threads.md'), md);
  process.stdout.write(md);
  if (rows.some((r) => r.error)) process.exitCode = 1;
}

function markdown(data) {
  const vs = variants;
  const fmt = (x, d = 1) => (x == null ? '—' : x.toFixed(d));
  const cell = (v, w, f) => {
    const r = data.results.find((x) => x.variant === v && x.workload === w);
    if (!r) return '';
    return r.error ? `error: ${r.error}` : f(r);
  };
  const lines = [];
  lines.push(`# Allocators under wasm threads (Node ${data.versions.node}, ${data.versions.emcc})`, '');
  lines.push(`${data.settings.rounds} rounds × (${data.settings.warmups} warm-ups + ${data.settings.runs} timed runs); ` +
    `load average ${data.machine.load_average_start.map((x) => x.toFixed(2)).join(' ')} at start, ` +
    `${data.machine.load_average_end.map((x) => x.toFixed(2)).join(' ')} at end, ${data.machine.cpus} CPUs.`, '');
  lines.push('## ns per op, median (min)', '', `| workload | ${vs.join(' | ')} |`, `|---|${vs.map(() => '---:').join('|')}|`);
  for (const w of workloads)
    lines.push(`| ${w} | ${vs.map((v) => cell(v, w, (r) => `${fmt(r.ns_per_op_median)} (${fmt(r.ns_per_op_min)})`)).join(' | ')} |`);
  lines.push('', '## Pages added (64 KiB) during the first run', '', `| workload | ${vs.join(' | ')} |`, `|---|${vs.map(() => '---:').join('|')}|`);
  for (const w of workloads) lines.push(`| ${w} | ${vs.map((v) => cell(v, w, (r) => String(r.pages_added))).join(' | ')} |`);
  lines.push('', '## Code section of the whole module (bytes, -O2)', '', `| ${vs.join(' | ')} |`, `|${vs.map(() => '---:').join('|')}|`);
  lines.push(`| ${vs.map((v) => data.code_bytes[v]).join(' | ')} |`, '');
  return lines.join('\n');
}

main().catch((e) => {
  log(e.stack || String(e));
  process.exit(1);
});
