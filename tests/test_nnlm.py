"""The NNLM against the RNN on a text that needs more context than the window: the window's limit checked on the
model itself, and the default run's per-position losses showing where the window runs out."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine import experiment
from engine.lessons import nnlm


def test_the_text_repeats_each_letter_after_its_countdown():
    text = nnlm.long_range_text(4, 30, seed=2)
    sentences = text.split(" ")[:-1]
    assert len(sentences) == 30 and all(s[0] == s[-1] and s[1:-1] == "4321" for s in sentences)
    assert set(s[0] for s in sentences) == set(nnlm.LETTERS)


def test_the_nnlm_sees_its_window_and_nothing_older():
    torch.manual_seed(0)
    model = nnlm.FixedWindowLM(6, window=3)
    ids = torch.tensor([1, 2, 3, 4, 5, 0, 1, 2])
    assert model.windows(ids)[0].tolist() == [6, 6, 1] and model.windows(ids)[5].tolist() == [4, 5, 0]
    base = model(ids)
    older, inside = ids.clone(), ids.clone()
    older[2], inside[3] = 0, 0  # position 5 reads 3, 4, 5
    assert torch.equal(model(older)[5], base[5])
    assert not torch.allclose(model(inside)[5], base[5])


def test_by_position_averages_each_place_in_a_sentence():
    per_step = np.arange(2 * nnlm.period(3) + 2, dtype=float)
    np.testing.assert_allclose(nnlm.by_position(per_step, 3), per_step[:12].reshape(2, 6).mean(0))


@pytest.fixture(scope="module")
def default_runs():
    gap = 5
    text = nnlm.long_range_text(gap)
    rnn = experiment.run(experiment.RunConfig(text=text, epochs=nnlm.EPOCHS, hidden_size=nnlm.HIDDEN, lr=nnlm.LR))
    return gap, {"rnn": nnlm.by_position(rnn.trace(jacobians=False).losses, gap),
                 3: nnlm.by_position(nnlm.train_window_lm(text, 3).per_step, gap),
                 6: nnlm.by_position(nnlm.train_window_lm(text, 6).per_step, gap)}


@pytest.mark.slow
def test_where_the_window_runs_out_the_rnn_still_predicts(default_runs):
    gap, loss = default_runs
    at = gap  # after the countdown's "1": the letter gap + 1 back
    assert abs(loss[3][at] - math.log(4)) < 0.15  # window 3: a guess among the four letters
    assert loss["rnn"][at] < 0.3 < loss[3][at]
    assert loss[6][at] < 0.1  # a window of gap + 1 reaches the letter
    for model in loss.values():  # the countdown itself is predictable from the last character: every model
        assert np.all(loss[3][1:gap] < 0.05) and np.all(model[1:gap] < 0.05)


@pytest.mark.slow
def test_the_view_draws_and_says_the_runs_numbers():
    from viz_app.text import claims
    from viz_app.export import figures as export_figures
    from viz_app.figures import nnlm as figs
    from viz_app.state.fields import AppState
    from viz_app.views import nnlm as page
    state = AppState(view="nnlm")
    data = page.comparison(state, export_figures.DeckSource(state.run_config()))
    text = nnlm.long_range_text(state.gap, page.SENTENCES)
    np.testing.assert_allclose(data.nnlm, nnlm.by_position(nnlm.train_window_lm(text, state.window).per_step,
                                                            state.gap))
    fig = figs.position_losses(data, lang="en")
    np.testing.assert_allclose(fig.data[0].y, data.nnlm)
    np.testing.assert_allclose(fig.data[1].y, data.rnn)
    assert list(fig.data[0].x)[state.gap] == "1→L" and fig.layout.shapes  # the out-of-window place is shaded
    sentence = claims.nnlm_text(data, "en")
    assert "does not reach" in sentence and f"{data.nnlm[state.gap]:.2f}" in sentence
    assert f"{data.rnn[state.gap]:.2f}" in sentence
    # whether the RNN learned to look back past the window is said from its own number, with a warning if not
    reached = data.rnn[state.gap] < math.log(2)
    assert ("looks back past the window" in sentence) == reached and ("did not learn it either" in sentence) != reached
    # the last pair of bars (the next sentence's random first letter) is explained with its own numbers, and a loss
    # below the letters' own frequencies there is called what it is: memorised from this text, not predicted
    assert list(fig.data[0].x)[-1] == "␣→L′" and f"NNLM {data.nnlm[-1]:.3f}" in sentence
    letters = [c for c in text.split(" ")[1:] if c]  # every sentence's first letter but the first
    p = np.array([sum(s[0] == c for s in letters) for c in nnlm.LETTERS]) / len(letters)
    entropy = -(p[p > 0] * np.log(p[p > 0])).sum()  # independent of nnlm.letter_entropy's count of " L"
    assert nnlm.letter_entropy(text) == pytest.approx(entropy, rel=1e-12) and entropy < nnlm.GUESS
    assert f"{entropy:.3f} nats" in sentence
    assert ("memorised" in sentence) == (min(data.nnlm[-1], data.rnn[-1]) < entropy - 0.005)
    wide = page._comparison(state.gap, 6, data.cell, state.seed, tuple(np.zeros(799)), (0.0,))
    assert "reaches it" in claims.nnlm_text(wide, "en")
    assert not figs.position_losses(wide, lang="en").layout.shapes[:-1]  # only the ln 4 line
