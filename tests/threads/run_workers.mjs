// Runs workers.wasm (a shared-memory module with no imports but its memory) in
// several Node worker threads: each instantiates the same module over the same
// memory, points its own stack pointer at a stack of its own, sets up its own
// thread-local storage, and calls run(id, ops). The main thread then frees what is left and checks the heap.
//   node run_workers.mjs workers.wasm [WORKERS] [OPS]
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const STACK_BYTES = 256 * 1024;

if (isMainThread) {
  const [file, workerCount = '4', ops = '30000'] = process.argv.slice(2);
  const module = new WebAssembly.Module(readFileSync(file));
  if (!WebAssembly.Module.imports(module).some((i) => i.kind === 'memory'))
    throw new Error('the module must import its memory, or each instance would have its own');
  // Enough to start (the module's static data and first stack need 2 pages),
  // and the maximum run_workers.sh links with (1 GiB): instantiation fails
  // unless both match what the module declares.
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 16384, shared: true });
  const main = new WebAssembly.Instance(module, { env: { memory } });
  const results = await Promise.all(
    Array.from({ length: Number(workerCount) }, (_, id) => {
      const stackTop = main.exports.stack_for_worker(STACK_BYTES);
      const tls = main.exports.tls_for_worker();
      if (stackTop === 0 || tls === 0) throw new Error('no memory for a worker stack');
      return new Promise((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { module, memory, id, ops: Number(ops), stackTop, tls } });
        w.on('message', resolve);
        w.on('error', reject);
      });
    }),
  );
  const workerProblems = results.reduce((a, b) => a + b, 0);
  const finishProblems = main.exports.finish();
  // Left live: the worker stacks and thread-local blocks only (each worker
  // gave its cache back as it finished).
  const live = Number(main.exports.live_blocks());
  const handoffs = main.exports.handoffs();
  const ok = workerProblems === 0 && finishProblems === 0 && live === 2 * Number(workerCount) && handoffs > 0;
  console.log(`workers: ${ok ? 'PASS' : 'FAIL'} ${workerCount} workers x ${ops} ops, ${handoffs} cross-thread handoffs, ` +
    `problems ${workerProblems} + ${finishProblems}, blocks live after ${live}`);
  process.exitCode = ok ? 0 : 1;
} else {
  const { module, memory, id, ops, stackTop, tls } = workerData;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  instance.exports.__stack_pointer.value = stackTop;
  instance.exports.__wasm_init_tls(tls);
  parentPort.postMessage(instance.exports.run(id, ops));
}
