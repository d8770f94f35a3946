// The page's one keyboard dispatcher (viz_app/web/keys.py mounts it once on every page): every key the app answers
// is here, and nothing else listens to the document's keys. A clicker sends PageDown / PageUp: a lecture deck's
// Next / Previous while its bar is on the page, else, in presentation mode, the next / previous view. In presentation
// mode 1-9 pick a view and the arrow keys move the page's first control (time step, phase, snapshot or rho:
// controls.js registers them). Keys typed into a field are left alone (a slider answers its own arrows). In
// presentation mode it also reports the screen's height, which sizes the main chart.
export default function ({ parentElement, data, setStateValue }) {
  const doc = parentElement.ownerDocument, win = doc.defaultView;
  if (data.lang) doc.documentElement.lang = data.lang;  // <html lang>: the page's language, for screen readers
  if (win.__rnnvizKeys) doc.removeEventListener("keydown", win.__rnnvizKeys);
  if (win.__rnnvizResize) win.removeEventListener("resize", win.__rnnvizResize);
  win.__rnnvizResize = null;
  if (data.present) {  // the screen's height: once, then when the window is resized and has rested
    let timer = null;
    const report = () => {
      const h = Math.round(win.innerHeight);
      if (Math.abs(h - (data.height || 0)) > 8) setStateValue("height", h);
    };
    win.__rnnvizResize = () => { clearTimeout(timer); timer = setTimeout(report, 400); };
    win.addEventListener("resize", win.__rnnvizResize);
    report();
  }
  function views() {  // the view bar: the page's first button group
    const bar = doc.querySelector('[data-testid="stMain"] [data-testid="stButtonGroup"]');
    return bar ? [...bar.querySelectorAll("button")] : [];
  }
  function current(buttons) {
    return buttons.findIndex((b) => (b.getAttribute("data-testid") || "").endsWith("Active")
                                     || b.getAttribute("aria-checked") === "true");
  }
  function control() {  // the first control of the page
    return [...(win.__rnnvizControls || [])].filter((c) => c.input.isConnected)[0];
  }
  const onKey = (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.defaultPrevented) return;
    const el = ev.composedPath()[0] || ev.target;
    const tag = el && el.tagName ? el.tagName.toLowerCase() : "";
    if (tag === "textarea" || (el && el.isContentEditable)) return;
    if (tag === "input" && !["range", "checkbox", "radio"].includes(el.type)) return;
    const page = ev.key === "PageDown" || ev.key === "PageUp";
    if (page && doc.querySelector(".st-key-deck_next")) {  // a lecture deck's bar takes the clicker
      const button = doc.querySelector(`.st-key-${ev.key === "PageDown" ? "deck_next" : "deck_prev"} button`);
      if (button && !button.disabled) { ev.preventDefault(); button.click(); }
      return;
    }
    if (!data.present) return;
    const buttons = views();
    let go = null;
    if (page) {
      const at = current(buttons);
      if (at >= 0) go = at + (ev.key === "PageDown" ? 1 : -1);
    } else if (/^[1-9]$/.test(ev.key) && tag !== "input") {
      go = Number(ev.key) - 1;
    } else if ((ev.key === "ArrowRight" || ev.key === "ArrowLeft") && tag !== "input") {
      const c = control();
      if (c) {
        c.select(c.at + (ev.key === "ArrowRight" ? 1 : -1));
        ev.preventDefault();
      }
      return;
    }
    if (go !== null && go >= 0 && go < buttons.length) {
      buttons[go].click();
      ev.preventDefault();
    }
  };
  win.__rnnvizKeys = onKey;
  doc.addEventListener("keydown", onKey);
}
