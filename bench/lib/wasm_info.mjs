// Just enough of the wasm binary format to read a module's layout: section
// sizes, where static data ends, and the initial memory.

function readVarU(bytes, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = bytes[pos++];
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) return [result, pos];
  }
}

function readVarS(bytes, pos) {
  let result = 0n;
  let shift = 0n;
  let b;
  do {
    b = bytes[pos++];
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  if (b & 0x40) result -= 1n << shift;
  return [result, pos];
}

function u(bytes, pos) {
  const [v, p] = readVarU(bytes, pos);
  return [Number(v), p];
}

// [{id, name, offset, size}] for every section.
export function sections(bytes) {
  const out = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++];
    let size;
    [size, pos] = u(bytes, pos);
    let name = null;
    if (id === 0) {
      const [len, p] = u(bytes, pos);
      name = new TextDecoder().decode(bytes.slice(p, p + len));
    }
    out.push({ id, name, offset: pos, size });
    pos += size;
  }
  return out;
}

// A constant expression of the form i32.const N; end. Returns N or null.
function constI32(bytes, pos) {
  if (bytes[pos] !== 0x41) return [null, skipExpr(bytes, pos)];
  const [v, p] = readVarS(bytes, pos + 1);
  return [Number(v), skipExpr(bytes, p)];
}

function skipExpr(bytes, pos) {
  while (bytes[pos] !== 0x0b) pos++;
  return pos + 1;
}

// The highest address static data or an i32 global's initial value reaches:
// for Emscripten's layout (data, then the stack, then the heap) this is where
// the heap begins.
export function staticEnd(bytes) {
  let end = 0;
  for (const s of sections(bytes)) {
    let pos = s.offset;
    if (s.id === 11) {
      let count;
      [count, pos] = u(bytes, pos);
      for (let i = 0; i < count; i++) {
        let kind;
        [kind, pos] = u(bytes, pos);
        let offset = null;
        if (kind === 0) [offset, pos] = constI32(bytes, pos);
        else if (kind === 2) {
          pos = u(bytes, pos)[1];
          [offset, pos] = constI32(bytes, pos);
        }
        let len;
        [len, pos] = u(bytes, pos);
        if (offset !== null) end = Math.max(end, offset + len);
        pos += len;
      }
    } else if (s.id === 6) {
      let count;
      [count, pos] = u(bytes, pos);
      for (let i = 0; i < count; i++) {
        const type = bytes[pos];
        pos += 2; // value type, mutability
        let v;
        [v, pos] = constI32(bytes, pos);
        if (type === 0x7f && v !== null && v > 0) end = Math.max(end, v);
      }
    }
  }
  return end;
}

// Bytes of the code section: the functions alone, without data or names.
export function codeSectionBytes(bytes) {
  return sections(bytes)
    .filter((s) => s.id === 10)
    .reduce((n, s) => n + s.size, 0);
}
