"""RecurrentNet and record() against torch.nn.RNN / LSTM / GRU with the same state_dict, float32 and float64."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import engine
from conftest import CASES

TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _torch_module(cell, nl, i, h, layers, dtype):
    kw = {"nonlinearity": nl} if cell == "rnn" else {}
    return TORCH[cell](i, h, layers, **kw).to(dtype)


@pytest.mark.parametrize("cell,nl", CASES)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_state_dict_loads_and_record_matches_torch(cell, nl, layers, dtype, tol):
    ref = _torch_module(cell, nl, 5, 7, layers, dtype)
    net = engine.RecurrentNet(cell, 5, 7, 4, num_layers=layers, nonlinearity=nl).to(dtype)
    assert set(net.recurrent.state_dict()) == set(ref.state_dict())
    net.recurrent.load_state_dict(ref.state_dict())  # a user's torch module loads as is
    x = torch.randn(9, 3, 5, dtype=dtype)
    y = torch.randint(0, 4, (9, 3))
    hs, _ = ref(x)
    trace = engine.record(net, x, y)
    assert abs(trace.hidden[-1] - hs.detach().numpy()).max() <= tol
    out = net.readout(hs)
    assert abs(trace.outputs - out.detach().numpy()).max() <= tol
    loss = F.cross_entropy(out.reshape(-1, 4), y.reshape(-1))
    loss.backward()
    assert abs(trace.loss - loss.item()) <= tol
    for name, p in ref.named_parameters():
        assert abs(trace.param_grads[f"recurrent.{name}"] - p.grad.numpy()).max() <= tol * max(1, p.grad.abs().max())


@pytest.mark.parametrize("cell,nl", CASES)
def test_forward_is_torch_module(cell, nl):
    net = engine.RecurrentNet(cell, 3, 6, 2, num_layers=2, nonlinearity=nl)
    ref = _torch_module(cell, nl, 3, 6, 2, torch.float32)
    ref.load_state_dict(net.recurrent.state_dict())
    x = torch.randn(4, 2, 3)
    assert torch.equal(net(x), net.readout(ref(x)[0]))
    assert isinstance(net.readout, nn.Linear)


def test_lstm_gate_order_is_torch():
    """Zero every block but the forget gate's bias: c_t = f * c_{t-1} + i * g must then keep c at 0 while only a
    wrong gate order would let the large bias reach g."""
    net = engine.RecurrentNet("lstm", 2, 3, 1).double()
    with torch.no_grad():
        for p in net.recurrent.parameters():
            p.zero_()
        net.recurrent.bias_hh_l0[6:9] = 5.0  # rows 2H:3H = g in torch's order i, f, g, o
    x = torch.zeros(3, 1, 2, dtype=torch.float64)
    tr = engine.record(net, x, torch.zeros(3, 1, 1, dtype=torch.float64), loss="mse")
    assert abs(tr.gates["g"] - np.tanh(5.0)).max() < 1e-12
    assert abs(tr.gates["i"] - 0.5).max() < 1e-12


def test_gru_reset_multiplies_hidden_affine():
    """torch's GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); check with b_hn only."""
    net = engine.RecurrentNet("gru", 1, 1, 1).double()
    with torch.no_grad():
        for p in net.recurrent.parameters():
            p.zero_()
        net.recurrent.bias_hh_l0[2] = 2.0  # b_hn
    tr = engine.record(net, torch.zeros(1, 1, 1, dtype=torch.float64), torch.zeros(1, 1, 1, dtype=torch.float64),
                       loss="mse")
    assert abs(tr.gates["n"][0, 0, 0, 0] - np.tanh(0.5 * 2.0)) < 1e-12
