// wasmheap's heap inspector: reads snapshots written by wasmheap_snapshot()
// (the format is described above it in include/wasmheap/wasmheap.h) and draws
// them. Plain JS, no build step, no dependencies; works from file://.
//
//   WasmheapInspector.parse(arrayBuffer)     -> [snapshot, ...] (throws on bad input)
//   WasmheapInspector.analyse(snapshot)      -> the figures the page shows
//   WasmheapInspector.mount(element, opts)   -> an inspector: load(buffer, name),
//                                               append(buffer), select(i), model()
//
// The parser and analyser run under Node too (module.exports).
(function (root) {
  'use strict';

  const MAGIC = 0x4e534857; // "WHSN"
  const KNOWN_VERSION = 1;
  const MIN_HEADER_WORDS = 18;
  const KIND = { UNUSED: 0, SLAB: 1, BIG: 2, BIG_INTERIOR: 3, FREE: 4, FREE_INTERIOR: 5, MAP: 6 };
  const KIND_NAMES = ['unused', 'slab', 'big block', 'big block', 'free run', 'free run', 'unit map'];
  const RUN_BUCKETS = 23;

  // ---- Reading ------------------------------------------------------------

  // Every snapshot in the buffer, in order. A snapshot's units stay a view on
  // (or a copy of) the buffer.
  function parse(buffer) {
    if (ArrayBuffer.isView(buffer)) buffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    const view = new DataView(buffer);
    const snapshots = [];
    let at = 0;
    while (at < buffer.byteLength) {
      if (buffer.byteLength - at < 16) throw new Error(`${buffer.byteLength - at} stray bytes at the end (offset ${at})`);
      const word = (i) => view.getUint32(at + 4 * i, true);
      if (word(0) !== MAGIC) {
        throw new Error(`no snapshot at byte ${at}: magic 0x${hex(word(0), 8)}, expected 0x${hex(MAGIC, 8)} ("WHSN")`);
      }
      const total = word(2), headerWords = word(3);
      if (total % 4 !== 0 || total < 16 || at + total > buffer.byteLength) {
        throw new Error(`snapshot at byte ${at} says it is ${total} bytes long, but ${buffer.byteLength - at} remain`);
      }
      if (headerWords < MIN_HEADER_WORDS) throw new Error(`snapshot at byte ${at} has a header of ${headerWords} words (at least ${MIN_HEADER_WORDS} expected)`);
      const s = {
        index: snapshots.length,
        offset: at,
        version: word(1),
        totalBytes: total,
        headerWords,
        unitSize: word(4),
        pageSize: word(5),
        base: word(6),
        units: word(7),
        memoryPages: word(8),
        classCount: word(9),
        bytesLive: word(10),
        bytesHeld: word(11),
        bytesHeldPeak: word(12),
        pagesGrown: word(13),
        blocksLive: word(14),
        bigBlocksLive: word(15),
        bytesCached: word(16),
        sequence: word(17),
        classes: [],
        table: null,
      };
      const need = 4 * (headerWords + 4 * s.classCount + s.units);
      if (need > total) throw new Error(`snapshot ${s.index} (byte ${at}) needs ${need} bytes for its ${s.classCount} classes and ${s.units} units, but says it is ${total}`);
      if (!(s.unitSize > 0) || s.pageSize % s.unitSize !== 0) throw new Error(`snapshot ${s.index}: unit size ${s.unitSize} does not divide page size ${s.pageSize}`);
      let w = headerWords;
      for (let c = 0; c < s.classCount; ++c, w += 4) {
        s.classes.push({ id: c, slotSize: word(w), slabUnits: word(w + 1), slabs: word(w + 2), slotsLive: word(w + 3) });
      }
      const tableAt = at + 4 * w;
      const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
      if (littleEndian && tableAt % 4 === 0) {
        s.table = new Uint32Array(buffer, tableAt, s.units);
      } else {
        s.table = new Uint32Array(s.units);
        for (let u = 0; u < s.units; ++u) s.table[u] = view.getUint32(tableAt + 4 * u, true);
      }
      snapshots.push(s);
      at += total;
    }
    if (snapshots.length === 0) throw new Error('the file is empty');
    return snapshots;
  }

  // ---- Figures ------------------------------------------------------------

  // What the unit table says: per-kind counts, slabs and their occupancy, free
  // runs, per-class slot counts, and any disagreement with the header.
  function analyse(s) {
    const n = s.units, t = s.table, unit = s.unitSize;
    const runFirst = new Int32Array(n); // first unit of the run each unit belongs to
    const occupancy = new Float32Array(n); // slab units: their slab's live / slots
    const kindUnits = { slab: 0, big: 0, free: 0, map: 0, unused: 0 };
    const classes = s.classes.map((c) => ({
      id: c.id, slotSize: c.slotSize, slabUnits: c.slabUnits, slabs: c.slabs, slotsLive: c.slotsLive,
      slotsPerSlab: c.slotSize ? Math.floor((c.slabUnits * unit) / c.slotSize) : 0,
      slabsSeen: 0, slotsFree: 0, slotsLiveSeen: 0,
    }));
    const freeRuns = [];
    const bigBlocks = [];
    const problems = [];
    const problem = (msg) => { if (problems.length < 8) problems.push(msg); };
    let u = 0;
    while (u < n) {
      const e = t[u], kind = e >>> 28, d = e & 0x0fffffff;
      let len = 1;
      switch (kind) {
        case KIND.SLAB: {
          const cls = d & 127, index = (d >>> 7) & 63;
          const c = classes[cls];
          if (!c || index !== 0) { problem(`unit ${u}: slab unit ${index} of class ${cls} without its slab's first unit`); break; }
          len = Math.max(1, Math.min(c.slabUnits, n - u));
          const free = d >>> 13;
          const slots = c.slotsPerSlab;
          for (let k = 1; k < len; ++k) {
            const f = t[u + k];
            if (f >>> 28 !== KIND.SLAB || (f & 127) !== cls || ((f >>> 7) & 63) !== k) {
              problem(`unit ${u + k}: expected unit ${k} of the class-${cls} slab at unit ${u}`);
              len = k;
              break;
            }
          }
          c.slabsSeen += 1;
          c.slotsFree += free;
          c.slotsLiveSeen += Math.max(0, slots - free);
          if (free > slots) problem(`unit ${u}: slab of class ${cls} has ${free} free slots of ${slots}`);
          const occ = slots ? Math.max(0, slots - free) / slots : 0;
          for (let k = 0; k < len; ++k) occupancy[u + k] = occ;
          kindUnits.slab += len;
          break;
        }
        case KIND.BIG:
        case KIND.FREE: {
          len = Math.max(1, Math.min(d, n - u));
          if (d < 1 || d > n - u) problem(`unit ${u}: a run of ${d} units past the top (${n})`);
          const interior = kind === KIND.BIG ? KIND.BIG_INTERIOR : KIND.FREE_INTERIOR;
          for (let k = 1; k < len; ++k) {
            const f = t[u + k];
            if (f >>> 28 !== interior || (f & 0x0fffffff) !== k) {
              problem(`unit ${u + k}: expected unit ${k} of the ${KIND_NAMES[kind]} at unit ${u}`);
              len = k;
              break;
            }
          }
          if (kind === KIND.BIG) {
            bigBlocks.push({ first: u, units: len });
            kindUnits.big += len;
          } else {
            freeRuns.push({ first: u, units: len });
            kindUnits.free += len;
          }
          break;
        }
        case KIND.MAP: {
          if (d !== 0) problem(`unit ${u}: unit map unit ${d} without its first unit`);
          while (u + len < n && t[u + len] >>> 28 === KIND.MAP && (t[u + len] & 0x0fffffff) === len) ++len;
          kindUnits.map += len;
          break;
        }
        case KIND.UNUSED: {
          while (u + len < n && t[u + len] >>> 28 === KIND.UNUSED) ++len;
          kindUnits.unused += len;
          break;
        }
        default:
          problem(`unit ${u}: ${kind === KIND.BIG_INTERIOR || kind === KIND.FREE_INTERIOR ? 'an interior unit' : `kind ${kind}`} without a run's first unit`);
          kindUnits.unused += 1;
      }
      for (let k = 0; k < len; ++k) runFirst[u + k] = u;
      u += len;
    }

    // The free run at the top: the last run but the unit map's (which lives
    // in the heap's last units once it leaves the heap object).
    let top = n;
    while (top > 0 && t[top - 1] >>> 28 === KIND.MAP) --top;
    let freeBytes = 0, largest = 0, topFree = 0;
    const buckets = new Array(RUN_BUCKETS).fill(0);
    for (const r of freeRuns) {
      const bytes = r.units * unit;
      freeBytes += bytes;
      largest = Math.max(largest, bytes);
      if (r.first + r.units === top) topFree = bytes;
      buckets[Math.min(RUN_BUCKETS - 1, 31 - Math.clz32(r.units))] += 1;
    }
    let liveSmall = 0, slotsLive = 0, slotsFree = 0;
    for (const c of classes) {
      if (c.slabsSeen !== c.slabs) problem(`class ${c.id} (${c.slotSize} B): the class table says ${c.slabs} slabs, the units ${c.slabsSeen}`);
      if (c.slotsLiveSeen !== c.slotsLive) problem(`class ${c.id} (${c.slotSize} B): the class table says ${c.slotsLive} slots live, its slabs' free counts ${c.slotsLiveSeen}`);
      liveSmall += c.slotsLive * c.slotSize;
      slotsLive += c.slotsLive;
      slotsFree += c.slotsFree;
    }
    const bigBytes = kindUnits.big * unit;
    const slabBytes = kindUnits.slab * unit;
    if (slabBytes + bigBytes !== s.bytesHeld) problem(`held bytes: the header says ${s.bytesHeld}, slabs and big blocks in the units ${slabBytes + bigBytes}`);
    if (liveSmall + bigBytes !== s.bytesLive) problem(`live bytes: the header says ${s.bytesLive}, slots and big blocks in the units ${liveSmall + bigBytes}`);
    if (bigBlocks.length !== s.bigBlocksLive) problem(`big blocks: the header says ${s.bigBlocksLive}, the units ${bigBlocks.length}`);
    if (s.version !== KNOWN_VERSION) problem(`format version ${s.version}; this page knows version ${KNOWN_VERSION}`);

    return {
      snapshot: s,
      runFirst,
      occupancy,
      classes,
      freeRuns,
      bigBlocks,
      buckets,
      problems,
      figures: {
        sequence: s.sequence,
        units: n,
        heap_bytes: n * unit,
        memory_pages: s.memoryPages,
        memory_bytes: s.memoryPages * s.pageSize,
        pages_grown: s.pagesGrown,
        bytes_live: s.bytesLive,
        bytes_held: s.bytesHeld,
        bytes_held_peak: s.bytesHeldPeak,
        bytes_cached: s.bytesCached,
        blocks_live: s.blocksLive,
        big_blocks: bigBlocks.length,
        slab_bytes: slabBytes,
        slabs: classes.reduce((a, c) => a + c.slabsSeen, 0),
        slots_live: slotsLive,
        slots_free: slotsFree,
        big_bytes: bigBytes,
        map_bytes: kindUnits.map * unit,
        foreign_bytes: kindUnits.unused * unit,
        free_runs: freeRuns.length,
        free_run_bytes: freeBytes,
        largest_free_run: largest,
        top_free_bytes: topFree,
      },
      kindUnits,
    };
  }

  // ---- Formatting ---------------------------------------------------------

  function hex(v, digits) { return (v >>> 0).toString(16).padStart(digits, '0'); }
  function addr(v) { return '0x' + hex(v, 8); }
  function int(v) { return Math.round(v).toLocaleString('en-US'); }
  // 1,024 B -> "1 KiB", 1,572,864 -> "1.50 MiB": three significant digits.
  function bytes(v) {
    if (v < 1024) return `${int(v)} B`;
    const units = ['KiB', 'MiB', 'GiB'];
    let x = v / 1024, i = 0;
    while (x >= 1024 && i < units.length - 1) { x /= 1024; ++i; }
    const text = Number.isInteger(x) ? String(x) : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
    return `${text} ${units[i]}`;
  }
  function pct(a, b) { return b ? `${((100 * a) / b).toFixed(1)}%` : '–'; }
  function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]); }

  // ---- Colours ------------------------------------------------------------

  // Slabs: hue by slot size (cyan for 8 B through blue and violet to magenta
  // for 16 KiB), lightness and saturation by occupancy (empty slabs are dim).
  function classHue(slotSize) {
    const t = Math.max(0, Math.min(1, (Math.log2(Math.max(8, slotSize)) - 3) / 11));
    return 188 + t * 142;
  }
  function slabColour(slotSize, occ) {
    return `hsl(${classHue(slotSize).toFixed(0)}, ${(38 + 42 * occ).toFixed(0)}%, ${(24 + 40 * occ).toFixed(0)}%)`;
  }
  const COLOURS = {
    big: '#f2a93b',
    big2: '#e0912a',
    free: '#2c3442',
    map: '#3fcf8e',
    unused: '#1b1f26',
    unusedHatch: '#2a303a',
    background: '#171b21',
  };

  // ---- The page -----------------------------------------------------------

  const TEMPLATE = `
<header class="bar">
  <div class="brand"><span class="logo" aria-hidden="true"></span>wasmheap <b>inspector</b></div>
  <label class="button" data-role="open" title="A file written with wasmheap_snapshot(): one snapshot, or several one after another (a recording)">
    Open snapshot…<input type="file" data-role="file" accept=".whsn,.bin,.snap,application/octet-stream" hidden>
  </label>
  <div class="source" data-role="source">Drop a snapshot file anywhere on the page</div>
  <div class="picker" data-role="picker" hidden>
    <button type="button" data-role="prev" title="Previous snapshot (←)">‹</button>
    <input type="range" data-role="slider" min="0" max="0" value="0" aria-label="snapshot">
    <button type="button" data-role="next" title="Next snapshot (→)">›</button>
    <button type="button" data-role="play" title="Play the recording (space)">▶</button>
    <span class="which" data-role="which"></span>
  </div>
</header>
<main>
  <div data-role="extra"></div>
  <section class="panel timeline-panel" data-role="timeline-panel" hidden>
    <h2>Timeline <small data-role="timeline-note"></small></h2>
    <div data-role="timeline"></div>
  </section>
  <div class="columns">
    <section class="panel map-panel">
      <h2>Memory <small data-role="map-note">one cell per 1 KiB unit, one row per 64 KiB page</small></h2>
      <div class="map-scroll" data-role="map-scroll">
        <canvas data-role="map" id="heap-map" width="0" height="0"></canvas>
        <div class="empty">
          <p>No snapshot loaded.</p>
          <p>Open a file written by <code>wasmheap_snapshot()</code>, drop one on the page, or pass
             <code>?snapshot=URL</code> when the page is served over http.</p>
          <p class="error" data-role="error"></p>
        </div>
      </div>
    </section>
    <aside class="side">
      <section class="panel"><h2>Legend</h2><ul class="legend" data-role="legend" id="legend"></ul></section>
      <section class="panel">
        <h2>Figures <small>from the unit table</small></h2>
        <dl class="figures" data-role="figures" id="figures"></dl>
        <p class="warning" data-role="warnings" id="warnings" hidden></p>
      </section>
      <section class="panel"><h2>Free runs by length</h2><div data-role="runs" id="free-runs"></div></section>
    </aside>
  </div>
  <section class="panel classes-panel">
    <h2>Size classes <small>slots live (coloured) and free, for each class that has slabs</small></h2>
    <div class="classes" data-role="classes" id="classes"></div>
  </section>
</main>
<div class="tooltip" data-role="tooltip" id="tooltip" hidden></div>
<script type="application/json" id="inspector-model">null</script>`;

  function mount(container, options = {}) {
    container.innerHTML = TEMPLATE;
    const $ = (role) => container.querySelector(`[data-role="${role}"]`);
    const el = {
      file: $('file'), open: $('open'), source: $('source'), picker: $('picker'), prev: $('prev'), next: $('next'),
      play: $('play'), slider: $('slider'), which: $('which'), timelinePanel: $('timeline-panel'),
      timeline: $('timeline'), timelineNote: $('timeline-note'), mapScroll: $('map-scroll'), map: $('map'),
      mapNote: $('map-note'), error: $('error'), legend: $('legend'), figures: $('figures'), warnings: $('warnings'),
      runs: $('runs'), classes: $('classes'), tooltip: $('tooltip'), extra: $('extra'),
      model: container.querySelector('#inspector-model'),
    };
    if (!options.openButton) el.open.hidden = true;

    const state = {
      snapshots: [],
      analyses: [],
      current: -1,
      name: '',
      layout: null,
      hover: -1,
      highlightClass: -1,
      playing: null,
      follow: true, // append() selects the newest snapshot while the newest is shown
      cellsDrawn: 0,
    };
    const overlay = document.createElement('canvas');
    overlay.style.cssText = 'position:absolute;left:0;top:0;pointer-events:none';
    el.mapScroll.appendChild(overlay);

    function setState(s) { document.body.dataset.state = s; }

    function fail(message) {
      el.error.textContent = message;
      el.source.textContent = state.name ? `${state.name}: ${message}` : message;
      setState(state.snapshots.length ? 'ready' : 'error');
      document.body.dataset.error = message;
    }

    function load(buffer, name) {
      let snapshots;
      try {
        snapshots = parse(buffer);
      } catch (e) {
        state.name = name || '';
        fail(`not a wasmheap snapshot: ${e.message}`);
        return false;
      }
      state.snapshots = snapshots;
      state.analyses = [];
      state.name = name || 'snapshot';
      delete document.body.dataset.error;
      updateSource();
      select(snapshots.length - 1);
      return true;
    }

    function append(buffer, name) {
      const more = parse(buffer);
      if (name) state.name = name;
      const wasLast = state.current === state.snapshots.length - 1;
      for (const s of more) { s.index = state.snapshots.length; state.snapshots.push(s); }
      updateSource();
      if (state.current < 0 || (state.follow && wasLast)) select(state.snapshots.length - 1);
      else { updatePicker(); drawTimeline(); }
    }

    function updateSource() {
      const n = state.snapshots.length;
      const total = state.snapshots.reduce((a, s) => a + s.totalBytes, 0);
      el.source.textContent = `${state.name} — ${n === 1 ? 'one snapshot' : `a recording of ${n} snapshots`}, ${bytes(total)}`;
    }

    function analysis(i) {
      if (!state.analyses[i]) state.analyses[i] = analyse(state.snapshots[i]);
      return state.analyses[i];
    }

    function select(i) {
      if (!state.snapshots.length) return;
      i = Math.max(0, Math.min(state.snapshots.length - 1, i | 0));
      state.current = i;
      state.hover = -1;
      hideTooltip();
      const a = analysis(i);
      updatePicker();
      drawMap(a);
      drawLegend(a);
      drawFigures(a);
      drawRuns(a);
      drawClasses(a);
      drawTimeline();
      publish(a);
      setState('ready');
    }

    function updatePicker() {
      const n = state.snapshots.length;
      el.picker.hidden = n === 0;
      el.slider.max = String(Math.max(0, n - 1));
      el.slider.value = String(state.current);
      el.slider.disabled = n < 2;
      const s = state.snapshots[state.current];
      el.which.textContent = s ? `${state.current + 1} / ${n}  #${s.sequence}` : '';
    }

    // ---- the heap map ----

    function computeLayout(s) {
      const perPage = s.pageSize / s.unitSize;
      const width = Math.max(320, el.mapScroll.clientWidth || 900);
      const labelW = 86;
      let cols = perPage;
      const firstAbs = Math.floor(s.base / s.unitSize);
      const rowsFor = (c) => Math.floor((firstAbs + s.units - 1) / c) - Math.floor(firstAbs / c) + 1;
      let cell = Math.max(4, Math.min(16, Math.floor((width - labelW - 8) / cols)));
      // Big heaps: smaller cells, then more pages per row, so the map stays
      // a few screens tall at most.
      while (s.units > 0 && rowsFor(cols) * cell > 6000 && cell > 3) --cell;
      while (s.units > 0 && rowsFor(cols) * cell > 12000 && cols < perPage * 64) cols *= 2;
      const firstRow = Math.floor(firstAbs / cols);
      const rows = s.units ? rowsFor(cols) : 0;
      const gap = cell >= 7 ? 1 : 0;
      return { cols, cell, gap, labelW, firstAbs, firstRow, rows, perPage, width: labelW + cols * cell + 4, height: rows * cell + 2 };
    }

    function cellXY(L, u) {
      const abs = L.firstAbs + u;
      return [L.labelW + (abs % L.cols) * L.cell, (Math.floor(abs / L.cols) - L.firstRow) * L.cell];
    }

    function unitColour(a, u) {
      const s = a.snapshot, e = s.table[u], kind = e >>> 28;
      switch (kind) {
        case KIND.SLAB: {
          const c = s.classes[e & 127];
          if (state.highlightClass >= 0 && (e & 127) !== state.highlightClass) return '#242a33';
          return slabColour(c ? c.slotSize : 8, a.occupancy[u]);
        }
        case KIND.BIG:
        case KIND.BIG_INTERIOR: {
          if (state.highlightClass >= 0) return '#4a3c26';
          // Neighbouring big blocks alternate between two shades.
          const first = a.runFirst[u];
          return (a.bigIndex.get(first) & 1) ? COLOURS.big2 : COLOURS.big;
        }
        case KIND.FREE:
        case KIND.FREE_INTERIOR: return COLOURS.free;
        case KIND.MAP: return COLOURS.map;
        default: return COLOURS.unused;
      }
    }

    function drawMap(a) {
      const s = a.snapshot;
      if (!a.bigIndex) a.bigIndex = new Map(a.bigBlocks.map((b, i) => [b.first, i]));
      const L = computeLayout(s);
      state.layout = L;
      const dpr = window.devicePixelRatio || 1;
      const cv = el.map;
      cv.width = Math.round(L.width * dpr);
      cv.height = Math.round(L.height * dpr);
      cv.style.width = `${L.width}px`;
      cv.style.height = `${L.height}px`;
      overlay.width = cv.width;
      overlay.height = cv.height;
      overlay.style.width = cv.style.width;
      overlay.style.height = cv.style.height;
      const g = cv.getContext('2d');
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, L.width, L.height);

      // Row labels: each row's first address.
      g.fillStyle = '#6b778a';
      g.font = `${Math.min(11, Math.max(8, L.cell - 2))}px ui-monospace, "DejaVu Sans Mono", monospace`;
      g.textBaseline = 'middle';
      const labelEvery = Math.max(1, Math.ceil(14 / L.cell));
      for (let r = 0; r < L.rows; ++r) {
        if (r % labelEvery) continue;
        const rowAddr = (L.firstRow + r) * L.cols * s.unitSize;
        g.fillText(addr(rowAddr), 4, r * L.cell + L.cell / 2);
      }

      const n = s.units, rf = a.runFirst, t = s.table, cell = L.cell, gap = L.gap, inner = cell - gap;
      let drawn = 0;
      for (let u = 0; u < n; ++u) {
        const [x, y] = cellXY(L, u);
        g.fillStyle = unitColour(a, u);
        // Cells of one run (a slab, a big block, a free run) join up; runs
        // are set apart by a gap.
        const right = gap && u + 1 < n && rf[u + 1] === rf[u] && (L.firstAbs + u + 1) % L.cols !== 0;
        const down = gap && u + L.cols < n && rf[u + L.cols] === rf[u];
        g.fillRect(x, y, inner + (right ? gap : 0), inner + (down ? gap : 0));
        if (right && down && rf[u + L.cols + 1] === rf[u]) g.fillRect(x + inner, y + inner, gap, gap);
        if ((t[u] >>> 28) === KIND.UNUSED && cell >= 6) {
          g.strokeStyle = COLOURS.unusedHatch;
          g.lineWidth = 1;
          g.beginPath();
          g.moveTo(x + 1, y + inner - 1);
          g.lineTo(x + inner - 1, y + 1);
          g.stroke();
        }
        ++drawn;
      }
      state.cellsDrawn = drawn;
      cv.dataset.cells = String(drawn);
      const rowsText = L.cols === L.perPage ? 'one row per 64 KiB page' : `one row per ${L.cols / L.perPage} pages`;
      el.mapNote.textContent = `one cell per ${bytes(s.unitSize)} unit, ${rowsText}: ${int(n)} units from ${addr(s.base)} to ${addr(s.base + n * s.unitSize)}`;
      drawOverlay();
    }

    function drawOverlay() {
      const L = state.layout;
      const g = overlay.getContext('2d');
      const dpr = window.devicePixelRatio || 1;
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, overlay.width, overlay.height);
      if (state.hover < 0 || !L) return;
      const a = analysis(state.current);
      const first = a.runFirst[state.hover];
      const len = runLength(a, first);
      g.strokeStyle = '#ffffff';
      g.lineWidth = 1.5;
      // Outline the hovered run row by row.
      let u = first;
      while (u < first + len) {
        const rowEnd = Math.min(first + len, u + (L.cols - ((L.firstAbs + u) % L.cols)));
        const [x, y] = cellXY(L, u);
        g.strokeRect(x - 0.5, y - 0.5, (rowEnd - u) * L.cell - L.gap + 1, L.cell - L.gap + 1);
        u = rowEnd;
      }
    }

    function runLength(a, first) {
      const rf = a.runFirst, n = a.snapshot.units;
      let len = 1;
      while (first + len < n && rf[first + len] === first) ++len;
      return len;
    }

    function unitAt(ev) {
      const L = state.layout;
      if (!L || state.current < 0) return -1;
      const r = el.map.getBoundingClientRect();
      const x = ev.clientX - r.left - L.labelW, y = ev.clientY - r.top;
      if (x < 0 || y < 0) return -1;
      const col = Math.floor(x / L.cell), row = Math.floor(y / L.cell);
      if (col >= L.cols || row >= L.rows) return -1;
      const u = (L.firstRow + row) * L.cols + col - L.firstAbs;
      return u >= 0 && u < state.snapshots[state.current].units ? u : -1;
    }

    function describe(a, u) {
      const s = a.snapshot, e = s.table[u], kind = e >>> 28, d = e & 0x0fffffff;
      const first = a.runFirst[u], len = runLength(a, first);
      const rows = [['address', `${addr(s.base + u * s.unitSize)}  (unit ${int(u)})`]];
      let title = KIND_NAMES[kind] || `kind ${kind}`, colour = unitColour(a, u);
      const runText = `${int(len)} unit${len === 1 ? '' : 's'} (${bytes(len * s.unitSize)}) at ${addr(s.base + first * s.unitSize)}`;
      if (kind === KIND.SLAB) {
        const c = a.classes[d & 127];
        const free = s.table[first] >>> 13;
        const live = Math.max(0, c.slotsPerSlab - free);
        title = `slab · ${int(c.slotSize)} B slots`;
        rows.push(['class', `${c.id}: ${int(c.slotSize)} B slots, ${c.slotsPerSlab} per slab`]);
        rows.push(['slab', runText]);
        rows.push(['unit', `${u - first + 1} of ${len}`]);
        rows.push(['slots', `${int(live)} live, ${int(free)} free (${pct(live, c.slotsPerSlab)} full)`]);
      } else if (kind === KIND.BIG || kind === KIND.BIG_INTERIOR) {
        title = 'big block';
        rows.push(['block', runText]);
        rows.push(['unit', `${u - first + 1} of ${len}`]);
      } else if (kind === KIND.FREE || kind === KIND.FREE_INTERIOR) {
        title = 'free run';
        rows.push(['run', runText]);
        if (len * s.unitSize === a.figures.top_free_bytes && a.freeRuns.length && a.freeRuns[a.freeRuns.length - 1].first === first) rows.push(['', 'at the top of the heap']);
      } else if (kind === KIND.MAP) {
        title = 'unit map';
        rows.push(['map', runText]);
      } else {
        title = 'foreign';
        rows.push(['run', runText]);
        rows.push(['', 'below the top, not the heap’s (grown by someone else)']);
      }
      return { title, colour, rows };
    }

    function showTooltip(ev, u) {
      const a = analysis(state.current);
      const info = describe(a, u);
      el.tooltip.innerHTML = `<div class="t-title"><span class="swatch" style="background:${info.colour}"></span>${esc(info.title)}</div>` +
        `<table>${info.rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
      el.tooltip.hidden = false;
      el.tooltip.dataset.unit = String(u);
      const w = el.tooltip.offsetWidth, h = el.tooltip.offsetHeight;
      let x = ev.clientX + 16, y = ev.clientY + 16;
      if (x + w > window.innerWidth - 4) x = ev.clientX - w - 12;
      if (y + h > window.innerHeight - 4) y = ev.clientY - h - 12;
      el.tooltip.style.left = `${Math.max(4, x)}px`;
      el.tooltip.style.top = `${Math.max(4, y)}px`;
    }
    function hideTooltip() { el.tooltip.hidden = true; }

    el.map.addEventListener('mousemove', (ev) => {
      const u = unitAt(ev);
      if (u < 0) { state.hover = -1; hideTooltip(); drawOverlay(); return; }
      const a = analysis(state.current);
      const changed = state.hover < 0 || a.runFirst[state.hover] !== a.runFirst[u];
      state.hover = u;
      showTooltip(ev, u);
      if (changed) drawOverlay();
    });
    el.map.addEventListener('mouseleave', () => { state.hover = -1; hideTooltip(); drawOverlay(); });

    // ---- side panels ----

    function drawLegend(a) {
      const s = a.snapshot, k = a.kindUnits;
      const entries = [
        ['slab', 'slab (hue: class, dim: empty)', `<span class="ramp" style="background:linear-gradient(90deg, ${slabColour(16, 0)}, ${slabColour(16, 1)} 45%, ${slabColour(1024, 1)} 75%, ${slabColour(16384, 1)})"></span>`, k.slab],
        ['big', 'big block', `<span class="swatch" style="background:${COLOURS.big}"></span>`, k.big],
        ['free', 'free run', `<span class="swatch" style="background:${COLOURS.free}"></span>`, k.free],
        ['map', 'unit map', `<span class="swatch" style="background:${COLOURS.map}"></span>`, k.map],
        ['unused', 'foreign (not the heap’s)', `<span class="swatch" style="background:${COLOURS.unused};border-color:${COLOURS.unusedHatch}"></span>`, k.unused],
      ];
      el.legend.innerHTML = entries.map(([key, label, sw, units]) =>
        `<li data-legend="${key}" data-units="${units}">${sw}<span>${esc(label)}</span><span class="count">${int(units)} · ${bytes(units * s.unitSize)}</span></li>`).join('');
    }

    function figure(key, label, value, text, sub) {
      return `<dt>${esc(label)}</dt><dd data-figure="${key}" data-value="${value}"><span class="v">${esc(text)}</span>${sub ? `<span class="sub">${esc(sub)}</span>` : ''}</dd>`;
    }

    function drawFigures(a) {
      const f = a.figures, s = a.snapshot;
      const sep = '<div class="sep"></div>';
      el.figures.innerHTML = [
        figure('sequence', 'snapshot', f.sequence, `#${f.sequence}`, `${state.current + 1} of ${state.snapshots.length}`),
        figure('units', 'units', f.units, int(f.units), bytes(f.heap_bytes)),
        figure('memory_pages', 'memory pages', f.memory_pages, int(f.memory_pages), bytes(f.memory_bytes)),
        figure('pages_grown', 'pages grown', f.pages_grown, int(f.pages_grown)),
        sep,
        figure('bytes_live', 'live bytes', f.bytes_live, bytes(f.bytes_live), `${pct(f.bytes_live, f.bytes_held)} of held`),
        figure('bytes_held', 'held bytes', f.bytes_held, bytes(f.bytes_held), `peak ${bytes(f.bytes_held_peak)}`),
        figure('blocks_live', 'live blocks', f.blocks_live, int(f.blocks_live), `${int(f.big_blocks)} big`),
        ...(f.bytes_cached ? [figure('bytes_cached', 'cached by threads', f.bytes_cached, bytes(f.bytes_cached))] : []),
        sep,
        figure('slab_bytes', 'in slabs', f.slab_bytes, bytes(f.slab_bytes), `${int(f.slabs)} slabs`),
        figure('big_bytes', 'in big blocks', f.big_bytes, bytes(f.big_bytes), `${int(f.big_blocks)} blocks`),
        figure('map_bytes', 'unit map', f.map_bytes, bytes(f.map_bytes), f.map_bytes ? '' : 'inline'),
        figure('foreign_bytes', 'foreign', f.foreign_bytes, bytes(f.foreign_bytes)),
        sep,
        figure('free_runs', 'free runs', f.free_runs, int(f.free_runs)),
        figure('free_run_bytes', 'free bytes', f.free_run_bytes, bytes(f.free_run_bytes), pct(f.free_run_bytes, f.heap_bytes) + ' of heap'),
        figure('largest_free_run', 'largest free run', f.largest_free_run, bytes(f.largest_free_run),
          f.free_run_bytes ? `${pct(f.free_run_bytes - f.largest_free_run, f.free_run_bytes)} elsewhere` : ''),
        figure('top_free_bytes', 'free at the top', f.top_free_bytes, bytes(f.top_free_bytes)),
        figure('slots_free', 'free slots', f.slots_free, int(f.slots_free), `${int(f.slots_live)} live`),
      ].join('');
      el.warnings.hidden = a.problems.length === 0;
      el.warnings.textContent = a.problems.length ? `The snapshot disagrees with itself:\n${a.problems.join('\n')}` : '';
      void s;
    }

    function drawRuns(a) {
      const b = a.buckets;
      let last = -1;
      for (let i = 0; i < b.length; ++i) if (b[i]) last = i;
      if (last < 0) { el.runs.innerHTML = '<span class="none">no free runs</span>'; return; }
      const max = Math.max(...b);
      // Bucket i holds runs of [2^i, 2^(i+1)) units.
      const unit = a.snapshot.unitSize;
      const lbl = (i) => {
        if (i === 0) return bytes(unit);
        const lo = (2 ** i) * unit, hi = (2 ** (i + 1) - 1) * unit;
        return hi < 1024 * 1024 ? `${lo / 1024}–${hi / 1024} KiB` : `${bytes(lo)}+`;
      };
      let html = '<div class="runs-chart">';
      for (let i = 0; i <= last; ++i) {
        html += `<span class="lbl">${lbl(i)}</span><span class="track"><span class="run-bar" style="width:${b[i] ? Math.max(1, (100 * b[i]) / max) : 0}%"></span></span><span class="num" data-bucket="${i}">${b[i]}</span>`;
      }
      el.runs.innerHTML = html + '</div>';
    }

    function drawClasses(a) {
      const rows = a.classes.filter((c) => c.slabsSeen > 0 || c.slabs > 0 || c.slotsLive > 0);
      if (!rows.length) { el.classes.innerHTML = '<span class="none">no slabs</span>'; return; }
      el.classes.innerHTML = rows.map((c) => {
        const total = c.slotsLive + c.slotsFree;
        const w = total ? (100 * c.slotsLive) / total : 0;
        return `<div class="class-row${state.highlightClass === c.id ? ' on' : ''}" data-class="${c.id}" data-slot-size="${c.slotSize}" data-live="${c.slotsLive}" data-free="${c.slotsFree}" data-slabs="${c.slabsSeen}"
          title="class ${c.id}: ${c.slotSize} B slots, ${c.slotsPerSlab} per slab of ${c.slabUnits} KiB; ${c.slotsLive} live, ${c.slotsFree} free (${bytes(c.slotsLive * c.slotSize)} live)">
          <span class="size">${c.slotSize >= 1024 && c.slotSize % 1024 === 0 ? `${c.slotSize / 1024} KiB` : `${int(c.slotSize)} B`}</span>
          <span class="track"><span class="live" style="width:${w}%;background:${slabColour(c.slotSize, 0.85)}"></span></span>
          <span class="info">${int(c.slotsLive)} / ${int(total)} · ${c.slabsSeen} slab${c.slabsSeen === 1 ? '' : 's'}</span></div>`;
      }).join('');
    }
    el.classes.addEventListener('mouseover', (ev) => {
      const row = ev.target.closest('.class-row');
      const id = row ? Number(row.dataset.class) : -1;
      if (id !== state.highlightClass) {
        state.highlightClass = id;
        for (const r of el.classes.querySelectorAll('.class-row')) r.classList.toggle('on', Number(r.dataset.class) === id);
        drawMap(analysis(state.current));
      }
    });
    el.classes.addEventListener('mouseleave', () => {
      if (state.highlightClass >= 0) {
        state.highlightClass = -1;
        for (const r of el.classes.querySelectorAll('.class-row')) r.classList.remove('on');
        drawMap(analysis(state.current));
      }
    });

    // ---- timeline ----

    function niceStep(max, ticks) {
      const raw = max / ticks, p = Math.pow(2, Math.floor(Math.log2(raw)));
      for (const m of [1, 2, 4, 8]) if (p * m >= raw) return p * m;
      return p * 8;
    }

    function drawTimeline() {
      const n = state.snapshots.length;
      el.timelinePanel.hidden = n === 0;
      if (!n) return;
      const series = state.snapshots.map((s) => ({
        memory: s.memoryPages * s.pageSize, held: s.bytesHeld, live: s.bytesLive, pages: s.memoryPages, seq: s.sequence,
      }));
      const W = Math.max(400, el.timeline.clientWidth || 900), H = 170;
      const m = { l: 64, r: 14, t: 10, b: 24 };
      const max = Math.max(1, ...series.map((p) => Math.max(p.memory, p.held, p.live)));
      const step = niceStep(max, 4), top = Math.ceil(max / step) * step;
      const x = (i) => m.l + (n === 1 ? (W - m.l - m.r) / 2 : (i * (W - m.l - m.r)) / (n - 1));
      const y = (v) => m.t + (H - m.t - m.b) * (1 - v / top);
      const path = (key, stepped) => series.map((p, i) => {
        if (i === 0) return `M${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`;
        return stepped ? `H${x(i).toFixed(1)}V${y(p[key]).toFixed(1)}` : `L${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`;
      }).join('');
      let svg = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" data-points="${n}" xmlns="http://www.w3.org/2000/svg">`;
      svg += '<g class="grid axis">';
      for (let v = 0; v <= top + 1e-9; v += step) {
        svg += `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}"></line><text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${bytes(v)}</text>`;
      }
      const every = Math.max(1, Math.ceil(n / Math.floor((W - m.l - m.r) / 46)));
      for (let i = 0; i < n; i += every) svg += `<text x="${x(i)}" y="${H - 6}" text-anchor="middle">#${series[i].seq}</text>`;
      svg += '</g>';
      const live = series.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.live).toFixed(1)}`).join('');
      svg += `<path d="${live}L${x(n - 1).toFixed(1)},${y(0)}L${x(0).toFixed(1)},${y(0)}Z" fill="rgba(124,196,255,0.12)"></path>`;
      svg += `<path d="${path('memory', true)}" fill="none" stroke="#3fcf8e" stroke-width="2" data-series="memory"></path>`;
      svg += `<path d="${path('held', false)}" fill="none" stroke="#f2a93b" stroke-width="2" data-series="held"></path>`;
      svg += `<path d="${live}" fill="none" stroke="#7cc4ff" stroke-width="2" data-series="live"></path>`;
      const cur = state.current;
      svg += `<line x1="${x(cur)}" x2="${x(cur)}" y1="${m.t}" y2="${H - m.b}" stroke="#ffffff" stroke-opacity="0.5" stroke-dasharray="3 3"></line>`;
      for (let i = 0; i < n; ++i) {
        const r = i === cur ? 4.5 : n > 60 ? 0 : 2.5;
        if (r) svg += `<circle cx="${x(i)}" cy="${y(series[i].live)}" r="${r}" fill="${i === cur ? '#ffffff' : '#7cc4ff'}"></circle>`;
      }
      svg += '</svg>';
      const p = series[cur];
      el.timeline.innerHTML = svg +
        `<div class="keys"><span><i style="background:#3fcf8e"></i>memory (${int(p.pages)} pages)</span>` +
        `<span><i style="background:#f2a93b"></i>held ${bytes(p.held)}</span><span><i style="background:#7cc4ff"></i>live ${bytes(p.live)}</span></div>`;
      el.timelineNote.textContent = n === 1 ? 'one snapshot' : `${n} snapshots; click to pick one`;
      const svgEl = el.timeline.querySelector('svg');
      svgEl.addEventListener('click', (ev) => {
        const r = svgEl.getBoundingClientRect();
        const px = ((ev.clientX - r.left) * W) / r.width;
        const i = n === 1 ? 0 : Math.round(((px - m.l) * (n - 1)) / (W - m.l - m.r));
        stop();
        select(i);
      });
    }

    // ---- the model, for tests and tools ----

    function model() {
      if (state.current < 0) return null;
      const a = analysis(state.current);
      return {
        source: state.name,
        snapshots: state.snapshots.length,
        current: state.current,
        cellsDrawn: state.cellsDrawn,
        figures: a.figures,
        kindUnits: a.kindUnits,
        legend: [...el.legend.querySelectorAll('li')].map((li) => ({ key: li.dataset.legend, units: Number(li.dataset.units), text: li.textContent })),
        classes: a.classes.filter((c) => c.slabsSeen || c.slabs || c.slotsLive)
          .map((c) => ({ id: c.id, slotSize: c.slotSize, slabs: c.slabsSeen, slotsLive: c.slotsLive, slotsFree: c.slotsFree })),
        freeRunBuckets: a.buckets,
        problems: a.problems,
        timeline: state.snapshots.map((s) => ({ sequence: s.sequence, memoryPages: s.memoryPages, bytesLive: s.bytesLive, bytesHeld: s.bytesHeld })),
        layout: state.layout && { cols: state.layout.cols, cell: state.layout.cell, rows: state.layout.rows, labelW: state.layout.labelW },
      };
    }
    function publish() {
      if (el.model) el.model.textContent = JSON.stringify(model());
    }

    // ---- controls ----

    function stop() {
      if (state.playing) { clearInterval(state.playing); state.playing = null; el.play.textContent = '▶'; }
    }
    function play() {
      if (state.playing) { stop(); return; }
      if (state.current >= state.snapshots.length - 1) select(0);
      el.play.textContent = '❚❚';
      state.playing = setInterval(() => {
        if (state.current >= state.snapshots.length - 1) stop();
        else select(state.current + 1);
      }, 700);
    }
    el.prev.addEventListener('click', () => { stop(); select(state.current - 1); });
    el.next.addEventListener('click', () => { stop(); select(state.current + 1); });
    el.play.addEventListener('click', play);
    el.slider.addEventListener('input', () => { stop(); select(Number(el.slider.value)); });
    document.addEventListener('keydown', (ev) => {
      if (ev.target instanceof HTMLInputElement && ev.target.type !== 'range') return;
      if (ev.key === 'ArrowLeft') { stop(); select(state.current - 1); ev.preventDefault(); }
      else if (ev.key === 'ArrowRight') { stop(); select(state.current + 1); ev.preventDefault(); }
      else if (ev.key === ' ' && state.snapshots.length > 1) { play(); ev.preventDefault(); }
    });

    function readFile(file) {
      const reader = new FileReader();
      reader.onload = () => load(reader.result, file.name);
      reader.onerror = () => fail(`cannot read ${file.name}`);
      reader.readAsArrayBuffer(file);
    }
    el.file.addEventListener('change', () => { if (el.file.files[0]) readFile(el.file.files[0]); });
    if (options.openButton) {
      let depth = 0;
      document.addEventListener('dragenter', (ev) => { ev.preventDefault(); if (++depth === 1) document.body.classList.add('dragging'); });
      document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; document.body.classList.remove('dragging'); } });
      document.addEventListener('dragover', (ev) => ev.preventDefault());
      document.addEventListener('drop', (ev) => {
        ev.preventDefault();
        depth = 0;
        document.body.classList.remove('dragging');
        const f = ev.dataTransfer && ev.dataTransfer.files[0];
        if (f) readFile(f);
      });
    }

    let resizeTimer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { if (state.current >= 0) { drawMap(analysis(state.current)); drawTimeline(); } }, 120);
    });

    const inspector = {
      load, append, select, model,
      get count() { return state.snapshots.length; },
      get current() { return state.current; },
      set follow(v) { state.follow = !!v; },
      element: el,
      describeUnit: (u) => describe(analysis(state.current), u),
      // Scrolls the map (and the page) so that unit u's cell is in view.
      revealUnit: (u) => {
        const L = state.layout, [x, y] = cellXY(L, u);
        el.mapScroll.scrollTop = Math.max(0, y - el.mapScroll.clientHeight / 2);
        const r = el.map.getBoundingClientRect();
        window.scrollBy(0, r.top + y - window.innerHeight / 2);
        void x;
      },
      cellCentre: (u) => {
        const L = state.layout, r = el.map.getBoundingClientRect(), [x, y] = cellXY(L, u);
        return { x: r.left + x + L.cell / 2, y: r.top + y + L.cell / 2 };
      },
    };
    root.wasmheapInspector = inspector;
    if (options.fromPage) loadFromPage(inspector, fail);
    return inspector;
  }

  // A snapshot given with the page: embedded, or ?snapshot=URL.
  function loadFromPage(inspector, fail) {
    const embedded = document.getElementById('wasmheap-snapshot');
    const given = root.WASMHEAP_SNAPSHOT || (embedded && embedded.textContent.trim());
    if (given) {
      const buffer = typeof given === 'string' ? base64ToBuffer(given) : given;
      inspector.load(buffer, (embedded && embedded.dataset.name) || root.WASMHEAP_SNAPSHOT_NAME || 'embedded snapshot');
      return;
    }
    const url = new URLSearchParams(location.search).get('snapshot');
    if (!url) return;
    document.body.dataset.state = 'loading';
    const name = decodeURIComponent(url.split('/').pop() || url);
    // fetch() refuses file:// URLs; XMLHttpRequest reads them in a browser
    // that allows it (Chromium's --allow-file-access-from-files).
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url);
    xhr.responseType = 'arraybuffer';
    xhr.onload = () => {
      if ((xhr.status === 200 || xhr.status === 0) && xhr.response && xhr.response.byteLength) inspector.load(xhr.response, name);
      else fail(`cannot load ${url}: HTTP ${xhr.status}`);
    };
    xhr.onerror = () => fail(`cannot load ${url}${location.protocol === 'file:' ? ' (from file://, open the file with the button or drop it instead)' : ''}`);
    xhr.send();
  }

  function base64ToBuffer(text) {
    const bin = atob(text.replace(/\s+/g, ''));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; ++i) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  const api = { parse, analyse, mount, KIND, format: { bytes, int, addr } };
  root.WasmheapInspector = api;
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
})(typeof window !== 'undefined' ? window : globalThis);
