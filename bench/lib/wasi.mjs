// A minimal WASI (preview 1) for the benchmark modules, the same in Node and
// in the browser, so both engines run the modules with identical imports.
//
// What the modules use: fd_write (their JSON goes to stdout), clock_time_get
// (the timer), proc_exit. The rest of what wasi-libc or Emscripten may import
// answers sensibly or with ENOSYS; unknown `env` imports (Emscripten's
// emscripten_notify_memory_growth) are no-ops.

const ESUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOSYS = 52;

export class ProcExit extends Error {
  constructor(code) {
    super(`proc_exit(${code})`);
    this.code = code;
  }
}

export class MiniWasi {
  // nowNs: () => bigint, a monotonic clock in nanoseconds.
  // realtimeNs: () => bigint, wall-clock time in nanoseconds.
  constructor({ args = ['bench'], env = {}, nowNs, realtimeNs, clockResolutionNs = 1000n }) {
    this.args = args;
    this.env = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    this.nowNs = nowNs;
    this.realtimeNs = realtimeNs ?? (() => BigInt(Date.now()) * 1000000n);
    this.clockResolutionNs = clockResolutionNs;
    this.memory = null;
    this.stdout = '';
    this.stderr = '';
    this.decoder = new TextDecoder();
    this.encoder = new TextEncoder();
  }

  view() {
    return new DataView(this.memory.buffer);
  }

  bytes() {
    return new Uint8Array(this.memory.buffer);
  }

  // Writes NUL-terminated strings and their pointers, as args_get/environ_get do.
  writeStrings(list, ptrsPtr, bufPtr) {
    const dv = this.view();
    const mem = this.bytes();
    let at = bufPtr;
    list.forEach((s, i) => {
      dv.setUint32(ptrsPtr + 4 * i, at, true);
      const b = this.encoder.encode(s);
      mem.set(b, at);
      mem[at + b.length] = 0;
      at += b.length + 1;
    });
    return ESUCCESS;
  }

  sizes(list, countPtr, sizePtr) {
    const dv = this.view();
    dv.setUint32(countPtr, list.length, true);
    dv.setUint32(sizePtr, list.reduce((n, s) => n + this.encoder.encode(s).length + 1, 0), true);
    return ESUCCESS;
  }

  wasiFunctions() {
    return {
      fd_write: (fd, iovs, iovsLen, nwrittenPtr) => {
        if (fd !== 1 && fd !== 2) return EBADF;
        const dv = this.view();
        let text = '';
        let total = 0;
        for (let i = 0; i < iovsLen; i++) {
          const ptr = dv.getUint32(iovs + 8 * i, true);
          const len = dv.getUint32(iovs + 8 * i + 4, true);
          // Copy out: decoding a view of a growable buffer is not allowed everywhere.
          text += this.decoder.decode(this.bytes().slice(ptr, ptr + len));
          total += len;
        }
        if (fd === 1) this.stdout += text;
        else this.stderr += text;
        dv.setUint32(nwrittenPtr, total, true);
        return ESUCCESS;
      },
      clock_time_get: (id, _precision, outPtr) => {
        let t;
        if (id === 0) t = this.realtimeNs();
        else if (id === 1 || id === 2 || id === 3) t = this.nowNs();
        else return EINVAL;
        this.view().setBigUint64(outPtr, t, true);
        return ESUCCESS;
      },
      clock_res_get: (id, outPtr) => {
        if (id > 3) return EINVAL;
        this.view().setBigUint64(outPtr, this.clockResolutionNs, true);
        return ESUCCESS;
      },
      proc_exit: (code) => {
        throw new ProcExit(code);
      },
      args_sizes_get: (countPtr, sizePtr) => this.sizes(this.args, countPtr, sizePtr),
      args_get: (ptrs, buf) => this.writeStrings(this.args, ptrs, buf),
      environ_sizes_get: (countPtr, sizePtr) => this.sizes(this.env, countPtr, sizePtr),
      environ_get: (ptrs, buf) => this.writeStrings(this.env, ptrs, buf),
      random_get: (ptr, len) => {
        // getRandomValues fills at most 64 KiB per call.
        for (let off = 0; off < len; off += 65536) {
          const n = Math.min(65536, len - off);
          const chunk = new Uint8Array(n);
          globalThis.crypto.getRandomValues(chunk);
          this.bytes().set(chunk, ptr + off);
        }
        return ESUCCESS;
      },
      fd_fdstat_get: (fd, outPtr) => {
        if (fd > 2) return EBADF;
        // A character device with no rights restrictions: what a terminal reports.
        const dv = this.view();
        dv.setUint8(outPtr, 2);
        dv.setUint16(outPtr + 2, 0, true);
        dv.setBigUint64(outPtr + 8, 0xffffffffn, true);
        dv.setBigUint64(outPtr + 16, 0xffffffffn, true);
        return ESUCCESS;
      },
      fd_close: () => ESUCCESS,
      fd_seek: () => ESUCCESS,
      sched_yield: () => ESUCCESS,
    };
  }

  // Imports for a compiled module: every import it names gets a function.
  importsFor(module) {
    const wasi = this.wasiFunctions();
    const imports = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') continue;
      imports[imp.module] ??= {};
      if (imp.module === 'wasi_snapshot_preview1' || imp.module === 'wasi_unstable') {
        imports[imp.module][imp.name] = wasi[imp.name] ?? (() => ENOSYS);
      } else {
        imports[imp.module][imp.name] = () => 0;
      }
    }
    return imports;
  }

  // Instantiates a WASI reactor (or command) and runs its initialiser.
  async instantiate(module) {
    const instance = await WebAssembly.instantiate(module, this.importsFor(module));
    this.memory = instance.exports.memory;
    if (instance.exports._initialize) instance.exports._initialize();
    return instance;
  }
}
