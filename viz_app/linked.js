// The time-step control of a view, run in the browser (viz_app/linked.py mounts it). Moving it, pressing an arrow
// key on it, or clicking a point of a linked chart moves the step in every linked chart of the page at once,
// through Plotly's own API (window.Plotly, which Streamlit's chart element defines): no server round trip.
// Every chart of the page declares what the step moves, in its figure JSON (nothing: it stays as it is):
//   - a layout shape named "step-x" (a band from step-0.5 to step+0.5) or "step-y" (a line at y = step);
//   - layout.meta.step_ranges[s]: the x-axis range that shows step s (the unrolled network's window); annotations
//     and shapes named "col-N" are drawn only while column N is inside it;
//   - a trace with meta.step_xy[s] = [x, y]: a marker that moves to step s's point (null: hidden);
//   - layout.meta.step_click: a click on one of its points selects the step in its customdata (or its x).
// Once the step rests, it goes to the server as the component's state (one rerun, nothing redrawn), so the
// address bar, exports and captions name the step on screen.
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const doc = parentElement.ownerDocument || document;
  const root = doc.createElement("div");
  root.className = "rnnviz-step";
  root.innerHTML = `
    <button type="button" class="prev">◀</button>
    <label><span class="name"></span><input type="range" min="0" step="1"></label>
    <button type="button" class="next">▶</button>
    <output aria-live="polite"></output>`;
  // keep the component's own <style> (Streamlit puts it in the same root): replace only our element
  parentElement.querySelectorAll(".rnnviz-step").forEach((el) => el.remove());
  parentElement.appendChild(root);
  const input = root.querySelector("input");
  const out = root.querySelector("output");
  input.max = String(data.steps - 1);
  input.setAttribute("aria-label", data.label);
  root.querySelector(".prev").setAttribute("aria-label", data.prev);
  root.querySelector(".next").setAttribute("aria-label", data.next);
  root.querySelector(".name").textContent = data.label;
  let step = data.step;
  let timer = null;

  const charts = () => Array.from(doc.querySelectorAll(".js-plotly-plot")).filter((gd) => gd.layout && gd.data);

  function apply(gd, s) {
    const P = window.Plotly;
    if (!P) return;
    const layout = {};
    (gd.layout.shapes || []).forEach((sh, i) => {
      if (sh.name === "step-x") {
        layout[`shapes[${i}].x0`] = s - 0.5;
        layout[`shapes[${i}].x1`] = s + 0.5;
      } else if (sh.name === "step-y") {
        layout[`shapes[${i}].y0`] = s;
        layout[`shapes[${i}].y1`] = s;
      }
    });
    const ranges = gd.layout.meta && gd.layout.meta.step_ranges;
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
    const idx = [], xs = [], ys = [];
    gd.data.forEach((tr, i) => {
      const pts = tr.meta && tr.meta.step_xy;
      if (pts) {
        const p = pts[s];
        idx.push(i);
        xs.push(p ? [p[0]] : []);
        ys.push(p ? [p[1]] : []);
      }
    });
    if (idx.length) P.update(gd, { x: xs, y: ys }, layout, idx);
    else if (Object.keys(layout).length) P.relayout(gd, layout);
  }

  function show(s) {
    out.textContent = `t = ${s}`;
  }

  // Charts in view first, in this frame; the others one per task after it, each with the step current by then
  // (a burst of key presses redraws a chart once per frame, not once per key).
  const drawn = new WeakMap();
  let pending = null;
  function visible(gd) {
    const r = gd.getBoundingClientRect();
    return r.bottom > 0 && r.top < doc.defaultView.innerHeight;
  }
  function drawRest() {
    pending = null;
    const gd = charts().find((g) => drawn.get(g) !== step);
    if (!gd) return;
    drawn.set(gd, step);
    apply(gd, step);
    pending = setTimeout(drawRest, 0);
  }
  function draw() {
    for (const gd of charts().filter(visible)) {
      if (drawn.get(gd) !== step) {
        drawn.set(gd, step);
        apply(gd, step);
      }
    }
    clearTimeout(pending);
    pending = setTimeout(drawRest, 0);
  }

  function select(s) {
    s = Math.max(0, Math.min(data.steps - 1, Math.round(s)));
    if (s === step) return;
    step = s;
    input.value = String(s);
    show(s);
    draw();
    const url = new URL(doc.defaultView.location.href);
    url.searchParams.set("step", String(s));
    doc.defaultView.history.replaceState(null, "", url);
    clearTimeout(timer);
    timer = setTimeout(() => setStateValue("step", step), data.settle_ms);
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
      if (gd.on && gd.layout.meta && gd.layout.meta.step_click && gd.__rnnvizClick !== onClick) {
        if (gd.__rnnvizClick && gd.removeListener) gd.removeListener("plotly_click", gd.__rnnvizClick);
        gd.on("plotly_click", onClick);
        gd.__rnnvizClick = onClick;
      }
    }
  }

  input.value = String(step);
  show(step);
  input.addEventListener("input", () => select(Number(input.value)));
  root.querySelector(".prev").addEventListener("click", () => select(step - 1));
  root.querySelector(".next").addEventListener("click", () => select(step + 1));
  bind();
  const poll = setInterval(bind, 400);
  return () => {
    clearInterval(poll);
    clearTimeout(timer);
    clearTimeout(pending);
  };
}
