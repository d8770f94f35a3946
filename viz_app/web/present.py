"""Presentation mode (``present=1``): a page designed for a projector at 1280x720 and 1920x1080.

What the room sees first is the view bar, the view's own control and its main chart, sized to fit the screen; the
banner, explanations and secondary settings follow below it (views.common.areas). Page text is large (STYLE), chart
text is scaled (views.common.chart), and a clicker or keyboard moves through the lecture: PageDown /
PageUp the next / previous view (the next / previous entry when a lecture deck is loaded), the arrow keys the view's
step (time step, phase, snapshot or rho), 1-9 a view (viz_app/web/keys.js)."""
from __future__ import annotations

import streamlit as st

from viz_app.web import keys, theme
from viz_app.state import url

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

def setup() -> None:
    """The page's large text (call once per run in presentation mode; the keys and the screen's height:
    viz_app/web/keys.py)."""
    st.html(STYLE)


def screen() -> int:
    """The screen's height (SCREEN until the browser has said it), within bounds."""
    return int(min(max(keys.screen_height() or SCREEN, MAIN_MIN + ABOVE), MAIN_MAX + ABOVE))


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


def qr_size(state) -> int:
    """The deck bar's QR code of the entry's link (px): 15 % of the screen's height in presentation mode (120 at
    720 px, 162 at 1080), 18 % on a page that scrolls, within 120..240 (at 88 px, half of them could not be read
    from a screenshot)."""
    return int(min(240, max(120, (0.15 if state.present else 0.18) * screen())))


def main_height(extra: int = 0) -> int:
    """A view's main chart in presentation mode: the screen's height less what sits above it (``extra``: more than
    one row of controls; a lecture deck's bar, when one is loaded)."""
    state = st.session_state.get(url.KEY)
    deck = qr_size(state) + 8 if state is not None and state.deck else 0  # a lecture deck's bar: its QR code
    return max(MAIN_MIN, screen() - ABOVE - extra - deck)
