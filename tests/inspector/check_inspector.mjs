// Loads a recording into tools/inspector/index.html in headless Chromium and
// checks what the page draws against the recording itself (read here with a
// parser of its own) and against what the recording program printed from
// wasmheap_get_stats() and wasmheap_get_fragmentation() at each snapshot.
//
//   node check_inspector.mjs RECORDING EXPECTED.jsonl SCREENSHOT.png [SHOT_LABEL]
//
// Prints one line per check group and "inspector: PASS" at the end; exits 1
// on the first failed check (with what differed).

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Browser } from '../node/cdp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pageFile = path.resolve(here, '../../tools/inspector/index.html');
const [recordingFile, expectedFile, screenshotFile, shotLabel = 'trim'] = process.argv.slice(2);
// The screenshot's width (the checks run at 1400 px).
const shotWidth = Number(process.env.INSPECTOR_SHOT_WIDTH) || 1400;
if (!screenshotFile) {
  console.error('usage: node check_inspector.mjs RECORDING EXPECTED.jsonl SCREENSHOT.png [SHOT_LABEL]');
  process.exit(2);
}

let checks = 0;
function fail(message) {
  throw new Error(message);
}
function equal(what, got, want) {
  ++checks;
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: the page shows ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

// ---- what the recording says, read independently of the page's parser ----

const bytes = readFileSync(recordingFile);
const snapshots = [];
for (let at = 0; at < bytes.length;) {
  const w = (i) => bytes.readUInt32LE(at + 4 * i);
  if (w(0) !== 0x4e534857) fail(`recording: no magic at byte ${at}`);
  const headerWords = w(3), classCount = w(9), units = w(7);
  const kinds = new Array(7).fill(0);
  let freeRuns = 0, bigBlocks = 0;
  const table = at + 4 * (headerWords + 4 * classCount);
  const entries = [];
  for (let u = 0; u < units; ++u) {
    const e = bytes.readUInt32LE(table + 4 * u);
    entries.push(e);
    const k = e >>> 28;
    kinds[k] += 1;
    if (k === 4) ++freeRuns;
    if (k === 2) ++bigBlocks;
  }
  snapshots.push({
    at, total: w(2), units, memoryPages: w(8), bytesLive: w(10), bytesHeld: w(11), pagesGrown: w(13),
    blocksLive: w(14), sequence: w(17), unitSize: w(4), base: w(6), kinds, freeRuns, bigBlocks, entries,
  });
  at += w(2);
}
const expected = readFileSync(expectedFile, 'utf8').split('\n').filter((l) => l.startsWith('{"label"')).map((l) => JSON.parse(l));
equal('snapshots in the recording vs the program\'s lines', snapshots.length, expected.length);
console.log(`recording: ${snapshots.length} snapshots, ${bytes.length} bytes`);

// A figure's text, read back: "1.50 MiB" -> 1572864, "12,345" -> 12345.
function readBack(text) {
  const m = /^#?([\d,.]+)\s*(B|KiB|MiB|GiB)?$/.exec(text.trim());
  if (!m) return NaN;
  const scale = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] || 'B'];
  return Number(m[1].replace(/,/g, '')) * scale;
}
function shown(what, figure, want) {
  equal(`${what}: ${figure.key} (data-value)`, figure.value, want);
  const back = readBack(figure.text);
  ++checks;
  // Byte figures show three significant digits.
  if (!(Math.abs(back - want) <= want * 0.006)) fail(`${what}: ${figure.key} reads "${figure.text}", expected about ${want}`);
}

// ---- the page ----

const browser = await Browser.launch({ width: 1400, height: 1000 });
try {
  const page = await browser.newPage();
  await page.setViewport(1400, 1000);
  const url = `${pathToFileURL(pageFile).href}?snapshot=${encodeURIComponent(pathToFileURL(path.resolve(recordingFile)).href)}`;
  await page.goto(url);
  const state = await page.waitFor(`['ready', 'error'].includes(document.body.dataset.state) && document.body.dataset.state`);
  if (state !== 'ready') fail(`the page did not load the recording: ${await page.evaluate('document.body.dataset.error')}`);
  equal('snapshots the page has', await page.evaluate('wasmheapInspector.count'), snapshots.length);
  equal('snapshot shown first (the last one)', await page.evaluate('wasmheapInspector.current'), snapshots.length - 1);

  const legendKeys = ['slab', 'big', 'free', 'map', 'unused'];
  for (let i = 0; i < snapshots.length; ++i) {
    const s = snapshots[i], e = expected[i], what = `snapshot ${i + 1} (${e.label})`;
    const shot = await page.evaluate(`(() => {
      wasmheapInspector.select(${i});
      const q = (sel) => [...document.querySelectorAll(sel)];
      return {
        model: JSON.parse(document.getElementById('inspector-model').textContent),
        cells: Number(document.getElementById('heap-map').dataset.cells),
        figures: Object.fromEntries(q('[data-figure]').map((d) => [d.dataset.figure,
          { key: d.dataset.figure, value: Number(d.dataset.value), text: d.querySelector('.v').textContent }])),
        legend: q('#legend li').map((li) => ({ key: li.dataset.legend, units: Number(li.dataset.units) })),
        classes: q('#classes .class-row').map((r) => ({ id: Number(r.dataset.class), slot_size: Number(r.dataset.slotSize),
          slabs: Number(r.dataset.slabs), slots_live: Number(r.dataset.live), slots_free: Number(r.dataset.free) })),
        buckets: q('#free-runs [data-bucket]').map((b) => Number(b.textContent)),
        warnings: document.getElementById('warnings').hidden ? '' : document.getElementById('warnings').textContent,
        points: Number(document.querySelector('.timeline-panel svg').dataset.points),
        which: document.querySelector('[data-role=which]').textContent,
      };
    })()`);
    const f = shot.figures;
    equal(`${what}: the snapshot drawn`, shot.model.current, i);
    equal(`${what}: disagreements within the snapshot`, shot.warnings, '');
    // Every unit is one cell.
    equal(`${what}: cells drawn`, shot.cells, s.units);
    equal(`${what}: units in the snapshot vs the program`, s.units, e.units);
    equal(`${what}: sequence number`, f.sequence.value, s.sequence);
    equal(`${what}: units (shown)`, [f.units.value, readBack(f.units.text)], [s.units, s.units]);
    equal(`${what}: memory pages (shown)`, [f.memory_pages.value, readBack(f.memory_pages.text)], [s.memoryPages, e.memory_pages]);
    equal(`${what}: pages grown (shown)`, [f.pages_grown.value, readBack(f.pages_grown.text)], [s.pagesGrown, e.pages_grown]);
    equal(`${what}: free runs (shown)`, [f.free_runs.value, readBack(f.free_runs.text)], [s.freeRuns, e.free_runs]);
    equal(`${what}: live blocks (shown)`, [f.blocks_live.value, readBack(f.blocks_live.text)], [s.blocksLive, e.blocks_live]);
    equal(`${what}: header vs wasmheap_get_stats`, [s.bytesLive, s.bytesHeld], [e.bytes_live, e.bytes_held]);
    shown(what, f.bytes_live, e.bytes_live);
    shown(what, f.bytes_held, e.bytes_held);
    // Figures the page computes from the unit table, against the library's own.
    for (const key of ['slab_bytes', 'big_bytes', 'map_bytes', 'foreign_bytes', 'free_run_bytes', 'largest_free_run', 'top_free_bytes']) {
      shown(what, f[key], e[key]);
    }
    equal(`${what}: big blocks`, [shot.model.figures.big_blocks, s.bigBlocks], [e.big_blocks, e.big_blocks]);
    equal(`${what}: heap bytes`, s.units * s.unitSize, e.heap_bytes);
    // The legend: every kind, with as many units as the table has of it.
    equal(`${what}: legend entries`, shot.legend.map((l) => l.key), legendKeys);
    const k = s.kinds;
    equal(`${what}: legend units`, shot.legend.map((l) => l.units), [k[1], k[2] + k[3], k[4] + k[5], k[6], k[0]]);
    equal(`${what}: legend units in bytes`, shot.legend.map((l) => l.units * s.unitSize),
      [e.slab_bytes, e.big_bytes, e.free_run_bytes, e.map_bytes, e.foreign_bytes]);
    // Per class: slabs, live and free slots.
    equal(`${what}: classes`, shot.classes, e.classes.map((c) => ({ id: c.id, slot_size: c.slot_size, slabs: c.slabs, slots_live: c.slots_live, slots_free: c.slots_free })));
    const lastBucket = e.free_runs_by_length.reduce((a, v, j) => (v ? j : a), -1);
    equal(`${what}: free runs by length`, shot.buckets, e.free_runs_by_length.slice(0, lastBucket + 1));
    equal(`${what}: timeline points`, shot.points, snapshots.length);
    ++checks;
    if (!shot.which.startsWith(`${i + 1} / ${snapshots.length}`)) fail(`${what}: the picker says "${shot.which}"`);
    console.log(`${what}: ${s.units} cells, ${s.memoryPages} pages, ${e.bytes_live} B live, ${e.free_runs} free runs, ${shot.classes.length} classes: ok`);
  }

  // Hovering a cell tells what holds it: a big block's last unit, a slab's
  // first, a free run's, a unit map unit.
  const last = snapshots.length - 1;
  await page.evaluate(`wasmheapInspector.select(${last})`);
  const s = snapshots[last];
  const find = (kind) => s.entries.findIndex((x) => x >>> 28 === kind);
  const bigFirst = find(2);
  const samples = [];
  if (bigFirst >= 0) samples.push({ u: bigFirst + (s.entries[bigFirst] & 0x0fffffff) - 1, title: 'big block', run: s.entries[bigFirst] & 0x0fffffff });
  if (find(1) >= 0) samples.push({ u: find(1), title: 'slab' });
  if (find(4) >= 0) samples.push({ u: find(4), title: 'free run', run: s.entries[find(4)] & 0x0fffffff });
  if (find(6) >= 0) samples.push({ u: find(6), title: 'unit map' });
  for (const { u, title, run } of samples) {
    await page.evaluate(`wasmheapInspector.revealUnit(${u})`);
    const c = await page.evaluate(`wasmheapInspector.cellCentre(${u})`);
    await page.mouseMove(c.x, c.y);
    const tip = await page.waitFor(`(() => { const t = document.getElementById('tooltip');
      return !t.hidden && t.dataset.unit === '${u}' && t.textContent; })()`, 3000);
    const address = '0x' + (s.base + u * s.unitSize).toString(16).padStart(8, '0');
    ++checks;
    if (!tip.includes(title) || !tip.includes(address) || (run && !tip.includes(`${run.toLocaleString('en-US')} unit`))) {
      fail(`hover over unit ${u}: the tooltip says "${tip}", expected ${title} at ${address}${run ? ` in a run of ${run} units` : ''}`);
    }
    console.log(`hover unit ${u}: ${tip.replace(/\s+/g, ' ').slice(0, 110)}`);
  }
  await page.mouseMove(1, 1);

  // The arrow keys step through the recording.
  await page.key('ArrowLeft', 'ArrowLeft', 37);
  equal('ArrowLeft selects the snapshot before', await page.evaluate('wasmheapInspector.current'), last - 1);

  // The file input loads the same recording.
  await page.goto(pathToFileURL(pageFile).href);
  await page.setFileInput('input[type=file]', [path.resolve(recordingFile)]);
  await page.waitFor(`document.body.dataset.state === 'ready'`);
  equal('snapshots loaded through the file input', await page.evaluate('wasmheapInspector.count'), snapshots.length);

  // A screenshot of the snapshot named shotLabel, the whole page.
  await page.goto(url);
  await page.waitFor(`document.body.dataset.state === 'ready'`);
  const shotIndex = Math.max(0, expected.findIndex((e) => e.label === shotLabel));
  await page.evaluate(`wasmheapInspector.select(${shotIndex})`);
  await page.setViewport(shotWidth, 1000);
  const height = await page.evaluate('Math.ceil(document.documentElement.scrollHeight)');
  await page.setViewport(shotWidth, height);
  await page.evaluate(`wasmheapInspector.select(${shotIndex})`);
  await page.setViewport(shotWidth, await page.evaluate('Math.ceil(document.documentElement.scrollHeight)'));
  // Point at a big block near the map's left edge, so the screenshot shows a
  // tooltip over the map.
  const snap = snapshots[shotIndex];
  const perRow = 64;
  const target = snap.entries.findIndex((x, u) => (x >>> 28 === 2 || x >>> 28 === 3) &&
    ((snap.base / snap.unitSize + u) % perRow) === 10 && u > snap.units / 3);
  if (target >= 0) {
    const c = await page.evaluate(`wasmheapInspector.cellCentre(${target})`);
    await page.mouseMove(c.x, c.y);
  }
  await page.waitFor('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))');
  const png = await page.screenshot();
  writeFileSync(screenshotFile, png);
  console.log(`screenshot of snapshot ${shotIndex + 1} (${expected[shotIndex].label}): ${screenshotFile}, ${shotWidth}x${height}, ${png.length} bytes`);

  if (page.errors.length) fail(`errors in the page: ${page.errors.join('; ')}`);
  console.log(`inspector: PASS (${checks} checks)`);
} catch (error) {
  console.error(`inspector: FAIL: ${error.stack}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
