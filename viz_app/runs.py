"""Training and recording behind bounded caches shared by all sessions, with progress shown while a run trains.

A run is keyed by its frozen RunConfig, so returning to an earlier setting is instant and view-only changes never
retrain. Caches have fixed sizes (memory stays bounded however many students connect)."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from engine import EngineError, TextError, VocabularyError, analysis, experiment, record, spectrum, tasks
from engine.cliff import cliff_surface, descent_path, steep_start

from .cache import LRU
from .i18n import t

MAX_RUNS = 24


@st.cache_resource
def _store() -> LRU:
    return LRU(MAX_RUNS)


def cached_run(cfg: experiment.RunConfig) -> experiment.Run | None:
    return _store().get(cfg)


def train(cfg: experiment.RunConfig, lang: str, label: str = "") -> experiment.Run | None:
    """The run for ``cfg``: from the cache, or trained now with a progress bar. None (and a message) on bad input."""
    run = cached_run(cfg)
    if run is not None:
        return run
    bar = st.progress(0.0, text=(label + " " if label else "") + t("msg.training", lang, done=0, total=0, loss=0.0))
    last = [0.0]

    def progress(done: int, total: int, loss: float):
        now = time.perf_counter()
        if now - last[0] > 0.1 or done == total:  # at most 10 redraws a second
            last[0] = now
            bar.progress(min(1.0, done / max(total, 1)),
                         text=(label + " " if label else "") + t("msg.training", lang, done=done, total=total,
                                                                 loss=loss))

    try:
        run = experiment.run(cfg, progress)
    except EngineError as e:
        bar.empty()
        st.error(error_message(e, lang))
        return None
    bar.empty()
    _store().put(cfg, run)
    return run


def error_message(e: EngineError, lang: str) -> str:
    """One clear sentence in the user's language for an engine error."""
    if isinstance(e, VocabularyError):
        return t("msg.vocab", lang, chars=" ".join(e.unknown[:10]))
    if isinstance(e, TextError):
        return t("msg.text", lang, max=tasks.MAX_TEXT)
    return t("msg.bad_config", lang, reason=str(e))


@st.cache_resource(max_entries=48, show_spinner=False)
def trace(cfg: experiment.RunConfig, tbptt: int = 0, jacobians: bool = True):
    """The Trace of a trained run on its evaluation batch (the run must be in the store)."""
    run = cached_run(cfg)
    return run.trace(tbptt_window=tbptt or None, jacobians=jacobians)


@st.cache_resource(max_entries=64, show_spinner=False)
def rescaled_decay(cfg: experiment.RunConfig, rho: float) -> tuple[np.ndarray, tuple]:
    """||dh_T/dh_k|| for every k and the spectra, after rescaling the trained W_hh to spectral radius rho."""
    run = cached_run(cfg)
    net = experiment.rescaled(run.net, rho) if rho > 0 else run.net
    norms = analysis.last_row_norms(net, run.eval_data.x)
    w = net.recurrent.weight_hh_l0.detach().numpy() if net.num_layers == 1 else getattr(
        net.recurrent, f"weight_hh_l{net.num_layers - 1}").detach().numpy()
    return norms, spectrum.layer_spectrum(w, net.cell, net.nonlinearity)


@st.cache_resource(max_entries=64, show_spinner=False)
def snapshot_trace(cfg: experiment.RunConfig, index: int):
    run = cached_run(cfg)
    net = run.snapshot_net(index)
    d = run.eval_data
    return record(net, d.x, d.y, d.loss, d.mode, jacobians=False, weight_terms=False)


@st.cache_resource(max_entries=16, show_spinner=False)
def snapshot_eigenvalues(cfg: experiment.RunConfig) -> list[np.ndarray]:
    """Eigenvalues of the top layer's W_hh (candidate block) at every snapshot."""
    run = cached_run(cfg)
    top = f"recurrent.weight_hh_l{run.net.num_layers - 1}"
    main = spectrum.main_block(cfg.cell)
    out = []
    for _, state in run.history.snapshots:
        blocks = spectrum.layer_spectrum(state[top], cfg.cell, cfg.nonlinearity)
        out.append(next(b for b in blocks if b.name == main).eigenvalues)
    return out


@st.cache_resource(show_spinner=False)
def cliff():
    """Pascanu's one-unit surface, and descent paths with and without clipping from a point beside a wall."""
    surface = cliff_surface()
    start = steep_start(surface) or (6.0, -3.2)
    return surface, {"plain": descent_path(*start, lr=0.2, iters=30),
                     "clipped": descent_path(*start, lr=0.2, iters=30, clip=1.0)}
