// Runs an Emscripten -pthread program in headless Chromium with main() on the
// browser's main thread, where memory.atomic.wait32 traps: the heap's lock
// must busy-wait there. Serves the program's directory with the headers that
// give a page SharedArrayBuffer (cross-origin isolation), drives Debian's
// Chromium through the DevTools protocol (tests/node/cdp.mjs, Node's built-in
// modules only), and passes when the page's console says "threads_malloc: PASS".
//   node run_browser.mjs DIR PROGRAM.js
// Exits 77 when Chromium is missing.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

import { Browser, findChromium } from '../node/cdp.mjs';

const [dir, program] = process.argv.slice(2);
if (!findChromium()) {
  console.log('SKIP: no Chromium (set CHROMIUM)');
  process.exit(77);
}

const page = `<!doctype html><meta charset="utf-8"><script src="${program}"></script>`;
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://127.0.0.1').pathname;
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  if (path === '/') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(page);
  // Asked for unprompted; an empty answer keeps a 404 out of the console.
  if (path === '/favicon.ico') return res.writeHead(204).end();
  const file = normalize(join(dir, path));
  if (!file.startsWith(normalize(dir)) || !existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const browser = await Browser.launch();
let passed = false;
try {
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  if (!(await tab.evaluate('self.crossOriginIsolated'))) console.log('the page is not cross-origin isolated');
  const until = Date.now() + 240000;
  let shown = 0;
  for (;;) {
    for (; shown < tab.console.length; ++shown) console.log(tab.console[shown]);
    for (const e of tab.errors) console.log(`page error: ${e}`);
    if (tab.errors.length) break;
    if (tab.console.some((m) => m.includes('threads_malloc: PASS'))) {
      passed = true;
      break;
    }
    if (tab.console.some((m) => m.includes('threads_malloc: FAIL'))) break;
    if (Date.now() > until) {
      console.log('timed out');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(passed ? 0 : 1);
