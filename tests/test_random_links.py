"""Random links over every scenario: a link may override any of a scenario's settings (the cell, the activation, the
initialisation, rho, the size, the layers, the seed, the epochs, the learning rate, the scenario's own knobs), and the
banner then measures the changed run. Every sentence it prints must be true of that run: each is checked against
numbers computed here (torch's own cells and autograd, numpy, the link's own text, the training histories' arrays);
the English banner's numbers and verdicts are checked, and the Korean one quotes the same numbers and gives the same
verdict (its warning sign, said or not). The links are drawn by a seeded generator, parsed as the app parses a URL."""
from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.autograd.functional import jacobian

from engine.lessons import evidence
from tests import test_claims_under_links as fixed
from tests.test_scenarios import _CLIFF, _train, _trace_of
from viz_app.state import scenarios
from viz_app.state.fields import from_params
from viz_app.text import claims
from viz_app.text.typeset import scientific

pytestmark = pytest.mark.slow

COMMON = {"cell": ["rnn", "gru", "lstm"], "nonlinearity": ["tanh", "relu"],
          "init": ["default", "orthogonal", "identity"], "rho": ["0.5", "0.95", "1.2"], "hidden_size": ["6", "20"],
          "seed": ["1", "3"], "epochs": ["0", "1", "12", "40"], "lr": ["0.001", "0.03", "0.3"]}
OWN = {"hello": {"text": ["banana", "abcabcabc", "hi"], "num_layers": ["2"]},
       "remember": {"epochs": ["150", "250"], "num_layers": ["2"]},
       "bptt_terms": {"length": ["3", "6", "12"], "num_layers": ["2"]},
       "vanishing": {},
       "exploding": {"clip_threshold": ["0.1", "10"], "length": ["12", "30"]},
       "cliff": {},
       "truncated": {"tbptt": ["3", "7", "40"], "num_layers": ["2"]},
       "irnn": {"length": ["8", "20"]},
       "lstm_copy": {"length": ["8", "12"], "bidirectional": ["1"]},
       "gru_vs_lstm": {"num_layers": ["2"], "epochs": ["0", "60"]}}
LINKS_PER_SCENARIO = 4
# drawn into every link of the scenario: lstm_copy trains three cells for 1000 epochs (75 s of the suite for four
# links); its default run is the scenario test's
ALWAYS = {"lstm_copy": {"epochs": ["30", "120"]}}


def _links():
    """(scenario, parameters) pairs: for each scenario, links that override 2-3 settings drawn at random; link i
    also sets the scenario's own i-th knob value (every one of them is drawn)."""
    rng = random.Random(2026)
    out = []
    for name in scenarios.names():
        knobs = COMMON | OWN[name]
        own = [(k, v) for k, values in OWN[name].items() for v in values]
        assert len(own) <= LINKS_PER_SCENARIO, name
        for i in range(LINKS_PER_SCENARIO):
            picked = rng.sample(sorted(knobs), rng.randint(2, 3))
            link = {k: rng.choice(knobs[k]) for k in picked} | dict(own[i:i + 1])
            out.append((name, link | {k: rng.choice(v) for k, v in ALWAYS.get(name, {}).items()}))
    return out


def _banner(name, params, lang):
    state, notices = from_params({"scenario": name, **params, "lang": lang})
    assert not notices, notices
    run = _train(state.run_config())
    trace = run.trace()
    ctx = claims.Context(state, run, trace, _train, _trace_of, lambda: (_CLIFF[0], {"plain": _CLIFF[1],
                                                                                   "clipped": _CLIFF[2]}))
    ev, text = claims.scenario_claim(ctx, lang)
    return state, run, trace, ev, text


def chain_norm(run, k: int, t: int) -> float:
    """||dh_t/dh_k||_2 of sequence 0 (c_k held fixed for an LSTM), independently: autograd's Jacobian through torch's
    own RNNCell / GRUCell / LSTMCell carrying the net's weights, in float64. One unidirectional layer."""
    net = run.net
    x = net.encode(run.eval_data.x)[:, :1].detach().double()
    kind, h = net.cell, net.hidden_size
    kw = {"nonlinearity": net.nonlinearity} if kind == "rnn" else {}
    cell = {"rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}[kind](x.shape[-1], h, **kw)
    cell = cell.double()
    cell.load_state_dict({n: getattr(net.recurrent, f"{n}_l0").detach().double()
                          for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    state = None
    with torch.no_grad():
        for s in range(k + 1):
            state = cell(x[s], state)
    c_k = state[1] if kind == "lstm" else None

    def onward(h_k):
        s = (h_k[None], c_k) if kind == "lstm" else h_k[None]
        for step in range(k + 1, t + 1):
            s = cell(x[step], s)
        return (s[0] if kind == "lstm" else s)[0]
    start = (state[0] if kind == "lstm" else state)[0]
    return torch.linalg.matrix_norm(jacobian(onward, start), 2).item()


def _one_plain_layer(run) -> bool:
    return run.net.num_layers == 1 and not run.net.bidirectional and not run.net.residual


# --- one checker per scenario: each sentence of the banner against a computation of its own -----------------------
def check_hello(state, run, trace, ev, text):
    d = run.eval_data
    if d.vocab is None:  # the link changed the task: the scenario has nothing to say
        assert text == "" and ev is None
        return
    pred = "".join(d.vocab[int(i)] for i in run.net(d.x).argmax(-1)[:, 0])
    target = state.text[1:]  # the text itself, one character on
    right = sum(a == b for a, b in zip(pred, target))
    assert f"“{pred}” ({right}/{len(target)}" in text, (pred, target, text)
    assert ("predicts every next character" in text) == (pred == target) == ev.shown


def check_remember(state, run, trace, ev, text):
    if run.config.tbptt > 0:
        assert text == ""
        return
    notes = dict((u, ref) for u, ref in scenarios.reference_losses("remember"))
    reached = [u for u in notes if u < run.history.updates]
    if reached:
        assert f"Loss at epochs {' / '.join(map(str, reached))}:" in text, text
        assert " / ".join(scientific(f"{run.history.loss[u]:.2g}") for u in reached) in text, text
    missed = [u for u in notes if u >= run.history.updates]
    assert (f"before the notes' epochs {' / '.join(map(str, missed))}" in text) == bool(missed)
    losses = [float(run.history.loss[u]) for u in reached]
    worst = max((max(v / notes[u], notes[u] / v) if math.isfinite(v) and v > 0 else math.inf
                 for u, v in zip(reached, losses)), default=math.nan)
    factor = evidence.NOTES_FACTOR
    assert (f"more than {factor:g}× away from the notes" in text) == (not worst <= factor), (worst, text)
    assert (f"Each is within {factor:g}× of the notes'" in text) == (worst <= factor and not missed), (worst, text)
    if math.isfinite(worst):
        assert scientific(f"at most {worst:.2g}× apart") in text, text
    steps = trace.steps
    if _one_plain_layer(run) and np.isfinite(trace.jacobians.spectral[-1, :-1]).all():
        first, last = chain_norm(run, 0, steps - 1), chain_norm(run, steps - 2, steps - 1)
        if last > 0:
            ratio = first / last
            m = re.search(r"= ([0-9.]+(?: \\times 10\^\{-?[0-9]+\})?)\$ \(\$T = ([0-9]+)\$\)", text)
            assert m and int(m[2]) == steps, text
            assert fixed._number(m[1]) == pytest.approx(ratio, rel=0.06), (ratio, text)
            assert ("has not faded" in text) == (ratio >= 1e-2 * (1 + 1e-4)) or abs(ratio / 1e-2 - 1) < 1e-3


def check_bptt_terms(state, run, trace, ev, text):
    if trace.mode != "many_to_one":
        assert "Every step of this run has a loss of its own" in text and not ev.shown
        return
    top = run.net.num_layers - 1
    terms = trace.weight_terms.matrices[f"weight_hh_l{top}"]
    norms = np.linalg.norm(terms.reshape(len(terms), -1), axis=1)
    x, y = run.eval_data.x, run.eval_data.y
    loss = F.mse_loss(run.net(x)[-1], y) if run.eval_data.loss == "mse" else F.cross_entropy(run.net(x)[-1], y)
    (g,) = torch.autograd.grad(loss, [getattr(run.net.recurrent, f"weight_hh_l{top}")])
    assert np.allclose(terms.sum(0), g.numpy(), rtol=1e-4, atol=1e-6)  # the terms are autograd's gradient, split
    falling = len(norms) >= 3 and bool(np.all(np.diff(norms[1:]) > 0))
    assert text.startswith("⚠") == (not falling) == (not ev.shown), (norms, text)
    if len(norms) > 1:
        assert scientific(f"{norms[1]:.2g} at step 1") in text, text


def check_cliff(state, run, trace, ev, text):
    """The cliff's paths are the lesson's own (settings of the link do not reach them): the default sentence."""
    big = np.hypot(np.diff(_CLIFF[1]["w"]), np.diff(_CLIFF[1]["b"])).max()
    assert ev.shown and scientific(f"{big:.3g}") in text


def check_truncated(state, run, trace, ev, text):
    window = state.bptt_window if state.bptt_window > 0 else run.config.tbptt
    if window <= 0 or window >= trace.steps:
        assert text == "" and ev is None
        return
    cut_trace = run.trace(tbptt_window=window)
    g, full, direct = (a[-1] for a in (cut_trace.truncated.grad_hidden, cut_trace.grad_hidden,
                                        cut_trace.grad_hidden_direct))
    edges = list(range(window - 1, trace.steps - 1, window))
    assert f"($t$ = {', '.join(map(str, edges[:4]))}{', …' if len(edges) > 4 else ''})" in text, text
    for e in edges:  # nothing crosses a window's edge: the truncated gradient there is the step's own part
        assert np.array_equal(g[e], direct[e])
    carried = min(float(np.linalg.norm(full[e] - direct[e])) for e in edges)
    assert (f"at least {scientific(f'{carried:.2g}')} more" in text) == (carried > 0), (carried, text)
    assert text.startswith("⚠") == (carried == 0) == (not ev.shown)


CHECKS = {"hello": check_hello, "remember": check_remember, "bptt_terms": check_bptt_terms,
          "vanishing": lambda s, run, tr, ev, text: fixed.check_vanishing(run, ev, text),
          "exploding": lambda s, run, tr, ev, text: check_exploding(run, ev, text),
          "cliff": check_cliff, "truncated": check_truncated,
          "irnn": lambda s, run, tr, ev, text: fixed.check_irnn(run, ev, text),
          "lstm_copy": lambda s, run, tr, ev, text: check_lstm_copy(run, ev, text),
          "gru_vs_lstm": lambda s, run, tr, ev, text: check_gru_vs_lstm(run, ev, text)}


def check_exploding(run, ev, text):
    if run.history.updates == 0:
        assert text == "⚠ This run has not been trained (0 updates)." and not ev.shown
        return
    fixed.check_exploding(run, ev, text)


def check_lstm_copy(run, ev, text):
    if run.config.task != "copy":
        assert text == ""
        return
    got = {}
    for cell in ("lstm", "gru", "rnn"):
        other = _train(run.config.with_(cell=cell, nonlinearity="tanh", model_id=""))
        d = other.eval_data
        with torch.no_grad():
            logits = other.net(d.x)
        loss = float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), d.y.reshape(-1)))
        recall = float((logits[-3:].argmax(-1) == d.y[-3:]).double().mean())
        got[cell] = (loss, recall)
        assert ev.values[cell]["loss"] == pytest.approx(loss, rel=1e-5) and ev.values[cell]["recall"] == recall
        assert scientific(f"{cell.upper()} {loss:.3g}") in text and f"{cell.upper()} {recall:.0%}" in text
    base = 3 * math.log(4) / run.config.length
    shown = got["lstm"][0] < base and got["lstm"][0] < got["rnn"][0] and got["lstm"][1] > got["rnn"][1]
    assert text.startswith("⚠") == (not shown) == (not ev.shown), (got, base, text)


def check_gru_vs_lstm(run, ev, text):
    c = run.config
    n, reach = {}, {}
    for cell, module in (("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)):
        other = _train(c.with_(cell=cell, nonlinearity="tanh", model_id=""))
        m = module(other.net.input_size, c.hidden_size, num_layers=c.num_layers, bidirectional=bool(c.bidirectional))
        n[cell] = sum(p.numel() for p in m.parameters())
        below = np.nonzero(other.history.loss < claims.REACH)[0]
        reach[cell] = int(below[0]) if len(below) else None
        said = f"{reach[cell]}" if len(below) else f"none within its {other.history.updates}"
        assert (re.search(rf"\b{cell.upper()} {said}[,;]", text) is not None) == (other.history.updates > 0), text
    assert f"GRU {n['gru']:,}, LSTM {n['lstm']:,} (ratio {n['gru'] / n['lstm']:.2f})" in text, text
    if c.epochs == 0:
        assert text.endswith("has not been trained (0 updates).") and not ev.shown
        return
    both = None not in reach.values()
    similar = both and max(reach.values()) <= 2 * max(min(reach.values()), 1)
    assert ev.shown == similar == ("Similar:" in text) and ("Not comparable" in text) == (not both), (reach, text)


NUMBER = re.compile(r"(?<![A-Za-z_{])\d[\d,.]*(?: \\times 10\^\{-?\d+\})?%?")


def _numbers(text: str) -> list[str]:
    """Every number a banner prints (2.3 \\times 10^{-9}, 4,992, 67%), sorted: the same in both languages."""
    return sorted(m.rstrip(".,") for m in NUMBER.findall(text))


@pytest.mark.parametrize("name,params", _links(), ids=lambda v: v if isinstance(v, str) else
                         "&".join(f"{k}={x}" for k, x in v.items()))
def test_every_sentence_is_true_under_a_random_link(name, params):
    torch.set_grad_enabled(True)
    state, run, trace, ev, text = _banner(name, params, "en")
    _, _, _, ev_ko, ko = _banner(name, params, "ko")
    assert (text == "") == (ko == "") and ("⚠" in text) == ("⚠" in ko), (text, ko)
    assert _numbers(ko) == _numbers(text), (text, ko)  # the Korean banner quotes the numbers checked below
    assert not re.search(r"\b(nan|inf)\b", text + ko), text  # a number formatted from NaN/Inf
    CHECKS[name](state, run, trace, ev, text)


def test_every_scenario_is_drawn_and_checked():
    assert set(CHECKS) == set(OWN) == set(scenarios.names())
    assert {name for name, _ in _links()} == set(scenarios.names())
