r"""One step of the forward pass written out with its numbers: for step t, unit j of a layer (forward direction), each
gate's pre-activation as the sum sum_i W_ih[row, i] u_t[i] + b_ih[row] + sum_i W_hh[row, i] h_{t-1}[i] + b_hh[row]
(u_t the layer's input: x_t, or the layer below's h_t), its largest products named and the others as one number, and
the new state; and the readout's softmax at step t.

The products are the model's own weights times the recorded values, summed in float64; the gates and the new state
are the cell's own step (``Cell.step``) run in float64 on the recorded inputs, so any registered cell kind is written
out; ``recorded`` is the Trace's value of the same quantity (float32), so a view can show both and a test can hold
them equal. Rows follow torch's stacking of the gate blocks (``Cell.gates``); a GRU's candidate is
n = tanh(W_in u + b_in + r * (W_hn h + b_hn)), torch's convention (``Cell.recurrence_gate``), where the notes write
r * h inside the product.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine import cells
from engine.errors import ArchitectureError, ConfigError
from engine.record import Trace, layer_weights

SHOWN = 3  # largest products named per sum


@dataclass(frozen=True)
class Term:
    """One product W[row, i] * v[i] of a sum."""

    index: int  # i
    weight: float
    value: float

    @property
    def product(self) -> float:
        return self.weight * self.value


@dataclass(frozen=True)
class Sum:
    """sum_i W[row, i] v[i] + bias: the ``shown`` largest products (by |product|) and the others' total."""

    source: str  # "x" (the layer's input) or "h" (h_{t-1})
    shown: tuple[Term, ...]
    rest: float  # sum of the other products
    others: int  # how many they are
    bias: float

    @property
    def total(self) -> float:
        return sum(term.product for term in self.shown) + self.rest + self.bias


@dataclass(frozen=True)
class Gate:
    """One gate (or a vanilla RNN's a_t): its two sums, its pre-activation (as combined by the cell), its value."""

    name: str  # "a" for a vanilla RNN, else the cell's gate letter
    activation: str  # "tanh" | "relu" | "sigmoid"
    inp: Sum
    rec: Sum
    pre: float  # the pre-activation from the sums (a GRU's n: inp + r * rec)
    value: float  # activation(pre)
    recorded_pre: float  # the Trace's
    recorded: float  # the Trace's value (a vanilla RNN: h_t)


@dataclass(frozen=True)
class StepFormula:
    cell: str
    nonlinearity: str
    step: int
    unit: int
    layer: int
    gates: tuple[Gate, ...]
    h_prev: float
    c_prev: float | None
    h: float  # from the gates by the cell's update
    c: float | None
    recorded_h: float
    recorded_c: float | None
    input_labels: tuple[str, ...] | None  # names of the input's components (characters), if it is one-hot


@dataclass(frozen=True)
class Readout:
    """y_t = W_hy h_t + b_y at step t, and softmax(y_t)'s largest probabilities (classification)."""

    step: int
    top: tuple[tuple[int, float, float], ...]  # (class, logit, probability), most probable first
    target: int | None
    recorded: np.ndarray  # the Trace's y_t


def _sum(source: str, weights: np.ndarray, values: np.ndarray, bias: float, shown: int) -> Sum:
    products = weights * values
    order = np.argsort(-np.abs(products), kind="stable")
    keep = [int(i) for i in order[:shown] if products[i] != 0 or values[i] != 0]
    rest = [int(i) for i in order if i not in keep]
    return Sum(source, tuple(Term(i, float(weights[i]), float(values[i])) for i in keep),
               float(products[rest].sum()) if rest else 0.0, len(rest), float(bias))


def layer_input(trace: Trace, layer: int) -> np.ndarray:
    """u_t of ``layer`` for sequence 0, (T, I): x_t for the first layer, the layer below's h_t above it."""
    if layer == 0:
        return trace.inputs[:, 0].astype(np.float64)
    if trace.residual:
        raise ArchitectureError("formula_residual")
    return trace.hidden[layer - 1, :, 0].astype(np.float64)


def step_formula(net, trace: Trace, step: int, unit: int, layer: int = 0, *, vocab: str | None = None,
                 shown: int = SHOWN) -> StepFormula:
    """The formula of ``unit`` at ``step`` in ``layer`` (forward direction) of sequence 0 of ``trace``, recorded from
    ``net`` (its weights): the cell's own step (``Cell.step``) run in float64 on the recorded h_{t-1} (and c_{t-1}),
    each block's two sums written out from the same weights."""
    layers, steps, hidden = trace.layers, trace.hidden.shape[1], net.hidden_size
    if not (0 <= layer < layers and 0 <= step < steps and 0 <= unit < hidden):
        raise ConfigError(f"no unit {unit} at step {step} in layer {layer} (layers {layers}, steps {steps}, "
                          f"units {hidden})")
    kind = cells.get(trace.cell_kind)
    w_ih, w_hh, b_ih, b_hh = (w.detach().double() for w in layer_weights(net, layer))
    u = layer_input(trace, layer)[step]  # (I,)
    h_all = trace.hidden[layer, :, 0, :hidden].astype(np.float64)  # (T, H)
    h_prev = h_all[step - 1] if step else np.zeros(hidden)
    c_prev = None
    if kind.has_cell_state:
        c_all = trace.cell_state[layer, :, 0, :hidden].astype(np.float64)  # (T, H)
        c_prev = c_all[step - 1] if step else np.zeros(hidden)
    # the cell's own step on the recorded inputs: gi = W_ih u_t + b_ih, gh = W_hh h_{t-1} + b_hh  (G,)
    gi, gh = w_ih @ torch.from_numpy(u) + b_ih, w_hh @ torch.from_numpy(h_prev) + b_hh
    h_new, c_new, parts = kind.step(gi, gh, torch.from_numpy(h_prev),
                                    None if c_prev is None else torch.from_numpy(c_prev), trace.nonlinearity)
    w_ih, w_hh, b_ih, b_hh = (w.numpy() for w in (w_ih, w_hh, b_ih, b_hh))
    gates = []
    for k, name in enumerate(kind.gates or ("a",)):
        row = k * hidden + unit
        # a gateless cell's one block is the new state itself: h_t = f(a_t)
        value = parts[name][unit] if name in parts else h_new[unit]
        recorded = trace.gates[name][layer, step, 0, unit] if kind.gates else h_all[step, unit]
        gates.append(Gate(name=name, activation=kind.block_activation(name, trace.nonlinearity),
                          inp=_sum("x", w_ih[row], u, b_ih[row], shown),
                          rec=_sum("h", w_hh[row], h_prev, b_hh[row], shown),
                          pre=float(parts[f"{name}_pre"][unit]), value=float(value),
                          recorded_pre=float(trace.preactivations[f"{name}_pre"][layer, step, 0, unit]),
                          recorded=float(recorded)))
    labels = None
    if layer == 0 and vocab is not None and len(vocab) == u.shape[0] and np.isin(u, (0.0, 1.0)).all():
        labels = tuple(vocab)
    return StepFormula(cell=trace.cell_kind, nonlinearity=trace.nonlinearity, step=step, unit=unit, layer=layer,
                       gates=tuple(gates), h_prev=float(h_prev[unit]),
                       c_prev=None if c_prev is None else float(c_prev[unit]), h=float(h_new[unit]),
                       c=None if c_new is None else float(c_new[unit]), recorded_h=float(h_all[step, unit]),
                       recorded_c=None if c_prev is None else float(c_all[step, unit]), input_labels=labels)


def discrepancy(f: StepFormula) -> float:
    """The largest difference between a value recomputed from the sums and the recorded one (gates, their
    pre-activations, c_t, h_t)."""
    pairs = [(g.pre, g.recorded_pre) for g in f.gates] + [(g.value, g.recorded) for g in f.gates]
    pairs.append((f.h, f.recorded_h))
    if f.c is not None:
        pairs.append((f.c, f.recorded_c))
    return max(abs(a - b) for a, b in pairs)


def readout(net, trace: Trace, step: int, *, top: int = 3) -> Readout:
    """softmax(W_hy h_t + b_y) at ``step`` for sequence 0, from the recorded h_t the readout reads: the top layer's,
    or for a residual net the sum of every layer's (each layer from the second passes up h_t + its input)."""
    hidden = trace.hidden[:, step, 0].astype(np.float64)
    h = hidden.sum(0) if getattr(net, "residual", False) else hidden[-1]
    w = net.readout.weight.detach().double().numpy()
    b = net.readout.bias.detach().double().numpy()
    logits = w @ h + b
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")[:top]
    target = trace.targets[step, 0]
    target = int(target) if np.ndim(target) == 0 else None
    return Readout(step, tuple((int(k), float(logits[k]), float(p[k])) for k in order), target,
                   trace.outputs[step, 0])


def factor(value: float) -> str:
    """How a number is written in a formula: 3 decimals (the precision the tests hold the sums to); a value that
    rounds to zero is 0.000, never -0.000."""
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text
