// Runs tools/inspector/demo.html in headless Chromium against the module
// build_demo.sh made: steps through every phase of the live program, and
// checks that each step added a snapshot, that what is drawn matches it and
// that the heap stayed sound (wasmheap_check). Saves a screenshot.
//
//   node check_demo.mjs MODULE.wasm.js SCREENSHOT.png

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Browser } from '../node/cdp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pageFile = path.resolve(here, '../../tools/inspector/demo.html');
const [moduleFile, screenshotFile] = process.argv.slice(2);
const fail = (m) => { throw new Error(m); };

const browser = await Browser.launch({ width: 1400, height: 1000 });
try {
  const page = await browser.newPage();
  await page.setViewport(1400, 1000);
  await page.goto(`${pathToFileURL(pageFile).href}?module=${encodeURIComponent(pathToFileURL(path.resolve(moduleFile)).href)}`);
  const ready = await page.waitFor(`document.body.dataset.demo`);
  if (ready !== 'ready') fail(`the demo did not start: ${await page.evaluate('document.body.dataset.error')}`);
  const steps = await page.evaluate('heapDemo.steps');
  let last = null;
  for (;;) {
    const m = await page.evaluate(`JSON.parse(document.getElementById('inspector-model').textContent)`);
    const done = await page.evaluate('heapDemo.done');
    if (m.snapshots !== done) fail(`after ${done} steps the page has ${m.snapshots} snapshots`);
    if (m.current !== done - 1) fail(`after ${done} steps the page shows snapshot ${m.current + 1}`);
    if (m.cellsDrawn !== m.figures.units) fail(`step ${done}: ${m.cellsDrawn} cells for ${m.figures.units} units`);
    if (m.problems.length) fail(`step ${done}: the snapshot disagrees with itself: ${m.problems.join('; ')}`);
    if (m.timeline.length !== done) fail(`step ${done}: the timeline has ${m.timeline.length} points`);
    const status = await page.evaluate(`document.getElementById('status').textContent`);
    if (status.startsWith('wasmheap_check')) fail(status);
    console.log(`step ${done}/${steps}: ${m.figures.units} units, ${m.figures.memory_pages} pages, ${m.figures.bytes_live} B live, ${m.figures.free_runs} free runs — ${status}`);
    last = m;
    if (done >= steps) break;
    await page.evaluate(`document.getElementById('step').click()`);
  }
  if (last.figures.blocks_live > 4) fail(`everything freed, yet ${last.figures.blocks_live} blocks live`);
  // The page's own malloc button: one more snapshot with one more big block.
  await page.evaluate(`document.getElementById('size').value = '100000'; document.getElementById('alloc').click()`);
  const after = await page.evaluate(`JSON.parse(document.getElementById('inspector-model').textContent)`);
  if (after.snapshots !== steps + 1 || after.figures.big_blocks !== last.figures.big_blocks + 1) {
    fail(`malloc(100000) from the page: ${after.snapshots} snapshots, ${after.figures.big_blocks} big blocks`);
  }
  // A screenshot of the busiest moment.
  const busiest = (await page.evaluate(`JSON.parse(document.getElementById('inspector-model').textContent)`)).timeline
    .reduce((b, p, i, all) => (p.bytesLive > all[b].bytesLive ? i : b), 0);
  await page.evaluate(`wasmheapInspector.select(${busiest + 3 < steps ? busiest + 3 : busiest})`);
  const height = await page.evaluate('Math.ceil(document.documentElement.scrollHeight)');
  await page.setViewport(1400, height);
  writeFileSync(screenshotFile, await page.screenshot());
  if (page.errors.length) fail(`errors in the page: ${page.errors.join('; ')}`);
  console.log(`demo: PASS (${steps} steps; screenshot ${screenshotFile})`);
} catch (error) {
  console.error(`demo: FAIL: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
