"""Training: clipping rules, divergence detection, truncated BPTT, snapshots, determinism, the char-LM learns."""
import math

import numpy as np
import pytest
import torch

import engine
from engine import tasks
from engine.training import TrainConfig, train


def _exploding_net():
    net = engine.RecurrentNet("rnn", 1, 8, 1, nonlinearity="relu")
    with torch.no_grad():
        net.recurrent.weight_hh_l0.copy_(torch.eye(8) * 1.6)
    return net


def _sine(seed=0):
    return tasks.make("sine", length=40, batch=8, seed=seed)


def test_norm_clipping_caps_the_applied_gradient():
    torch.manual_seed(0)
    hist = train(_exploding_net(), _sine(), TrainConfig(optimizer="sgd", lr=1e-4, epochs=20, clip="norm",
                                                        clip_threshold=0.5))
    assert hist.status == "finished"
    assert (hist.grad_norm > 0.5).any() and hist.clipped.any()
    assert (hist.grad_norm_clipped <= 0.5 + 1e-6).all()
    # where it did not fire, the update is the raw gradient
    assert np.allclose(hist.grad_norm_clipped[~hist.clipped], hist.grad_norm[~hist.clipped])


def test_value_clipping_bounds_each_component():
    torch.manual_seed(0)
    net = _exploding_net()
    train(net, _sine(), TrainConfig(optimizer="sgd", lr=1e-6, epochs=1, clip="value", clip_threshold=0.01))
    assert max(p.grad.abs().max().item() for p in net.parameters()) <= 0.01


def test_exploding_without_clipping_is_reported_not_raised():
    torch.manual_seed(0)
    net = _exploding_net()
    with torch.no_grad():
        net.recurrent.weight_hh_l0.mul_(20)
    hist = train(net, tasks.make("sine", length=200, batch=4), TrainConfig(optimizer="sgd", lr=1.0, epochs=30))
    assert hist.status == "diverged"
    u = hist.first_nonfinite
    assert u is not None and not (math.isfinite(hist.loss[u]) and math.isfinite(hist.grad_norm[u]))
    assert np.isfinite(hist.loss[:u]).all()


def test_char_lm_predicts_the_text_back():
    torch.manual_seed(0)
    data = tasks.char_lm()
    net = engine.RecurrentNet("rnn", data.input_size, 35, data.output_size)
    hist = train(net, data, TrainConfig(optimizer="adam", lr=0.01, epochs=300))
    assert hist.loss[0] > 2.5 and hist.loss[-1] < 0.05
    pred = net(data.x).argmax(-1)[:, 0]
    assert torch.equal(pred, data.y[:, 0])


def test_tbptt_makes_one_update_per_chunk_and_learns():
    torch.manual_seed(0)
    data = tasks.char_lm()
    net = engine.RecurrentNet("gru", data.input_size, 32, data.output_size)
    hist = train(net, data, TrainConfig(epochs=40, tbptt=10))
    assert hist.updates == 40 * math.ceil(47 / 10)
    assert hist.loss[-5:].mean() < hist.loss[:5].mean() / 2


def test_snapshots_progress_and_stop():
    torch.manual_seed(0)
    calls = []

    def progress(u, total, loss):
        calls.append((u, total))
        return u >= 7

    net = engine.RecurrentNet("lstm", 1, 4, 1)
    hist = train(net, lambda e: _sine(e), TrainConfig(epochs=50, snapshot_every=3), progress)
    assert hist.status == "stopped" and hist.updates == 7
    assert calls[-1] == (7, 50)
    assert [u for u, _ in hist.snapshots] == [0, 3, 6, 7]
    assert np.array_equal(hist.snapshots[-1][1]["recurrent.weight_hh_l0"], net.recurrent.weight_hh_l0.detach().numpy())


def test_same_seed_bit_identical():
    def run():
        torch.manual_seed(3)
        net = engine.RecurrentNet("lstm", 2, 6, 1)
        hist = train(net, lambda e: tasks.make("adding", length=12, batch=8, seed=e), TrainConfig(epochs=15))
        return hist, net
    (h1, n1), (h2, n2) = run(), run()
    assert np.array_equal(h1.loss, h2.loss) and np.array_equal(h1.grad_norm, h2.grad_norm)
    assert all(torch.equal(a, b) for a, b in zip(n1.state_dict().values(), n2.state_dict().values()))


@pytest.mark.parametrize("bad", [dict(lr=0), dict(lr=float("nan")), dict(epochs=-1), dict(optimizer="lbfgs"),
                                 dict(clip="norm", clip_threshold=0), dict(tbptt=-2)])
def test_bad_config_raises_config_error(bad):
    with pytest.raises(engine.ConfigError):
        TrainConfig(**bad).check()


def test_zero_epochs_is_a_valid_empty_run():
    net = engine.RecurrentNet("rnn", 1, 3, 1)
    hist = train(net, _sine(), TrainConfig(epochs=0))
    assert hist.updates == 0 and hist.status == "finished"


def test_one_to_many_generation_continues_hello():
    torch.manual_seed(0)
    data = tasks.char_lm("hello")
    net = engine.RecurrentNet("gru", data.input_size, 16, data.output_size)
    train(net, data, TrainConfig(epochs=150))
    ids = engine.generate(net, data.x[0], steps=4)[:, 0]  # from "h", feed each prediction back
    assert "".join(data.vocab[int(i)] for i in ids) == "ello"
    sampled = engine.generate(net, data.x[0], steps=4, sample=True, generator=torch.Generator().manual_seed(0))
    assert sampled.shape == (4, 1)
