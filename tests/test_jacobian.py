"""Jacobian-norm maps against torch.autograd.functional.jacobian and closed forms."""
import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian

import engine
from conftest import CASES, torch_cells


def _chain(cell_mod, x, hs, k, t, lstm):
    """s_t as a function of s_k through the torch cell, for batch element 0."""
    def f(s):
        h = s[: hs.shape[-1]].unsqueeze(0)
        state = (h, s[hs.shape[-1]:].unsqueeze(0)) if lstm else h
        for j in range(k + 1, t + 1):
            state = cell_mod(x[j, :1], state)
        return torch.cat([state[0][0], state[1][0]]) if lstm else state[0]
    return f


@pytest.mark.parametrize("cell,nl", CASES)
def test_map_equals_autograd_jacobian(cell, nl):
    net = engine.RecurrentNet(cell, 3, 5, 2, nonlinearity=nl).double()
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    tr = engine.record(net, x, torch.randint(0, 2, (6, 2)))
    (cell_mod,) = torch_cells(net)
    states, state = [], None
    for t in range(6):
        state = cell_mod(x[t, :1], state)
        states.append(torch.cat([state[0][0], state[1][0]]) if cell == "lstm" else state[0])
    for t in range(6):
        for k in range(t + 1):
            jac = jacobian(_chain(cell_mod, x, torch.zeros(5), k, t, cell == "lstm"), states[k].detach())
            hh = jac[:5, :5]
            assert tr.jacobians.spectral[t, k] == pytest.approx(torch.linalg.matrix_norm(hh, 2).item(), rel=1e-10)
            assert tr.jacobians.frobenius[t, k] == pytest.approx(torch.linalg.matrix_norm(hh).item(), rel=1e-10)
            if cell == "lstm":
                cc = jac[5:, 5:]
                assert tr.jacobians.cell_spectral[t, k] == pytest.approx(torch.linalg.matrix_norm(cc, 2).item(),
                                                                     rel=1e-10)
    assert np.isnan(tr.jacobians.spectral[np.triu_indices(6, 1)]).all()


def test_relu_linear_regime_diagonal_closed_form():
    """h_t = W_xh x_t + diag(lambda) h_{t-1} + b with everything positive: dh_t/dh_k = diag(lambda)^(t-k)."""
    lam = torch.tensor([0.5, 0.9, 1.1, 0.3], dtype=torch.float64)
    net = engine.RecurrentNet("rnn", 2, 4, 1, nonlinearity="relu").double()
    with torch.no_grad():
        net.recurrent.weight_hh_l0.copy_(torch.diag(lam))
        net.recurrent.weight_ih_l0.uniform_(0.1, 1.0)
        net.recurrent.bias_ih_l0.fill_(0.5)
        net.recurrent.bias_hh_l0.fill_(0.0)
    steps = 30
    x = torch.rand(steps, 1, 2, dtype=torch.float64)
    tr = engine.record(net, x, torch.zeros(steps, 1, 1, dtype=torch.float64), loss="mse")
    assert (tr.preactivations["a_pre"] > 0).all()
    t, k = np.tril_indices(steps)
    expected = 1.1 ** (t - k).astype(float)
    assert np.allclose(tr.jacobians.spectral[t, k], expected, rtol=1e-12)
    fro = np.sqrt(((lam.numpy()[None, :] ** (t - k)[:, None].astype(float)) ** 2).sum(1))
    assert np.allclose(tr.jacobians.frobenius[t, k], fro, rtol=1e-12)


def test_map_survives_extreme_scales():
    """A contracting chain falls to 1e-200 and below float32's range without underflowing to 0 too early."""
    net = engine.RecurrentNet("rnn", 1, 3, 1, nonlinearity="relu")
    with torch.no_grad():
        net.recurrent.weight_hh_l0.copy_(torch.diag(torch.tensor([1e-3, 1e-4, 1e-5])))
        net.recurrent.weight_ih_l0.fill_(1.0)
        net.recurrent.bias_ih_l0.fill_(1.0)
        net.recurrent.bias_hh_l0.fill_(0.0)
    tr = engine.record(net, torch.ones(60, 1, 1), torch.zeros(60, 1, 1), loss="mse")
    assert tr.jacobians.spectral[59, 0] == pytest.approx(1e-3 ** 59, rel=1e-4)  # 1e-177: far below float32


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_input_sensitivity_equals_autograd(cell):
    net = engine.RecurrentNet(cell, 3, 4, 2, num_layers=2).double()
    x = torch.randn(7, 1, 3, dtype=torch.float64)
    tr = engine.record(net, x, torch.randint(0, 2, (7, 1)))

    def top(x0):
        xx = torch.cat([x0.view(1, 1, 3), x[1:]])
        return net.recurrent(xx)[0][:, 0]  # (T, H)

    jac = jacobian(top, x[0, 0])  # (T, H, I)
    ref = torch.linalg.matrix_norm(jac, 2).numpy()
    assert np.allclose(tr.jacobians.input_sensitivity, ref, rtol=1e-10, atol=1e-14)


def test_a_relu_chain_switched_off_is_zero_not_nan():
    """float32, as the app records: at step 3 every ReLU unit is off, so dh_t/dh_k = 0 exactly for k < 3 <= t
    (autograd agrees); the map says 0 there, and NaN only above the diagonal."""
    torch.manual_seed(0)
    net = engine.RecurrentNet("rnn", 1, 4, 1, nonlinearity="relu")
    with torch.no_grad():
        net.recurrent.weight_ih_l0.fill_(1.0)
        net.recurrent.bias_ih_l0.zero_()
    x = torch.rand(8, 1, 1)
    x[3] = -1e3  # pre-activations far below 0 at step 3
    tr = engine.record(net, x, torch.randn(8, 1, 1), "mse")
    (cell_mod,) = torch_cells(net)
    states, state = [], None
    for t in range(8):
        state = cell_mod(x[t], state)
        states.append(state[0])
    for t in range(8):
        for k in range(t + 1):
            want = torch.linalg.matrix_norm(jacobian(_chain(cell_mod, x, torch.zeros(4), k, t, False),
                                                     states[k].detach()), 2).item()
            assert tr.jacobians.spectral[t, k] == pytest.approx(want, rel=1e-5, abs=0)
            if k < 3 <= t:
                assert tr.jacobians.spectral[t, k] == 0.0
    assert np.isfinite(tr.jacobians.spectral[np.tril_indices(8)]).all()
