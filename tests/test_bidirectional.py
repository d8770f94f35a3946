"""Bidirectional, stacked and residual networks against independent references: torch's own modules with
``bidirectional=True`` (state_dicts load unchanged), torch's nn.*Cell unrolled by hand in each direction for the
per-step gradients, and torch.autograd for the Jacobians."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from torch import nn

import engine
from engine import bptt, cells
from engine.io import inspect, load_model
from tests.conftest import CASES, CELL_MODULES

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def _net(cell, nl, layers, dtype, *, residual=False, seed=0, inputs=3, hidden=4):
    torch.manual_seed(seed)
    return engine.RecurrentNet(cell, inputs, hidden, 5, layers, nl, bidirectional=True, residual=residual).to(dtype)


def unrolled(net, x):
    """torch's nn.*Cell per layer and direction (called with the net's parameters), stepped by hand (the backward
    direction from t = T-1 down to 0); returns (readout outputs, per layer per direction the list of h_t in the
    sequence's time, each retaining its grad)."""
    rec, steps = net.recurrent, x.shape[0]
    inp, states = list(x.unbind(0)), []
    for k in range(net.num_layers):
        layer = []
        for d, suffix in enumerate(cells.DIRECTIONS[: net.directions]):
            kw = {"nonlinearity": net.nonlinearity} if net.cell == "rnn" else {}
            cell = CELL_MODULES[net.cell](inp[0].shape[-1], net.hidden_size, **kw).to(x.dtype)
            params = {n: getattr(rec, f"{n}_l{k}{suffix}") for n in cells.WEIGHTS}  # the net's own: grads reach it
            hs, state = [None] * steps, None
            for t in (range(steps) if d == 0 else range(steps - 1, -1, -1)):
                state = torch.func.functional_call(cell, params, (inp[t], state))
                h = state[0] if isinstance(state, tuple) else state
                h.retain_grad()
                hs[t] = h
            layer.append(hs)
        states.append(layer)
        out = [torch.cat([layer[d][t] for d in range(net.directions)], -1) for t in range(steps)]
        inp = [o + i for o, i in zip(out, inp)] if net.residual and k > 0 else out
    return net.readout(torch.stack(inp)), states


@pytest.mark.parametrize("cell,nl", CASES)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_torchs_bidirectional_state_dict_loads_and_record_matches(cell, nl, layers, dtype):
    kw = {"nonlinearity": nl} if cell == "rnn" else {}
    torch.manual_seed(1)
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](3, 4, layers, bidirectional=True, **kw).to(dtype)
    net = _net(cell, nl, layers, dtype)
    net.recurrent.load_state_dict(module.state_dict())  # torch's names, including *_reverse
    x, y = torch.randn(6, 2, 3, dtype=dtype), torch.randint(0, 5, (6, 2))
    ref_out, _ = module(x)  # (T, B, 2H): forward half then backward half
    tol = TOL[dtype]
    torch.testing.assert_close(net(x), net.readout(ref_out), atol=tol, rtol=0)
    tr = engine.record(net, x, y)
    assert tr.hidden.shape == (layers, 6, 2, 8) and tr.directions == 2
    np.testing.assert_allclose(tr.hidden[-1], ref_out.detach().numpy(), atol=tol)
    # gradients: autograd through torch's module, and per step and direction through the hand-unrolled cells
    out, states = unrolled(net, x)
    loss = nn.functional.cross_entropy(out.flatten(0, 1), y.flatten())
    loss.backward()
    assert abs(tr.loss - loss.item()) < tol
    for k in range(layers):
        for d in range(2):
            want = torch.stack([h.grad for h in states[k][d]]).numpy()
            np.testing.assert_allclose(tr.grad_hidden[k][..., d * 4:(d + 1) * 4], want, atol=tol * 10,
                                       err_msg=f"layer {k} direction {d}")
    for name, p in net.named_parameters():
        np.testing.assert_allclose(tr.param_grads[name], p.grad.numpy(), atol=tol * 10, err_msg=name)
    for name, terms in tr.weight_terms.matrices.items():  # step t's terms (the sequence's t) add up to the gradient
        np.testing.assert_allclose(terms.sum(0), tr.param_grads[f"recurrent.{name}"], atol=tol * 10, err_msg=name)


@pytest.mark.parametrize("cell,nl", CASES)
def test_training_backward_equals_autograd_through_torchs_module(cell, nl):
    net = _net(cell, nl, 2, torch.float64)
    x, y = torch.randn(5, 3, 3, dtype=torch.float64), torch.randint(0, 5, (5, 3))
    h0 = torch.randn(4, 3, 4, dtype=torch.float64, requires_grad=True)
    state = (h0, torch.randn(4, 3, 4, dtype=torch.float64)) if cell == "lstm" else h0
    out, last = bptt.run(net, x, state)
    nn.functional.cross_entropy(out.flatten(0, 1), y.flatten()).backward()
    ours = {n: p.grad.clone() for n, p in net.named_parameters()} | {"h0": h0.grad.clone()}
    net.zero_grad()
    h0.grad = None
    ref, ref_last = net(x, state, return_state=True)
    nn.functional.cross_entropy(ref.flatten(0, 1), y.flatten()).backward()
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)
    torch.testing.assert_close(last, ref_last, atol=1e-12, rtol=0)  # torch's [L*D, B, H] layer-major order
    for name, p in net.named_parameters():
        torch.testing.assert_close(ours[name], p.grad, atol=1e-10, rtol=0, msg=name)
    torch.testing.assert_close(ours["h0"], h0.grad, atol=1e-10, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_the_backward_directions_map_and_the_input_sensitivity_equal_autograd(cell):
    net = _net(cell, "tanh", 2, torch.float64, hidden=3)
    x = torch.randn(6, 1, 3, dtype=torch.float64)
    tr = engine.record(net, x, torch.randint(0, 5, (6, 1)))
    rev = tr.jacobians.reverse_spectral
    assert np.isnan(rev[3, 1]) and rev[2, 2] == 1.0  # h^b_t depends on k >= t only
    # ||dh^b_1 / dh^b_4|| of the top layer: its backward direction stepped from t = 4 down to 1 with autograd
    fw = engine.record(net, x, torch.randint(0, 5, (6, 1)), jacobians=False)
    below = torch.from_numpy(fw.hidden[0, :, 0])  # the top layer's input, (T, 2H)
    kw = {"nonlinearity": "tanh"} if cell == "rnn" else {}
    step = CELL_MODULES[cell](6, 3, **kw).double()
    step.load_state_dict({n: getattr(net.recurrent, f"{n}_l1_reverse") for n in cells.WEIGHTS})

    def chain(h):
        for t in (3, 2, 1):
            h = step(below[t][None], h[None])[0]
        return h

    h4 = torch.from_numpy(fw.hidden[1, 4, 0, 3:]).clone()
    jac = torch.autograd.functional.jacobian(chain, h4)
    assert rev[1, 4] == pytest.approx(torch.linalg.matrix_norm(jac, 2).item(), rel=1e-9)
    # ||d(top layer's [forward; backward] h_t) / dx_0|| for every t, through torch's module
    jx = torch.autograd.functional.jacobian(lambda x0: net.recurrent(torch.cat([x0[None], x[1:]]))[0][:, 0], x[0])
    want = [torch.linalg.matrix_norm(jx[t, :, 0, :], 2).item() for t in range(6)]
    np.testing.assert_allclose(tr.jacobians.input_sensitivity, want, rtol=1e-9)


@pytest.mark.parametrize("cell,nl", CASES)
def test_residual_stack_equals_a_hand_written_autograd_model(cell, nl):
    net = _net(cell, nl, 3, torch.float64, residual=True)
    x, y = torch.randn(5, 2, 3, dtype=torch.float64), torch.randint(0, 5, (5, 2))
    tr = engine.record(net, x, y)
    out, states = unrolled(net, x)
    loss = nn.functional.cross_entropy(out.flatten(0, 1), y.flatten())
    loss.backward()
    torch.testing.assert_close(net(x), out, atol=1e-12, rtol=0)
    assert abs(tr.loss - loss.item()) < 1e-12
    assert tr.grad_hidden_direct.shape == tr.grad_hidden.shape == (3, 5, 2, 8)  # (L, T, B, D*H), as documented
    for k in range(3):
        for d in range(2):
            want = torch.stack([h.grad for h in states[k][d]]).numpy()
            np.testing.assert_allclose(tr.grad_hidden[k][..., d * 4:(d + 1) * 4], want, atol=1e-10)
    for name, p in net.named_parameters():
        np.testing.assert_allclose(tr.param_grads[name], p.grad.numpy(), atol=1e-10, err_msg=name)
    # the x_0 sensitivity through the identity paths too
    jx = torch.autograd.functional.jacobian(lambda x0: _top(net, torch.cat([x0[None], x[1:, :1]])), x[0, :1])
    want = [torch.linalg.matrix_norm(jx[t, :, 0, :], 2).item() for t in range(5)]
    np.testing.assert_allclose(engine.record(net, x[:, :1], y[:, :1]).jacobians.input_sensitivity, want, rtol=1e-9)


def _top(net, x):
    return bptt.core(net.recurrent, net.cell, net.nonlinearity, x, residual=net.residual)[0][:, 0]


def test_a_unidirectional_residual_stack_reaches_layer_one_along_the_identity():
    """Without the identity paths every gradient into layer 1 passes through the W_xh of the layers above; with them
    it also arrives unchanged: dL/dh^(1) includes the readout's dL/dh^(L) itself."""
    torch.manual_seed(0)
    net = engine.RecurrentNet("rnn", 3, 4, 5, 4, residual=True).double()
    x, y = torch.randn(5, 2, 3, dtype=torch.float64), torch.randint(0, 5, (5, 2))
    tr = engine.record(net, x, y)
    # what arrives at layer 1's outputs from outside = what arrives at the top layer + the paths through layers 2..4
    top = tr.grad_hidden_direct[-1]
    through = tr.grad_hidden_direct[0] - top
    net.residual = False
    plain = engine.record(net, x, y)
    assert not np.allclose(through, 0) and not np.allclose(plain.grad_hidden_direct[0], tr.grad_hidden_direct[0])


def test_what_a_bidirectional_model_cannot_do():
    net = _net("gru", "tanh", 1, torch.float32)
    with pytest.raises(engine.ConfigError, match="cannot generate"):
        engine.generate(net, torch.zeros(1, 3), 4)
    x, y = torch.randn(8, 2, 3), torch.randint(0, 5, (8, 2))
    with pytest.raises(engine.ConfigError, match="truncated BPTT"):
        engine.record(net, x, y, tbptt_window=3)
    from engine.tasks import TaskData
    with pytest.raises(engine.ConfigError, match="truncated BPTT"):
        engine.train(net, TaskData("t", x, y, "cross_entropy", "many_to_many", 5), engine.TrainConfig(tbptt=3))


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_a_bidirectional_upload_loads_and_half_of_one_is_refused():
    torch.manual_seed(0)
    gru = nn.GRU(3, 5, 2, bidirectional=True)
    net, info = load_model(_saved(gru.state_dict()))
    assert info.bidirectional and (info.cell, info.hidden_size, info.num_layers) == ("gru", 5, 2)
    x = torch.randn(4, 1, 3)
    torch.testing.assert_close(bptt.core(net.recurrent, "gru", "tanh", x)[0], gru(x)[0], atol=1e-6, rtol=0)
    half = {k: v for k, v in gru.state_dict().items() if k != "bias_hh_l1_reverse"}
    with pytest.raises(engine.StateDictError, match="bias_hh_l1_reverse"):
        inspect(half)
    whole = engine.RecurrentNet("lstm", 3, 4, 2, bidirectional=True)
    assert load_model(_saved(whole.state_dict()))[1].output_size == 2


def test_each_steps_term_of_the_backward_directions_dW_hh_sits_at_its_step():
    """Step t's term of dL/dW_hh_reverse is the gradient of a copy of W_hh used at step t only (autograd)."""
    net = _net("rnn", "tanh", 1, torch.float64)
    x, y = torch.randn(5, 2, 3, dtype=torch.float64), torch.randint(0, 5, (5, 2))
    tr = engine.record(net, x, y)
    rec = net.recurrent
    w_ih, b_ih, b_hh = rec.weight_ih_l0_reverse, rec.bias_ih_l0_reverse, rec.bias_hh_l0_reverse
    copies = [rec.weight_hh_l0_reverse.detach().clone().requires_grad_(True) for _ in range(5)]
    h, back = torch.zeros(2, 4, dtype=torch.float64), [None] * 5
    for t in range(4, -1, -1):
        h = torch.tanh(x[t] @ w_ih.T + b_ih + h @ copies[t].T + b_hh)
        back[t] = h
    fwd = net.recurrent(x)[0][..., :4]
    out = net.readout(torch.cat([fwd, torch.stack(back)], -1))
    nn.functional.cross_entropy(out.flatten(0, 1), y.flatten()).backward()
    for t in range(5):
        np.testing.assert_allclose(tr.weight_terms.matrices["weight_hh_l0_reverse"][t], copies[t].grad.numpy(),
                                   atol=1e-12, err_msg=f"step {t}")
    np.testing.assert_allclose(tr.weight_terms.norms["weight_hh_l0_reverse"],
                               np.linalg.norm(tr.weight_terms.matrices["weight_hh_l0_reverse"], axis=(1, 2)),
                               rtol=1e-12)


# the app's side -------------------------------------------------------------------------------------------------------
def test_a_run_refuses_what_the_architecture_cannot_do_in_both_languages():
    from engine import experiment
    from viz_app.text.errors import error_message
    cases = {"next_step": {"bidirectional": 1}, "tbptt": {"bidirectional": 1, "task": "spike", "tbptt": 5},
             "residual_layers": {"residual": 1}}
    for reason, kw in cases.items():
        with pytest.raises(engine.ArchitectureError) as e:
            experiment.RunConfig(**kw).check()
        assert e.value.reason == reason
        ko, en = error_message(e.value, "ko"), error_message(e.value, "en")
        assert ko != en and "bidirectional" not in ko and len(en) < 400
    experiment.RunConfig(bidirectional=1, task="copy", num_layers=2, residual=1).check()  # and what it can


def test_rescaling_rho_rescales_both_directions():
    from engine import experiment, init
    net = _net("rnn", "tanh", 2, torch.float64)
    out = experiment.rescaled(net, 0.5)
    for name, w in init.hh_blocks(out.recurrent):
        assert init.spectral_radius(w) == pytest.approx(0.5), name
    assert len(init.hh_blocks(out.recurrent)) == 4


@pytest.fixture(scope="module")
def bi_run():
    from engine import experiment
    return experiment.run(experiment.RunConfig(bidirectional=1, num_layers=2, residual=1, task="temporal_order",
                                               length=9, epochs=15, hidden_size=6))


def test_the_views_draw_both_directions_from_the_trace(bi_run):
    from viz_app.figures import gradients, unrolled
    tr = bi_run.trace()
    fig = unrolled.unrolled_network(tr, lang="en", window=8)
    strip = next(d for d in fig.data if d.type == "heatmap")
    per_column = [sum(1 for c in strip.customdata[0] if c[0] == s and c[1] >= 0) for s in range(tr.steps)]
    assert per_column == [12] * tr.steps  # [h-> | h<-]: 2H units in every column
    labels = [d for d in fig.data if d.name == "W_hh"][0]
    assert sum("←" in s for s in labels.text) == tr.steps - 1  # h<-_t from h<-_{t+1}
    with pytest.raises(ValueError):
        unrolled.unrolled_network(tr, lang="en", through=True, phase=0)
    rev = gradients.jacobian_map(tr, lang="en", reverse=True)
    np.testing.assert_allclose(np.asarray(rev.data[0].z, dtype=float), np.log10(tr.jacobians.reverse_spectral),
                               equal_nan=True)
    assert "Backward" in rev.layout.title.text


def test_the_layer_chart_and_its_sentence_say_what_the_run_measures(bi_run):
    from viz_app.text.claims import layer_gradient_text
    from viz_app.figures import gradients
    norms = bi_run.layer_gradient_norms
    # the model as trained is the residual one: its norms are the trace's own
    tr = bi_run.trace()
    np.testing.assert_allclose(norms[True], np.sqrt((tr.grad_hidden.astype(float) ** 2).sum(axis=(1, 2, 3))))
    fig = gradients.layer_gradients(bi_run, lang="en")
    np.testing.assert_allclose(fig.data[0].y, norms[True])
    np.testing.assert_allclose(fig.data[1].y, norms[False])
    assert "as trained" in fig.data[0].name and "as trained" not in fig.data[1].name
    text = layer_gradient_text(norms, "en")
    assert f"{norms[True][0] / norms[True][-1]:.3g}" in text and f"{norms[False][0] / norms[False][-1]:.3g}" in text
