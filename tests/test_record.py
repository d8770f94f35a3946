"""record(): every recorded gradient against autograd through an independent unrolled loop and finite differences."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import engine
from conftest import CASES, exploding_net, torch_cells, unrolled


def _ce(out, y):
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def _setup(cell, nl, layers=2, steps=8, batch=3):
    net = engine.RecurrentNet(cell, 4, 6, 5, num_layers=layers, nonlinearity=nl).double()
    x = torch.randn(steps, batch, 4, dtype=torch.float64)
    y = torch.randint(0, 5, (steps, batch))
    return net, x, y


@pytest.mark.parametrize("cell,nl", CASES)
def test_grad_hidden_equals_autograd_retain_grad(cell, nl):
    net, x, y = _setup(cell, nl)
    tr = engine.record(net, x, y)
    out, hs, cs, _ = unrolled(net, x)
    _ce(out, y).backward()
    ref = np.stack([[h.grad.numpy() for h in layer] for layer in hs])  # (L, T, B, H)
    assert np.abs(tr.grad_hidden - ref).max() < 1e-12
    if cell == "lstm":
        ref_c = np.stack([[c.grad.numpy() for c in layer] for layer in cs])
        assert np.abs(tr.grad_cell - ref_c).max() < 1e-12
    # the direct term of the top layer is what the readout sends back: W_hy^T dL/dy_t
    out2 = net.readout(torch.tensor(tr.hidden[-1]).requires_grad_())
    direct_ref = torch.autograd.grad(_ce(out2, y), out2)[0] @ net.readout.weight
    assert np.abs(tr.grad_hidden_direct[-1] - direct_ref.detach().numpy()).max() < 1e-12
    # total - direct is exactly what flows back from later steps: zero at the last step
    assert np.abs(tr.grad_hidden[:, -1] - tr.grad_hidden_direct[:, -1]).max() < 1e-12
    assert np.abs(tr.grad_hidden[:, 0] - tr.grad_hidden_direct[:, 0]).max() > 1e-6


@pytest.mark.parametrize("cell,nl", CASES)
def test_grad_hidden_finite_differences(cell, nl):
    net, x, y = _setup(cell, nl, layers=2, steps=6, batch=2)
    tr = engine.record(net, x, y)
    cells = torch_cells(net)

    def loss_with(layer, step, unit, b, eps):
        with torch.no_grad():
            layer_in = [x[t] for t in range(x.shape[0])]
            for k, cell_mod in enumerate(cells):
                state, hs = None, []
                for t in range(x.shape[0]):
                    state = cell_mod(layer_in[t], state)
                    if k == layer and t == step:  # perturb h_t in place
                        h = state[0] if isinstance(state, tuple) else state
                        h = h.clone()
                        h[b, unit] += eps
                        state = (h, state[1]) if isinstance(state, tuple) else h
                    hs.append(state[0] if isinstance(state, tuple) else state)
                layer_in = hs
            return _ce(net.readout(torch.stack(hs)), y).item()

    rng = np.random.default_rng(0)
    for _ in range(6):
        layer, step, unit, b = rng.integers(2), rng.integers(6), rng.integers(6), rng.integers(2)
        fd = (loss_with(layer, step, unit, b, 1e-6) - loss_with(layer, step, unit, b, -1e-6)) / 2e-6
        assert abs(fd - tr.grad_hidden[layer, step, b, unit]) < 1e-7 * max(1.0, abs(fd))


@pytest.mark.parametrize("cell,nl", CASES)
def test_per_step_terms_sum_to_autograd(cell, nl):
    net, x, y = _setup(cell, nl)
    tr = engine.record(net, x, y)
    params = [net.recurrent.weight_hh_l0, net.recurrent.weight_ih_l1, net.recurrent.weight_hh_l1]
    loss = _ce(net(x), y)
    grads = torch.autograd.grad(loss, params)
    for name, g in zip(["weight_hh_l0", "weight_ih_l1", "weight_hh_l1"], grads):
        terms = tr.weight_terms.matrices[name]  # (T, G, H)
        assert np.abs(terms.sum(0) - g.numpy()).max() < 1e-12
        assert np.allclose(tr.weight_terms.norms[name], np.linalg.norm(terms, axis=(1, 2)))
    assert tr.weight_terms.matrices["weight_hh_l0"][0].any() == False  # h_{-1} = 0: the first term vanishes  # noqa: E712


@pytest.mark.parametrize("cell,nl", CASES)
def test_truncated_bptt_equals_detached_reference(cell, nl):
    net, x, y = _setup(cell, nl, layers=1, steps=9)
    tr = engine.record(net, x, y, tbptt_window=4)
    (cell_mod,) = torch_cells(net)
    state, hs = None, []
    for t in range(9):
        if t % 4 == 0 and state is not None:
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        state = cell_mod(x[t], state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        hs.append(h)
    _ce(net.readout(torch.stack(hs)), y).backward()
    ref = np.stack([h.grad.numpy() for h in hs])
    assert np.abs(tr.truncated.grad_hidden[0] - ref).max() < 1e-12
    assert np.abs(tr.truncated.grad_hidden[0] - tr.grad_hidden[0]).max() > 1e-6  # truncation changed something


@pytest.mark.parametrize("loss,mode", [("mse", "many_to_many"), ("mse", "many_to_one"),
                                       ("cross_entropy", "many_to_one")])
def test_losses_and_modes(loss, mode):
    net = engine.RecurrentNet("gru", 2, 5, 3).double()
    x = torch.randn(7, 4, 2, dtype=torch.float64)
    y = {("mse", "many_to_many"): torch.randn(7, 4, 3, dtype=torch.float64),
         ("mse", "many_to_one"): torch.randn(4, 3, dtype=torch.float64),
         ("cross_entropy", "many_to_one"): torch.randint(0, 3, (4,))}[(loss, mode)]
    tr = engine.record(net, x, y, loss=loss, mode=mode)
    out = net(x)
    last = out[-1] if mode == "many_to_one" else out
    ref = F.mse_loss(last, y) if loss == "mse" else F.cross_entropy(last, y)
    assert abs(tr.loss - ref.item()) < 1e-12
    if mode == "many_to_one":
        assert tr.loss_mask.tolist() == [False] * 6 + [True]
        assert np.abs(tr.grad_hidden_direct[0, :-1]).max() == 0  # no readout gradient before the last step


def test_bad_targets_raise_typed_errors():
    net = engine.RecurrentNet("rnn", 2, 3, 4)
    x = torch.randn(5, 2, 2)
    with pytest.raises(engine.ShapeError):
        engine.record(net, x, torch.randint(0, 4, (4, 2)))
    with pytest.raises(engine.ShapeError):
        engine.record(net, x, torch.full((5, 2), 7))
    with pytest.raises(engine.ShapeError):
        engine.record(net, torch.randn(5, 2, 3), torch.randint(0, 4, (5, 2)))


def test_exploding_run_is_recorded_not_raised():
    x = torch.ones(40, 1, 1)
    tr = engine.record(exploding_net(), x, torch.zeros(40, 1, 1), loss="mse")
    first = tr.nonfinite["hidden"]
    assert first is not None and 5 < first < 40
    assert np.isfinite(tr.hidden[:, :first]).all()
    assert np.isfinite(tr.jacobians.spectral[:first, :first][np.tril_indices(first)]).all()


def test_same_seed_same_trace():
    def run():
        torch.manual_seed(7)
        net, x, y = _setup("lstm", "tanh")
        return engine.record(net, x, y)
    a, b = run(), run()
    for get in (lambda r: r.hidden, lambda r: r.cell_state, lambda r: r.grad_hidden, lambda r: r.outputs,
                lambda r: r.jacobians.spectral, lambda r: r.jacobians.cell_spectral):
        assert np.array_equal(get(a), get(b), equal_nan=True)
    assert all(np.array_equal(a.gates[k], b.gates[k]) for k in a.gates)


@pytest.mark.parametrize("cell,nl", CASES)
def test_local_derivatives(cell, nl):
    """f'(a_t): tanh' = 1 - h^2 in (0, 1], relu' in {0, 1}, sigmoid' = s (1 - s) <= 1/4."""
    net, x, y = _setup(cell, nl, layers=1)
    tr = engine.record(net, x, y)
    d = tr.derivatives
    if cell == "rnn":
        ref = 1 - tr.hidden ** 2 if nl == "tanh" else (tr.preactivations["a_pre"] > 0).astype(float)
        assert np.allclose(d["a"], ref, atol=1e-12)
    else:
        sig = ("i", "f", "o") if cell == "lstm" else ("r", "z")
        for g in sig:
            assert np.allclose(d[g], tr.gates[g] * (1 - tr.gates[g])) and d[g].max() <= 0.25
        tanh_gate = "g" if cell == "lstm" else "n"
        assert np.allclose(d[tanh_gate], 1 - tr.gates[tanh_gate] ** 2)
    if cell == "lstm":
        assert np.allclose(d["c"], 1 - np.tanh(tr.cell_state) ** 2)


def test_snapshot_gradient_norms_equal_autograd_on_each_snapshots_model():
    """The training timeline's ||dL/dh_t|| at a snapshot (Run.snapshot_gradient_norms, which the snapshot control
    moves through in the browser): the model rebuilt from the snapshot's parameters with torch's cells, unrolled by
    hand, its mean cross-entropy backpropagated by autograd; total and direct part, every step."""
    from engine import experiment

    run = experiment.run(experiment.RunConfig(epochs=30))
    d, snaps = run.eval_data, run.history.snapshots
    assert (d.loss, d.mode, d.reduction) == ("cross_entropy", "many_to_many", "mean")
    norms = run.snapshot_gradient_norms()
    assert norms.shape == (len(snaps), 2, d.x.shape[0])
    for i in (0, len(snaps) // 2, len(snaps) - 1):
        net = engine.RecurrentNet(run.net.cell, run.net.input_size, run.net.hidden_size, run.net.output_size,
                                  num_layers=run.net.num_layers, nonlinearity=run.net.nonlinearity).double()
        net.load_state_dict({k: torch.from_numpy(v).double() for k, v in snaps[i][1].items()})
        x = d.x.double()
        out, hs, _, _ = unrolled(net, x)
        _ce(out, d.y).backward()
        total = np.array([float(h.grad.norm()) for h in hs[-1]])
        assert np.allclose(norms[i, 0], total, rtol=1e-4, atol=1e-9), i
        h = torch.stack(hs[-1]).detach().requires_grad_()
        g = torch.autograd.grad(_ce(net.readout(h), d.y), h)[0]
        assert np.allclose(norms[i, 1], g.norm(dim=(1, 2)).numpy(), rtol=1e-4, atol=1e-9), i
    assert not np.allclose(norms[0, 0], norms[-1, 0])  # training changed them: the snapshots are not one model
