"""The input/output shapes view: each chain's numbers against the trained model run by hand with torch.autograd."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from viz_app.export import figures as export_figures
from viz_app.figures import shapes as figs
from viz_app.state.fields import AppState
from viz_app.views import shapes as page


@pytest.fixture(scope="module")
def chains():
    state = AppState(lang="en")
    src = export_figures.DeckSource(state.run_config())
    cfgs = page.configs(state)
    return page.chains(state, src), {mode: src.run_of(cfg) for mode, cfg in cfgs.items()}


def test_many_to_one_loss_and_gradient_of_the_sequence_shown(chains):
    got, runs = chains
    chain, run = got["many_to_one"], runs["many_to_one"]
    y = run.eval_data.y
    b = int(torch.nonzero(y == 1)[0])
    x = run.eval_data.x[:, b:b + 1].clone()
    net = run.net
    hs, _ = net.recurrent(x)  # (T, 1, H), torch's own module
    hs.retain_grad()
    loss = F.cross_entropy(net.readout(hs[-1]), y[b:b + 1])
    loss.backward()
    assert np.isnan(chain.losses[:-1]).all() and chain.losses[-1] == pytest.approx(loss.item(), rel=1e-5)
    # dL_b/dh_t for every t (the readout reads the last step only; the earlier ones get it through W_hh): the
    # sequence recorded alone, its own loss
    from engine import record
    tr = record(net, x, y[b:b + 1], "cross_entropy", "many_to_one")
    np.testing.assert_allclose(chain.grads, np.linalg.norm(tr.grad_hidden[-1, :, 0], axis=-1), rtol=1e-4)
    assert chain.grads[-1] == pytest.approx(float(hs.grad[-1].norm()), rel=1e-4)
    assert chain.outputs[-1].startswith("spike")


def test_one_to_many_feeds_each_output_back(chains):
    got, runs = chains
    chain, net, vocab = got["one_to_many"], runs["many_to_many"].net, runs["many_to_many"].eval_data.vocab
    x, state, out = runs["many_to_many"].eval_data.x[:1], None, []
    with torch.no_grad():
        for _ in range(page.STEPS):  # by hand: nn.RNN one step at a time, the argmax fed back as a one-hot
            h, state = net.recurrent(x, state)
            nxt = int(net.readout(h[0]).argmax(-1))
            out.append(nxt)
            x = F.one_hot(torch.tensor([[nxt]]), len(vocab)).float()
    assert [c.replace("␣", " ") for c in chain.outputs] == [vocab[i] for i in out]
    assert chain.inputs[1:] == chain.outputs[:-1] and chain.grads is None and np.isnan(chain.losses).all()


def test_many_to_many_has_a_loss_at_every_step(chains):
    got, runs = chains
    chain, run = got["many_to_many"], runs["many_to_many"]
    with torch.no_grad():
        per_step = F.cross_entropy(run.net(run.eval_data.x)[:, 0], run.eval_data.y[:, 0], reduction="none")
    np.testing.assert_allclose(chain.losses, per_step[:page.STEPS].numpy(), rtol=1e-4, atol=1e-7)


def test_the_diagrams_show_where_the_loss_enters(chains):
    got, _ = chains
    for mode, chain in got.items():
        fig = figs.chain_diagram(chain, lang="en")
        texts = list(fig.data[0].text)
        assert sum(s.startswith("L<sub>") for s in texts) == int(np.isfinite(chain.losses).sum())
        feedback = [a for a in fig.layout.annotations if a.arrowcolor == figs.theme.GREEN]
        assert len(feedback) == (page.STEPS - 1 if chain.feedback else 0), mode
