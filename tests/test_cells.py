"""A cell kind is one object (engine/cells): a new kind written against the interface here, the minimal gated unit
(Zhou et al. 2016, MGU), runs through record, train, the Jacobian maps, the spectra and every view of the app, and
is in the sidebar, the formula panel, the equations and the BPTT ledger, without touching another file. Its numbers
are checked against an independent model written in plain torch operations and differentiated by torch.autograd."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import engine
from engine import bptt, cells, experiment, spectrum
from engine.cells.base import Cell


class MGU(Cell):
    r"""Minimal gated unit in torch's GRU convention (the gate multiplies W_hn h + b_hn):
    f_t = sigma(gi_f + gh_f), n_t = tanh(gi_n + f_t * gh_n), h_t = (1 - f_t) * h_{t-1} + f_t * n_t."""

    kind = "mgu"
    gates = ("f", "n")
    activations = {"f": "sigmoid", "n": "tanh"}
    main_block = "n"
    equation = (r"f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f),\; n_t = \tanh(W_{xn} x_t + b_{xn} + f_t \odot"
                r" (W_{hn} h_{t-1} + b_{hn})),\; h_t = (1 - f_t) \odot h_{t-1} + f_t \odot n_t")
    bypass = r"\mathrm{diag}(1 - f_t)"
    recurrence_gate = {"n": "f"}  # f multiplies the whole W_hn h + b_hn: the written-out n_t says so

    def update_tex(self, t, j, v, num):
        # h_t = (1 - f) h_{t-1} + f n
        return [rf"h_{{{t}}}[{j}] = (1 - f)\,h_{{{t - 1}}} + f\,n = (1 - {num(v['f'])})({num(v['h_prev'])}) + "
                rf"({num(v['f'])})({num(v['n'])}) = {num(v['h'])}"]

    def parts(self, gi, gh, h_prev, nl):
        gi_f, gi_n = gi.chunk(2, -1)
        gh_f, gh_n = gh.chunk(2, -1)
        f_pre = gi_f + gh_f
        f = torch.sigmoid(f_pre)
        n_pre = gi_n + f * gh_n
        return {"f": f, "n": torch.tanh(n_pre), "f_pre": f_pre, "n_pre": n_pre}

    def update(self, parts, h_prev, c_prev, nl):
        return (1 - parts["f"]) * h_prev + parts["f"] * parts["n"], None

    # backward, derived by hand: with dh = dL/dh_t,
    # dL/dn_pre = dh f (1 - n^2);  dL/df_pre = (dh (n - h_{t-1}) + dL/dn_pre gh_n) f (1 - f)
    # dL/dgh = (dL/df_pre, f dL/dn_pre);  dL/dgi = (dL/df_pre, dL/dn_pre);  h_{t-1} also gets dh (1 - f)
    def coefficients(self, fw, nl):
        f, n = fw.parts["f"], fw.parts["n"]
        gh_n = fw.gh.chunk(2, -1)[1]
        dn_pre = f * (1 - n * n)
        df_pre = (n - fw.h_prev + dn_pre * gh_n) * f * (1 - f)
        return {"gh": torch.stack([df_pre, dn_pre * f], 2), "gi_n": dn_pre, "keep": 1 - f}

    def backward_step(self, t, dh, k, carry, d_gh, d_cell):
        torch.mul(dh.unsqueeze(1), k["gh"][t], out=d_gh.view(dh.shape[0], 2, dh.shape[1]))

    def skip(self, dh, dh_next, k, t_next):
        dh.addcmul_(dh_next, k["keep"][t_next])

    def input_grad(self, d_gh, total, k):
        hidden = total.shape[-1]
        return torch.cat([d_gh[..., :hidden], total * k["gi_n"]], -1)


@pytest.fixture(scope="module", autouse=True)
def mgu():
    cell = cells.register(MGU())
    yield cell
    cells.unregister("mgu")


def reference(net, x, state=None):
    """The MGU written out in plain torch operations from the net's parameters (autograd differentiates it):
    (outputs [T, B, O], per layer the list of h_t)."""
    rec, hs, inp = net.recurrent, [], list(net.encode(x).unbind(0))
    for k in range(rec.num_layers):
        w_ih, w_hh, b_ih, b_hh = (getattr(rec, f"{n}_l{k}") for n in cells.WEIGHTS)
        hidden = w_hh.shape[1]
        h = inp[0].new_zeros(inp[0].shape[0], hidden) if state is None else state[k]
        layer = []
        for x_t in inp:
            f = torch.sigmoid(x_t @ w_ih[:hidden].T + b_ih[:hidden] + h @ w_hh[:hidden].T + b_hh[:hidden])
            n = torch.tanh(x_t @ w_ih[hidden:].T + b_ih[hidden:] + f * (h @ w_hh[hidden:].T + b_hh[hidden:]))
            h = (1 - f) * h + f * n
            h.retain_grad()
            layer.append(h)
        hs.append(layer)
        inp = layer
    return net.readout(torch.stack(inp)), hs


def _net(layers=2, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return engine.RecurrentNet("mgu", 3, 5, 4, num_layers=layers).to(dtype)


def test_the_new_kind_gets_torchs_parameter_names_and_initialisation():
    net = _net(dtype=torch.float32)
    names = {n: tuple(p.shape) for n, p in net.recurrent.named_parameters()}
    assert names == {"weight_ih_l0": (10, 3), "weight_hh_l0": (10, 5), "bias_ih_l0": (10,), "bias_hh_l0": (10,),
                     "weight_ih_l1": (10, 5), "weight_hh_l1": (10, 5), "bias_ih_l1": (10,), "bias_hh_l1": (10,)}
    assert all(p.abs().max() <= 5 ** -0.5 for p in net.recurrent.parameters())  # torch's U(-1/sqrt(H), 1/sqrt(H))
    with pytest.raises(engine.ConfigError, match="mgu"):
        engine.RecurrentNet("mgu2", 3, 5, 4)


@pytest.mark.parametrize("layers", [1, 2])
def test_record_equals_the_autograd_reference(layers):
    net = _net(layers)
    x, y = torch.randn(7, 3, 3, dtype=torch.float64), torch.randint(0, 4, (7, 3))
    tr = engine.record(net, x, y)
    out, hs = reference(net, x)
    loss = torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten())
    loss.backward()
    assert tr.cell_kind == "mgu" and set(tr.gates) == {"f", "n"} and set(tr.preactivations) == {"f_pre", "n_pre"}
    assert abs(tr.loss - loss.item()) < 1e-12
    for k in range(layers):
        np.testing.assert_allclose(tr.hidden[k], torch.stack(hs[k]).detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(tr.grad_hidden[k], torch.stack([h.grad for h in hs[k]]).numpy(), atol=1e-12)
    for name, p in net.named_parameters():
        np.testing.assert_allclose(tr.param_grads[name], p.grad.numpy(), atol=1e-12, err_msg=name)
    # step t's terms of dL/dW_hh add up to the whole gradient
    for name, terms in tr.weight_terms.matrices.items():
        np.testing.assert_allclose(terms.sum(0), tr.param_grads[f"recurrent.{name}"], atol=1e-12)


def test_training_runs_the_cells_own_backward_and_equals_autograd():
    net = _net(1)
    x, y = torch.randn(6, 2, 3, dtype=torch.float64), torch.randint(0, 4, (6, 2))
    h0 = torch.randn(1, 2, 5, dtype=torch.float64, requires_grad=True)
    out, state = bptt.run(net, x, h0)
    torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten()).backward()
    ours = {n: p.grad.clone() for n, p in net.named_parameters()} | {"h0": h0.grad.clone()}
    net.zero_grad()
    h0.grad = None
    out_ref, hs = reference(net, x, h0)
    torch.nn.functional.cross_entropy(out_ref.flatten(0, 1), y.flatten()).backward()
    torch.testing.assert_close(out, out_ref, atol=1e-12, rtol=0)
    torch.testing.assert_close(state[0], hs[0][-1], atol=1e-12, rtol=0)
    for name, p in net.named_parameters():
        torch.testing.assert_close(ours[name], p.grad, atol=1e-12, rtol=0, msg=name)
    torch.testing.assert_close(ours["h0"], h0.grad, atol=1e-12, rtol=0)
    # and a real training run decreases the loss
    run = experiment.run(experiment.RunConfig(cell="mgu", epochs=40, hidden_size=8))
    assert run.history.status == "finished" and run.history.loss[-1] < 0.8 * run.history.loss[0]


def test_jacobian_map_and_spectra_of_the_new_kind():
    net = _net(1)
    x = torch.randn(6, 1, 3, dtype=torch.float64)
    tr = engine.record(net, x, torch.randint(0, 4, (6, 1)))
    _, hs = reference(net, x)
    # ||dh_5 / dh_1||_2 by autograd through the reference, row by row
    h1 = hs[0][1].detach().requires_grad_(True)
    w_ih, w_hh, b_ih, b_hh = (getattr(net.recurrent, f"{n}_l0") for n in cells.WEIGHTS)

    def forward_from(h, t0, t1):
        for t in range(t0 + 1, t1 + 1):
            f = torch.sigmoid(x[t] @ w_ih[:5].T + b_ih[:5] + h @ w_hh[:5].T + b_hh[:5])
            n = torch.tanh(x[t] @ w_ih[5:].T + b_ih[5:] + f * (h @ w_hh[5:].T + b_hh[5:]))
            h = (1 - f) * h + f * n
        return h

    jac = torch.autograd.functional.jacobian(lambda h: forward_from(h, 1, 5), h1)[0, :, 0, :]
    assert tr.jacobians.spectral[5, 1] == pytest.approx(torch.linalg.matrix_norm(jac, 2).item(), rel=1e-9)
    blocks = [b.name for b in tr.spectra[0]]
    assert blocks == ["f", "n"] and tr.main_spectrum.name == "n"
    assert tr.regime.kind == spectrum.GATED  # a gate path avoids W_hh: no bound from the weights alone
    assert set(tr.derivatives) == {"f", "n"}


@pytest.mark.slow
def test_every_view_draws_the_new_kind():
    from viz_app.export import figures as export_figures
    from viz_app.text import equations
    from viz_app.state.fields import AppState
    figs = export_figures.all_figures(AppState(cell="mgu", epochs=20))
    views = {v for v, _, _ in figs}
    assert {"unroll", "states", "bptt", "eigen", "timeline", "clipping", "compare"} <= views
    for view, name, fig in figs:
        assert fig.data, (view, name)
    assert equations.cell_step("mgu") == MGU.equation


def test_the_new_kind_writes_its_own_step_with_the_models_numbers():
    """The formula panel's numbers are the cell's own step (float64), its lines the cell's own symbols and update:
    each sum, each gate and h_t equal the reference, and the typeset numbers add up."""
    from engine.lessons import formula
    from viz_app.text import equations
    net = _net(1)
    x = torch.randn(6, 1, 3, dtype=torch.float64)
    tr = engine.record(net, x, torch.randint(0, 4, (6, 1)))
    _, hs = reference(net, x)
    for step in (0, 3):
        for unit in (0, 4):
            f = formula.step_formula(net, tr, step, unit)
            assert [g.name for g in f.gates] == ["f", "n"] and formula.discrepancy(f) < 1e-12
            assert f.h == pytest.approx(hs[0][step][0, unit].item(), abs=1e-12)
            g_f, g_n = f.gates
            assert g_n.pre == pytest.approx(g_n.inp.total + g_f.value * g_n.rec.total, abs=1e-12)
            lines = equations.step_formula_tex(f, "en", expand="n")
            assert lines[3].startswith(rf"n_{{{step}}}[{unit}] = \tanh") and r"\cdot(\textcolor" in lines[3]  # f (sum)
            assert lines[-1].startswith(rf"h_{{{step}}}[{unit}] = (1 - f)")  # the cell's own update
            written = [float(v) for v in re.findall(r"-?\d+\.\d{3}", lines[-1])]
            f_, h_prev, n, h = written[0], written[1], written[3], written[-1]
            assert (1 - f_) * h_prev + f_ * n == pytest.approx(h, abs=2e-3)


def test_the_new_kind_is_in_the_sidebar_the_formula_panel_the_equations_and_the_ledger():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from viz_app.text.i18n import t
    main = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")
    at = AppTest.from_file(main, default_timeout=180)
    at.query_params.update({"lang": "en", "cell": "mgu", "hidden_size": "6", "epochs": "20"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (cell,) = [s for s in at.selectbox if s.label == t("ctl.cell", "en")]
    assert "mgu" in cell.options or "MGU" in [str(o) for o in cell.options]
    assert str(cell.value) in ("mgu", "MGU")
    latex = [lx.value.strip("$\n") for lx in at.latex]
    assert MGU.equation in latex  # the view's equations
    assert any(line.startswith("h_{") and "(1 - f)" in line for line in latex)  # the formula panel: its update
    assert any(c.value.startswith(t("formula.check", "en", err=1.0)[:20]) for c in at.caption)
    at.segmented_control(key="w_view").set_value("bptt").run()
    assert not at.exception and not at.error
    ledger = [lx.value.strip("$\n") for lx in at.latex]
    assert any(r"\underbrace" in line for line in ledger)  # dL/dh_k = direct + carried
    assert any(r"\prod_" in line for line in ledger)  # the chain to the last step and its factors
