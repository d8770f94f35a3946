"""Every figure of every view for one state, as the batch exporter writes them to a deck: each view's own
``figures`` (viz_app/views), drawn from plain engine calls instead of the app's caches and workers."""
from __future__ import annotations

import contextlib
import functools

import torch

from engine import experiment
from engine.lessons.cliff import demo as cliff_demo

from viz_app.figures.common import figure
from viz_app import views
from viz_app.views import catalog  # noqa: F401  (registers the views)
from viz_app.compute.worker import THREADS


def all_figures(state, names: tuple[str, ...] | None = None) -> list[tuple[str, str, object]]:
    """(view, figure name, plotly Figure) for the views ``names`` (default: every view), in lecture order."""
    src = DeckSource(state.run_config())
    return [(view.name, c.name, c.fig) for view in views.all_views() if names is None or view.name in names
            for c in view.figures(state.with_(view=view.name), src)]


class DeckSource:
    """The data views draw, without Streamlit: each config trained once per exporter process."""

    watching = False  # a slide is drawn whole (every slider position)

    def __init__(self, cfg: experiment.RunConfig):
        self.run = _run(cfg)
        self.trace = _trace(cfg, 0)

    def run_of(self, cfg: experiment.RunConfig, label: str = "") -> experiment.Run:
        return _run(cfg)

    def trace_of(self, cfg: experiment.RunConfig, tbptt: int = 0):
        return _trace(cfg, tbptt)

    def rescaled_grid(self, values: tuple):
        return self.run.rescaled_grid(values)

    def snapshot_eigenvalues(self):
        return self.run.snapshot_eigenvalues()

    def snapshot_gradient_norms(self):
        return self.run.snapshot_gradient_norms()

    def computed(self, kind, fn, *args, seconds: float, mb: float):
        return _computed(fn, *args)

    def cliff(self):
        surface, plain, clipped = _cliff()
        return surface, {"plain": plain, "clipped": clipped}

    figure = staticmethod(figure)


def trained_rho(state) -> float:
    """Spectral radius of the top layer's main W_hh block of the run the deck draws (after training)."""
    return _run(state.run_config()).main_spectrum().spectral_radius


@functools.lru_cache(maxsize=8)
def _run(cfg: experiment.RunConfig) -> experiment.Run:
    """A config's run, trained once per exporter process (the deck and its captions read the same one), on the
    app's workers' thread count: the same bits as the page."""
    with _threads(THREADS):
        return experiment.run(cfg)


@functools.lru_cache(maxsize=8)
def _trace(cfg: experiment.RunConfig, tbptt: int):
    run = _run(cfg)
    with _threads(THREADS):
        return run.trace(tbptt_window=tbptt or None)


@contextlib.contextmanager
def _threads(n: int):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@functools.lru_cache(maxsize=8)
def _computed(fn, *args):
    with _threads(THREADS):
        return fn(*args)


@functools.lru_cache(maxsize=1)
def _cliff():
    return cliff_demo()
