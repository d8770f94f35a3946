"""Training: clipping rules, divergence detection, truncated BPTT, snapshots, determinism, the char-LM learns."""
import dataclasses
import math

import numpy as np
import pytest
import torch

import engine
from engine import experiment, tasks
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


def test_the_notes_hand_written_rnn_with_summed_mse_takes_the_same_first_step():
    """The lecture notes' model: i2h, h2h, i2o as nn.Linear, hidden = tanh(i2h(x) + h2h(h)), output = i2o(hidden),
    loss += MSELoss(output, one-hot next character) over the steps. One SGD step of the engine (char-LM with a fixed
    alphabet, loss="mse", reduction="sum") equals it: same loss, same gradient norm, same new weights."""
    alphabet = "abcdefghijklmnopqrstuvwxyz ?!.,;01"
    data = tasks.make("char_lm", text="0hello pytorch?1", alphabet=alphabet, loss="mse", reduction="sum")
    torch.manual_seed(0)
    net = engine.RecurrentNet("rnn", len(alphabet), 6, len(alphabet)).double()
    data = dataclasses.replace(data, x=data.x.double(), y=data.y.double())
    rec = net.recurrent
    i2h, h2h, i2o = (torch.nn.Linear(len(alphabet), 6).double(), torch.nn.Linear(6, 6).double(),
                     torch.nn.Linear(6, len(alphabet)).double())
    with torch.no_grad():
        for lin, w, b in ((i2h, rec.weight_ih_l0, rec.bias_ih_l0), (h2h, rec.weight_hh_l0, rec.bias_hh_l0),
                          (i2o, net.readout.weight, net.readout.bias)):
            lin.weight.copy_(w)
            lin.bias.copy_(b)
    hidden, loss = torch.zeros(1, 6, dtype=torch.float64), 0
    for j in range(data.x.shape[0]):
        hidden = torch.tanh(i2h(data.x[j]) + h2h(hidden))
        loss = loss + torch.nn.functional.mse_loss(i2o(hidden), data.y[j])
    params = [i2h.weight, i2h.bias, h2h.weight, h2h.bias, i2o.weight, i2o.bias]
    grads = torch.autograd.grad(loss, params)
    hist = train(net, data, TrainConfig(optimizer="sgd", lr=0.1, epochs=1))
    assert hist.loss[0] == pytest.approx(float(loss.detach()), rel=1e-12)
    assert hist.grad_norm[0] == pytest.approx(float(torch.sqrt(sum((g ** 2).sum() for g in grads))), rel=1e-10)
    assert torch.allclose(rec.weight_hh_l0, h2h.weight - 0.1 * grads[2], atol=1e-12)
    with pytest.raises(engine.ConfigError):
        tasks.make("copy", loss="mse")
    with pytest.raises(engine.VocabularyError):
        tasks.make("char_lm", text="hello", alphabet="abc")


def _same_training(a, b) -> None:
    """Two runs trained alike, bit for bit: losses, gradient norms, every snapshot and the final parameters."""
    ha, hb = a.history, b.history
    for name in ("loss", "grad_norm", "grad_norm_clipped", "clipped"):
        assert np.array_equal(getattr(ha, name), getattr(hb, name)), name
    assert [u for u, _ in ha.snapshots] == [u for u, _ in hb.snapshots]
    for (_, x), (_, y) in zip(ha.snapshots, hb.snapshots):
        assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x)
    sa, sb = a.net.state_dict(), b.net.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("cfg", [
    experiment.RunConfig(epochs=60),  # char-LM, Adam
    experiment.RunConfig(cell="lstm", task="copy", epochs=30, optimizer="rmsprop", hidden_size=12),  # fresh batches
    experiment.RunConfig(cell="gru", task="sine", tbptt=10, epochs=25, clip="norm", optimizer="sgd", lr=0.1),
], ids=["rnn-adam", "lstm-rmsprop", "gru-tbptt-sgd-clip"])
def test_a_paused_training_goes_on_as_if_never_paused(cfg):
    """Paused after 0 (the initialisation) or 7 epochs, resumed to 20, then to the end: the same run, bit for bit,
    as training without a pause; the paused run at 20 is the run a link with paused_at=20 trains directly; a
    checkpoint resumed twice gives the same result (resuming does not change it)."""
    full = experiment.run(cfg)
    start = experiment.run(cfg.with_(paused_at=0))
    assert start.history.status == "paused" and start.history.updates == 0 and start.history.checkpoint.epoch == 0
    first = experiment.run(cfg.with_(paused_at=7))
    assert first.history.status == "paused" and first.history.checkpoint.epoch == 7
    middle = experiment.run(cfg.with_(paused_at=20), resume=first)
    _same_training(middle, experiment.run(cfg.with_(paused_at=20)))
    _same_training(experiment.run(cfg, resume=middle), full)
    _same_training(experiment.run(cfg, resume=first), full)  # the first checkpoint, resumed a second time
    _same_training(experiment.run(cfg, resume=start), full)
    assert full.history.status == "finished" and full.history.checkpoint is None


def test_only_an_earlier_pause_of_the_same_training_resumes():
    cfg = experiment.RunConfig(epochs=20, hidden_size=8)
    paused = experiment.run(cfg.with_(paused_at=10))
    assert experiment.can_resume(paused, cfg) and experiment.can_resume(paused, cfg.with_(paused_at=15))
    assert not experiment.can_resume(paused, cfg.with_(paused_at=5))  # already past it
    assert not experiment.can_resume(paused, cfg.with_(seed=1)) and not experiment.can_resume(paused, cfg.with_(lr=0.1))
    assert not experiment.can_resume(experiment.run(cfg), cfg)  # a finished run has no checkpoint
    with pytest.raises(engine.ConfigError):
        experiment.run(cfg.with_(seed=1), resume=paused)
    for bad in (20, 25, -2):
        with pytest.raises(engine.ConfigError):
            cfg.with_(paused_at=bad).check()
