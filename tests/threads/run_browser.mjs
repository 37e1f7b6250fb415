// Runs an Emscripten -pthread program in headless Chromium with main() on the
// browser's main thread, where memory.atomic.wait32 traps: the heap's lock
// must busy-wait there. Serves the program's directory with the headers that
// give a page SharedArrayBuffer (cross-origin isolation), drives Debian's
// Chromium with playwright-core (from bench/node_modules), and passes when the
// page's console says "threads_malloc: PASS".
//   node run_browser.mjs DIR PROGRAM.js
// Exits 77 when playwright-core or Chromium is missing.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const [dir, program] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const benchModules = join(fileURLToPath(new URL('../../bench/', import.meta.url)), 'package.json');
let chromium;
try {
  ({ chromium } = createRequire(benchModules)('playwright-core'));
} catch {
  console.log('SKIP: playwright-core not installed (npm ci in bench/)');
  process.exit(77);
}
if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: no Chromium at ${CHROMIUM}`);
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

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
let passed = false;
try {
  const tab = await browser.newPage();
  const done = new Promise((resolve) => {
    tab.on('console', (m) => {
      console.log(m.text());
      if (m.text().startsWith('threads_malloc: PASS')) resolve((passed = true));
      if (m.text().startsWith('threads_malloc: FAIL')) resolve(false);
    });
    tab.on('pageerror', (e) => {
      console.log(`page error: ${e.message}`);
      resolve(false);
    });
  });
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  if (!(await tab.evaluate(() => self.crossOriginIsolated))) console.log('the page is not cross-origin isolated');
  const timeout = new Promise((resolve) => setTimeout(() => resolve(console.log('timed out')), 240000));
  await Promise.race([done, timeout]);
} finally {
  await browser.close();
  server.close();
}
process.exit(passed ? 0 : 1);
