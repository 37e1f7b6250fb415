// Runs a compiled benchmark module's workloads, each on a fresh instance, the
// same way in Node and in the browser (the caller supplies the clock).
import { MiniWasi } from './wasi.mjs';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// The workload names the module knows, in its order.
export async function listWorkloads(module, clock) {
  const wasi = new MiniWasi(clock);
  const instance = await wasi.instantiate(module);
  instance.exports.bench_list();
  return JSON.parse(wasi.stdout.trim());
}

// One workload on a fresh instance: the module's first run measures pages,
// ops and peak live bytes; then it warms up and times `runs` runs.
export async function runWorkload(module, index, name, { warmups, runs, clock }) {
  const wasi = new MiniWasi(clock);
  let raw;
  try {
    const instance = await wasi.instantiate(module);
    const memory = instance.exports.memory;
    const bytesBefore = memory.buffer.byteLength;
    instance.exports.bench_run(index, warmups, runs);
    const line = wasi.stdout.trim().split('\n').pop();
    raw = JSON.parse(line);
    // The engine's view of the same memory, for a cross-check: with every run
    // freeing all it allocates, later runs rarely add pages, but can.
    raw.pages_added_all_runs = (memory.buffer.byteLength - bytesBefore) / 65536;
  } catch (e) {
    // A module that found a fatal problem prints its reason before trapping.
    let said = null;
    try {
      said = JSON.parse(wasi.stdout.trim().split('\n').pop()).error;
    } catch {}
    return { workload: name, error: said ? `${said} (${e.message})` : `${e.name}: ${e.message}` };
  }
  return raw;
}

// Turns a module's raw record into the reported numbers. A real program
// (kind 'program') makes no counted allocator calls: its time is ms per whole
// run, and its checksum is kept to compare across variants.
export function summarize(raw, kind = 'synthetic') {
  if (kind === 'program') {
    const out = {
      workload: raw.workload,
      kind,
      run_ms_median: null,
      run_ms_min: null,
      pages_added: raw.pages_added ?? null,
      pages_at_start: raw.pages_before ?? null,
      checksum: raw.checksum ?? null,
      // SQLite's own high-water mark of the bytes it requested; 0 (none) for tree-sitter.
      peak_live_bytes: raw.peak_live_bytes || null,
      runs: raw.times_ns ? raw.times_ns.length : 0,
    };
    if (raw.error) {
      out.reason = raw.error;
      return out;
    }
    out.run_ms_median = round(median(raw.times_ns) / 1e6);
    out.run_ms_min = round(Math.min(...raw.times_ns) / 1e6);
    out.pages_added_all_runs = raw.pages_added_all_runs;
    return out;
  }
  const out = {
    workload: raw.workload,
    ns_per_op_median: null,
    ns_per_op_min: null,
    pages_added: raw.pages_added ?? null,
    pages_at_start: raw.pages_before ?? null,
    peak_live_bytes: raw.peak_live_bytes ?? null,
    ops: raw.ops ?? null,
    runs: raw.times_ns ? raw.times_ns.length : 0,
  };
  if (raw.error) {
    out.reason = raw.error;
    return out;
  }
  const perOp = raw.times_ns.map((t) => t / raw.ops);
  out.ns_per_op_median = round(median(perOp));
  out.ns_per_op_min = round(Math.min(...perOp));
  out.run_ms_median = round(median(raw.times_ns) / 1e6);
  out.pages_added_all_runs = raw.pages_added_all_runs;
  return out;
}

function round(x) {
  return Math.round(x * 1000) / 1000;
}

// A real program must compute the same result whatever allocator it runs on:
// for each workload, the checksum most variants agree on (dlmalloc's on a
// tie) is the reference, and a variant with another gets an error. Rows are
// changed in place.
export function compareChecksums(rows) {
  for (const w of new Set(rows.map((r) => r.workload))) {
    const group = rows.filter((r) => r.workload === w && r.checksum != null && !r.reason);
    if (!group.length) continue;
    const votes = new Map();
    for (const r of group) votes.set(r.checksum, (votes.get(r.checksum) ?? 0) + 1);
    const best = Math.max(...votes.values());
    const tied = [...votes].filter(([, n]) => n === best).map(([c]) => c);
    const reference = tied.length > 1 ? (group.find((r) => r.variant === 'dlmalloc' && tied.includes(r.checksum))?.checksum ?? tied[0]) : tied[0];
    for (const r of group) {
      r.checksum_ok = r.checksum === reference;
      if (!r.checksum_ok) {
        const agree = group.filter((x) => x.checksum === reference).map((x) => x.variant);
        r.reason = `checksum ${r.checksum} differs from ${reference} (${agree.join(', ')})`;
      }
    }
  }
  return rows;
}

// The whole matrix, interleaved so that a burst of load from elsewhere on the
// machine lands on a few (variant, workload) pairs rather than on all of one
// variant: for each round, for each workload, every variant in turn (the
// order rotated each round), each on a fresh instance with its own warm-up.
// The timed runs are split across the rounds; pages_added and
// peak_live_bytes come from the first round.
//   modules: {variant: WebAssembly.Module}
//   onResult(workload, round, {variant: raw record}) after each workload.
//   kind: 'synthetic' (ns per allocator op) or 'program' (ms per run, checksums compared).
export async function runMatrix(modules, { warmups, runs, rounds = 1, clock, only = null, kind = 'synthetic', onResult = () => {}, afterEach = () => {} }) {
  const variants = Object.keys(modules);
  const lists = {};
  for (const v of variants) lists[v] = await listWorkloads(modules[v], clock);
  const workloads = lists[variants[0]].filter((w) => !only || only.includes(w));
  const acc = new Map();
  const key = (v, w) => `${v}\t${w}`;
  const perRound = Math.ceil(runs / rounds);
  for (let r = 0; r < rounds; r++) {
    const n = Math.min(perRound, runs - r * perRound);
    if (n <= 0) break;
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const w of workloads) {
      const group = {};
      for (const v of order) {
        const prev = acc.get(key(v, w));
        if (prev?.error) continue;
        const index = lists[v].indexOf(w);
        const raw = index < 0 ? { workload: w, error: 'this module has no such workload' } : await runWorkload(modules[v], index, w, { warmups, runs: n, clock });
        if (!prev || raw.error) acc.set(key(v, w), raw);
        else prev.times_ns.push(...raw.times_ns);
        group[v] = raw;
        await afterEach();
      }
      onResult(w, r, group);
    }
  }
  const rows = variants.flatMap((v) => workloads.map((w) => ({ variant: v, ...summarize(acc.get(key(v, w)), kind) })));
  return kind === 'program' ? compareChecksums(rows) : rows;
}

// One progress line: a workload's mean ns/op (a real program's mean ms per
// run) per variant in one round.
export function progressLine(engine, w, r, group, kind = 'synthetic') {
  const parts = Object.entries(group).map(([v, raw]) => {
    if (raw.error) return `${v} FAILED (${raw.error})`;
    if (!raw.times_ns?.length) return `${v} -`;
    const mean = raw.times_ns.reduce((a, b) => a + b, 0) / raw.times_ns.length;
    return kind === 'program' ? `${v} ${(mean / 1e6).toFixed(1)} ms` : `${v} ${(mean / raw.ops).toFixed(1)}`;
  });
  return `${engine} r${r + 1} ${w}: ${parts.join(', ')}`;
}
