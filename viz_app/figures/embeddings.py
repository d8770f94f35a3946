"""One-hot inputs against an nn.Embedding: the learned character vectors, and both trainings' losses."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine.lessons import embeddings as emb

from viz_app.web import theme
from viz_app.text.i18n import t

KINDS = (("vowels", emb.VOWELS, theme.ORANGE), ("consonants", emb.CONSONANTS, theme.BLUE), ("space", " ",
                                                                                               theme.GREY))


def label_positions(coords: np.ndarray) -> list[str]:
    """Where each point's label goes (Plotly's textposition): on the side away from its nearest other point on the
    map, so that two characters drawn close together do not write their letters over each other."""
    out = []
    for i, here in enumerate(coords):
        d = np.hypot(*(coords - here).T)
        d[i] = np.inf
        dx, dy = coords[int(np.argmin(d))] - here
        if abs(dy) >= abs(dx):
            out.append("bottom center" if dy > 0 else "top center")
        else:
            out.append("middle left" if dx > 0 else "middle right")
    return out


def vector_map(data, *, lang: str) -> go.Figure:
    """Each character's trained vector on the first two principal components, labelled, coloured by its kind; the
    hover gives its nearest neighbour in the full d dimensions."""
    near = emb.nearest(data.vectors)
    where = label_positions(data.coords)
    fig = go.Figure()
    for kind, chars, colour in KINDS:
        idx = [emb.VOCAB.index(c) for c in chars]
        labels = ["␣" if c == " " else c for c in chars]
        nearest = ["␣" if emb.VOCAB[near[i]] == " " else emb.VOCAB[near[i]] for i in idx]
        fig.add_trace(go.Scatter(
            x=data.coords[idx, 0], y=data.coords[idx, 1], mode="markers+text", text=labels,
            textposition=[where[i] for i in idx], textfont={"size": 18}, name=t(f"leg.{kind}", lang),
            marker={"size": 12, "color": colour}, customdata=nearest,
            hovertemplate="%{text}<br>" + t("leg.nearest", lang) + ": %{customdata}<extra></extra>"))
    share = 100 * data.share
    title = t("fig.embed_map", lang, d=data.dim, a=share[0], b=share[1]) if data.dim > 1 else \
        t("fig.embed_map_1d", lang)
    theme.style(fig, title=title, height=440)
    lo, hi = data.coords.min(0), data.coords.max(0)
    pad = 0.15 * float(max(hi - lo)) + 1e-3  # room for the labels beside the outer points
    # constrain="domain": the equal scale narrows the plot instead of stretching the x range past the data (it drew
    # an x range five times the vectors' spread)
    fig.update_xaxes(title=t("axis.pc", lang, i=1), zeroline=True, range=[lo[0] - pad, hi[0] + pad], constrain="domain")
    fig.update_yaxes(title=t("axis.pc", lang, i=2), zeroline=True, scaleanchor="x", constrain="domain",
                     range=[lo[1] - 1.5 * pad, hi[1] + 1.5 * pad])
    return fig


def loss_curves(data, *, lang: str) -> go.Figure:
    """Both trainings' loss over the epochs (each epoch a new batch of sentences), with their parameter counts."""
    fig = go.Figure()
    for history, name, colour in (
            (data.one_hot, t("leg.one_hot", lang, n=data.one_hot_parameters), theme.GREY),
            (data.dense, t("leg.embedding", lang, d=data.dim, n=data.dense_parameters), theme.GREEN)):
        y = np.asarray(history.loss, dtype=float)
        fig.add_trace(go.Scatter(x=np.arange(len(y)), y=y, mode="lines", name=name, line={"color": colour}))
    theme.style(fig, title=t("fig.embed_curves", lang), height=320)
    fig.update_xaxes(title=t("axis.epoch", lang))
    fig.update_yaxes(title=t("axis.loss_nats", lang))
    return fig
