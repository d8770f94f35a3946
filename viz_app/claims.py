"""Sentences that state a measurement: the regime box and the scenarios' results, each filled from the run shown.

Every number here comes from the engine (engine.evidence, engine.spectrum); this module only picks the sentence
that is true of those numbers and formats it in the user's language.
"""
from __future__ import annotations

import math

from engine import spectrum

from .i18n import t

BLOCK_LABEL = {"rnn": "W_hh", "lstm": "W_hg", "gru": "W_hn"}  # the block drawn on the eigenvalue page


def regime_text(reg: spectrum.Regime, nonlinearity: str, lang: str) -> str:
    """The regime box: Pascanu's statement for an RNN (strict inequalities), no guarantee for a gated cell."""
    if reg.kind == spectrum.UNDEFINED:
        return t("msg.regime_undefined", lang)
    if reg.kind == spectrum.GATED:
        return t("msg.regime_gated", lang, cell=reg.cell.upper(), path=t(f"msg.regime_path_{reg.cell}", lang),
                 block=BLOCK_LABEL[reg.cell], sigma=reg.sigma_max)
    bound = 1 / reg.gamma
    if reg.kind == spectrum.VANISHING:
        return t("msg.regime_vanishing", lang, sigma=reg.sigma_max, bound=bound, rate=reg.bound_rate)
    if reg.kind == spectrum.BOUNDARY:
        return t("msg.regime_boundary", lang, bound=bound)
    return t("msg.regime_exploding", lang, sigma=reg.sigma_max, bound=bound,
             why=t(f"msg.regime_why_{nonlinearity}", lang))


def measured_ratio_text(norms, lang: str) -> str | None:
    """The measured ||dh_T/dh_1|| / ||dh_T/dh_{T-1}|| of the curve drawn, or None when it is undefined."""
    ratio = spectrum.decay_ratio(norms)
    if not math.isfinite(ratio):
        return None
    return t("msg.measured_ratio", lang, ratio=ratio, steps=len(norms))
