// Rewrites a screenshot (an 8-bit RGB or RGBA PNG, as Chromium writes them)
// as a PNG of at most 256 colours, for docs/images: the page is mostly flat
// colours, so the most frequent 256 keep it faithful and the file small.
//   node png_palette.mjs IN.png OUT.png
import { readFileSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';

const [input, output] = process.argv.slice(2);
const png = readFileSync(input);
let at = 8, width = 0, height = 0, type = 0;
const idat = [];
while (at < png.length) {
  const len = png.readUInt32BE(at), name = png.toString('latin1', at + 4, at + 8);
  const data = png.subarray(at + 8, at + 8 + len);
  if (name === 'IHDR') {
    width = data.readUInt32BE(0);
    height = data.readUInt32BE(4);
    type = data[9];
    if (data[8] !== 8 || (type !== 2 && type !== 6) || data[12] !== 0) throw new Error('only 8-bit RGB/RGBA, not interlaced');
  } else if (name === 'IDAT') idat.push(data);
  at += 12 + len;
}
const bpp = type === 6 ? 4 : 3, stride = width * bpp;
const raw = zlib.inflateSync(Buffer.concat(idat));
const px = Buffer.alloc(stride * height);
for (let y = 0; y < height; ++y) {
  const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1, row = y * stride, up = row - stride;
  for (let x = 0; x < stride; ++x) {
    const a = x >= bpp ? px[row + x - bpp] : 0, b = y ? px[up + x] : 0, c = x >= bpp && y ? px[up + x - bpp] : 0;
    let v = raw[src + x];
    if (f === 1) v += a;
    else if (f === 2) v += b;
    else if (f === 3) v += (a + b) >> 1;
    else if (f === 4) {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    px[row + x] = v & 255;
  }
}
const counts = new Map();
for (let i = 0; i < px.length; i += bpp) {
  const k = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
  counts.set(k, (counts.get(k) || 0) + 1);
}
const palette = [...counts.entries()].sort((p, q) => q[1] - p[1]).slice(0, 256).map(([k]) => k);
const index = new Map(palette.map((k, i) => [k, i]));
const nearest = (k) => {
  let best = 0, bestD = Infinity;
  const r = k >> 16, g = (k >> 8) & 255, b = k & 255;
  for (let i = 0; i < palette.length; ++i) {
    const p = palette[i], dr = r - (p >> 16), dg = g - ((p >> 8) & 255), db = b - (p & 255);
    const d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
    if (d < bestD) { bestD = d; best = i; }
  }
  index.set(k, best);
  return best;
};
const out = Buffer.alloc((width + 1) * height);
for (let y = 0, i = 0; y < height; ++y) {
  out[y * (width + 1)] = 0;
  for (let x = 0; x < width; ++x, i += bpp) {
    const k = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
    out[y * (width + 1) + 1 + x] = index.has(k) ? index.get(k) : nearest(k);
  }
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const chunk = (name, data) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(name, 4, 'latin1');
  let c = 0xffffffff;
  for (const byte of Buffer.concat([head.subarray(4), data])) c = crcTable[(c ^ byte) & 255] ^ (c >>> 8);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return Buffer.concat([head, data, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(width, 0);
ihdr.writeUInt32BE(height, 4);
ihdr[8] = 8;
ihdr[9] = 3;
const plte = Buffer.alloc(3 * palette.length);
palette.forEach((k, i) => { plte[3 * i] = k >> 16; plte[3 * i + 1] = (k >> 8) & 255; plte[3 * i + 2] = k & 255; });
writeFileSync(output, Buffer.concat([png.subarray(0, 8), chunk('IHDR', ihdr), chunk('PLTE', plte),
  chunk('IDAT', zlib.deflateSync(out, { level: 9 })), chunk('IEND', Buffer.alloc(0))]));
console.log(`${output}: ${width}x${height}, ${palette.length} colours (of ${counts.size}), ${writeFileSync.length ? '' : ''}${readFileSync(output).length} bytes`);
