"""View: input/output shapes (the notes' many-to-one, one-to-many, many-to-many), each drawn as the unrolled chain of
a model trained here: a sensor series classified at its end (the spike task), the character LM read step by step, and
the same LM generating from one seed character. Where the loss enters and ||dL/dh_t|| at each step come from the
recordings; generation is inference (no loss, no gradient)."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from engine import Trace, generate
from engine.experiment import Run, RunConfig

from viz_app.figures import shapes as figs
from viz_app.text.i18n import t
from viz_app.state.fields import AppState
from viz_app.views.common import AppSource, Areas, Chart, Source, chart, explain
from viz_app.views import View
from viz_app.text import equations

STEPS = 8  # columns drawn per chain


def configs(state) -> dict[str, RunConfig]:
    """many-to-one: the spike task (is there a spike in the sensor series?); many-to-many and one-to-many: the
    default character LM, 40 epochs (its losses still visible). The page's cell and seed."""
    base = RunConfig(cell=state.cell, nonlinearity=state.nonlinearity, seed=state.seed)
    return {"many_to_one": base.with_(task="spike", length=STEPS, epochs=150), "many_to_many": base.with_(epochs=40)}


def _norm(a: np.ndarray) -> np.ndarray:
    return np.sqrt((np.asarray(a, dtype=float) ** 2).sum(-1))


def many_to_one(run: Run, trace: Trace, lang: str) -> figs.Chain:
    """The first sequence with a spike: its inputs, the class read at the last step and its loss, ||dL/dh_t||."""
    y = run.eval_data.y.numpy()
    b = int(np.argmax(y == 1)) if (y == 1).any() else 0
    logits = trace.outputs[-1, b]
    p = np.exp(logits - logits.max())
    p /= p.sum()
    labels = [t(f"leg.class_{name}", lang) for name in run.eval_data.labels]  # normal, spike
    steps = trace.steps
    loss = np.full(steps, np.nan)
    loss[-1] = -np.log(p[y[b]])
    outputs = [""] * (steps - 1) + [f"{labels[int(p.argmax())]} {p.max():.2f}"]
    # the recording's L is the batch mean (1/B) sum_b L_b, and only L_b reaches sequence b's states: B times its
    # gradient is that of the sequence's own loss, the L shown
    own = _norm(trace.grad_hidden[-1, :, b]) * trace.outputs.shape[1]
    return figs.Chain("many_to_one", tuple(f"{v:.1f}" for v in trace.inputs[:, b, 0]), tuple(outputs),
                      tuple(loss), tuple(own.tolist()))


def many_to_many(run: Run, trace: Trace) -> figs.Chain:
    """The character LM on its text's first STEPS characters: the predicted next character at each step, its loss
    and ||dL/dh_t|| (the whole text's loss: later steps send gradient back too)."""
    vocab = run.eval_data.vocab
    ids = run.eval_data.x[:STEPS, 0].argmax(-1).tolist()
    probs = torch.softmax(torch.from_numpy(trace.outputs[:STEPS, 0]), -1)
    outputs = tuple(f"{_char(vocab[int(i)])} {float(p[i]):.2f}" for p, i in zip(probs, probs.argmax(-1)))
    return figs.Chain("many_to_many", tuple(_char(vocab[i]) for i in ids), outputs,
                      tuple(float(v) for v in trace.losses[:STEPS]),
                      tuple(_norm(trace.grad_hidden[-1, :STEPS, 0]).tolist()))


def one_to_many(run: Run) -> figs.Chain:
    """The same LM generating STEPS characters from the text's first one (argmax, each output fed back)."""
    vocab = run.eval_data.vocab
    first = run.eval_data.x[0]  # (1, V): the seed character
    out = generate(run.net, first, STEPS)[:, 0].tolist()
    inputs = [_char(vocab[int(first.argmax())])] + [_char(vocab[i]) for i in out[:-1]]
    return figs.Chain("one_to_many", tuple(inputs), tuple(_char(vocab[i]) for i in out), (float("nan"),) * STEPS,
                      None, feedback=True)


def _char(c: str) -> str:
    return "␣" if c == " " else c


def chains(state, src) -> dict[str, figs.Chain] | None:
    cfgs, out = configs(state), {}
    runs = {mode: src.run_of(cfg, t(f"fig.shape_{mode}", state.lang, form="text")) for mode, cfg in cfgs.items()}
    if any(r is None for r in runs.values()):
        return None
    traces = {mode: src.trace_of(cfg) for mode, cfg in cfgs.items()}
    out["many_to_one"] = many_to_one(runs["many_to_one"], traces["many_to_one"], state.lang)
    out["one_to_many"] = one_to_many(runs["many_to_many"])
    out["many_to_many"] = many_to_many(runs["many_to_many"], traces["many_to_many"])
    return out


def figures(state: AppState, src: Source) -> list[Chart]:
    got = chains(state, src)
    if got is None:
        return []
    return [Chart(mode.replace("_", "-"), figs.chain_diagram(chain, lang=state.lang)) for mode, chain in got.items()]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
    src = AppSource(state, run, trace)
    with areas.stage:
        got = chains(state, src)
    if got is None:
        return state
    first, *rest = zip(figures(state, src), got)
    with areas.stage:  # the main chart where presentation mode keeps it: on the screen, under the view bar
        chart(first[0], state, areas, main=True)
    with areas.notes:
        st.caption(t(f"msg.shape_{first[1]}", lang))
    for chart_, mode in rest:
        chart(chart_, state, areas)
        st.caption(t(f"msg.shape_{mode}", lang))
    return state


VIEW = View("shapes", figures, render, equations=lambda p: [p.cell_step(), equations.OUTPUT], own_models=True)
