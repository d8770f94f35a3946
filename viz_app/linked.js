// A control of a view that answers in the browser (viz_app/linked.py mounts it): the time step, the training
// snapshot, the eigenvalue page's rho. Moving it, pressing an arrow key on it, or clicking a point of a linked chart
// moves its index in every linked chart of the page at once, through Plotly's own API (window.Plotly, which
// Streamlit's chart element defines): no server round trip. The control has a field name F ("step", "snapshot",
// "rho"); every chart of the page declares what index i of F moves, in its figure JSON (nothing: it stays as is):
//   - a layout shape named "F-x" (a band from i-0.5 to i+0.5) or "F-y" (a line at y = i);
//   - layout.meta.F_ranges[i]: the x-axis range that shows i (the unrolled network's window); annotations and
//     shapes named "col-N" are drawn only while column N is inside it;
//   - layout.meta.F_titles[i]: the title text;
//   - layout.meta.F_layout[i]: any layout changes at i, as Plotly.relayout's dotted keys ({"yaxis.range": [..]});
//   - a trace with meta.F_xy[i] = [x, y]: a marker that moves to that point (null: hidden);
//   - a trace with meta.F_points[i] = [[x...], [y...]]: its points become those (the eigenvalues at a snapshot);
//   - a trace with meta.F_y[i] = [y...]: its y values become those (a curve as it was at a snapshot);
//   - a trace with meta.F_style[i] = {"visible": false, "marker.opacity": 0.35}: its attributes at i (dotted keys);
//   - layout.meta.F_click: a click on one of its points selects the index in its customdata (or its x).
// The control can also carry notes (data.notes[i] = [kind, text]: "success" / "info" / "warning"): a box under it
// whose sentence is the one true at i, computed on the server for every i.
// Once the index rests, it goes to the server as the component's state (one rerun, nothing redrawn), so the
// address bar, exports and captions name what is on screen.
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const doc = parentElement.ownerDocument || document;
  const root = doc.createElement("div");
  root.className = "rnnviz-control";
  root.innerHTML = `
    <button type="button" class="prev">◀</button>
    <label><span class="name"></span><input type="range" min="0" step="1"></label>
    <button type="button" class="next">▶</button>
    <output aria-live="polite"></output>
    <div class="note" role="status" hidden></div>`;
  // keep the component's own <style> (Streamlit puts it in the same root): replace only our element
  parentElement.querySelectorAll(".rnnviz-control").forEach((el) => el.remove());
  parentElement.appendChild(root);
  const input = root.querySelector("input");
  const out = root.querySelector("output");
  const F = data.field;
  input.max = String(data.count - 1);
  input.setAttribute("aria-label", data.label);
  root.querySelector(".prev").setAttribute("aria-label", data.prev);
  root.querySelector(".next").setAttribute("aria-label", data.next);
  root.querySelector(".name").textContent = data.label;
  let at = data.index;  // the index of F shown
  let timer = null;

  const charts = () => Array.from(doc.querySelectorAll(".js-plotly-plot")).filter((gd) => gd.layout && gd.data);

  function apply(gd, s) {
    const P = window.Plotly;
    if (!P) return;
    const meta = gd.layout.meta || {};
    const layout = {};
    (gd.layout.shapes || []).forEach((sh, i) => {
      if (sh.name === `${F}-x`) {
        layout[`shapes[${i}].x0`] = s - 0.5;
        layout[`shapes[${i}].x1`] = s + 0.5;
      } else if (sh.name === `${F}-y`) {
        layout[`shapes[${i}].y0`] = s;
        layout[`shapes[${i}].y1`] = s;
      }
    });
    const ranges = meta[`${F}_ranges`];
    if (ranges && ranges[s]) {
      layout["xaxis.range"] = ranges[s];
      const [lo, hi] = ranges[s];
      for (const part of ["annotations", "shapes"]) {  // items named col-N: drawn while column N is in range
        (gd.layout[part] || []).forEach((item, i) => {
          const m = /^col-(\d+)$/.exec(item.name || "");
          if (m) {
            const inside = Number(m[1]) > lo && Number(m[1]) < hi;
            if (inside !== (item.visible !== false)) layout[`${part}[${i}].visible`] = inside;
          }
        });
      }
    }
    const titles = meta[`${F}_titles`];
    if (titles && titles[s] !== undefined) layout["title.text"] = titles[s];
    const more = meta[`${F}_layout`];
    if (more && more[s]) Object.assign(layout, more[s]);
    const idx = [], xs = [], ys = [], styles = [];
    gd.data.forEach((tr, i) => {
      const m = tr.meta || {};
      const pt = m[`${F}_xy`], pts = m[`${F}_points`], curve = m[`${F}_y`], style = m[`${F}_style`];
      if (!pt && !pts && !curve && !style) return;
      styles.push(style ? style[s] || {} : {});
      if (pt) {
        const p = pt[s];
        idx.push(i);
        xs.push(p ? [p[0]] : []);
        ys.push(p ? [p[1]] : []);
      } else if (pts) {
        const p = pts[s] || [[], []];
        idx.push(i);
        xs.push(p[0]);
        ys.push(p[1]);
      } else if (curve) {
        idx.push(i);
        xs.push(tr.x);
        ys.push(curve[s] || []);
      } else {
        idx.push(i);
        xs.push(tr.x);
        ys.push(tr.y);
      }
    });
    const update = { x: xs, y: ys };
    const keys = new Set(styles.flatMap((st) => Object.keys(st)));
    for (const key of keys) {  // a trace that does not declare a key keeps its value
      update[key] = styles.map((st, j) => (key in st ? st[key]
        : key.split(".").reduce((o, k) => (o == null ? undefined : o[k]), gd.data[idx[j]])));
    }
    if (idx.length) P.update(gd, update, layout, idx);
    else if (Object.keys(layout).length) P.relayout(gd, layout);
  }

  const note = root.querySelector(".note");
  function show(s) {
    out.textContent = data.values ? data.values[s] : `t = ${s}`;
    if (data.notes && data.notes[s]) {
      note.hidden = false;
      note.className = `note ${data.notes[s][0]}`;
      note.textContent = data.notes[s][1];
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
    clearTimeout(timer);
    timer = setTimeout(() => setStateValue("index", at), data.settle_ms);
  }

  function onClick(ev) {
    const p = ev && ev.points && ev.points[0];
    if (!p) return;
    let v = p.customdata !== undefined ? p.customdata : p.x;
    if (Array.isArray(v)) v = v[0];
    if (Number.isFinite(Number(v))) select(Number(v));
  }

  function bind() {  // charts appear after the control and are replaced when the server redraws them
    for (const gd of charts()) {
      const mark = `__rnnviz_${F}`;
      if (gd.on && gd.layout.meta && gd.layout.meta[`${F}_click`] && gd[mark] !== onClick) {
        if (gd[mark] && gd.removeListener) gd.removeListener("plotly_click", gd[mark]);
        gd.on("plotly_click", onClick);
        gd[mark] = onClick;
      }
    }
  }

  input.value = String(at);
  show(at);
  input.addEventListener("input", () => select(Number(input.value)));
  root.querySelector(".prev").addEventListener("click", () => select(at - 1));
  root.querySelector(".next").addEventListener("click", () => select(at + 1));
  bind();
  const poll = setInterval(bind, 400);
  return () => {
    clearInterval(poll);
    clearTimeout(timer);
    clearTimeout(pending);
  };
}
