"""One-hot inputs against nn.Embedding: the text's rule, the embedding as a factorised input weight (against the
one-hot model), parameter counts in closed form, PCA, and what the default run's vectors show."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import engine
from engine.lessons import embeddings as emb


def test_the_sentences_follow_their_rule_and_are_new_every_epoch():
    d = emb.syllable_batch(3, batch=4, length=50)
    text = ["".join(emb.VOCAB[int(i)] for i in d.x[:, b]) + emb.VOCAB[int(d.y[-1, b])] for b in range(4)]
    for s in text:
        for a, b in zip(s, s[1:]):
            assert (b in emb.VOWELS) if a in emb.CONSONANTS else (b in emb.CONSONANTS + " ") if a in emb.VOWELS \
                else b in emb.CONSONANTS
    assert torch.equal(emb.syllable_batch(3).x, emb.syllable_batch(3).x)
    assert not torch.equal(emb.syllable_batch(3).x, emb.syllable_batch(4).x)
    assert torch.equal(emb.syllable_batch(3, one_hot=True).x.argmax(-1), emb.syllable_batch(3).x)


def test_an_embedding_is_the_one_hot_input_weight_factorised():
    """W_xh e_t with e_t = row x_t of E equals a one-hot model whose input weight is W_xh E^T."""
    torch.manual_seed(0)
    dense = engine.RecurrentNet("gru", 4, 6, len(emb.VOCAB), vocab_size=len(emb.VOCAB)).double()
    plain = engine.RecurrentNet("gru", len(emb.VOCAB), 6, len(emb.VOCAB)).double()
    state = {k: v for k, v in dense.state_dict().items() if not k.startswith("embedding.")}
    state["recurrent.weight_ih_l0"] = dense.recurrent.weight_ih_l0 @ dense.embedding.weight.T
    plain.load_state_dict(state)
    d = emb.syllable_batch(1, batch=3, length=20)
    torch.testing.assert_close(dense(d.x), plain(emb.syllable_batch(1, batch=3, length=20, one_hot=True).x.double()),
                               atol=1e-12, rtol=0)


@pytest.mark.parametrize("cell,blocks", [("rnn", 1), ("lstm", 4)])
def test_parameter_counts_in_closed_form(cell, blocks):
    v, d, h = len(emb.VOCAB), 5, 7
    g = blocks * h
    dense = engine.RecurrentNet(cell, d, h, v, vocab_size=v)
    plain = engine.RecurrentNet(cell, v, h, v)
    readout = v * h + v
    assert emb.parameter_count(dense) == v * d + g * d + g * h + 2 * g + readout
    assert emb.parameter_count(plain) == g * v + g * h + 2 * g + readout


def test_pca_projects_on_the_directions_of_largest_variance():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(14, 3)) * np.array([5.0, 1.0, 0.1])
    coords, share = emb.pca(base)
    centred = base - base.mean(0)
    assert np.isclose(coords.var(0).sum() / centred.var(0).sum(), share.sum()) and share[0] > 0.8
    np.testing.assert_allclose(np.abs(coords[:, 0]), np.abs(centred @ np.linalg.svd(centred)[2][0]))
    flat, flat_share = emb.pca(base[:, :1])
    assert flat.shape == (14, 2) and np.all(flat[:, 1] == 0) and flat_share[1] == 0


@pytest.fixture(scope="module")
def default():
    return emb.compare()


@pytest.mark.slow
def test_the_default_run_puts_the_vowels_together_and_the_consonants_together(default):
    near, after, before = emb.same_kind(default.vectors), emb.spread(default.vectors), emb.spread(default.initial)
    assert near["vowels"] >= 4 and near["consonants"] >= 8
    assert after["vowels"] < after["across"] and after["consonants"] < after["across"]
    assert before["vowels"] > before["across"]  # not so at initialisation
    assert default.dense_parameters < default.one_hot_parameters
    assert abs(default.dense.loss[-1] - default.one_hot.loss[-1]) < 0.05  # the same rule learned either way


def test_the_view_draws_and_says_the_runs_numbers(default):
    from viz_app.text.claims import embedding_text
    from viz_app.figures import embeddings as figs
    fig = figs.vector_map(default, lang="en")
    vowels = next(tr for tr in fig.data if tr.name == "vowels")
    idx = [emb.VOCAB.index(c) for c in emb.VOWELS]
    np.testing.assert_allclose(vowels.x, default.coords[idx, 0])
    text = embedding_text(default, "en")
    near, after = emb.same_kind(default.vectors), emb.spread(default.vectors)
    assert f"{near['vowels']} of 5 vowels" in text and f"{after['across']:.2f}" in text
    assert f"{default.dense_parameters} with" in text and f"{default.one_hot_parameters} with one-hot" in text


def test_each_label_sits_on_the_side_away_from_its_nearest_point(default):
    """Characters drawn close together on the map wrote their letters over each other (every label "top center"): a
    label now goes on the side of its point away from the nearest other point."""
    from viz_app.figures import embeddings as figs
    fig = figs.vector_map(default, lang="en")
    placed = {}
    for tr in fig.data:
        for x, y, text, where in zip(tr.x, tr.y, tr.text, tr.textposition):
            placed[text] = (np.array([x, y]), where)
    away = {"top center": (0, 1), "bottom center": (0, -1), "middle right": (1, 0), "middle left": (-1, 0)}
    for text, (here, where) in placed.items():
        others = [p for t, (p, _) in placed.items() if t != text]
        nearest = min(others, key=lambda p: np.hypot(*(p - here)))
        assert np.dot(away[where], nearest - here) <= 0, (text, where)  # the label points away from it
    assert len({w for _, w in placed.values()}) > 1
