r"""The equations each view draws, typeset with Streamlit's KaTeX (``st.latex``: bundled, offline), for the cell on
the page in PyTorch's convention (its parameter names: W_ih / W_hh in torch are the notes' W_xh / W_hh)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import cells
from engine.lessons.formula import factor
from viz_app.text.i18n import t
from viz_app.web.theme import BLUE, ORANGE_TEXT

_BIDIRECTIONAL = (r"\overrightarrow{h}_t = \operatorname{cell}\big(x_t,\ \overrightarrow{h}_{t-1}\big), \qquad"
                  r" \overleftarrow{h}_t = \operatorname{cell}\big(x_t,\ \overleftarrow{h}_{t+1}\big), \qquad"
                  r" h_t = \big[\,\overrightarrow{h}_t\,;\ \overleftarrow{h}_t\,\big]")
_RESIDUAL = (r"x^{(2)}_t = h^{(1)}_t, \qquad x^{(l+1)}_t = h^{(l)}_t + x^{(l)}_t \quad (l \ge 2), \qquad"
             r" \hat y_t \text{ reads } x^{(L+1)}_t")
OUTPUT = r"\hat y_t = \operatorname{softmax}\!\left(W_{hy}\, h_t + b_y\right)"
_REGRESSION = r"\hat y_t = W_{hy}\, h_t + b_y"


def cell_step(cell: str, nonlinearity: str = "tanh") -> str:
    """The forward step of ``cell``, as its engine object writes it (a vanilla RNN's f is tanh or ReLU)."""
    return cells.get(cell).tex(nonlinearity)


@dataclass(frozen=True)
class Parts:
    """What a view's equations are made of, for the page's model (a view's ``equations(parts)`` picks from them)."""

    cell: str
    nonlinearity: str = "tanh"
    classifies: bool = True  # the readout is a softmax over classes (char-LM, classification), else a regression
    bidirectional: bool = False
    residual: bool = False

    def cell_step(self) -> str:
        return cell_step(self.cell, self.nonlinearity)

    @property
    def step(self) -> list[str]:
        """The cell's step, and how a bidirectional net's two directions run and join, what a residual layer passes."""
        return [self.cell_step()] + ([_BIDIRECTIONAL] if self.bidirectional else []) + \
            ([_RESIDUAL] if self.residual else [])

    @property
    def output(self) -> str:
        return OUTPUT if self.classifies else _REGRESSION

    @property
    def weight_bound(self) -> bool:
        """Whether Pascanu's bound follows from W_hh alone (a vanilla RNN)."""
        return cells.get(self.cell).weight_bound


# --- one step written out with the model's numbers (engine.lessons.formula) -------------------------------------------
_TEX_SPECIAL = {"\\": r"\backslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%", "&": r"\&", "#": r"\#",
                "_": r"\_", "^": r"\hat{}", "~": r"\sim{}", " ": r"\text{␣}"}


def _words(key: str, lang: str, **values) -> str:
    """Words of the string table inside a formula, set upright."""
    return r"\text{" + t(key, lang, form="text", **values) + "}"


def char_tex(c: str) -> str:
    """A character of the text inside a formula, quoted (a space as ␣)."""
    return r"\text{“}" + (_TEX_SPECIAL.get(c) or (rf"\text{{{c}}}" if c.isprintable() else r"\text{?}")) + r"\text{”}"


def _num(v: float) -> str:
    return factor(v)


def _signed(v: float, under: str | None = None, colour: str | None = None) -> str:
    """`` + 0.123`` or `` - 0.123``: a term after the first, its sign as the operator (``under``: a label under it)."""
    body = _num(abs(v))
    negative = v < 0 and body != _num(0.0)  # a value that rounds to 0 is added, not subtracted ("- 0.000")
    body = rf"\textcolor{{{colour}}}{{{body}}}" if colour else body
    body = rf"\underset{{{under}}}{{{body}}}" if under else body
    return (" - " if negative else " + ") + body


def _product(term, label: str) -> str:
    return rf"\underset{{{label}}}{{({_num(term.weight)})({_num(term.value)})}}"


def _sum_tex(s, head: str, colour: str, input_name: str, labels, lang: str) -> str:
    parts = []
    for term in s.shown:
        if s.source == "x" and labels is not None:
            label = rf"{input_name}={char_tex(labels[term.index])}"
        else:
            label = rf"i={term.index}"
        parts.append(_product(term, label))
    body = " + ".join(parts)
    if s.others and parts:
        body += _signed(s.rest, _words("tex.others", lang, n=s.others))
    elif s.others:  # no product worth showing: their sum first (at step 0, h_{-1} = 0 makes every product 0)
        label = "tex.all_zero" if s.rest == 0 else "tex.others"
        body = rf"\underset{{{_words(label, lang, n=s.others)}}}{{{_num(s.rest)}}}"
    else:
        body = body or "0"
    body += _signed(s.bias, "b")
    return rf"\textcolor{{{colour}}}{{{head}}} = {body} = {_num(s.total)}"


def step_formula_tex(f, lang: str, *, expand: str | None = None) -> list[str]:
    """TeX lines for engine.lessons.formula.StepFormula ``f``: every gate's two sums written out (a gated cell: only
    ``expand``'s, the others as their totals), the pre-activation, the gate, the new state, each in the cell's own
    symbols and update (engine/cells). The input side is in orange, the recurrent side in blue (the unrolled
    network's W_hh)."""
    kind = cells.get(f.cell)
    t, j, k = f.step, f.unit, f.layer
    x = "x_{" + str(t) + "}" if k == 0 else f"h^{{({k})}}_{{{t}}}"
    hp = f"h_{{{t - 1}}}" if t else r"h_{-1}"
    act = {"tanh": r"\tanh", "relu": r"\operatorname{ReLU}", "sigmoid": r"\sigma"}
    values = {g.name: g.value for g in f.gates}
    lines = []
    for g in f.gates:
        wx, wh, bx, bh = kind.weight_symbols(g.name)
        if not kind.gates or expand == g.name:
            lines.append(_sum_tex(g.inp, rf"{wx}[{j},:]\,{x} + {bx}[{j}]", ORANGE_TEXT, x, f.input_labels, lang))
            lines.append(_sum_tex(g.rec, rf"{wh}[{j},:]\,{hp} + {bh}[{j}]", BLUE, x, f.input_labels, lang))
        inner = rf"\textcolor{{{ORANGE_TEXT}}}{{{_num(g.inp.total)}}}"
        gate = kind.recurrence_gate.get(g.name)
        if gate is not None:  # the gate multiplies the whole recurrent sum (torch's GRU: r)
            inner += rf" + {_num(values[gate])}\cdot(\textcolor{{{BLUE}}}{{{_num(g.rec.total)}}})"
        else:
            inner += _signed(g.rec.total, colour=BLUE)
        symbol, f_ = kind.block_symbol(g.name), act[g.activation]
        if kind.gates:
            lines.append(rf"{symbol}_{{{t}}}[{j}] = {f_}\big({inner}\big) = {f_}({_num(g.pre)}) = {_num(g.value)}")
        else:  # the one block is the new state's pre-activation: h_t = f(a_t)
            lines.append(rf"{symbol}_{{{t}}}[{j}] = {inner} = {_num(g.pre)}, \qquad "
                         rf"h_{{{t}}}[{j}] = {f_}({_num(g.pre)}) = {_num(g.value)}")
    state = {"h_prev": f.h_prev, "c_prev": f.c_prev, "c": f.c, "h": f.h}
    return lines + kind.update_tex(t, j, {**values, **state}, _num)


def readout_tex(r, vocab: str | None, lang: str) -> str:
    """softmax(W_hy h_t + b_y) at step t: the most probable classes and the target's probability."""
    def name(k):
        return char_tex(vocab[k]) if vocab is not None and k < len(vocab) else str(k)
    probs = r", \;".join(rf"P({name(k)}) = {p:.3f}" for k, _, p in r.top)
    target = "" if r.target is None else rf", \qquad {_words('tex.target', lang)}\ {name(r.target)}"
    return rf"\hat y_{{{r.step}}} = \operatorname{{softmax}}(W_{{hy}} h_{{{r.step}}} + b_y): \quad {probs}{target}"


# --- the BPTT ledger (engine.lessons.ledger) --------------------------------------------------------------------------
def sig(v: float, digits: int = 3) -> str:
    """A gradient-sized number in TeX: 3 significant digits, 1.23 \\times 10^{-5} below 1e-3."""
    if not np.isfinite(v):
        return r"\infty" if v > 0 else (r"-\infty" if v < 0 else r"\text{NaN}")
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4):
        mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    text = f"{v:.{digits}g}"
    return f"{v:.0f}" if "e" in text else text  # 2680, not 2.68e+03, inside a typeset line


def _factors(values, head: int = 4, tail: int = 2) -> str:
    shown = [sig(v) for v in values]
    if len(shown) > head + tail + 1:
        shown = shown[:head] + [r"\cdots"] + shown[-tail:]
    return r" \times ".join(shown)


def ledger_tex(ledger, step: int, unit: int, lang: str) -> list[str]:
    """The ledger's lines for step k = ``step`` and unit j: the recursion dL/dh_k = direct + carried (norms, and unit
    j's component as a sum), the chain from k to the last step against its factors and (a vanilla RNN) Pascanu's
    bound, an LSTM's carousel, and one entry of dL/dW_hh as the sum of its per-step terms."""
    last, k, j = ledger.steps - 1, step, unit
    r = ledger.recursion(k, j)
    direct, carried = _words("tex.direct", lang), _words("tex.carried", lang)
    s_next = "s" if ledger.trace.cell_state is not None else "h"
    norm = rf"\lVert \partial L / \partial h_{{{k}}} \rVert"
    unit_word = _words("tex.unit", lang) + r"\ "
    lines = [rf"\frac{{\partial L}}{{\partial h_{{{k}}}}} = \underbrace{{\frac{{\partial L_{{{k}}}}}"
             rf"{{\partial h_{{{k}}}}}}}_{{{direct}}} + \underbrace{{\Big(\frac{{\partial {s_next}_{{{k + 1}}}}}"
             rf"{{\partial h_{{{k}}}}}\Big)^{{\!\top}} \frac{{\partial L}}{{\partial {s_next}_{{{k + 1}}}}}}}"
             rf"_{{{carried}}}",
             rf"{norm} = {sig(np.linalg.norm(r.total))}, \quad \lVert {direct} \rVert = "
             rf"{sig(np.linalg.norm(r.direct))}, \quad \lVert {carried} \rVert = {sig(np.linalg.norm(r.carried))}",
             rf"{unit_word}{j}:\quad \frac{{\partial L}}{{\partial h_{{{k}}}}}[{j}] = {sig(r.total[j])} = "
             rf"{sig(r.direct[j])} {'-' if r.carried[j] < 0 else '+'} {sig(abs(r.carried[j]))}"]
    if k < last:
        c = ledger.chain(last, k, j)
        n = last - k
        product = rf"\prod_{{i={k + 1}}}^{{{last}}} \lVert J_i \rVert"
        line = (rf"\Big\lVert \frac{{\partial h_{{{last}}}}}{{\partial h_{{{k}}}}} \Big\rVert = {sig(c.measured)}"
                rf" \;\le\; {product} = {sig(c.product)}")
        if c.bound is not None:
            line += rf" \;\le\; (\gamma\,\sigma_{{\max}})^{{{n}}} = {sig(c.gamma_sigma)}^{{{n}}} = {sig(c.bound)}"
        lines += [line, rf"{product} = {_factors(c.factors)}"]
        if c.carousel is not None:  # the cell's carousel gate (LSTM: f) along the cell state alone
            g = ledger.kind.carousel
            gate = ledger.trace.gates[g][ledger.layer, k + 1: last + 1, 0, j]
            lines.append(rf"\frac{{\partial c_{{{last}}}[{j}]}}{{\partial c_{{{k}}}[{j}]}}\Big|_{{\text{{cells}}}} = "
                         rf"\prod_{{i={k + 1}}}^{{{last}}} {g}_i[{j}] = {_factors(gate)} = {sig(c.carousel)}")
    return lines


def terms_tex(terms, steps: int, lang: str, *, name: str = "W_{hh}", row: int | None = None,
              shown: int = 4) -> list[str]:
    """dL/dW[r, c] = sum_k T_k[r, c] against the recorded gradient, then the sum with the ``shown`` terms of largest
    size named, in order from the loss back (as the notes' T_3 + T_2 + T_1), and the others as one number (naming
    the last steps' terms put 96 % of a sum into "the other 43"). ``name``/``row``: the block and its row as the page
    writes them (a gated cell: its main block, W_hg or W_hn)."""
    row = terms.row if row is None else row
    values = np.asarray(terms.terms[:steps], dtype=float)
    ks = sorted(np.argsort(-np.abs(values), kind="stable")[:shown].tolist(), reverse=True)
    body = rf"\underset{{T_{{{ks[0]}}}}}{{{sig(values[ks[0]])}}}"
    body += "".join(_signed_sig(values[k], rf"T_{{{k}}}") for k in ks[1:])
    rest = steps - len(ks)
    if rest > 0:
        label = _words("tex.others", lang, n=rest)
        body += _signed_sig(float(values.sum() - values[ks].sum()), label)
    recorded = _words("tex.recorded", lang)
    return [rf"\frac{{\partial L}}{{\partial {name}}}[{row},{terms.col}] = \sum_k T_k = {sig(float(terms.terms.sum()))}"
            rf" \qquad ({recorded}: {sig(terms.recorded)})", rf"\sum_k T_k = {body}"]


def _signed_sig(v: float, under: str) -> str:
    return (" - " if v < 0 else " + ") + rf"\underset{{{under}}}{{{sig(abs(v))}}}"
