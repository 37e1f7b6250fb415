#!/usr/bin/env node
// Renders the HTML report in headless Chromium, saves a screenshot and checks
// that its charts are there: an SVG per chart, with bars of sane geometry for
// each variant. Exits non-zero on any failed check.
//
//   node bench/test_report.mjs [REPORT.html]
// Without an argument it checks the last run's report
// (bench/build/results/report.html); without a run, it renders one with
// today's lib/report.mjs from the committed snapshot's suite.json
// (bench/results/snapshot-*/), or from a small made-up data set, so the check
// also works on a fresh clone. The screenshot goes to
// bench/build/results/report.png.
import { existsSync, readFileSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { html } from './lib/report.mjs';
import { launchChromium } from './lib/chromium_engine.mjs';
import { RUN_RESULTS, currentSnapshot } from './lib/results.mjs';
import { ensurePrereqs } from './lib/setup.mjs';

function sampleData() {
  const variants = ['wasmheap', 'bump', 'dlmalloc', 'zig'];
  const workloads = ['alloc_free_32', 'churn'];
  const results = [];
  const programs = ['sqlite_bulk_insert', 'treesitter_parse'];
  for (const v of variants)
    for (const w of workloads)
      results.push({ engine: 'node', variant: v, workload: w, ns_per_op_median: 10 + v.length, ns_per_op_min: 9, pages_added: v.length, peak_live_bytes: 32 });
  for (const v of variants)
    for (const w of programs)
      results.push({ engine: 'node', variant: v, workload: w, kind: 'program', run_ms_median: 100 + v.length, run_ms_min: 99, pages_added: 50 + v.length, checksum: '12345' });
  return {
    generated: 'sample',
    settings: { mode: 'sample', warmups: 1, runs: 7, programs: { warmups: 1, runs: 3, rounds: 1 } },
    variants,
    programs,
    workloads,
    results,
    code: variants.map((v) => ({ variant: v, code_bytes_malloc: v === 'bump' ? 0 : 1000 * v.length, code_bytes_sized: v === 'zig' || v === 'wasmheap' ? 300 : null })),
    engines: { node: { label: 'Node (sample)' } },
  };
}

// The report to check, and the data it was rendered from (null if unknown).
function reportPath() {
  const readJson = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null);
  if (process.argv[2]) {
    const path = resolve(process.argv[2]);
    return { path, data: readJson(join(dirname(path), 'suite.json')) };
  }
  const report = join(RUN_RESULTS, 'report.html');
  if (existsSync(report)) return { path: report, data: readJson(join(RUN_RESULTS, 'suite.json')) };
  const snapshot = currentSnapshot();
  const data = (snapshot && readJson(join(snapshot, 'suite.json'))) ?? sampleData();
  const path = join(mkdtempSync(join(tmpdir(), 'wasmheap-report-')), 'report.html');
  writeFileSync(path, html(data));
  return { path, data };
}

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) passed++;
  else {
    failed++;
    process.stderr.write(`FAIL: ${what}\n`);
  }
}

ensurePrereqs({ toolchains: false, chromium: true });
const { path, data } = reportPath();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(path).href);
  mkdirSync(RUN_RESULTS, { recursive: true });
  const shot = join(RUN_RESULTS, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);

  const charts = await page.$$eval('figure.chart', (figs) =>
    figs.map((f) => {
      const svg = f.querySelector('svg');
      const bars = [...(svg?.querySelectorAll('rect.bar') ?? [])];
      const box = svg?.getBoundingClientRect();
      return {
        id: f.id,
        svg: !!svg,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        bars: bars.length,
        variants: [...new Set(bars.map((b) => b.dataset.variant))],
        badBars: bars.filter((b) => {
          const w = Number(b.getAttribute('width'));
          const x = Number(b.getAttribute('x'));
          return !(w > 0) || !Number.isFinite(x) || x < 0 || x + w > svg.viewBox.baseVal.width + 0.5;
        }).length,
        nan: /NaN|undefined/.test(svg?.outerHTML ?? ''),
        titles: svg?.querySelectorAll('rect.bar > title').length ?? 0,
      };
    }),
  );

  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  check(charts.length >= 3, `at least 3 charts (time per engine, pages, code), found ${charts.length}`);
  // A run restricted to real programs (--workloads=sqlite_...) has no allocator-workload charts.
  const hasSynthetic = data ? data.results.some((r) => r.kind !== 'program') : true;
  if (hasSynthetic) {
    check(charts.some((c) => c.id.startsWith('time-')), 'a time chart');
    check(charts.some((c) => c.id === 'pages'), 'the pages chart');
  }
  check(charts.some((c) => c.id === 'code'), 'the code-size chart');
  for (const c of charts) {
    check(c.svg, `${c.id}: has an <svg>`);
    check(c.width > 300 && c.height > 60, `${c.id}: rendered with a real size (${c.width}x${c.height})`);
    check(c.bars > 0, `${c.id}: has bars`);
    check(c.badBars === 0, `${c.id}: ${c.badBars} bars with bad geometry`);
    check(!c.nan, `${c.id}: no NaN/undefined in the SVG`);
    check(c.titles === c.bars, `${c.id}: every bar has a tooltip`);
  }
  // The real programs' charts come first when there are real programs.
  const hasPrograms = data ? data.results.some((r) => r.kind === 'program') : charts.some((c) => c.id.startsWith('program-'));
  if (hasPrograms) {
    check(charts[0]?.id.startsWith('program-time-'), `the first chart is a real-program time chart (found ${charts[0]?.id})`);
    check(charts.some((c) => c.id === 'program-pages'), 'the real-program pages chart');
  }
  // Every variant that has numbers should have bars in the time charts.
  if (data) {
    for (const c of charts.filter((x) => x.id.startsWith('program-time-'))) {
      const engine = c.id.slice('program-time-'.length);
      const withNumbers = [...new Set(data.results.filter((r) => r.engine === engine && r.kind === 'program' && r.run_ms_median != null).map((r) => r.variant))];
      for (const v of withNumbers) check(c.variants.includes(v), `${c.id}: bars for ${v}`);
    }
    for (const c of charts.filter((x) => x.id.startsWith('time-'))) {
      const engine = c.id.slice(5);
      const withNumbers = [...new Set(data.results.filter((r) => r.engine === engine && r.ns_per_op_median != null).map((r) => r.variant))];
      for (const v of withNumbers) check(c.variants.includes(v), `${c.id}: bars for ${v}`);
    }
  }
  const png = readFileSync(shot);
  check(png.length > 10000 && png.subarray(1, 4).toString() === 'PNG', 'screenshot is a real PNG');
} finally {
  await browser.close();
}

console.log(`report: ${path}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
