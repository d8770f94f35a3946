"""Presentation mode (``present=1``): a page designed for a projector at 1280x720 and 1920x1080.

What the room sees first is the view bar, the view's own control and its main chart, sized to fit the screen; the
banner, explanations and secondary settings follow below it (views.common.areas). Page text is large (STYLE), chart
text is scaled (views.common.chart), and a clicker or keyboard moves through the lecture (KEYS_JS): PageDown /
PageUp the next / previous view (the next / previous entry when a lecture deck is loaded), the arrow keys the view's
step (time step, phase, snapshot or rho), 1-7 a view."""
from __future__ import annotations

import streamlit as st

from viz_app.web import theme

TEXT_PX = 20  # the smallest page text at 1280x720 (the browser test checks it); 1.2x from 1800 px wide
CHART_FONT, CHART_TITLE = 22, 28  # chart text and titles at 720 px high (px), 4 px more at 1080
SCREEN = 720  # the screen's height until the browser has said it (px)
ABOVE = 220  # what sits above a main chart: the top margin, the view bar, one control row and the gaps (px)
MAIN_MIN, MAIN_MAX = 360, 1000  # a main chart's height (px): 500 at 1280x720, 860 at 1920x1080

# the page's text: paragraphs, labels, captions, notices, buttons, metrics, select boxes
TEXT = ", ".join(['[data-testid="stMain"] p', '[data-testid="stMain"] li', '[data-testid="stMarkdownContainer"] p',
                  '[data-testid="stWidgetLabel"] p', '[data-testid="stCaptionContainer"]',
                  '[data-testid="stCaptionContainer"] p', '[data-testid="stAlert"] p',
                  '[data-testid="stMain"] button p', '[data-testid="stMain"] label', '[data-testid="stMetricValue"]',
                  '[data-testid="stMetricLabel"] p', '[data-baseweb="select"] div'])
STYLE = f"""
<style>
.block-container, [data-testid="stMainBlockContainer"] {{ padding-top: 2.6rem !important;
  padding-left: 2rem !important; padding-right: 2rem !important; max-width: 100% !important; }}
{TEXT} {{ font-size: {TEXT_PX}px !important; line-height: 1.4; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{ color: #333 !important; }}
[data-testid="stMain"] [data-testid="stButtonGroup"] button {{ min-height: 2.6rem; padding: 0.2rem 0.9rem; }}
@media (min-width: 1800px) {{ {TEXT} {{ font-size: {round(TEXT_PX * 1.2)}px !important; }} }}
</style>
"""

# A clicker sends PageDown / PageUp; a keyboard also has the arrows and digits. Keys typed into a field are left alone
# (the step control's own slider already answers its arrows). The view bar is the page's first button group.
KEYS_JS = """
export default function ({ parentElement, data, setStateValue }) {
  const doc = parentElement.ownerDocument, win = doc.defaultView;
  if (win.__rnnvizKeys) doc.removeEventListener("keydown", win.__rnnvizKeys);
  if (win.__rnnvizResize) win.removeEventListener("resize", win.__rnnvizResize);
  // the screen's height, for the main chart's (once, then when the window is resized and has rested)
  let timer = null;
  const report = () => {
    const h = Math.round(win.innerHeight);
    if (Math.abs(h - (data.height || 0)) > 8) setStateValue("height", h);
  };
  win.__rnnvizResize = () => { clearTimeout(timer); timer = setTimeout(report, 400); };
  win.addEventListener("resize", win.__rnnvizResize);
  report();
  function views() {
    const bar = doc.querySelector('[data-testid="stMain"] [data-testid="stButtonGroup"]');
    return bar ? [...bar.querySelectorAll("button")] : [];
  }
  function current(buttons) {
    return buttons.findIndex((b) => (b.getAttribute("data-testid") || "").endsWith("Active")
                                     || b.getAttribute("aria-checked") === "true");
  }
  function control() {  // the first control of the page (controls.js registers them)
    const all = [...(win.__rnnvizControls || [])].filter((c) => c.input.isConnected);
    return all[0];
  }
  const onKey = (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || ev.defaultPrevented) return;
    const el = ev.composedPath()[0];
    const tag = el && el.tagName ? el.tagName.toLowerCase() : "";
    if (tag === "textarea" || (el && el.isContentEditable)) return;
    if (tag === "input" && el.type !== "range" && el.type !== "checkbox" && el.type !== "radio") return;
    const buttons = views();
    let go = null;
    if (ev.key === "PageDown" || ev.key === "PageUp") {
      if (doc.querySelector(".st-key-deck_next")) return;  // a lecture deck's bar takes the clicker (lecture_ui.py)
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
"""


KEY = "present_keys"


@st.cache_resource
def _keys():
    return st.components.v2.component("rnn_viz.keys", js=KEYS_JS)


def setup() -> None:
    """The page's large text and the clicker's keys (call once per run in presentation mode); the component reports
    the screen's height (one rerun when the page opens), which sizes the main charts (``main_height``)."""
    st.html(STYLE)
    # the height as reported (not as bounded): the browser reports again only when the screen really changed
    _keys()(key=KEY, data={"height": _reported() or SCREEN}, default={"height": 0}, on_height_change=lambda: None)


def _reported() -> float | None:
    """The screen's height the browser reported, if it has (its component state: 0 until then)."""
    value = st.session_state.get(KEY)
    height = value.get("height") if isinstance(value, dict) else getattr(value, "height", None)
    if isinstance(height, bool) or not isinstance(height, int | float) or not height > 0:  # none yet (0), NaN
        return None
    return float(height)


def screen() -> int:
    """The screen's height (SCREEN until the browser has said it), within bounds."""
    return int(min(max(_reported() or SCREEN, MAIN_MIN + ABOVE), MAIN_MAX + ABOVE))


def chart_fonts() -> tuple[int, int]:
    """Chart text and title sizes (px) for the screen's height."""
    more = round((screen() - SCREEN) / 90)
    return CHART_FONT + more, CHART_TITLE + more


def scale_fonts(fig, state) -> None:
    """A chart's text at the room's size (in place): presentation mode's sizes for the screen, a lecture's fixed
    ones; text a figure sizes itself (the unrolled network's labels) grows with it, from the figures' own size."""
    if not (state.lecture or state.present):
        return
    font, title = chart_fonts() if state.present else (CHART_FONT, CHART_TITLE)
    fig.update_layout(font_size=font, title_font_size=title)
    fig.update_annotations(font_size=font)  # subplot titles, labels in the plot
    for trace in fig.data:
        size = getattr(getattr(trace, "textfont", None), "size", None)
        if isinstance(size, int | float):
            trace.textfont.size = round(size * font / theme.FONT_SIZE)


DECK_BAR = 96  # px: a lecture deck's bar above the view bar (viz_app/lecture/ui.py: its QR code at 88 px)


def main_height(extra: int = 0) -> int:
    """A view's main chart in presentation mode: the screen's height less what sits above it (``extra``: more than
    one row of controls; a lecture deck's bar, when one is loaded)."""
    state = st.session_state.get("app_state")
    deck = DECK_BAR if state is not None and state.deck else 0
    return max(MAIN_MIN, screen() - ABOVE - extra - deck)
