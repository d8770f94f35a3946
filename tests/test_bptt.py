"""engine.bptt as an autograd node: outputs, final states and every gradient equal torch's own modules'."""
import pytest
import torch

import engine
from engine import bptt
from conftest import CASES


def _loss(y, state, cell):
    h = state[0] if cell == "lstm" else state
    extra = state[1].pow(2).sum() * 0.2 if cell == "lstm" else 0.0
    return y.pow(2).sum() + 0.3 * h.sum() + extra


@pytest.mark.parametrize("cell,nl", CASES)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_run_matches_module_including_initial_state(cell, nl, layers, dtype, tol):
    net = engine.RecurrentNet(cell, 3, 5, 4, num_layers=layers, nonlinearity=nl).to(dtype)
    x = torch.randn(7, 2, 3, dtype=dtype, requires_grad=True)
    h0 = torch.randn(layers, 2, 5, dtype=dtype, requires_grad=True)
    c0 = torch.randn(layers, 2, 5, dtype=dtype, requires_grad=True)
    state = (h0, c0) if cell == "lstm" else h0
    inputs = [x, h0] + ([c0] if cell == "lstm" else []) + list(net.parameters())
    y_ref, s_ref = net(x, state, return_state=True)
    g_ref = torch.autograd.grad(_loss(y_ref, s_ref, cell), inputs)
    y, s = bptt.run(net, x, state)
    g = torch.autograd.grad(_loss(y, s, cell), inputs)
    assert (y - y_ref).abs().max() <= tol
    for a, b in zip(g, g_ref):
        assert (a - b).abs().max() <= tol * max(1.0, b.abs().max().item())


def test_embedding_input_side():
    net = engine.RecurrentNet("gru", 4, 6, 9, vocab_size=9).double()
    ids = torch.randint(0, 9, (5, 3))
    y = torch.randint(0, 9, (5, 3))
    tr = engine.record(net, ids, y)
    loss = torch.nn.functional.cross_entropy(net(ids).reshape(-1, 9), y.reshape(-1))
    (g,) = torch.autograd.grad(loss, [net.embedding.weight])
    assert abs(tr.param_grads["embedding.weight"] - g.numpy()).max() < 1e-12
    assert tr.inputs.shape == (5, 3, 4)
