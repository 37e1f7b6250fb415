#!/usr/bin/env node
// What does wasm `memory.grow` cost in V8, per call and per page, as memory
// grows? Runs the same measurements in Node and in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core, as bench/lib/chromium_engine.mjs
// does) and prints medians over rounds. No C toolchain: the wasm module is
// assembled by hand below.
//
//   node bench/tools/grow_cost.mjs [--engine node|chromium|both] [--rounds 5]
//                                  [--pages 16384] [--json FILE] [--quick]
//
// Node re-runs itself with --expose-gc (gc() between instances frees the
// previous memory) and --no-liftoff (the benchmark's code tier).
//
// What is measured, for a memory without a declared maximum ("nomax", as
// wasi-libc/clang modules have) and with one ("max", 32,768 pages = 2 GiB as
// Emscripten sets):
//   sweep   grow from 2 pages to N one page per call, timed in batches of 32
//           calls (the loop runs inside wasm: no JS call per grow), so the
//           time per call can be read as a function of the current size;
//   totals  grow from 2 pages to 1,024 / 4,096 / N pages with fixed steps
//           (1, 4, 16, 64, 256 pages a call), geometric steps (+1/16, +1/8,
//           +1/1 of the current size, at least one page) and one single call;
//   touch   the first write to fresh pages after one big grow, separately
//           from the grow call: one byte per 64 KiB wasm page, one byte per
//           4 KiB OS page, memory.fill of every byte; then the same again on
//           pages already written (the loop's own cost);
//   gc      K iterations of {grow 1 page; fixed work} against {fixed work}
//           and {grow 1 page} alone, from a small and from a large memory,
//           where the fixed work is a short wasm loop plus a small JS
//           allocation loop; plus the number of V8 GCs in every phase (Node:
//           PerformanceObserver 'gc' entries; Chromium: a separate traced
//           round, MinorGC/MajorGC trace events between console.timeStamp
//           markers).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const HERE = dirname(fileURLToPath(import.meta.url));
const NODE_FLAGS = ['--expose-gc', '--no-liftoff'];

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { engine: 'both', rounds: 3, pages: 16384, maxSweep: 4096, json: null, quick: false, child: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--engine') o.engine = argv[++i];
    else if (a === '--rounds') o.rounds = +argv[++i];
    else if (a === '--pages') o.pages = +argv[++i];
    else if (a === '--max-sweep') o.maxSweep = +argv[++i];
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--quick') o.quick = true;
    else if (a === '--child') o.child = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.quick) {
    o.rounds = Math.min(o.rounds, 2);
    o.pages = Math.min(o.pages, 4096);
  }
  return o;
}

// ---------------------------------------------------------------- the module
function uleb(v) {
  const out = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
function sleb(v) {
  const out = [];
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const str = (s) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];

// Opcodes used below.
const I32 = 0x7f, EMPTY = 0x40;
const op = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, br_if: 0x0d, ret: 0x0f,
  get: 0x20, set: 0x21, const: 0x41, eqz: 0x45, eq: 0x46, lt_u: 0x49,
  add: 0x6a, sub: 0x6b, mul: 0x6c, and: 0x71, shl: 0x74,
  store: 0x36, store8: 0x3a, size: 0x3f, grow: 0x40,
};
const c = (v) => [op.const, ...sleb(v)];

// Exports: grow(delta) -> old pages | -1; size() -> pages;
// growN(count, step) -> pages after, or -1 when a grow failed;
// touch(firstPage, endPage, stride) writes one byte every `stride` bytes;
// work(iters) -> an LCG loop with one store into page 0 per iteration;
// fill(firstPage, endPage) memory.fill's every byte with 1.
export function buildModule({ maxPages = null, minPages = 2 } = {}) {
  const types = [
    [0x60, 1, I32, 1, I32], // 0: (i32) -> i32
    [0x60, 0, 1, I32], // 1: () -> i32
    [0x60, 2, I32, I32, 1, I32], // 2: (i32, i32) -> i32
    [0x60, 3, I32, I32, I32, 1, I32], // 3: (i32, i32, i32) -> i32
  ];
  const funcs = [
    { name: 'grow', type: 0, locals: [], body: [op.get, 0, op.grow, 0] },
    { name: 'size', type: 1, locals: [], body: [op.size, 0] },
    {
      name: 'growN', type: 2, locals: [],
      body: [
        op.block, EMPTY, op.loop, EMPTY,
        op.get, 0, op.eqz, op.br_if, 1,
        op.get, 1, op.grow, 0, ...c(-1), op.eq, op.if, EMPTY, ...c(-1), op.ret, op.end,
        op.get, 0, ...c(1), op.sub, op.set, 0,
        op.br, 0,
        op.end, op.end,
        op.size, 0,
      ],
    },
    {
      name: 'touch', type: 3, locals: [],
      body: [
        op.get, 0, ...c(16), op.shl, op.set, 0,
        op.get, 1, ...c(16), op.shl, op.set, 1,
        op.block, EMPTY, op.loop, EMPTY,
        op.get, 0, op.get, 1, op.lt_u, op.eqz, op.br_if, 1,
        op.get, 0, ...c(1), op.store8, 0, 0,
        op.get, 0, op.get, 2, op.add, op.set, 0,
        op.br, 0,
        op.end, op.end,
        ...c(0),
      ],
    },
    {
      name: 'work', type: 0, locals: [[1, I32]],
      body: [
        op.block, EMPTY, op.loop, EMPTY,
        op.get, 0, op.eqz, op.br_if, 1,
        op.get, 1, ...c(1103515245), op.mul, ...c(12345), op.add, op.set, 1,
        op.get, 1, ...c(0xfffc), op.and, op.get, 1, op.store, 2, 0,
        op.get, 0, ...c(1), op.sub, op.set, 0,
        op.br, 0,
        op.end, op.end,
        op.get, 1,
      ],
    },
    {
      name: 'fill', type: 2, locals: [],
      body: [
        op.get, 0, ...c(16), op.shl,
        ...c(1),
        op.get, 1, op.get, 0, op.sub, ...c(16), op.shl,
        0xfc, 0x0b, 0x00, // memory.fill
        ...c(0),
      ],
    },
  ];
  const limits = maxPages == null ? [0x00, ...uleb(minPages)] : [0x01, ...uleb(minPages), ...uleb(maxPages)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((f) => uleb(f.type)))),
    ...section(5, vec([limits])),
    ...section(7, vec([
      ...funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]),
      [...str('memory'), 0x02, 0x00],
    ])),
    ...section(10, vec(funcs.map((f) => {
      const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, op.end];
      return [...uleb(body.length), ...body];
    }))),
  ];
  return new Uint8Array(bytes);
}

// ---------------------------------------------------------------- the suite
// One round of every measurement. Self-contained (it is also sent to the
// browser as source text): it uses only its argument and web-platform globals.
// cfg: { modules: { nomax: number[], max: number[] }, pages, round, mark }
async function suite(cfg) {
  const now = () => performance.now();
  const collect = () => {
    if (typeof gc === 'function') {
      gc();
      gc();
    }
  };
  const mods = {};
  for (const [k, bytes] of Object.entries(cfg.modules)) mods[k] = new WebAssembly.Module(new Uint8Array(bytes));
  const phases = [];
  const phase = (label, fn) => {
    if (cfg.mark) console.timeStamp(`grow_cost:${label}:begin`);
    const t0 = now();
    const r = fn();
    const t1 = now();
    if (cfg.mark) console.timeStamp(`grow_cost:${label}:end`);
    phases.push({ label, t0, t1 });
    return r;
  };
  const fresh = (mem) => {
    collect();
    const inst = new WebAssembly.Instance(mods[mem], {});
    return { e: inst.exports, mem: inst.exports.memory };
  };
  const mems = Object.keys(mods);
  // Alternate the order from round to round.
  const order = (xs) => (cfg.round % 2 ? [...xs].reverse() : xs);
  const N = cfg.pages;
  const out = { sweep: [], totals: [], touch: [], gc: [], phases };

  // 1. One page per call, 32 calls per timed batch. Windows of the sweep are
  // phases of their own (for the GC counts).
  for (const mem of order(mems)) {
    const { e } = fresh(mem);
    const B = 32;
    const batches = [];
    const top = cfg.sweepPages[mem];
    phase(`sweep/${mem}`, () => {
      let pages = e.size();
      let win = null;
      let winT0 = 0;
      const close = () => {
        if (!win) return;
        if (cfg.mark) console.timeStamp(`grow_cost:sweep/${mem}/${win[0]}:end`);
        phases.push({ label: `sweep/${mem}/${win[0]}`, t0: winT0, t1: now() });
        win = null;
      };
      while (pages < top) {
        const w = cfg.windows.find(([, lo, hi]) => pages >= lo && pages < hi) ?? null;
        if (w !== win) {
          close();
          if (w) {
            win = w;
            if (cfg.mark) console.timeStamp(`grow_cost:sweep/${mem}/${w[0]}:begin`);
            winT0 = now();
          }
        }
        const calls = Math.min(B, top - pages);
        const t0 = now();
        const r = e.growN(calls, 1);
        const t1 = now();
        if (r < 0) throw new Error(`grow failed at ${pages} pages`);
        batches.push([pages, calls, t1 - t0]);
        pages = r;
      }
      close();
    });
    out.sweep.push({ mem, top, batches });
  }

  // 2. Totals for each policy and target.
  const policies = [
    ['step4', 4], ['step16', 16], ['step64', 64], ['step256', 256],
    ['geo1/16', -16], ['geo1/8', -8], ['double', -1], ['single', 0],
  ];
  const targets = [...new Set([1024, 4096, N])].filter((t) => t <= N);
  const jobs = [];
  for (const mem of mems) {
    for (const target of targets) {
      for (const [name, step] of policies) {
        // One page a call comes from the sweep; small fixed steps to the largest
        // target only for the memory the sweep goes all the way with.
        if (step > 0 && step < 16 && target > cfg.sweepPages[mem]) continue;
        jobs.push({ mem, target, name, step });
      }
    }
  }
  for (const { mem, target, name, step } of order(jobs)) {
    const { e } = fresh(mem);
    const start = e.size();
    let calls = 0;
    const ms = phase(`totals/${mem}/${target}/${name}`, () => {
      const t0 = now();
      if (step > 0) {
        const n = Math.floor((target - start) / step);
        if (e.growN(n, step) < 0) throw new Error('grow failed');
        calls = n;
        const rest = target - start - n * step;
        if (rest) {
          e.grow(rest);
          calls++;
        }
      } else if (step === 0) {
        e.grow(target - start);
        calls = 1;
      } else {
        let pages = start;
        while (pages < target) {
          const d = Math.min(target - pages, Math.max(1, Math.floor(pages / -step)));
          e.grow(d);
          pages += d;
          calls++;
        }
      }
      return now() - t0;
    });
    if (e.size() !== target) throw new Error(`${name}: ended at ${e.size()} pages, not ${target}`);
    out.totals.push({ mem, target, policy: name, calls, ms });
  }

  // 4. First writes to fresh pages, separately from the grow call.
  const T = Math.min(N, 4096);
  const touchKinds = [
    ['byte/64KiB', (e) => e.touch(2, T, 65536)],
    ['byte/4KiB', (e) => e.touch(2, T, 4096)],
    ['fill', (e) => e.fill(2, T)],
  ];
  for (const mem of order(mems)) {
    for (const [kind, fn] of order(touchKinds)) {
      const { e } = fresh(mem);
      const g = phase(`touch/${mem}/${kind}/grow`, () => {
        const t0 = now();
        e.grow(T - 2);
        return now() - t0;
      });
      const first = phase(`touch/${mem}/${kind}/first`, () => {
        const t0 = now();
        fn(e);
        return now() - t0;
      });
      const again = phase(`touch/${mem}/${kind}/again`, () => {
        const t0 = now();
        fn(e);
        return now() - t0;
      });
      out.touch.push({ mem, kind, pages: T - 2, growMs: g, firstMs: first, againMs: again });
    }
  }

  // 3. Does growing make later work slower (GC)?
  const K = 1024;
  const WORK_ITERS = 2000;
  let sink = 0;
  const jsWork = () => {
    const a = [];
    for (let j = 0; j < 64; j++) a.push({ j, s: [j, j + 1] });
    sink += a.length;
  };
  const modes = {
    'grow+work': (e) => {
      for (let i = 0; i < K; i++) {
        e.grow(1);
        sink += e.work(WORK_ITERS);
        jsWork();
      }
    },
    work: (e) => {
      for (let i = 0; i < K; i++) {
        sink += e.work(WORK_ITERS);
        jsWork();
      }
    },
    grow: (e) => {
      for (let i = 0; i < K; i++) e.grow(1);
    },
    // A harness or WASI shim that reads memory.buffer after every call.
    'grow+buffer': (e, m) => {
      for (let i = 0; i < K; i++) {
        e.grow(1);
        sink += m.buffer.byteLength & 1;
      }
    },
  };
  const starts = [2, Math.max(2, Math.min(N - K, 8192))];
  const gcJobs = [];
  for (const mem of mems) for (const s of starts) for (const mode of Object.keys(modes)) gcJobs.push({ mem, s, mode });
  for (const { mem, s, mode } of order(gcJobs)) {
    const { e, mem: m } = fresh(mem);
    if (s > e.size()) e.grow(s - e.size());
    sink += e.work(WORK_ITERS); // compiled and warm
    const ms = phase(`gc/${mem}/${s}/${mode}`, () => {
      const t0 = now();
      modes[mode](e, m);
      return now() - t0;
    });
    out.gc.push({ mem, start: s, mode, K, ms });
  }
  collect();
  out.sink = sink;
  return out;
}

// ---------------------------------------------------------------- hosts
function suiteCfg(opts, modules, round, mark) {
  return {
    modules, pages: opts.pages, round, mark, windows: sweepWindows(opts.pages),
    sweepPages: { nomax: opts.pages, max: Math.min(opts.pages, opts.maxSweep) },
  };
}

function modulesFor() {
  return {
    nomax: [...buildModule({})],
    max: [...buildModule({ maxPages: 32768 })],
  };
}

async function runNode(opts, log) {
  const gcs = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs.push({ t: e.startTime, ms: e.duration, kind: e.detail?.kind ?? e.kind, flags: e.detail?.flags ?? e.flags });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const rounds = [];
  const modules = modulesFor();
  for (let round = 0; round < opts.rounds; round++) {
    const t = performance.now();
    const r = await suite(suiteCfg(opts, modules, round, false));
    await new Promise((res) => setTimeout(res, 100)); // let the observer deliver
    r.gcEvents = attributeNodeGcs(r.phases, gcs.splice(0));
    rounds.push(r);
    log(`node round ${round + 1}/${opts.rounds}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  obs.disconnect();
  return { engine: 'node', version: `Node ${process.version} (V8 ${process.versions.v8})`, flags: NODE_FLAGS, rounds };
}

// node:perf_hooks gc kinds (perf_hooks.constants.NODE_PERFORMANCE_GC_*): 1
// minor (scavenge), 4 major (mark-compact), 8 incremental marking, 16 weak
// callbacks. Flag 32 (..._FLAGS_ALL_EXTERNAL_MEMORY) marks a GC asked for
// because of external memory. 'count' and 'ms' are the major GCs only; kinds
// has every entry. A GC counts for every phase it falls in (windows of the
// sweep are inside the sweep).
function attributeNodeGcs(phases, gcs) {
  const per = {};
  for (const g of gcs) {
    for (const p of phases.filter((ph) => g.t >= ph.t0 && g.t <= ph.t1)) {
      const k = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weakcb' }[g.kind] ?? String(g.kind);
      const x = (per[p.label] ??= { count: 0, ms: 0, kinds: {}, external: 0 });
      if (g.kind === 4) {
        x.count++;
        x.ms += g.ms;
      }
      if (g.flags & 32) x.external++;
      x.kinds[k] = (x.kinds[k] ?? 0) + 1;
    }
  }
  return per;
}

const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>grow_cost</title><p>grow_cost</p>';

async function runChromium(opts, log) {
  const { CHROMIUM, CHROMIUM_ARGS } = await import(join(HERE, '..', 'lib', 'chromium_engine.mjs'));
  const { chromium } = await import('playwright-core');
  const server = createServer((req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      // Cross-origin isolation: performance.now() at its finest resolution.
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    });
    res.end(PAGE_HTML);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}/`;
  const jsFlags = '--js-flags=--expose-gc --no-liftoff';
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, jsFlags] });
  const out = { engine: 'chromium', version: `Chromium ${browser.version()}`, flags: [...CHROMIUM_ARGS, jsFlags], rounds: [], traced: null };
  try {
    const modules = modulesFor();
    const src = suite.toString();
    const run = async (round, mark) => {
      const page = await browser.newPage();
      page.on('pageerror', (e) => log(`page error: ${e.message}`));
      await page.goto(origin);
      const iso = await page.evaluate(() => globalThis.crossOriginIsolated);
      const r = await page.evaluate(
        ([s, cfg]) => (0, eval)(`(${s})`)(cfg),
        [src, suiteCfg(opts, modules, round, mark)],
      );
      r.crossOriginIsolated = iso;
      return { page, r };
    };
    for (let round = 0; round < opts.rounds; round++) {
      const t = performance.now();
      const { page, r } = await run(round, false);
      await page.close();
      out.rounds.push(r);
      log(`chromium round ${round + 1}/${opts.rounds}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    // One more round, traced, for the GC counts (tracing costs time, so its
    // times are not used).
    await browser.startTracing(undefined, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8'] });
    const { page: p2, r } = await run(0, true);
    const trace = JSON.parse((await browser.stopTracing()).toString());
    await p2.close();
    out.traced = attributeTraceGcs(trace.traceEvents ?? trace);
    log('chromium traced round done');
  } finally {
    await browser.close();
    server.close();
  }
  return out;
}

// GC trace events between the page's grow_cost:<label>:begin/end TimeStamps.
function attributeTraceGcs(events) {
  const marks = [];
  const gcs = [];
  for (const e of events) {
    if (e.name === 'TimeStamp' && e.args?.data?.message?.startsWith('grow_cost:')) {
      const m = e.args.data.message;
      const i = m.lastIndexOf(':');
      marks.push({ label: m.slice('grow_cost:'.length, i), what: m.slice(i + 1), ts: e.ts });
    } else if ((e.name === 'MinorGC' || e.name === 'MajorGC') && (e.ph === 'X' || e.ph === 'B')) {
      gcs.push({ name: e.name, ts: e.ts, ms: (e.dur ?? 0) / 1000, pid: e.pid });
    }
  }
  const phases = [];
  const open = {};
  for (const m of marks.sort((a, b) => a.ts - b.ts)) {
    if (m.what === 'begin') open[m.label] = m.ts;
    else if (open[m.label] != null) phases.push({ label: m.label, t0: open[m.label], t1: m.ts });
  }
  const per = {};
  for (const g of gcs) {
    for (const p of phases.filter((ph) => g.ts >= ph.t0 && g.ts <= ph.t1)) {
      const x = (per[p.label] ??= { count: 0, ms: 0, kinds: {} });
      if (g.name === 'MajorGC') {
        x.count++;
        x.ms += g.ms;
      }
      x.kinds[g.name] = (x.kinds[g.name] ?? 0) + 1;
    }
  }
  return { phases: phases.length, gcEventsSeen: gcs.length, per };
}

// ---------------------------------------------------------------- report
const median = (xs) => {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

// Time per call (µs) in windows of the one-page sweep.
function sweepWindows(N) {
  const w = [['first 96 calls (2-98)', 2, 98]];
  for (const mark of [256, 1024, 4096, 16384, 32768, 65536]) {
    if (mark <= N) w.push([`${mark - 256}-${mark}`, mark - 256, mark]);
  }
  return w;
}

// GC counts of a phase: Node's from every round (median), Chromium's from its
// one traced round.
function gcOf(res, label) {
  if (res.engine === 'node') {
    const xs = res.rounds.map((r) => r.gcEvents[label] ?? { count: 0, ms: 0, kinds: {}, external: 0 });
    return { count: median(xs.map((x) => x.count)), ms: median(xs.map((x) => x.ms)), kinds: xs[0].kinds, external: median(xs.map((x) => x.external)) };
  }
  const x = res.traced?.per[label];
  if (!res.traced) return null;
  return x ?? { count: 0, ms: 0, kinds: {} };
}

function sweepUpTo(r, mem, target) {
  const s = r.sweep.find((x) => x.mem === mem);
  if (s.top < target) return NaN;
  return s.batches.filter(([pg]) => pg < target).reduce((a, x) => a + x[2], 0);
}

function report(res, N) {
  const lines = [];
  const p = (s = '') => lines.push(s);
  p(`## ${res.version}`);
  p(`flags: ${res.flags.join(' ')}; rounds: ${res.rounds.length}; N = ${N} pages`);
  if (res.rounds[0]?.crossOriginIsolated != null) p(`crossOriginIsolated: ${res.rounds[0].crossOriginIsolated}`);
  const mems = [...new Set(res.rounds[0].sweep.map((s) => s.mem))];
  const gcSrc = res.engine === 'node' ? 'median over rounds' : 'the traced round';

  p('');
  p(`### 1. One page per call: µs per call by current size (median over rounds of the window mean [min-max]); major GCs per call (${gcSrc})`);
  p(`| window (pages) | ${mems.map((m) => `${m} µs/call | ${m} majors/call`).join(' | ')} |`);
  p(`|---|${mems.map(() => '---:|---:').join('|')}|`);
  for (const [name, lo, hi] of sweepWindows(N)) {
    const cells = mems.map((mem) => {
      const per = res.rounds.map((r) => {
        const b = r.sweep.find((s) => s.mem === mem).batches.filter(([pg]) => pg >= lo && pg < hi);
        const calls = b.reduce((a, x) => a + x[1], 0);
        return calls ? (b.reduce((a, x) => a + x[2], 0) / calls) * 1000 : NaN;
      });
      const calls = res.rounds[0].sweep.find((s) => s.mem === mem).batches.filter(([pg]) => pg >= lo && pg < hi).reduce((a, x) => a + x[1], 0);
      if (!calls) return '- | -';
      const g = gcOf(res, `sweep/${mem}/${name}`);
      return `${f(median(per))} [${f(Math.min(...per))}-${f(Math.max(...per))}] | ${g ? f(g.count / calls, 3) : '-'}`;
    });
    p(`| ${name} | ${cells.join(' | ')} |`);
  }
  for (const mem of mems) {
    const g = gcOf(res, `sweep/${mem}`);
    const top = res.rounds[0].sweep.find((s) => s.mem === mem).top;
    const tot = median(res.rounds.map((r) => sweepUpTo(r, mem, top)));
    p('');
    p(`${mem}: whole sweep 2→${top}: ${f(tot)} ms${g ? `; ${g.count} major GCs taking ${f(g.ms)} ms; all GC entries ${JSON.stringify(g.kinds)}${g.external != null ? `, ${g.external} for external memory` : ''}` : ''}`);
  }

  p('');
  p('### 2. Totals: ms to grow from 2 pages to the target (median over rounds) (calls; µs per call); step1 from the sweep');
  const targets = [...new Set(res.rounds[0].totals.map((t) => t.target))];
  const policies = ['step1', ...new Set(res.rounds[0].totals.map((t) => t.policy))];
  p(`| policy | ${targets.map((t) => mems.map((m) => `→${t} ${m}`).join(' | ')).join(' | ')} |`);
  p(`|---|${targets.map(() => mems.map(() => '---:').join('|')).join('|')}|`);
  for (const pol of policies) {
    const cells = [];
    for (const t of targets) {
      for (const mem of mems) {
        let ms, calls;
        if (pol === 'step1') {
          ms = median(res.rounds.map((r) => sweepUpTo(r, mem, t)));
          calls = t - 2;
        } else {
          const xs = res.rounds.map((r) => r.totals.find((x) => x.mem === mem && x.target === t && x.policy === pol));
          if (!xs[0]) {
            cells.push('-');
            continue;
          }
          ms = median(xs.map((x) => x.ms));
          calls = xs[0].calls;
        }
        cells.push(Number.isFinite(ms) ? `${f(ms, 3)} (${calls}; ${f((ms / calls) * 1000, 1)})` : '-');
      }
    }
    p(`| ${pol} | ${cells.join(' | ')} |`);
  }

  p('');
  const T = res.rounds[0].touch[0]?.pages;
  p(`### 4. Writing fresh pages after one grow of ${T} pages (median ms; µs per 64 KiB page)`);
  p('| memory | kind | grow call | first write | again (warm) | first − again per page (µs) |');
  p('|---|---|---:|---:|---:|---:|');
  for (const mem of mems) {
    for (const kind of [...new Set(res.rounds[0].touch.map((t) => t.kind))]) {
      const xs = res.rounds.map((r) => r.touch.find((x) => x.mem === mem && x.kind === kind));
      const g = median(xs.map((x) => x.growMs));
      const a = median(xs.map((x) => x.firstMs));
      const b = median(xs.map((x) => x.againMs));
      p(`| ${mem} | ${kind} | ${f(g, 3)} | ${f(a)} | ${f(b)} | ${f(((a - b) / T) * 1000)} |`);
    }
  }

  p('');
  const K = res.rounds[0].gc[0]?.K;
  p(`### 3. GC interaction: ${K} iterations, median ms (µs per iteration); extra = (grow+work) − work − grow; major GCs (${gcSrc})`);
  p('| memory | start pages | work | grow | grow+work | extra | grow+buffer | majors: work / grow / grow+work / grow+buffer |');
  p('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const mem of mems) {
    for (const s of [...new Set(res.rounds[0].gc.map((x) => x.start))]) {
      const get = (mode) => median(res.rounds.map((r) => r.gc.find((x) => x.mem === mem && x.start === s && x.mode === mode).ms));
      const w = get('work'), g = get('grow'), gw = get('grow+work'), gb = get('grow+buffer');
      const us = (x) => `${f(x)} (${f((x / K) * 1000)})`;
      const majors = ['work', 'grow', 'grow+work', 'grow+buffer'].map((m) => gcOf(res, `gc/${mem}/${s}/${m}`)?.count ?? '-').join(' / ');
      p(`| ${mem} | ${s} | ${us(w)} | ${us(g)} | ${us(gw)} | ${us(gw - w - g)} | ${us(gb)} | ${majors} |`);
    }
  }

  p('');
  p(`### GC entries per phase (${gcSrc}): major GCs, their ms, all entries by kind`);
  p('| phase | majors | major ms | entries |');
  p('|---|---:|---:|---|');
  for (const label of res.rounds[0].phases.map((x) => x.label)) {
    if (/^sweep\/[^/]+\/./.test(label)) continue;
    const g = gcOf(res, label);
    if (!g) break;
    p(`| ${label} | ${g.count} | ${f(g.ms)} | ${JSON.stringify(g.kinds)}${g.external ? ` external:${g.external}` : ''} |`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- main
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = (s) => process.stderr.write(`${s}\n`);
  const results = [];
  if (opts.engine === 'node' || opts.engine === 'both') {
    if (!opts.child) {
      // The measurements need gc() and the benchmark's code tier: run them in a
      // child Node with those flags, one process at a time.
      const args = [...NODE_FLAGS, fileURLToPath(import.meta.url), '--child', '--engine', 'node',
        '--rounds', String(opts.rounds), '--pages', String(opts.pages), '--max-sweep', String(opts.maxSweep)];
      const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`node child failed (${r.status})`);
      const text = r.stdout.toString();
      results.push(JSON.parse(text.slice(text.indexOf('\u0000') + 1)));
    } else {
      const res = await runNode(opts, log);
      process.stdout.write(`\u0000${JSON.stringify(res)}`);
      return;
    }
  }
  if (opts.engine === 'chromium' || opts.engine === 'both') results.push(await runChromium(opts, log));
  for (const res of results) console.log(`${report(res, opts.pages)}\n`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
