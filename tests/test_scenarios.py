"""Each lecture scenario's default run shows the effect it names, and the sentence the banner prints quotes numbers
that an independent computation (torch modules, autograd, numpy) gives for that very run."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.autograd.functional import jacobian

from engine import experiment, spectrum
from engine.lessons import evidence
from engine.lessons.cliff import cliff_surface, demo, descent_path, steep_start
from viz_app.text import claims
from viz_app.state import scenarios
from viz_app.text.typeset import scientific, tex
from viz_app.state.fields import baseline, scenario_state

_RUNS: dict = {}


def _train(cfg):
    if cfg not in _RUNS:
        _RUNS[cfg] = experiment.run(cfg)
    return _RUNS[cfg]


def _trace_of(cfg, tbptt):
    return _train(cfg).trace(tbptt_window=tbptt or None)


_CLIFF = demo()


def _claim(name, lang="en", **changes):
    state = baseline(name).with_(**changes)
    run = _train(state.run_config())
    trace = run.trace()
    ctx = claims.Context(state, run, trace, _train, _trace_of, lambda: (_CLIFF[0], {"plain": _CLIFF[1],
                                                                                   "clipped": _CLIFF[2]}))
    ev, text = claims.scenario_claim(ctx, lang)
    return run, trace, ev, text


def _cfg(name):
    return scenario_state(name, "en").run_config()


def test_hello_predicts_e_l_l_o():
    run, _, ev, text = _claim("hello")
    d = run.eval_data
    # independent: torch's own nn.RNN (net.recurrent) and readout, argmax by hand
    out, _ = run.net.recurrent(d.x)
    pred = run.net.readout(out).argmax(-1)[:, 0]
    assert "".join(d.vocab[int(i)] for i in pred) == "ello" == ev.values["predicted"]
    assert ev.shown and "“ello” (4/4)" in text


def test_remember_reproduces_the_lecture_notes_curve():
    """The notes: loss 2.3 (epoch 0), 0.11 (100), 0.03 (200), 0.003 (900); MSE on one-hot targets summed over steps."""
    run, trace, ev, text = _claim("remember")
    d = run.eval_data
    assert d.vocab == "abcdefghijklmnopqrstuvwxyz ?!.,;01" and d.loss == "mse" and d.reduction == "sum"
    hist = run.history
    for update, notes in ((0, 2.3), (100, 0.11), (200, 0.03), (900, 0.003)):  # the same order of magnitude
        assert notes / evidence.NOTES_FACTOR <= hist.loss[update] <= notes * evidence.NOTES_FACTOR
    assert ev.shown and [r[2] for r in ev.values["rows"]] == [float(hist.loss[u]) for u in (0, 100, 200, 900)]
    # the recorded loss is the notes' sum over steps of nn.MSELoss (a mean over the 34 outputs)
    with torch.no_grad():
        out = run.net(d.x)
    summed = sum(F.mse_loss(out[t, 0], d.y[t, 0]) for t in range(d.x.shape[0]))
    assert trace.loss == pytest.approx(float(summed), rel=1e-5)
    j = trace.jacobians.spectral
    assert j[-1, 0] < 1e-2 * j[-1, -2] and tex(f"{j[-1, 0] / j[-1, -2]:.1e}") in text


def test_bptt_terms_shrink_with_distance_when_the_loss_is_at_the_end():
    run, trace, ev, text = _claim("bptt_terms")
    terms = trace.weight_terms.matrices["weight_hh_l0"]
    norms = np.linalg.norm(terms.reshape(len(terms), -1), axis=1)
    assert trace.mode == "many_to_one" and norms[0] == 0  # h_{-1} = 0
    assert np.all(np.diff(norms[1:]) > 0)  # each step further back is smaller
    # the terms add up to autograd's dL/dW_hh for the recorded loss
    x, y = run.eval_data.x, run.eval_data.y
    net = run.net
    loss = F.mse_loss(net(x)[-1], y)
    (g,) = torch.autograd.grad(loss, [net.recurrent.weight_hh_l0])
    assert np.allclose(terms.sum(0), g.numpy(), atol=1e-6)
    assert ev.shown and scientific(f"{norms[-1]:.2g}") in text and scientific(f"{norms[1]:.2g} at step 1") in text


def test_vanishing_keeps_sigma_below_one_and_says_so_with_its_numbers():
    run, trace, ev, text = _claim("vanishing")
    w0 = run.history.snapshots[0][1]["recurrent.weight_hh_l0"].astype(np.float64)
    w1 = run.net.recurrent.weight_hh_l0.detach().double().numpy()
    assert np.abs(np.linalg.eigvals(w0)).max() == pytest.approx(0.6, rel=1e-5)
    sigma = np.linalg.norm(w1, 2)
    assert sigma < 1 and trace.regime.kind == spectrum.VANISHING
    assert ev.shown and f"${tex(f'σ_max = {sigma:.3f} < 1/γ = 1')}$" in text
    assert f"${tex(f'ρ = {np.abs(np.linalg.eigvals(w1)).max():.2f}')}$" in text and f"${tex('ρ = 0.60')}$" in text
    j = trace.jacobians.spectral
    assert j[-1, 0] < 1e-3 * j[-1, -2]


def test_exploding_text_describes_the_chart():
    state = scenario_state("exploding", "en")
    run, _, ev, text = _claim("exploding")
    plain = _train(state.run_config().with_(clip="none")).history
    clipped = _train(state.run_config().with_(clip="norm", clip_threshold=state.clip_threshold)).history
    finite = plain.grad_norm[np.isfinite(plain.grad_norm)]
    assert finite.max() / finite[0] > 1e6 or plain.status == "diverged"
    assert ev.values["g_first"] == plain.grad_norm[0] and ev.values["g_max"] == finite.max()
    assert scientific(f"{plain.grad_norm[0]:.3g} at update 0") in text and scientific(f"{finite.max():.3g}") in text
    assert clipped.status == "finished"
    assert (clipped.grad_norm_clipped <= state.clip_threshold + 1e-6).all() and clipped.clipped.any()
    assert clipped.loss[-1] < clipped.loss[0]
    assert f"fired on {int(clipped.clipped.sum())} of {clipped.updates} updates" in text
    # what the chart shows: one jump (update 1), not growth update after update; the sentence says so
    assert int(np.argmax(plain.grad_norm)) == 1 and "most of it in one update" in text


def test_cliff_throws_plain_descent_and_not_clipped():
    surface = cliff_surface(n_w=40, n_b=20)
    start = steep_start(surface, min_grad=1e3)
    plain, clipped = descent_path(*start, lr=0.2, iters=3), descent_path(*start, lr=0.2, iters=3, clip=1.0)
    jump = np.hypot(np.diff(plain["w"]), np.diff(plain["b"])).max()
    assert jump > 100 * np.hypot(np.diff(clipped["w"]), np.diff(clipped["b"])).max()
    _, _, ev, text = _claim("cliff")
    big = np.hypot(np.diff(_CLIFF[1]["w"]), np.diff(_CLIFF[1]["b"])).max()
    assert ev.shown and scientific(f"{big:.3g}") in text and ev.values["clipped_step"] <= 0.2 + 1e-12
    # what the loss did, from the paths drawn: the clipped path's first step crossed the wall too (the report: "a
    # student concludes that clipping made the loss 7x worse"), and the sentence says so and why, with its numbers
    shown = _CLIFF[2]
    assert ev.values["start_loss"] == shown["loss"][0] and ev.values["clipped_first"] == shown["loss"][1]
    assert ev.values["clipped_end"] == shown["loss"][-1] and ev.values["plain_end"] == _CLIFF[1]["loss"][-1]
    crossed = abs(shown["loss"][1] - shown["loss"][0]) > 0.1
    assert ("also crossed the wall" in text) == crossed and "bounds the step, not the loss" in text
    lower = shown["loss"][-1] < _CLIFF[1]["loss"][-1] - 0.01
    rose = shown["loss"][-1] > shown["loss"][0] + 0.01
    assert ("ends lower than the unclipped one" in text) == lower and ("does not end lower" in text) == (not lower)
    assert ("ends above where it started" in text) == (crossed and rose)


def test_truncated_cuts_the_gradient_at_window_edges():
    cfg = _cfg("truncated")
    tr = _train(cfg).trace(tbptt_window=cfg.tbptt)
    k = cfg.tbptt
    g, direct = tr.truncated.grad_hidden[0], tr.grad_hidden_direct[0]
    for edge in range(k - 1, g.shape[0] - 1, k):  # the last step of each window receives nothing from the next
        assert np.allclose(g[edge], direct[edge])
    assert not np.allclose(tr.grad_hidden[0, k - 1], direct[k - 1])
    _, _, ev, text = _claim("truncated")
    assert ev.shown and "$t$ = 9, 19, 29, 39" in text


def initial_norm(run) -> float:
    """||dh_{T-1}/dh_0|| of the net as initialised (sequence 0), independently: autograd's Jacobian through torch's
    nn.RNNCell carrying the first snapshot's weights, in float64."""
    w = run.history.snapshots[0][1]
    cell = torch.nn.RNNCell(2, run.net.hidden_size, nonlinearity=run.net.nonlinearity).double()
    cell.load_state_dict({n: torch.from_numpy(w[f"recurrent.{n}_l0"]).double() for n in
                          ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    x = run.eval_data.x[:, :1].double()
    with torch.no_grad():
        h0 = cell(x[0])[0]

    def rest(h):
        for t in range(1, x.shape[0]):
            h = cell(x[t], h.unsqueeze(0))[0]
        return h
    return torch.linalg.matrix_norm(jacobian(rest, h0), 2).item()


def test_irnn_starts_without_decay_and_beats_the_mean_predictor():
    run, trace, ev, text = _claim("irnn")
    norm = initial_norm(run)
    assert norm == pytest.approx(ev.values["norm"], rel=1e-5) and norm >= 0.5
    y = run.eval_data.y.numpy()
    assert trace.loss * 3 < ((y - y.mean()) ** 2).mean()
    assert ev.shown and f"{tex(f'= {norm:.3g}')}$" in text


@pytest.mark.slow
def test_lstm_beats_the_rnn_and_the_memoryless_baseline_on_the_copy_task():
    """... and the banner states the GRU's numbers too: the compare view beside it draws the GRU solving the task."""
    _, _, ev, text = _claim("lstm_copy")
    cfg = _cfg("lstm_copy")
    got = {}
    for cell in ("lstm", "gru", "rnn"):
        run = _train(cfg.with_(cell=cell, nonlinearity="tanh"))
        d = run.eval_data
        with torch.no_grad():
            out, _ = run.net.recurrent(d.x)
            logits = run.net.readout(out)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), d.y.reshape(-1))
        recall = float((logits[-3:].argmax(-1) == d.y[-3:]).double().mean())
        got[cell] = (float(loss), recall)
        assert ev.values[cell]["loss"] == pytest.approx(float(loss), rel=1e-5)
        assert ev.values[cell]["recall"] == recall
    base = 3 * math.log(4) / cfg.length
    assert got["lstm"][0] < base and got["lstm"][0] < got["rnn"][0] and got["lstm"][1] > got["rnn"][1]
    assert ev.shown and scientific(f"LSTM {got['lstm'][0]:.3g}") in text and scientific(f"{base:.3g}") in text
    # a loss near 0 is written as such (0.000 read as zero beside the card's 8e-05)
    assert scientific(f"GRU {got['gru'][0]:.3g}") in text and f"GRU {got['gru'][1]:.0%}" in text


def test_gru_has_three_quarters_of_the_lstm_parameters_and_trains_alike():
    _, _, ev, text = _claim("gru_vs_lstm")
    h = _cfg("gru_vs_lstm").hidden_size
    i = _train(_cfg("gru_vs_lstm")).net.input_size
    n = {c: sum(p.numel() for p in m(i, h).parameters()) for c, m in (("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM))}
    assert (ev.values["n_gru"], ev.values["n_lstm"]) == (n["gru"], n["lstm"]) and n["gru"] * 4 == n["lstm"] * 3
    assert ev.shown and f"GRU {n['gru']:,}, LSTM {n['lstm']:,}" in text


@pytest.mark.parametrize("name", scenarios.names())
def test_every_scenario_states_its_effect_in_both_languages(name):
    _, _, ev, en = _claim(name, "en")
    _, _, _, ko = _claim(name, "ko")
    assert ev is not None and ev.shown, en
    assert en and ko and en != ko and "⚠" not in en + ko


def test_a_run_that_does_not_show_the_effect_says_so():
    """The vanishing scenario trained long with a large learning rate leaves the guaranteed regime: the banner must
    say so instead of claiming a guarantee."""
    _, trace, ev, text = _claim("vanishing", lr=0.03, epochs=60)
    assert trace.main_spectrum.sigma_max >= 1 and not ev.shown
    assert text.startswith("⚠") and "no longer guaranteed" in text


def test_every_scenario_has_a_claim_and_a_test():
    assert set(claims.CLAIMS) == set(scenarios.names())
