"""The BPTT ledger (engine.lessons.ledger, viz_app.text.equations.ledger_tex): the recursion's two parts add up to the
recorded gradient, the chain is ordered measured <= product of factor norms <= Pascanu's bound, an LSTM's carousel is
its closed form, and one entry of dL/dW_hh is the sum of its per-step terms."""
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import engine
from engine.lessons import ledger
from engine import tasks
from viz_app.text import equations
from viz_app.text.i18n import t

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
MAIN = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")


def _book(cell, nl, layers=1, seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    data = tasks.char_lm()
    net = engine.RecurrentNet(cell, data.input_size, 7, data.output_size, num_layers=layers, nonlinearity=nl)
    net = net.to(dtype)
    x = data.x.to(dtype)
    tr = engine.record(net, x, data.y)
    return ledger.Ledger(net, tr), tr


@pytest.mark.parametrize("cell,nl", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_direct_plus_carried_is_the_recorded_gradient(cell, nl, layers):
    """The carried part comes from the step Jacobian (torch.func.jacrev of the cell's step); the recorded total
    from the engine's hand-derived backward pass: two independent computations of the same vector."""
    book, tr = _book(cell, nl, layers, dtype=torch.float64)
    for k in range(tr.steps):
        r = book.recursion(k)
        scale = max(np.abs(r.total).max(), 1e-30)
        assert np.abs(r.direct + r.carried - r.total).max() <= 1e-9 * scale, k
    assert np.linalg.norm(book.recursion(3).carried) > 0  # not vacuous


@pytest.mark.parametrize("cell,nl", CELLS)
def test_the_chain_is_ordered_and_its_measured_norm_is_the_maps(cell, nl):
    book, tr = _book(cell, nl, dtype=torch.float64)
    last = tr.steps - 1
    for k in (0, 10, 30, last - 1):
        c = book.chain(last, k)
        assert len(c.factors) == last - k
        product = torch.eye(book.js.shape[1], dtype=torch.float64)
        for j in range(k + 1, last + 1):
            product = book.js[j] @ product
        hidden = book.net.hidden_size
        assert c.measured == pytest.approx(torch.linalg.matrix_norm(product[:hidden, :hidden], 2).item(), rel=1e-9)
        assert c.measured <= c.product * (1 + 1e-9)
        if cell == "rnn":
            assert c.product <= c.bound * (1 + 1e-9)
            w = book.net.recurrent.weight_hh_l0.detach()
            assert c.gamma_sigma == pytest.approx(torch.linalg.matrix_norm(w, 2).item(), rel=1e-12)
        else:
            assert c.bound is None


def test_the_carousel_is_the_cell_map_when_nothing_flows_through_h():
    """An LSTM with W_hh = 0: c_t = f_t c_{t-1} + i_t g_t with gates that do not depend on h, so dc_t/dc_k (h held
    fixed) is diag(f_{k+1} ... f_t) and its norm is the largest unit's carousel."""
    torch.manual_seed(1)
    data = tasks.char_lm()
    net = engine.RecurrentNet("lstm", data.input_size, 5, data.output_size).double()
    with torch.no_grad():
        net.recurrent.weight_hh_l0.zero_()
    tr = engine.record(net, data.x.double(), data.y)
    book = ledger.Ledger(net, tr)
    last = tr.steps - 1
    for k in (0, 20, 40):
        carousels = [book.chain(last, k, u).carousel for u in range(5)]
        f = tr.gates["f"][0, k + 1: last + 1, 0]
        assert carousels == pytest.approx(np.prod(f, axis=0), rel=1e-12)
        assert tr.jacobians.cell_spectral[last, k] == pytest.approx(max(carousels), rel=1e-9)


@pytest.mark.parametrize("cell,nl", CELLS)
def test_the_terms_add_up_to_the_recorded_weight_gradient(cell, nl):
    book, tr = _book(cell, nl, dtype=torch.float64)
    rows = tr.param_grads["recurrent.weight_hh_l0"].shape[0]
    for row in (0, rows // 2, rows - 1):
        terms = book.weight_terms(row)
        assert terms.terms.sum() == pytest.approx(terms.recorded, rel=1e-9, abs=1e-15)
        assert abs(terms.recorded) == np.abs(tr.param_grads["recurrent.weight_hh_l0"][row]).max()


def test_a_bidirectional_model_is_refused_with_a_typed_error():
    torch.manual_seed(0)
    net = engine.RecurrentNet("gru", 3, 4, 2, bidirectional=True)
    tr = engine.record(net, torch.randn(6, 1, 3), torch.randint(0, 2, (6, 1)))
    with pytest.raises(engine.ArchitectureError) as err:
        ledger.Ledger(net, tr)
    assert err.value.reason == "ledger_bidirectional"


def test_a_urnns_terms_are_refused_but_its_chain_is_bounded_by_one():
    """A uRNN's W_hh is computed from its parametrisation (no recorded gradient of W_hh to sum the terms to); its
    gamma sigma_max is 1, so the bound is 1 at every distance."""
    torch.manual_seed(0)
    net = engine.RecurrentNet("rnn", 3, 6, 2, nonlinearity="relu", unitary=True)
    tr = engine.record(net, torch.randn(12, 1, 3), torch.randint(0, 2, (12, 1)))
    book = ledger.Ledger(net, tr)
    with pytest.raises(engine.ArchitectureError) as err:
        book.weight_terms(0)
    assert err.value.reason == "terms_unitary"
    c = book.chain(11, 2)
    assert c.gamma_sigma == pytest.approx(1.0, abs=1e-6) and c.measured <= c.product * (1 + 1e-6) <= 1 + 1e-5


def _number(tex: str) -> float:
    tex = tex.strip()
    m = re.fullmatch(r"(-?[\d.]+)(?: \\times 10\^\{(-?\d+)\})?", tex)
    return float(m[1]) * 10 ** int(m[2] or 0)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_the_typeset_ledger_adds_up(cell):
    """The unit line reads total = direct +/- carried with 3 significant digits: those numbers agree to their
    rounding; the chain line shows the map's value and the product."""
    book, tr = _book(cell, "tanh")
    for k in (5, 25, tr.steps - 1):
        lines = equations.ledger_tex(book, k, 3, "en")
        unit = lines[2].split("] = ", 1)[1]
        total, rest = unit.split(" = ", 1)
        sign = -1 if " - " in rest else 1
        direct, carried = re.split(r" [+-] ", rest)
        got, want = _number(direct) + sign * _number(carried), _number(total)
        assert abs(got - want) <= 5e-3 * max(abs(want), abs(_number(direct)), abs(_number(carried))), lines[2]
        if k < tr.steps - 1:
            c = book.chain(tr.steps - 1, k, 3)
            assert equations.sig(c.measured) in lines[3] and equations.sig(c.product) in lines[3]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_bptt_view_typesets_the_ledger(lang):
    at = AppTest.from_file(MAIN, default_timeout=180)
    for k, v in {"view": "bptt", "lang": lang, "step": "20", "unit": "1"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    tex = [e.body.strip("$\n") for e in at.latex]
    assert any(b.startswith(r"\frac{\partial L}{\partial h_{20}} = \underbrace") for b in tex)
    assert any(r"\le\; (\gamma\,\sigma_{\max})" in b for b in tex)
    assert any(b.startswith(r"\frac{\partial L}{\partial W_{hh}}[1,") for b in tex)
    heads = " ".join(h.value for h in at.subheader)
    steps = int(re.search(r"(\d+)\D*$", heads)[1])  # the last step, as the heading names it
    assert t("ledger.title", lang, k=20, last=steps) in heads
    at = AppTest.from_file(MAIN, default_timeout=180)  # no step: the ledger opens at the last one, and its heading
    for k, v in {"view": "bptt", "lang": lang, "unit": "1"}.items():  # is not "from step 46 to the last step 46"
        at.query_params[k] = v
    at.run()
    heads = " ".join(h.value for h in at.subheader)
    assert t("ledger.title_last", lang, last=steps) in heads
    assert t("ledger.title", lang, k=steps, last=steps) not in heads


def test_a_typeset_number_is_never_written_in_e_notation():
    """Inside a typeset line 2.68e+03 reads as letters: the ledger's numbers are 2683 or 1.23 × 10^4."""
    for v in (2683.4, 999.6, 3.73, 0.5, 1.2e-5, 12345.0, -0.00012, 0.0, 1e300, -7.5e-8, 4.0e3):
        text = equations.sig(v)
        assert "e+" not in text and "e-" not in text and float(text.split(r" \times")[0]) != 0 or v == 0, (v, text)


def test_the_sum_of_terms_names_the_largest_ones_and_sums_the_rest():
    """The ledger's sum writes out its largest terms (from the loss back) and the others as one number: it once named
    the 4 last, smallest terms and put 96 % of the sum into "the other 43"."""
    from types import SimpleNamespace
    values = np.array([0.5, -3.0, 0.01, 2.0, 0.02, -0.03, 1.0, 0.001])
    terms = SimpleNamespace(terms=values, row=0, col=1, recorded=float(values.sum()))
    _, body = equations.terms_tex(terms, len(values), "en")
    named = [int(k) for k in re.findall(r"T_\{(\d+)\}", body)]
    assert named == [6, 3, 1, 0]  # the 4 largest |T_k|, from the loss back
    rest = values.sum() - values[[6, 3, 1, 0]].sum()
    assert body.endswith(equations.sig(abs(rest)) + "}") and "4 others" in body
