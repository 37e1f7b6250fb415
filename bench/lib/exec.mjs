// Running build commands for both drivers (lib/build.mjs, threads/run.mjs):
// a command with its output kept for the error, a few steps at once, and a
// step rerun only when its inputs or its command line changed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Resolves with the command's stdout; rejects with an error holding the end of
// stdout and stderr together (and all of it in err.output).
export function run(cmd, args, { cwd, env = process.env, quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      both = '';
    child.stdout.on('data', (d) => ((out += d), (both += d)));
    child.stderr.on('data', (d) => (both += d));
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (!quiet) process.stderr.write(both);
      if (code === 0) resolve(out);
      else {
        const err = new Error(`${cmd} ${args.join(' ')}\nexited ${code}\n${both.slice(-3000)}`);
        err.output = both;
        reject(err);
      }
    });
  });
}

// Up to `limit` steps at once (the machine has two cores and is shared); each
// result is {ok: true, value} or {ok: false, error}, in the steps' order.
export async function pool(limit, steps) {
  const results = new Array(steps.length);
  let next = 0;
  async function worker() {
    while (next < steps.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await steps[i]() };
      } catch (e) {
        results[i] = { ok: false, error: e };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, steps.length) }, worker));
  return results;
}

// The values of pool's results; throws the first error.
export function values(results) {
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.value;
  });
}

export function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

// Whether `out` exists and is newer than every input.
export function fresh(out, inputs) {
  const t = mtime(out);
  return t > 0 && inputs.every((i) => mtime(i) >= 0 && mtime(i) <= t);
}

// Runs cmd unless `out` is fresh and was made by the same command line (kept
// beside it in <out>.cmd): linking other libraries of the same age, say, must
// relink. opts go to run().
export async function step(out, inputs, cmd, args, opts = {}) {
  mkdirSync(dirname(out), { recursive: true });
  const stamp = `${out}.cmd`;
  const line = JSON.stringify([cmd, ...args]);
  if (fresh(out, inputs) && existsSync(stamp) && readFileSync(stamp, 'utf8') === line) return out;
  await run(cmd, args, opts);
  writeFileSync(stamp, line);
  return out;
}
