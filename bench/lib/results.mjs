// Where results live. Every run writes to RUN_RESULTS (bench/build/results/,
// ignored by git); the committed copy of the last full runs, which the READMEs
// quote, is a dated snapshot, bench/results/snapshot-YYYY-MM-DD/, which only
// bench/snapshot.mjs writes. Both have the same files:
//   suite.json, suite.md, report.html   the suite (bench/run.mjs)
//   threads.json, threads.md            the threads mode (bench/threads/run.mjs)
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const RUN_RESULTS = join(BENCH, 'build', 'results');
export const SNAPSHOTS = join(BENCH, 'results');
export const SUITE_FILES = ['suite.json', 'suite.md', 'report.html'];
export const THREADS_FILES = ['threads.json', 'threads.md'];

// The newest snapshot directory, or null.
export function currentSnapshot() {
  if (!existsSync(SNAPSHOTS)) return null;
  const names = readdirSync(SNAPSHOTS).filter((n) => /^snapshot-\d{4}-\d{2}-\d{2}$/.test(n)).sort();
  return names.length ? join(SNAPSHOTS, names[names.length - 1]) : null;
}
