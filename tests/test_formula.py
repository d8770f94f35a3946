"""The step's equations written out with the model's numbers (engine.lessons.formula, viz_app.text.equations): each sum
equals torch's own computation, the new state equals torch's module, and the typeset numbers add up to the shown
result."""
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import engine
from engine.lessons import formula
from engine import tasks
from engine.record import layer_weights
from viz_app.text import equations

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def _net(cell, nl, layers=2, seed=0):
    torch.manual_seed(seed)
    data = tasks.char_lm()
    net = engine.RecurrentNet(cell, data.input_size, 6, data.output_size, num_layers=layers, nonlinearity=nl)
    return net, data, engine.record(net, data.x, data.y)


def _torch_step(net, layer, u, state):
    """One step of torch's own cell with layer ``layer``'s weights (the independent reference)."""
    w_ih, w_hh, b_ih, b_hh = layer_weights(net, layer)
    kind = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[net.cell]
    extra = {"nonlinearity": net.nonlinearity} if net.cell == "rnn" else {}
    cell = kind(w_ih.shape[1], net.hidden_size, **extra).double()
    with torch.no_grad():
        for name, w in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (w_ih, w_hh, b_ih, b_hh)):
            getattr(cell, name).copy_(w)
        return cell(torch.tensor(u)[None], state)


@pytest.mark.parametrize("cell,nl", CELLS)
def test_the_sums_equal_torchs_cell_and_the_recording(cell, nl):
    net, data, tr = _net(cell, nl)
    hidden = net.hidden_size
    for layer in (0, 1):
        u_all = formula.layer_input(tr, layer)
        for step in (0, 1, 7):
            h = torch.tensor(tr.hidden[layer, step - 1, 0]).double()[None] if step else torch.zeros(1, hidden,
                                                                                                  dtype=torch.float64)
            state = h
            if cell == "lstm":
                c = torch.tensor(tr.cell_state[layer, step - 1, 0]).double()[None] if step else torch.zeros_like(h)
                state = (h, c)
            want = _torch_step(net, layer, u_all[step], state)
            want_h = (want[0] if cell == "lstm" else want)[0].numpy()
            for unit in range(hidden):
                f = formula.step_formula(net, tr, step, unit, layer, vocab=data.vocab)
                assert f.h == pytest.approx(want_h[unit], abs=1e-6)  # torch's module, from the recorded inputs
                if cell == "lstm":
                    assert f.c == pytest.approx(want[1][0, unit].item(), abs=1e-6)
                assert formula.discrepancy(f) < 1e-6  # every gate, pre-activation and state vs the Trace
                assert f.recorded_h == tr.hidden[layer, step, 0, unit]
                for g in f.gates:  # the shown products and the rest are all of the sum
                    for s in (g.inp, g.rec):
                        assert len(s.shown) + s.others == (u_all.shape[1] if s.source == "x" else hidden)


_PRODUCT = re.compile(r"\((-?\d+\.\d{3})\)\((-?\d+\.\d{3})\)")
_SIGNED = re.compile(r" ([+-]) \\underset\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\{(\d+\.\d{3})\}")


def _shown_sum(line: str) -> tuple[float, float, int]:
    """From a typeset sum line: the sum of its shown numbers, the shown total, how many numbers were added."""
    body, total = line.split("} = ", 1)[1].rsplit(" = ", 1)
    products = [float(a) * float(b) for a, b in _PRODUCT.findall(body)]
    signed = [float(v) * (-1 if s == "-" else 1) for s, v in _SIGNED.findall(body)]
    return sum(products) + sum(signed), float(total), len(products) + len(signed)


@pytest.mark.parametrize("cell,nl", CELLS)
def test_the_typeset_numbers_add_up_to_the_shown_result(cell, nl):
    """What the page shows: the displayed (3-decimal) products, rest and bias add up to the displayed total within
    the rounding of the numbers shown; and the displayed state is the recorded h_t to 3 decimals."""
    net, data, tr = _net(cell, nl, layers=1, seed=3)
    gates = engine.cells.get(cell).gates or (None,)
    checked = 0
    for step in (2, 9):
        for unit in range(net.hidden_size):
            f = formula.step_formula(net, tr, step, unit, vocab=data.vocab)
            for gate in gates:
                lines = equations.step_formula_tex(f, "en", expand=gate)
                for line in lines:
                    if r"\textcolor" in line.split(" = ")[0] and "[" in line.split(" = ")[0]:
                        got, total, n = _shown_sum(line)
                        # each 3-decimal factor is off by <= 5e-4: a product by <= 5e-4 (|w| + |v|) + 2.5e-7
                        assert abs(got - total) <= n * 1.5e-3 + 5e-4, line
                        checked += 1
                last = lines[-1]
                assert last.endswith(formula.factor(float(tr.hidden[0, step, 0, unit])))
    assert checked >= 2 * net.hidden_size * 2


def test_the_readout_is_the_softmax_of_the_recorded_output():
    net, data, tr = _net("lstm", "tanh", layers=1)
    r = formula.readout(net, tr, 4, top=3)
    p = torch.softmax(torch.tensor(tr.outputs[4, 0]).double(), -1).numpy()
    assert [k for k, _, _ in r.top] == list(np.argsort(-p)[:3])
    assert [q for _, _, q in r.top] == pytest.approx(np.sort(p)[::-1][:3], abs=1e-6)
    assert r.target == int(tr.targets[4, 0])


@pytest.mark.parametrize("layers", [2, 3])
def test_a_residual_nets_readout_reads_the_sum_of_its_layers(layers):
    """The readout of a residual net reads h^(L-1)_t + ... + h^(0)_t, not the top layer's h_t alone (logits were off
    by up to 0.37): its softmax is the one of the net's own output, computed by the model's forward."""
    torch.manual_seed(1)
    net = engine.RecurrentNet("rnn", 3, 6, 4, num_layers=layers, residual=True)
    x, y = torch.randn(7, 2, 3), torch.randint(0, 4, (7, 2))
    tr = engine.record(net, x, y)
    with torch.no_grad():
        out = net(x)[:, 0].double()
    for step in (0, 3, 6):
        r = formula.readout(net, tr, step, top=4)
        p = torch.softmax(out[step], -1).numpy()
        assert [q for _, _, q in r.top] == pytest.approx(np.sort(p)[::-1], abs=1e-6)
        assert [z for _, z, _ in r.top] == pytest.approx(out[step].numpy()[[k for k, _, _ in r.top]], abs=1e-5)


def test_a_residual_layer_is_refused_with_a_typed_error():
    torch.manual_seed(0)
    net = engine.RecurrentNet("rnn", 3, 4, 2, num_layers=2, residual=True)
    tr = engine.record(net, torch.randn(5, 1, 3), torch.randint(0, 2, (5, 1)))
    formula.step_formula(net, tr, 2, 1, 0)  # the first layer has no residual input
    with pytest.raises(engine.ArchitectureError) as err:
        formula.step_formula(net, tr, 2, 1, 1)
    assert err.value.reason == "formula_residual"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_unrolled_view_typesets_the_steps_equations(lang):
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py"), default_timeout=180)
    for k, v in {"view": "unroll", "lang": lang, "cell": "gru", "step": "3", "unit": "1"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    tex = [e.body.strip("$\n") for e in at.latex]
    assert any(r"W_{hn}[1,:]" in b for b in tex) is False  # the first gate (r) is written out by default
    assert any(r"W_{xr}[1,:]\,x_{3}" in b for b in tex)
    assert any(b.startswith(r"h_{3}[1] = (1 - z)") for b in tex)
    assert any(r"\operatorname{softmax}" in b for b in tex)
    captions = " ".join(c.value for c in at.caption)
    assert ("float32" in captions or "32비트" in captions) and ("GRU" in captions)


@pytest.mark.parametrize("cell,nl", CELLS)
def test_the_first_step_says_why_the_recurrent_side_is_its_bias_and_no_zero_is_negative(cell, nl):
    """At t = 0, h_{-1} = 0: the recurrent sum reads "all n products are 0" then its bias, not a dangling
    "= + 0.000 (the other 35) + 0.211"; and no number is written -0.000 (a "- 0.000" term) at any step."""
    net, data, tr = _net(cell, nl, layers=1, seed=3)
    gates = engine.cells.get(cell).gates or (None,)
    for step in (0, 2):
        for unit in range(net.hidden_size):
            f = formula.step_formula(net, tr, step, unit, vocab=data.vocab)
            for gate in gates:
                lines = equations.step_formula_tex(f, "en", expand=gate)
                assert not any("-0.000" in line or "- 0.000" in line or "} = +" in line or "= + " in line
                               for line in lines), lines
                rec = [line for line in lines if "h_{-1} +" in line.split(" = ")[0]]
                if step == 0 and gate in (None, *gates[:1]):
                    assert rec and all("products are 0" in line for line in rec), lines
