// Runs the benchmark modules in headless Chromium: a tiny HTTP server on
// 127.0.0.1 serves bench/ and receives the results, and playwright-core drives
// Debian's Chromium (no browser download).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Serves files under `root` and hands the body of POST /result to whoever
// waits for it.
export function startServer(root) {
  let deliver = null;
  let early = null;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/result') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        let parsed;
        try {
          parsed = JSON.parse(body);
        } catch (e) {
          parsed = { error: `bad result body: ${e.message}` };
        }
        res.writeHead(204).end();
        if (deliver) deliver(parsed);
        else early = parsed;
      });
      return;
    }
    // Browsers ask for it unprompted; an empty answer keeps 404s out of the log.
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root) || !existsSync(path)) {
      res.writeHead(404).end('not found');
      return;
    }
    try {
      const data = await readFile(path);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
        // Cross-origin isolation gives performance.now() its finest resolution.
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cache-Control': 'no-store',
      });
      res.end(data);
    } catch {
      res.writeHead(500).end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        origin: `http://127.0.0.1:${port}`,
        result(timeoutMs) {
          if (early) return Promise.resolve(early);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no result from Chromium within ${timeoutMs / 1000} s`)), timeoutMs);
            deliver = (r) => {
              clearTimeout(timer);
              res(r);
            };
          });
        },
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}

export async function launchChromium(extraArgs = []) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

// The matrices in one page (interleaved like Node's, see runMatrix).
//   matrices: [{kind, warmups, runs, rounds, modules: [{name, wasm}]}], wasm
//   paths relative to root; the real programs' matrix (kind 'program') and
//   the synthetic one.
export async function runChromium({ root, matrices, only, log, timeoutMs = 60 * 60 * 1000 }) {
  const server = await startServer(root);
  // The same code tier as Node (--no-liftoff), and gc() between instances.
  const browser = await launchChromium(['--js-flags=--expose-gc --no-liftoff']);
  const out = { version: browser.version(), results: [], crossOriginIsolated: null, error: null };
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => log(m.text()));
    const q = new URLSearchParams({
      config: JSON.stringify({
        only,
        matrices: matrices.map((m) => ({ ...m, modules: Object.fromEntries(m.modules.map(({ name, wasm }) => [name, `/${wasm}`])) })),
      }),
    });
    const pending = server.result(timeoutMs);
    // Fail fast instead of waiting out the timeout when the page cannot run:
    // it crashed, threw, or could not load one of its files.
    const crashed = new Promise((_, rej) => {
      page.once('crash', () => rej(new Error('the page crashed')));
      page.on('pageerror', (e) => rej(new Error(`page error: ${e.message}`)));
      page.on('response', (r) => {
        if (r.status() >= 400) rej(new Error(`${r.url()} answered ${r.status()}`));
      });
    });
    await page.goto(`${server.origin}/web/bench.html?${q}`);
    try {
      const r = await Promise.race([pending, crashed]);
      out.results = r.results ?? [];
      out.crossOriginIsolated = r.crossOriginIsolated ?? null;
      out.error = r.error ?? null;
    } catch (e) {
      out.error = [e.message, ...problems].join('; ');
    }
    await page.close().catch(() => {});
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}
