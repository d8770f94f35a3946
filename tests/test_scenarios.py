"""Each lecture scenario's default run shows the effect it names."""
import numpy as np
import pytest

from engine import experiment, spectrum
from engine.cliff import cliff_surface, descent_path, steep_start
from viz_app import scenarios
from viz_app.state import scenario_state


def _cfg(name):
    return scenario_state(name, "en").run_config()


def test_hello_predicts_e_l_l_o():
    run = experiment.run(_cfg("hello"))
    d = run.eval_data
    pred = run.net(d.x).argmax(-1)[:, 0]
    assert "".join(d.vocab[int(i)] for i in pred) == "ello"


def test_remember_learns_the_sentence_and_its_memory_fades():
    run = experiment.run(_cfg("remember"))
    assert run.history.loss[-1] < 0.05
    j = run.trace().jacobian_norms
    assert j[-1, 0] < 1e-2 * j[-1, -2]  # the first character's influence on the last state has faded


def test_vanishing_is_guaranteed_and_visible():
    tr = experiment.run(_cfg("vanishing")).trace()
    assert tr.regime == spectrum.VANISHING
    j = tr.jacobian_norms
    assert j[-1, 0] < 1e-3 * j[-1, -2]


def test_exploding_grows_by_orders_of_magnitude_and_clipping_caps_it():
    state = scenario_state("exploding", "en")
    cfg = state.run_config()
    plain = experiment.run(cfg.with_(clip="none")).history
    finite = plain.grad_norm[np.isfinite(plain.grad_norm)]
    assert finite.max() / finite[0] > 1e6 or plain.status == "diverged"
    clipped = experiment.run(cfg.with_(clip="norm", clip_threshold=state.clip_threshold)).history
    assert clipped.status == "finished"
    assert (clipped.grad_norm_clipped <= state.clip_threshold + 1e-6).all() and clipped.clipped.any()
    assert clipped.loss[-1] < clipped.loss[0]


def test_cliff_throws_plain_descent_and_not_clipped():
    surface = cliff_surface(n_w=40, n_b=20)
    start = steep_start(surface, min_grad=1e3)
    plain, clipped = descent_path(*start, lr=0.2, iters=3), descent_path(*start, lr=0.2, iters=3, clip=1.0)
    jump = np.hypot(np.diff(plain["w"]), np.diff(plain["b"])).max()
    assert jump > 100 * np.hypot(np.diff(clipped["w"]), np.diff(clipped["b"])).max()


def test_truncated_cuts_the_gradient_at_window_edges():
    cfg = _cfg("truncated")
    tr = experiment.run(cfg.with_(epochs=50)).trace(tbptt_window=cfg.tbptt)
    k = cfg.tbptt
    g, direct = tr.grad_hidden_truncated[0], tr.grad_hidden_direct[0]
    for edge in range(k - 1, g.shape[0] - 1, k):  # the last step of each window receives nothing from the next
        assert np.allclose(g[edge], direct[edge])
    assert not np.allclose(tr.grad_hidden[0, k - 1], direct[k - 1])


def test_irnn_beats_the_mean_predictor_on_adding():
    hist = experiment.run(_cfg("irnn")).history
    assert hist.loss[-50:].mean() < 0.3 / 6  # predicting the mean sum 1.0 has MSE 1/6


def test_lstm_keeps_the_first_input_on_the_copy_task():
    cfg = _cfg("lstm_copy")
    sens = {c: experiment.run(cfg.with_(cell=c, nonlinearity="tanh")).trace().input_sensitivity
            for c in ("rnn", "lstm")}
    ratio = {c: s[-1] / s[0] for c, s in sens.items()}
    assert ratio["lstm"] > 1e6 * ratio["rnn"]


@pytest.mark.parametrize("hidden", [8, 32])
def test_gru_has_three_quarters_of_the_lstm_parameters_and_a_similar_loss(hidden):
    cfg = _cfg("gru_vs_lstm").with_(hidden_size=hidden)
    runs = {c: experiment.run(cfg.with_(cell=c)) for c in ("lstm", "gru")}
    n = {c: sum(p.numel() for p in r.net.recurrent.parameters()) for c, r in runs.items()}
    assert n["gru"] * 4 == n["lstm"] * 3
    if hidden == 32:
        loss = {c: r.history.loss[-1] for c, r in runs.items()}
        assert max(loss.values()) < 5 * min(loss.values()) and max(loss.values()) < 0.05


def test_every_scenario_has_a_test():
    tested = {"hello", "remember", "vanishing", "exploding", "cliff", "truncated", "irnn", "lstm_copy",
              "gru_vs_lstm"}
    assert set(scenarios.names()) == tested
