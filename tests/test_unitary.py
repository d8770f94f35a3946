"""uRNN: an orthogonal W_hh kept orthogonal while training (engine.orthogonal, evaluated in float64), checked on
the trained weights, against autograd, and by its gradients: Jacobian norms never above 1, far less vanishing than the
same RNN trained without the constraint."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import engine
from engine import bptt, experiment, spectrum

CFG = experiment.RunConfig(init="unitary", nonlinearity="relu", task="copy", length=40, hidden_size=16, lr=0.003,
                           epochs=120)


@pytest.fixture(scope="module")
def runs():
    return {name: experiment.run(CFG.with_(init=name)) for name in ("unitary", "default", "orthogonal")}


def test_w_hh_stays_orthogonal_through_training(runs):
    run = runs["unitary"]
    assert run.history.status == "finished" and run.history.loss[-1] < 0.5 * run.history.loss[0]
    w = run.net.recurrent.weight_hh_l0.detach().double()
    assert (w.T @ w - torch.eye(16, dtype=torch.float64)).abs().max() < 1e-6
    for eigs in run.snapshot_eigenvalues():  # every snapshot, on the unit circle
        np.testing.assert_allclose(np.abs(eigs), 1.0, atol=1e-6)
    # the same init without the constraint leaves the circle
    free = runs["orthogonal"].net.recurrent.weight_hh_l0.detach().double()
    assert (free.T @ free - torch.eye(16, dtype=torch.float64)).abs().max() > 0.1


@pytest.mark.parametrize("lr", [0.1, 10.0, 100.0])
def test_w_hh_is_orthogonal_to_rounding_at_any_learning_rate(lr):
    """torch's own orthogonal parametrisation evaluated in float32 drifted with the step size (W^T W - I: 1e-5 at
    lr 0.1, 2.8e-3 at lr 100 for H = 64), and the regime box then said "explosion possible: sigma_max = 1 > 1". In
    float64 the weight is an orthogonal matrix rounded once to float32: ||W - Q||_2 <= sqrt(H) eps / 2."""
    h = 64
    run = experiment.run(experiment.RunConfig(init="unitary", hidden_size=h, lr=lr, epochs=30))
    w = run.net.recurrent.weight_hh_l0.detach().double()
    bound = h ** 0.5 * float(np.finfo(np.float32).eps) / 2
    sigma = torch.linalg.svdvals(w)
    assert (sigma - 1).abs().max() <= bound, (sigma.max() - 1, sigma.min() - 1)
    reg = run.trace(jacobians=False).regime
    assert reg.kind == spectrum.BOUNDARY and reg.deviation <= bound


def test_its_gradients_never_explode_and_vanish_far_less(runs):
    maps = {name: r.trace().jacobians.spectral for name, r in runs.items()}
    unitary = maps["unitary"]
    assert np.nanmax(unitary) <= 1 + 1e-5  # ||dh_t/dh_k|| <= ||W_hh||^(t-k) = 1 with ReLU' <= 1
    assert np.nanmax(maps["default"]) > 1 and np.nanmax(maps["orthogonal"]) > 1  # unconstrained: growth
    assert unitary[-1, 0] > 100 * maps["default"][-1, 0]  # across all 39 steps
    reg = runs["unitary"].trace().regime
    assert reg.kind == spectrum.BOUNDARY and 0 < reg.deviation < 1e-5  # 1 up to float32 rounding


def test_training_gradient_through_the_parametrisation_equals_autograd():
    torch.manual_seed(0)
    net = engine.RecurrentNet("rnn", 3, 5, 4, 2, "tanh", unitary=True).double()
    x, y = torch.randn(6, 2, 3, dtype=torch.float64), torch.randint(0, 4, (6, 2))
    out, _ = bptt.run(net, x)
    torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten()).backward()
    ours = {n: p.grad.clone() for n, p in net.named_parameters()}
    net.zero_grad()
    rec, inp = net.recurrent, x
    for k in range(2):  # plain torch operations on the parametrised W_hh
        w_ih, w_hh = getattr(rec, f"weight_ih_l{k}"), getattr(rec, f"weight_hh_l{k}")
        b = getattr(rec, f"bias_ih_l{k}") + getattr(rec, f"bias_hh_l{k}")
        h, hs = torch.zeros(2, 5, dtype=torch.float64), []
        for t in range(6):
            h = torch.tanh(inp[t] @ w_ih.T + h @ w_hh.T + b)
            hs.append(h)
        inp = torch.stack(hs)
    torch.nn.functional.cross_entropy(net.readout(inp).flatten(0, 1), y.flatten()).backward()
    assert any("original" in n for n in ours)
    for name, p in net.named_parameters():
        torch.testing.assert_close(ours[name], p.grad, atol=1e-12, rtol=0, msg=name)
    torch.testing.assert_close(net(x), net.readout(inp), atol=1e-12, rtol=0)


def test_what_a_unitary_w_hh_cannot_be_in_both_languages():
    from viz_app.text.errors import error_message
    for reason, kw in {"unitary_cell": {"cell": "lstm"}, "unitary_rho": {"rho": 2.0}}.items():
        with pytest.raises(engine.ArchitectureError) as e:
            CFG.with_(**kw).check()
        assert e.value.reason == reason and error_message(e.value, "ko") != error_message(e.value, "en")
    CFG.with_(rho=1.0).check()


def test_a_rescaled_copy_leaves_the_circle_and_the_model_stays_unitary(runs):
    net = runs["unitary"].net
    copy = experiment.rescaled(net, 0.5)
    assert not copy.unitary and engine.init.spectral_radius(copy.recurrent.weight_hh_l0) == pytest.approx(0.5)
    assert engine.init.spectral_radius(net.recurrent.weight_hh_l0) == pytest.approx(1.0, abs=1e-6)
    grid = runs["unitary"].rescaled_grid((0.5, 1.5))
    assert len(grid.norms) == 2


def test_a_unitary_net_travels_by_pickle_and_deepcopy_unchanged_and_leaves_the_rng_alone():
    import copy
    import pickle
    torch.manual_seed(3)
    net = engine.RecurrentNet("rnn", 3, 4, 2, 2, unitary=True, bidirectional=True).double()
    rng = torch.get_rng_state()
    back, twin = pickle.loads(pickle.dumps(net)), copy.deepcopy(net)
    assert torch.equal(rng, torch.get_rng_state())
    x = torch.randn(5, 1, 3, dtype=torch.float64)
    for other in (back, twin):
        assert other.unitary and type(other.recurrent) is not type(net.recurrent)  # its own parametrised class
        torch.testing.assert_close(other(x), net(x), atol=0, rtol=0)
    experiment.rescaled(twin, 0.5)  # changing a copy leaves the others whole
    torch.testing.assert_close(back(x), net(x), atol=0, rtol=0)
