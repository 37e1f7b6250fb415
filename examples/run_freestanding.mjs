// Runs a freestanding wasmheap module: it imports nothing and exports run().
import { readFileSync } from 'node:fs';

const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {});
const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(process.argv[2])));
const result = instance.exports.run();
console.log(`imports: ${imports.length}, run() = ${result}, memory: ${instance.exports.memory.buffer.byteLength / 65536} pages`);
process.exitCode = result === 0 && imports.length === 0 ? 0 : 1;
