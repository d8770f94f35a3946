"""Lecture scenarios (assets/scenarios.json): named settings that each show one effect the course teaches."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from viz_app.text.typeset import styled

PATH = Path(__file__).resolve().parents[2] / "assets" / "scenarios.json"


@lru_cache(maxsize=1)
def _all() -> dict:
    return json.loads(PATH.read_text(encoding="utf-8"))


def names() -> list[str]:
    return list(_all())


def params(name: str) -> dict[str, str]:
    """The scenario's URL parameters (strings, parsed and validated by viz_app.state.fields like any link)."""
    return dict(_all()[name]["params"])


def title(name: str, lang: str, form: str = "md") -> str:
    """The scenario's title, its math ($...$) set for ``form`` (i18n.styled: "md" for the page, "text" for a select
    box's option or a caption)."""
    return styled(_all()[name]["title"][lang], form)


def text(name: str, lang: str, form: str = "md") -> str:
    return styled(_all()[name]["text"][lang], form)


def reference_losses(name: str) -> list:
    """Published losses the scenario's run is compared with, as (update, loss) pairs (the lecture notes' numbers);
    [] for a scenario without any, or no scenario ("")."""
    return list(_all()[name].get("reference", {}).get("loss", [])) if name else []
