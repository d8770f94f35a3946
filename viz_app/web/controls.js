// A control of a view that answers in the browser (viz_app/web/controls.py mounts it): the time step, the training
// snapshot, the eigenvalue page's rho. Moving it, pressing an arrow key on it, or clicking a point of a linked chart
// moves its index in every linked chart of the page at once, through Plotly's own API (window.Plotly, which
// Streamlit's chart element defines): no server round trip. The control has a field name F ("step", "snapshot",
// "rho"); every chart of the page declares what index i of F moves, in its figure JSON, by the placement protocol
// (viz_app/web/placement.json: bands and lines named "F-x" / "F-y", the x range, the title, any layout keys, a trace's
// marker, points, y values, the columns it shows, any trace attributes; nothing: it stays as is). With
// layout.meta.F_click, a click on one of its points selects the index in its customdata (or its x); layout.meta.F_unit
// ("y", or a position in the point's customdata) and F_layer (a number): the click also picks that unit (and layer),
// sent to the server at once as the state "cell" ({unit, layer, n}: n counts the clicks, so clicking the same cell
// again after choosing another unit elsewhere still counts).
// With data.play_ms it has a play / pause button that moves the index on by itself (the step-through's sweep).
// The control can also carry notes (data.notes[i] = [kind, text]: "success" / "info" / "warning"): a box under it
// whose sentence is the one true at i, computed on the server for every i.
// Once the index rests, it goes to the server as the component's state (one rerun, nothing redrawn), so the
// address bar, exports and captions name what is on screen.

// What a figure (its JSON: layout and data) declares for index s of field F, as Plotly's dotted-key changes:
// {layout: {key: value}, traces: [{trace, x, y, cols, style}]} (x, y: undefined where they stay). ``table``: the
// protocol (viz_app/web/placement.json, sent by controls.py), which the server's viz_app/figures/common.place reads
// too; tests/test_placement.py runs both on the app's figures and holds them equal. A pure function of the figure.
// ``shown(trace, cols)``: whether a trace with F_cols already shows those columns (then its points are not rebuilt).
export function placement(fig, s, F, table, shown = () => false) {
  const meta = fig.layout.meta || {};
  const layout = {};
  for (const [list, name, offsets] of table.items) {
    (fig.layout[list] || []).forEach((item, i) => {
      if (item.name !== `${F}-${name}`) return;
      for (const [key, offset] of Object.entries(offsets)) layout[`${list}[${i}].${key}`] = s + offset;
    });
  }
  for (const [key, dotted] of table.layout) {
    const value = (meta[`${F}_${key}`] || [])[s];
    if (value === undefined || value === null) continue;
    if (dotted === null) Object.assign(layout, value);
    else layout[dotted] = value;
  }
  const traces = [];
  (fig.data || []).forEach((tr, i) => {
    const m = tr.meta || {};
    const style = m[`${F}_${table.style}`];
    const c = { trace: i, style: (style && style[s]) || {} };
    const kind = table.traces.find((k) => m[`${F}_${k}`] !== undefined && m[`${F}_${k}`] !== null);
    const at = kind && m[`${F}_${kind}`][s];
    if (kind === "xy") {
      c.x = at ? [at[0]] : [];
      c.y = at ? [at[1]] : [];
    } else if (kind === "points") {
      [c.x, c.y] = at || [[], []];
    } else if (kind === "y") {
      c.y = at || [];
    } else if (kind === "cols") {
      const [first, last] = at || [1, 0];
      c.cols = `${first},${last}`;
      if (!shown(tr, c.cols)) c.y = m.y_all.map((v, k) => (m.cols[k] >= first && m.cols[k] <= last ? v : null));
    }
    if (c.y !== undefined || c.cols !== undefined || Object.keys(c.style).length) traces.push(c);
  });
  return { layout, traces };
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const doc = parentElement.ownerDocument || document;
  const root = doc.createElement("div");
  root.className = data.large ? "rnnviz-control large" : "rnnviz-control";
  root.innerHTML = `
    <button type="button" class="prev">◀</button>
    <label><span class="name"></span><input type="range" min="0" step="1"></label>
    <button type="button" class="next">▶</button>
    <button type="button" class="play" hidden></button>
    <output aria-live="polite"></output>
    <div class="note" role="status" hidden></div>`;
  // The server draws the control again after each rest (with the index it has just heard) and when the page changes:
  // the new one takes over from the one it replaces (same field) its keyboard focus, and any move made since the
  // report, so a held arrow key or a clicker goes on without a jump back.
  const prev = parentElement.__rnnviz;
  const focused = !!(prev && prev.input === (parentElement.getRootNode().activeElement || doc.activeElement));
  if (prev) prev.stop();
  // keep the component's own <style> (Streamlit puts it in the same root): replace only our element
  parentElement.querySelectorAll(".rnnviz-control").forEach((el) => el.remove());
  parentElement.appendChild(root);
  const input = root.querySelector("input");
  const out = root.querySelector("output");
  const F = data.field;
  input.max = String(data.count - 1);
  root.querySelector(".name").innerHTML = data.label;  // our strings (i18n.t, form "html": <sub>/<sup>)
  input.setAttribute("aria-label", root.querySelector(".name").textContent);
  root.querySelector(".prev").setAttribute("aria-label", data.prev);
  root.querySelector(".next").setAttribute("aria-label", data.next);

  // the index of F shown: the server's, or the one the user has moved to since reporting what the server now has
  const moved = prev && prev.field === F && prev.sent === data.index && prev.at !== data.index;
  let at = moved ? prev.at : data.index;
  let timer = null, sent = moved ? prev.sent : data.index;

  const charts = () => Array.from(doc.querySelectorAll(".js-plotly-plot")).filter((gd) => gd.layout && gd.data);

  function apply(gd, s) {
    const P = window.Plotly;
    if (!P) return;
    const { layout, traces } = placement(gd, s, F, data.placement, (tr, cols) => kept.get(tr) === cols);
    const idx = [], xs = [], ys = [], styles = [];
    let styled = false;
    for (const c of traces) {
      const tr = gd.data[c.trace];
      const y = c.y === undefined ? null : c.y;  // null: the same points (a step inside the window shown)
      const st = {};  // the declared attributes that differ from what is drawn
      for (const [key, value] of Object.entries(c.style)) {
        if (JSON.stringify(lookup(tr, key)) !== JSON.stringify(value)) st[key] = value;
      }
      if (y === null && !Object.keys(st).length) continue;
      styled = styled || Object.keys(st).length > 0;
      idx.push(c.trace);
      xs.push(c.x === undefined ? tr.x : c.x);
      ys.push(y === null ? tr.y : y);
      styles.push(st);
    }
    for (const key of Object.keys(layout)) {  // what already has its value is not redrawn (an unchanged x range)
      if (JSON.stringify(lookup(gd.layout, key)) === JSON.stringify(layout[key])) delete layout[key];
    }
    // Points that move, with nothing else recalculated (a band image, a title, an axis range), go through
    // Plotly.animate without a redraw: only those traces are drawn again (a few ms instead of the whole figure's
    // tens of ms); images and the title are relaid out (no recalculation either).
    const axes = Object.keys(layout).filter((key) => /^[xy]axis\.range$/.test(key));
    const light = Object.keys(layout).every((key) => axes.includes(key) || /^images\[\d+\]\.|^title\.text$/
      .test(key));
    // every trace of the figure, not only those that move: Plotly.animate without a redraw drops a heatmap's image
    // (the unrolled network's h_t strips vanished at every BPTT step until the server redrew the chart)
    const scatter = gd.data.every((tr) => (tr.type || "scatter") === "scatter");
    if (idx.length && !styled && light && scatter) {
      const frame = { data: idx.map((i, j) => ({ x: xs[j], y: ys[j] })), traces: idx, layout: {} };
      for (const key of axes) {
        frame.layout[key] = layout[key];
        delete layout[key];
      }
      P.animate(gd, frame, { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" })
        .catch(() => {});
      if (Object.keys(layout).length) P.relayout(gd, layout);
    } else if (idx.length) {
      const update = { x: xs, y: ys };
      const keys = new Set(styles.flatMap((st) => Object.keys(st)));
      for (const key of keys) {  // a trace that does not change a key keeps its value
        update[key] = styles.map((st, j) => (key in st ? st[key] : lookup(gd.data[idx[j]], key)));
      }
      P.update(gd, update, layout, idx);
    } else if (Object.keys(layout).length) {
      P.relayout(gd, layout);  // e.g. only a band moved: no recalculation
    }
    remember(gd, s);
  }

  function lookup(obj, dotted) {  // the value at a Plotly dotted key ("xaxis.range", "images[0].x")
    return dotted.split(".").reduce((o, k) => {
      if (o == null) return undefined;
      const m = /^(\w+)\[(\d+)\]$/.exec(k);
      return m ? (o[m[1]] || [])[Number(m[2])] : o[k];
    }, obj);
  }

  // The columns each trace with meta.F_cols shows now (a step inside the same window changes none of them).
  const kept = new WeakMap();
  function remember(gd, s) {
    for (const tr of gd.data) {
      const keep = tr.meta && tr.meta[`${F}_cols`];
      if (keep && keep[s]) kept.set(tr, `${keep[s][0]},${keep[s][1]}`);
    }
  }

  const note = root.querySelector(".note");
  function show(s) {
    out.textContent = data.values ? data.values[s] : `t = ${s}`;
    if (data.notes && data.notes[s]) {
      note.hidden = false;
      note.className = `note ${data.notes[s][0]}`;
      note.innerHTML = data.notes[s][1];
    }
  }

  // Charts in view first, in this frame; the others one per task after it, each with the index current by then
  // (a burst of key presses redraws a chart once per frame, not once per key).
  const drawn = new WeakMap();
  let pending = null;
  function visible(gd) {
    const r = gd.getBoundingClientRect();
    return r.bottom > 0 && r.top < doc.defaultView.innerHeight;
  }
  function drawRest() {
    pending = null;
    const gd = charts().find((g) => drawn.get(g) !== at);
    if (!gd) return;
    drawn.set(gd, at);
    apply(gd, at);
    pending = setTimeout(drawRest, 0);
  }
  function draw() {
    for (const gd of charts().filter(visible)) {
      if (drawn.get(gd) !== at) {
        drawn.set(gd, at);
        apply(gd, at);
      }
    }
    clearTimeout(pending);
    pending = setTimeout(drawRest, 0);
  }

  function select(s) {
    s = Math.max(0, Math.min(data.count - 1, Math.round(s)));
    if (s === at) return;
    at = s;
    input.value = String(s);
    show(s);
    draw();
    const url = new URL(doc.defaultView.location.href);
    const param = data.param || F, shown = data.url ? data.url[s] : String(s);
    if (shown === null || shown === undefined) url.searchParams.delete(param);
    else url.searchParams.set(param, shown);
    doc.defaultView.history.replaceState(null, "", url);
    report();
  }

  function report() {  // the server hears the index once it rests (not at every tick of play)
    clearTimeout(timer);
    if (!playing) {
      timer = setTimeout(() => {
        sent = at;
        setStateValue("index", at);
      }, data.settle_ms);
    }
  }

  // Play (data.play_ms): one index further every play_ms, from the start again when at the end; stops at the end.
  const play = root.querySelector(".play");
  let playing = null;
  function stop() {
    const was = playing;
    clearInterval(playing);
    playing = null;
    play.textContent = `▷ ${data.play}`;
    if (was) report();
  }
  if (data.play_ms) {
    play.hidden = false;
    stop();
    play.addEventListener("click", () => {
      if (playing) return stop();
      if (at >= data.count - 1) select(0);
      play.textContent = `❚❚ ${data.pause}`;
      playing = setInterval(() => {
        select(at + 1);
        if (at >= data.count - 1) stop();
      }, data.play_ms);
    });
  }

  let clicks = Math.max((prev && prev.clicks) || 0, data.clicks || 0);
  function unitOf(p, meta) {  // the unit a click on a cell picks (meta.F_unit), or null
    const slot = meta[`${F}_unit`];
    if (slot === undefined || slot === null) return null;
    const u = Number(slot === "y" ? p.y : Array.isArray(p.customdata) ? p.customdata[slot] : NaN);
    return Number.isInteger(u) && u >= 0 ? u : null;
  }

  function onClick(gd, ev) {
    const p = ev && ev.points && ev.points[0];
    if (!p) return;
    let v = p.customdata !== undefined ? p.customdata : p.x;
    if (Array.isArray(v)) v = v[0];
    if (!Number.isFinite(Number(v))) return;
    select(Number(v));
    const meta = gd.layout.meta || {};
    const unit = unitOf(p, meta);
    if (unit === null) return;
    // the step and the cell go to the server together, now (the server then writes that unit's equations)
    clearTimeout(timer);
    sent = at;
    clicks += 1;
    const cell = { unit, n: clicks };
    if (Number.isInteger(meta[`${F}_layer`])) cell.layer = meta[`${F}_layer`];
    setStateValue("index", at);
    setStateValue("cell", cell);
  }

  function bind() {  // charts appear after the control and are replaced when the server redraws them
    for (const gd of charts()) {
      const mark = `__rnnviz_${F}`;
      if (gd.on && gd.layout.meta && gd.layout.meta[`${F}_click`] && gd[mark] !== onClick) {
        if (gd[`${mark}_fn`] && gd.removeListener) gd.removeListener("plotly_click", gd[`${mark}_fn`]);
        const fn = (ev) => onClick(gd, ev);
        gd.on("plotly_click", fn);
        gd[mark] = onClick;
        gd[`${mark}_fn`] = fn;
      }
    }
  }

  // A chart the server draws (again) shows the server's index: moved to ours when they differ (a new layout object
  // is a fresh drawing: Plotly.react replaces it, Plotly.update / relayout change it in place).
  const fresh = new WeakSet();
  function follow() {
    bind();
    for (const gd of charts()) {
      if (fresh.has(gd.layout)) continue;
      fresh.add(gd.layout);
      remember(gd, data.index);  // the server drew it at its index
      if (at !== data.index) {
        apply(gd, at);
        drawn.set(gd, at);
      }
    }
  }

  input.value = String(at);
  show(at);
  input.addEventListener("input", () => select(Number(input.value)));
  root.querySelector(".prev").addEventListener("click", () => select(at - 1));
  root.querySelector(".next").addEventListener("click", () => select(at + 1));
  if (focused) input.focus();
  follow();
  if (at !== sent) report();
  const poll = setInterval(follow, 150);
  const self = {
    field: F, input,
    get at() { return at; },
    get clicks() { return clicks; },
    get sent() { return sent; },
    select,
    stop() {
      clearInterval(poll);
      clearInterval(playing);
      clearTimeout(timer);
      clearTimeout(pending);
    },
  };
  parentElement.__rnnviz = self;
  // the page's controls, for presentation mode's keys (viz_app/web/present.py)
  const registry = (doc.defaultView.__rnnvizControls = doc.defaultView.__rnnvizControls || new Set());
  registry.add(self);
  return () => {
    self.stop();
    registry.delete(self);
  };
}
