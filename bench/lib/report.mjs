// Markdown tables and the HTML report (inline SVG bar charts) from the
// results JSON. Charts show each variant as a ratio to dlmalloc, wasi-libc's
// default allocator, on a log scale centred on 1.

export const BASELINE = 'dlmalloc';

const COLORS = {
  wasmheap: '#d62728',
  bump: '#7f7f7f',
  dlmalloc: '#1f77b4',
  emmalloc: '#2ca02c',
  emdlmalloc: '#17becf',
  zig: '#ff7f0e',
};

function fmt(x, digits = 3) {
  if (x === null || x === undefined) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

function variantsOf(data) {
  return data.variants ?? [...new Set(data.results.map((r) => r.variant))];
}

// The synthetic workloads (ns per allocator op).
function workloadsOf(data) {
  return data.workloads ?? [...new Set(data.results.filter((r) => r.kind !== 'program').map((r) => r.workload))];
}

// The real programs (ms per run), which come first everywhere.
function programsOf(data) {
  return data.programs ?? [...new Set(data.results.filter((r) => r.kind === 'program').map((r) => r.workload))];
}

function enginesOf(data) {
  return [...new Set(data.results.map((r) => r.engine))];
}

function cell(data, engine, variant, workload) {
  return data.results.find((r) => r.engine === engine && r.variant === variant && r.workload === workload);
}

// ---- Markdown -----------------------------------------------------------------

// Columns are right-aligned (numbers) except the first and any named in `left`.
function mdTable(header, rows, left = []) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const align = header.map((h, i) => (i === 0 || left.includes(h) ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

// Whether every variant's run of a real program returned the same checksum,
// in every engine: "same in N runs" or which differ.
function checksumAgreement(data, workload, engine = null) {
  const rs = data.results.filter((r) => r.workload === workload && r.kind === 'program' && r.checksum != null && (!engine || r.engine === engine));
  if (!rs.length) return '—';
  const votes = new Map();
  for (const r of rs) votes.set(r.checksum, (votes.get(r.checksum) ?? 0) + 1);
  if (votes.size === 1) return `same (${rs.length} of ${rs.length})`;
  const best = [...votes].sort((a, b) => b[1] - a[1])[0][0];
  const odd = rs.filter((r) => r.checksum !== best).map((r) => (engine ? r.variant : `${r.engine}/${r.variant}`));
  return `MISMATCH: ${odd.join(', ')}`;
}

// The workloads and programs are deterministic, so every engine should add the
// pages the first one did: says so, or lists the rows (of those `which`
// picks) where another engine differs.
function pagesAcrossEngines(data, first, which) {
  const differ = data.results.filter((r) => {
    if (!which(r) || r.engine === first || r.pages_added == null) return false;
    const f = cell(data, first, r.variant, r.workload);
    return f && f.pages_added != null && f.pages_added !== r.pages_added;
  });
  return differ.length
    ? differ.map((r) => `- ${r.engine} differs: ${r.variant}/${r.workload} added ${r.pages_added} pages`).join('\n')
    : 'Other engines added the same pages.';
}

function programMarkdown(data, variants, programs) {
  const parts = [];
  const sources = data.program_sources;
  parts.push('## Real programs');
  if (sources) {
    const v = sources.versions ?? {};
    parts.push(
      `SQLite ${sources.sqlite?.match(/SQLite ([\d.]+)/)?.[1] ?? ''} ${v['better-sqlite3'] ? `from better-sqlite3 ${v['better-sqlite3']}` : ''}, tree-sitter ${v['tree-sitter'] ?? ''} with tree-sitter-javascript ${v['tree-sitter-javascript'] ?? ''}, ` +
        `parsing ${sources.js_input}${v[sources.js_input.split('/')[0]] ? ` ${v[sources.js_input.split('/')[0]]}` : ''}. Time is the wall time of a whole program run; ` +
        'the checksum (a hash of what the program computed) must be the same for every variant.',
    );
  }
  const p = data.settings?.programs;
  for (const engine of enginesOf(data)) {
    const label = data.engines?.[engine]?.label ?? engine;
    const rows = data.results.filter((r) => r.engine === engine && r.kind === 'program');
    if (!rows.length) continue;
    // An engine that could not run at all says so once, under workload '*'.
    const whole = data.results.filter((r) => r.engine === engine && r.workload === '*' && r.reason);
    parts.push(`### ${label}: ms per program run, median / min of ${p?.runs ?? '?'} runs`);
    parts.push(
      mdTable(
        ['workload', ...variants, 'checksum'],
        programs.map((w) => [
          w,
          ...variants.map((v) => {
            const r = cell(data, engine, v, w);
            if (!r) return '—';
            if (r.run_ms_median == null) return r.skipped ? 'skipped' : 'failed';
            return `${fmt(r.run_ms_median)} / ${fmt(r.run_ms_min)}${r.checksum_ok === false ? ' (wrong checksum)' : ''}`;
          }),
          checksumAgreement(data, w, engine),
        ]),
        ['checksum'],
      ),
    );
    const notes = [];
    for (const v of variants) {
      const rs = rows.filter((x) => x.variant === v && x.reason);
      if (rs.length && rs.length === rows.filter((x) => x.variant === v).length && new Set(rs.map((x) => x.reason)).size === 1) notes.push(`- ${v}: ${rs[0].reason}`);
      else for (const r of rs) notes.push(`- ${v} / ${r.workload}: ${r.reason}`);
    }
    for (const r of whole) notes.push(`- ${r.variant}: ${r.reason}`);
    if (notes.length) parts.push(notes.join('\n'));
  }
  const first = enginesOf(data).find((e) => data.results.some((r) => r.engine === e && r.kind === 'program'));
  if (first) {
    parts.push(`### Real programs: pages_added (64 KiB pages memory grew by during the first run on a fresh instance; ${first})`);
    parts.push(
      mdTable(
        ['workload', ...variants, 'program\'s peak requested bytes', 'checksum, all engines'],
        programs.map((w) => {
          const peaks = new Set(data.results.filter((r) => r.kind === 'program' && r.workload === w && r.peak_live_bytes != null).map((r) => r.peak_live_bytes));
          return [
            w,
            ...variants.map((v) => {
              const r = cell(data, first, v, w);
              return r && r.pages_added != null ? fmt(r.pages_added) : '—';
            }),
            [...peaks].map((p) => p.toLocaleString('en-US')).join(' / ') || '—',
            checksumAgreement(data, w),
          ];
        }),
        ['checksum, all engines'],
      ),
    );
    parts.push(pagesAcrossEngines(data, first, (r) => r.kind === 'program'));
  }
  return parts;
}

export function markdown(data) {
  const variants = variantsOf(data);
  const workloads = workloadsOf(data);
  const programs = programsOf(data);
  const parts = programs.length ? programMarkdown(data, variants, programs) : [];
  if (programs.length && workloads.length) parts.push('## Allocator workloads');
  const ran = (engine, v) => data.results.some((r) => r.engine === engine && r.variant === v && r.ns_per_op_median != null);
  for (const engine of enginesOf(data)) {
    if (!workloads.length) break;
    const label = data.engines?.[engine]?.label ?? engine;
    parts.push(`### ${label}: ns per allocator operation, median / min of ${data.settings?.runs ?? '?'} runs`);
    parts.push(
      mdTable(
        ['workload', ...variants],
        workloads.map((w) => [
          w,
          ...variants.map((v) => {
            const r = cell(data, engine, v, w);
            if (!r) return '—';
            if (r.ns_per_op_median == null) return r.skipped ? 'skipped' : 'failed';
            return `${fmt(r.ns_per_op_median)} / ${fmt(r.ns_per_op_min)}`;
          }),
        ]),
      ),
    );
    // Why a variant has no numbers, and which single workloads failed.
    const notes = [];
    for (const v of variants) {
      const rs = data.results.filter((x) => x.engine === engine && x.variant === v && x.reason && x.kind !== 'program');
      if (!ran(engine, v) && rs.length) notes.push(`- ${v}: ${rs[0].reason}`);
      else for (const r of rs) notes.push(`- ${v} / ${r.workload}: ${r.reason}`);
    }
    if (notes.length) parts.push(notes.join('\n'));
  }
  const first = enginesOf(data)[0];
  if (first && workloads.length) {
    parts.push(`### pages_added (64 KiB pages memory grew by during a workload's first run on a fresh instance; ${first})`);
    parts.push(
      mdTable(
        ['workload', ...variants, 'peak live (requested) bytes'],
        workloads.map((w) => {
          const peaks = new Set();
          const row = [w];
          for (const v of variants) {
            const r = cell(data, first, v, w);
            row.push(r && r.pages_added != null ? fmt(r.pages_added) : '—');
            if (r && r.peak_live_bytes != null) peaks.add(r.peak_live_bytes);
          }
          // The C workloads request the same bytes everywhere; C++ containers
          // may differ between libc++ versions (Emscripten's is older).
          row.push([...peaks].map((p) => p.toLocaleString('en-US')).join(' / ') || '—');
          return row;
        }),
      ),
    );
    parts.push(pagesAcrossEngines(data, first, (r) => r.kind !== 'program'));
  }
  if (data.code?.length) {
    parts.push('### Allocator code bytes (size-optimised module minus the bump variant\'s, same toolchain)');
    parts.push(
      mdTable(
        ['variant', 'malloc family', 'sized API', 'note'],
        data.code.map((c) => [
          c.variant,
          c.code_bytes_malloc == null ? `n/a` : c.code_bytes_malloc.toLocaleString('en-US'),
          c.code_bytes_sized == null ? 'n/a' : c.code_bytes_sized.toLocaleString('en-US'),
          [c.reason, c.reason_sized && c.code_bytes_sized == null && c.reason_sized !== c.reason ? `sized: ${c.reason_sized}` : null, `baseline: ${c.baseline}`]
            .filter(Boolean)
            .join('; '),
        ]),
        ['note'],
      ),
    );
  }
  return parts.join('\n\n') + '\n';
}

// ---- SVG charts -------------------------------------------------------------------

const CLIP = 6; // bars are clipped at 2^±6 = 64x either way

// value/base as a ratio, with the zero cases pages and code bytes produce.
function ratio(value, base) {
  if (value == null || base == null) return null;
  if (base === 0 && value === 0) return { r: 1, label: '=' };
  if (base === 0) return { r: 2 ** CLIP, label: `+${fmt(value)}`, clipped: true };
  if (value === 0) return { r: 2 ** -CLIP, label: '0', clipped: true };
  const r = value / base;
  const l2 = Math.log2(r);
  return { r, label: `${fmt(r, 2)}×`, clipped: Math.abs(l2) > CLIP };
}

// One horizontal grouped bar chart: a group per row label, a bar per variant.
// groups: [{label, bars: [{variant, value, base}]}]
export function barChart({ id, title, subtitle, groups, variants, lowerIsBetter = true }) {
  const W = 880;
  const labelW = 190;
  const plotW = W - labelW - 70;
  const cx = labelW + plotW / 2;
  const barH = 11;
  const gap = 9;
  const headH = 62;
  const scale = plotW / 2 / CLIP;
  let y = headH;
  const body = [];
  for (const g of groups) {
    const gh = g.bars.length * (barH + 2);
    body.push(`<text class="group" x="${labelW - 8}" y="${y + gh / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`);
    g.bars.forEach((b, i) => {
      const by = y + i * (barH + 2);
      const rr = ratio(b.value, b.base);
      if (!rr) {
        body.push(`<text class="na" x="${cx + 4}" y="${by + barH - 2}">n/a</text>`);
        return;
      }
      const l2 = Math.max(-CLIP, Math.min(CLIP, Math.log2(rr.r)));
      const w = Math.max(1, Math.abs(l2) * scale);
      const x = l2 >= 0 ? cx : cx - w;
      body.push(
        `<rect class="bar" data-variant="${esc(b.variant)}" x="${x.toFixed(1)}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[b.variant] ?? '#999'}"${rr.clipped ? ' fill-opacity="0.55"' : ''}><title>${esc(`${g.label} · ${b.variant}: ${fmt(b.value)} (${rr.label} of ${BASELINE})`)}</title></rect>`,
      );
      const tx = l2 >= 0 ? x + w + 3 : x - 3;
      body.push(`<text class="val" x="${tx.toFixed(1)}" y="${by + barH - 2}" text-anchor="${l2 >= 0 ? 'start' : 'end'}">${esc(rr.label)}</text>`);
    });
    y += gh + gap;
  }
  const H = y + 24;
  const axis = [];
  for (let k = -CLIP; k <= CLIP; k++) {
    const x = cx + k * scale;
    axis.push(`<line class="${k === 0 ? 'one' : 'grid'}" x1="${x}" y1="${headH - 6}" x2="${x}" y2="${y}"/>`);
    const t = k >= 0 ? `${2 ** k}×` : `1/${2 ** -k}`;
    axis.push(`<text class="tick" x="${x}" y="${y + 14}" text-anchor="middle">${t}</text>`);
  }
  const legend = variants
    .map((v, i) => `<rect x="${labelW + i * 105}" y="41" width="10" height="10" fill="${COLORS[v] ?? '#999'}"/><text class="legend" x="${labelW + 14 + i * 105}" y="50">${esc(v)}</text>`)
    .join('');
  const better = lowerIsBetter ? 'left of 1× is better' : 'right of 1× is better';
  return `<figure class="chart" id="${esc(id)}">
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">
<text class="title" x="4" y="16">${esc(title)}</text>
<text class="sub" x="4" y="32">${esc(subtitle ?? `ratio to ${BASELINE}, log scale; ${better}`)}</text>
${legend}
${axis.join('\n')}
${body.join('\n')}
</svg>
</figure>`;
}

// A chart's groups: a group per workload (or program), a bar per variant
// with its `field` in `engine` and dlmalloc's as the base.
function ratioGroups(data, engine, variants, rows, field) {
  return rows.map((w) => ({
    label: w,
    bars: variants.map((v) => ({ variant: v, value: cell(data, engine, v, w)?.[field] ?? null, base: cell(data, engine, BASELINE, w)?.[field] ?? null })),
  }));
}

export function html(data) {
  const variants = variantsOf(data);
  const workloads = workloadsOf(data);
  const programs = programsOf(data);
  const charts = [];
  // The real programs first: ms per run, then pages.
  const programEngines = enginesOf(data).filter((e) => data.results.some((r) => r.engine === e && r.kind === 'program'));
  for (const engine of programs.length ? programEngines : []) {
    const label = data.engines?.[engine]?.label ?? engine;
    charts.push(
      barChart({
        id: `program-time-${engine}`,
        title: `Real programs: time per run (median ms), ${label}`,
        variants,
        groups: ratioGroups(data, engine, variants, programs, 'run_ms_median'),
      }),
    );
  }
  if (programs.length && programEngines.length) {
    charts.push(
      barChart({
        id: 'program-pages',
        title: `Real programs: pages_added in the first run on a fresh instance (${programEngines[0]})`,
        variants,
        groups: ratioGroups(data, programEngines[0], variants, programs, 'pages_added'),
      }),
    );
  }
  for (const engine of workloads.length ? enginesOf(data) : []) {
    const label = data.engines?.[engine]?.label ?? engine;
    charts.push(
      barChart({
        id: `time-${engine}`,
        title: `Time per allocator operation (median ns/op), ${label}`,
        variants,
        groups: ratioGroups(data, engine, variants, workloads, 'ns_per_op_median'),
      }),
    );
  }
  const first = enginesOf(data)[0];
  if (first && workloads.length) {
    charts.push(
      barChart({
        id: 'pages',
        title: 'Memory growth: pages_added in the first run on a fresh instance',
        variants,
        groups: ratioGroups(data, first, variants, workloads, 'pages_added'),
      }),
    );
  }
  if (data.code?.length) {
    // bump is what is subtracted (0 by definition), so it gets no bar.
    const rows = data.code.filter((c) => c.variant !== 'bump');
    const base = rows.find((c) => c.variant === BASELINE);
    const codeVariants = rows.map((c) => c.variant);
    charts.push(
      barChart({
        id: 'code',
        title: 'Allocator code bytes (module -Oz + wasm-opt -Oz, minus bump)',
        subtitle: `ratio to ${BASELINE}'s malloc family; log scale; left is smaller`,
        variants: codeVariants,
        groups: [
          {
            label: 'malloc family',
            bars: rows.map((c) => ({ variant: c.variant, value: c.code_bytes_malloc, base: base?.code_bytes_malloc ?? null })),
          },
          {
            label: 'sized API',
            bars: rows.map((c) => ({ variant: c.variant, value: c.code_bytes_sized, base: base?.code_bytes_malloc ?? null })),
          },
        ],
      }),
    );
  }
  const md = markdown(data);
  const machine = data.machine ?? {};
  const engines = Object.values(data.engines ?? {}).map((e) => `<li>${esc(e.label)}${e.notes ? ' — ' + esc(e.notes) : ''}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wasmheap benchmark report</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 940px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.chart { margin: 18px 0; } .chart svg { background: #fff; border: 1px solid #ddd; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
svg .title { font-size: 13px; font-weight: 600; } svg .sub, svg .tick { fill: #777; }
svg .grid { stroke: #eee; } svg .one { stroke: #444; stroke-width: 1.2; }
svg .na { fill: #aaa; font-style: italic; }
pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12px; }
table.meta td { padding: 1px 10px 1px 0; vertical-align: top; }
</style>
</head>
<body>
<h1>wasmheap benchmark report</h1>
<p>Generated ${esc(data.generated ?? '')} in ${esc(data.settings?.mode ?? '')} mode:
${esc(String(data.settings?.runs ?? '?'))} timed runs per workload and variant, split over
${esc(String(data.settings?.rounds ?? 1))} round(s) that interleave the variants; each round uses a fresh instance and
${esc(String(data.settings?.warmups ?? '?'))} warm-up run(s) first (the first run of the first round measures pages and peak bytes). Bars: each variant as a ratio to ${BASELINE}
(wasi-libc's default malloc); pale bars are clipped at 64× either way.
${programs.length ? `The real programs (SQLite, tree-sitter) come first: the wall time of a whole program run, ${esc(String(data.settings?.programs?.runs ?? '?'))} timed runs split over ${esc(String(data.settings?.programs?.rounds ?? 1))} round(s), each round after ${esc(String(data.settings?.programs?.warmups ?? '?'))} warm-up run(s).` : ''}</p>
<h2>Engines</h2><ul>${engines}</ul>
<h2>Charts</h2>
${charts.join('\n')}
<h2>Tables</h2>
<pre>${esc(md)}</pre>
<h2>Machine</h2>
<table class="meta">${Object.entries(machine)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
    .join('')}</table>
</body>
</html>
`;
}
