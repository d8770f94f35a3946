"""View: one-hot inputs against nn.Embedding for a character language model on a syllable text (the notes' chapter on
embeddings; engine/lessons/embeddings.py): the learned vectors on their first two principal components, the two
trainings' losses and parameter counts. Both models train here, in a worker, on the same fresh batches."""
from __future__ import annotations

import streamlit as st

from engine import Trace
from engine.lessons import embeddings as emb
from engine.experiment import Run

from viz_app.text import claims
from viz_app.figures import embeddings as figs
from viz_app.export import captions
from viz_app.text.typeset import chart_math
from viz_app.text.i18n import t
from viz_app.state.fields import AppState, hidden
from viz_app.views.common import AppSource, Areas, Chart, Source, chart, explain
from viz_app.views import View

SECONDS, MB = 60.0, 600.0  # the worker's limits for the two small trainings (about 3 s and 300 MB)

EMBED_TEX = (r"W_{xh}\, \operatorname{onehot}(x_t) = W_{xh}[:,\, x_t], \qquad e_t = E^{\top} \operatorname{onehot}(x_t)"
             r" = E[x_t,\, :\,] \in \mathbb{R}^{d}, \quad E \in \mathbb{R}^{V \times d}")


def comparison(state, src) -> emb.Comparison:
    """Both models, trained with the page's cell and seed (in a worker on the page, cached)."""
    return src.computed("embeddings", emb.compare, state.cell, state.nonlinearity, state.embed_dim, state.seed,
                        seconds=SECONDS, mb=MB)


def figures(state: AppState, src: Source) -> list[Chart]:
    data = comparison(state, src)
    return [Chart("vectors", src.figure(figs.vector_map, data, lang=state.lang)),
            Chart("curves", src.figure(figs.loss_curves, data, lang=state.lang))]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
        if not hidden(state, "step"):
            dim = st.slider(t("ctl.embed_dim", lang), 1, emb.MAX_DIM, value=state.embed_dim, key="w_embed_dim")
            state = state.with_(embed_dim=int(dim))
        st.caption(t("msg.embed_text", lang, sample=_sample(), vocab=len(emb.VOCAB)))
    src = AppSource(state, run, trace)
    with areas.stage:
        data = comparison(state, src)
    vectors, curves = figures(state, src)
    with areas.stage:
        chart(vectors, state, areas, main=True)
    with areas.notes:
        st.caption(claims.embedding_text(data, lang))
    chart(curves, state, areas)
    return state


def _sample() -> str:
    """The first sentence of the first batch, as text."""
    return "".join(emb.VOCAB[int(i)] for i in emb.syllable_batch(0, batch=1, length=40).x[:, 0])


def caption(state, figure: str, trained_rho: float | None) -> str:
    """A slide's caption: its own two models on its own sentences."""
    cell = captions.cell_label(state.cell, state.nonlinearity, state.lang)
    return chart_math(t("cap.embed", state.lang, cell=cell, d=state.embed_dim, seed=state.seed))


VIEW = View("embed", figures, render,
            equations=lambda p: [EMBED_TEX, p.cell_step().replace("x_t", "e_t")], own_models=True, caption=caption)
