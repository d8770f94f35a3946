"""A link may override any of a scenario's settings, and the banner then measures the changed run: every sentence it
prints must still be true of that run. Links that change the cell, the activation, the initialisation, rho, the
learning rate and the epochs of the scenarios whose sentences assert the most (vanishing, irnn, exploding, remember),
each sentence checked against numbers computed here (numpy's SVD, autograd through torch's nn.RNNCell, the training
histories' own arrays)."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.test_scenarios import _claim, _train, initial_norm
from viz_app.text.typeset import scientific

pytestmark = pytest.mark.slow


def _both(name, **changes):
    run, trace, ev, en = _claim(name, "en", **changes)
    _, _, _, ko = _claim(name, "ko", **changes)
    assert en and ko and ("⚠" in en) == ("⚠" in ko) == (not ev.shown), (en, ko)
    return run, trace, ev, en


def _number(tex: str) -> float:
    """A number as the banner typesets it: 0.955, or 2.3 \\times 10^{-9}."""
    m = re.fullmatch(r"([0-9.]+)(?: \\times 10\^\{(-?[0-9]+)\})?", tex.strip())
    return float(m[1]) * 10 ** int(m[2] or 0)


BLOCK = {"rnn": 0, "gru": 2, "lstm": 2}  # row block of W_hh drawn on the eigenvalue page: W_hh, W_hn, W_hg


@pytest.mark.parametrize("changes", [{}, {"cell": "gru"}, {"cell": "lstm"}, {"nonlinearity": "relu"},
                                     {"lr": 0.03, "epochs": 60}])
def test_vanishing_states_the_guarantee_only_where_it_holds(changes):
    run, _, ev, text = _both("vanishing", **changes)
    check_vanishing(run, ev, text)


def check_vanishing(run, ev, text):
    w = run.net.recurrent.weight_hh_l0.detach().double().numpy()
    h = w.shape[1]
    sigma = np.linalg.svd(w[BLOCK[run.net.cell] * h:(BLOCK[run.net.cell] + 1) * h], compute_uv=False)[0]
    if run.net.cell != "rnn":  # a gated cell: nothing follows from sigma_max
        assert "guarantees nothing" in text and "vanishing is guaranteed" not in text, text
        assert "no longer guaranteed" not in text and not ev.shown
        return
    m = re.search(r"\\sigma _\{\\max\} = ([0-9.]+) (<|\\ge ) 1/\\gamma  = ([0-9.]+)", text)
    assert m, text
    shown_sigma, relation, bound = float(m[1]), m[2].strip(), float(m[3])
    assert (shown_sigma < bound) == (relation == "<") == (sigma < 1.0), (sigma, text)  # tanh and ReLU: gamma = 1
    assert ("vanishing is guaranteed" in text) == (sigma < 1.0) and ("no longer guaranteed" in text) == (sigma >= 1.0)


@pytest.mark.parametrize("changes", [{}, {"init": "default"}, {"nonlinearity": "tanh"}, {"rho": 0.5}, {"rho": 1.5},
                                     {"cell": "lstm"}])
def test_irnn_says_what_w_hh_was_and_what_its_norm_did(changes):
    run, _, ev, text = _both("irnn", **changes)
    check_irnn(run, ev, text)


def check_irnn(run, ev, text):
    w0 = run.history.snapshots[0][1]["recurrent.weight_hh_l0"]
    identity = run.net.cell == "rnn" and np.array_equal(w0, np.eye(w0.shape[1], dtype=w0.dtype))
    assert ("$W_{hh} = I$)" in text) == identity, text
    if run.net.cell != "rnn":
        assert "W_{hh}" not in text.split("As initialised")[1].split(".")[0] and "units that are off" not in text
        return
    norm = initial_norm(run)
    assert norm == pytest.approx(ev.values["norm"], rel=1e-4, abs=1e-12)
    if not identity:
        sigma = np.linalg.svd(w0.astype(np.float64), compute_uv=False)[0]
        assert scientific(f"{sigma:.3g}").replace("$", "") in text
    verdict = {"No decay.": abs(norm - 1) <= 1e-3, "It does not decay: it grows.": norm > 1 + 1e-3,
               "It decays a little.": 0.5 <= norm < 1 - 1e-3, "It decays already.": norm < 0.5}
    assert [v for v, holds in verdict.items() if v in text] == [v for v, holds in verdict.items() if holds], text
    assert ("units that are off" in text) == (identity and run.net.nonlinearity == "relu" and norm < 0.5)


@pytest.mark.parametrize("changes", [{}, {"rho": 0.9}, {"lr": 100.0}, {"rho": 3.0}, {"seed": 1}])
def test_exploding_states_growth_jumps_and_divergence_as_the_histories_show(changes):
    run, _, ev, text = _both("exploding", **changes)
    check_exploding(run, ev, text)


def check_exploding(run, ev, text):
    cfg = run.config.with_(model_id="")
    plain = _train(cfg.with_(clip="none")).history
    clipped = _train(cfg.with_(clip="norm", clip_threshold=cfg.clip_threshold)).history
    g = plain.grad_norm
    bad = plain.first_nonfinite
    assert ("the very first loss or gradient was NaN/Inf" in text) == (bad == 0), text
    assert ("NaN/Inf" in text.split("With clipping")[0]) == (bad is not None), text
    if bad not in (None, 0):
        assert f"update {bad}" in text.split("With clipping")[0]
    m = re.search(r"([0-9.]+) orders of magnitude", text)
    if m:  # the growth it names is the finite norms' largest over the first
        finite = np.isfinite(g)
        top = int(np.argmax(np.where(finite, g, -np.inf)))
        orders = math.log10(g[top] / g[0])
        assert abs(float(m[1]) - orders) <= 0.5 and orders >= 0.5, (orders, text)
        jump = re.search(r"×(.+?) at update ([0-9]+)\)", text)
        if "most of it in one update" in text:  # that rise is on the way up, and is at least half the growth
            at = int(jump[2])
            assert 1 <= at <= top and math.log10(g[at] / g[at - 1]) >= 0.5 * orders, text
    else:
        assert "one step threw" not in text
    if clipped.status == "diverged":
        assert f"training stopped on NaN/Inf too, at update {clipped.first_nonfinite}" in text
        assert "clipping fired on" not in text
    else:
        assert f"clipping fired on {int(clipped.clipped.sum())} of {clipped.updates} updates" in text


@pytest.mark.parametrize("changes", [{"epochs": 150}, {"epochs": 950}, {"lr": 1.0}])
def test_remember_compares_only_the_epochs_the_run_reached(changes):
    run, _, ev, text = _both("remember", **changes)
    loss = run.history.loss
    reached = [u for u in (0, 100, 200, 900) if u < run.history.updates]
    missed = [u for u in (0, 100, 200, 900) if u >= run.history.updates]
    assert f"Loss at epochs {' / '.join(map(str, reached))}:" in text, text
    assert (f"before the notes' epochs {' / '.join(map(str, missed))}" in text) == bool(missed)
    finite = all(math.isfinite(loss[u]) for u in reached)
    assert ("apart" in text) == finite
    assert not ev.shown or not missed
