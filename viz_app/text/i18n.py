"""Our strings in the reader's language: ``t(key, lang, **values)`` formats an entry of the table
(viz_app/text/strings.py) with its math set for where it goes (viz_app/text/typeset.py); the names of options, gates
and quantities; Plotly's own toolbar in Korean."""
from __future__ import annotations

from viz_app.text.strings import STRINGS
from viz_app.text.typeset import styled


def t(key: str, lang: str, *, form: str = "md", **values) -> str:
    """The string ``key`` in ``lang`` ("ko" or "en"), formatted with ``values`` and set for ``form`` (``styled``); a
    chart's strings (fig., axis., leg.: Plotly text) are always set as "chart"."""
    ko, en = STRINGS[key]
    return styled(ko if lang == "ko" else en, "chart" if key.startswith(_CHART_KEYS) else form, **values)


_CHART_KEYS = ("fig.", "axis.", "leg.")


# Plotly's own interface (the chart's toolbar and its messages) in Korean: its config's locale and dictionary, our
# wording, keyed by Plotly's English strings
PLOTLY_KO = {
    "Autoscale": "자동 범위", "Box Select": "상자 선택", "Lasso Select": "올가미 선택", "Pan": "이동",
    "Zoom": "영역 확대", "Zoom in": "확대", "Zoom out": "축소", "Reset axes": "축 되돌리기",
    "Reset view": "보기 되돌리기", "Reset views": "보기 되돌리기", "Reset": "되돌리기",
    "Download plot as a PNG": "PNG로 내려받기", "Download plot": "그림 내려받기",
    "Toggle Spike Lines": "보조선 켜기/끄기", "Show closest data on hover": "가장 가까운 점의 값 보기",
    "Compare data on hover": "같은 위치의 값 비교",
    "Toggle show closest data on hover": "가장 가까운 점의 값 켜기/끄기",
    "Orbital rotation": "궤도 회전", "Turntable rotation": "회전판 회전", "Reset camera to default": "카메라 되돌리기",
    "Reset camera to last save": "저장한 카메라로", "Double-click to zoom back out": "두 번 클릭하면 원래 크기로",
    "Double-click on legend to isolate one trace": "범례를 두 번 클릭하면 그 항목만 보입니다",
    "Taking snapshot - this may take a few seconds": "그림을 만드는 중입니다 (몇 초 걸릴 수 있습니다)",
    "Snapshot succeeded": "그림을 만들었습니다", "Sorry, there was a problem downloading your snapshot!":
    "그림을 내려받지 못했습니다", "Produced with Plotly.js": "Plotly.js로 그림",
}


def plotly_config(lang: str) -> dict:
    """The locale part of a chart's Plotly config: Korean toolbar labels on a Korean page."""
    return {"locale": "ko", "locales": {"ko": {"dictionary": PLOTLY_KO}}} if lang == "ko" else {}


def gate_name(name: str, lang: str) -> str:
    """A recorded quantity's name ("forget gate"); a gate of a cell kind registered outside the app (engine.cells)
    has no translated name and is called by its letter."""
    return t(f"gate.{name}", lang) if f"gate.{name}" in STRINGS else f"{name}_t"


def quantity_name(name: str, lang: str) -> str:
    """A recorded quantity ("h", "c" or a gate's letter) with its symbol: "f_t forget gate"."""
    label = gate_name(name, lang)
    return label if label == f"{name}_t" else f"{name}_t {label}"


def option(value: str, lang: str) -> str:
    """Label of an option value (cells, inits, tasks, optimizers, clipping modes); a cell kind registered outside
    the app is called by its name in capitals."""
    return t(f"opt.{value}", lang) if f"opt.{value}" in STRINGS else value.upper()
