r"""Run a RecurrentNet layer by layer on torch's fused kernels and recover every per-step gradient exactly.

The trick: feed layer l's fused module the input projection gi_t = W_xh x_t + b_ih itself, with an identity input
weight and zero input bias (``torch.func.functional_call`` with the real W_hh, b_hh). The forward is unchanged, and
autograd's gradient with respect to gi_t is then dL/d(pre-activation)_t, straight out of torch's own fused backward.
From it, with the forward quantities recomputed in one vectorised pass:

- the recurrent part of dL/dh_{t-1} is (dL/dgh_t) W_hh, where gh_t = W_hh h_{t-1} + b_hh (for the GRU the r-scaled
  part, plus the direct path z_t * dL/dh_t);
- the total dL/dh_t = (what arrives from above or from the readout at step t) + (what flows back from step t+1);
- step t's term in dL/dW_hh is (dL/dgh_t)^T h_{t-1}, summed over the batch, and in dL/dW_xh it is (dL/dgi_t)^T x_t.

Truncated BPTT with window k runs the fused module in chunks of k steps with the carried state detached, exactly as
training does: gradient stops at chunk starts while the state goes on.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from . import cells


@dataclass
class LayerRun:
    """One layer's tensors from ``forward`` (autograd graph attached) and, after ``backward``, their gradients."""

    inp: Tensor  # (T, B, I_l)  the layer's input x_t
    gi: Tensor  # (T, B, G)     W_xh x_t + b_ih
    out: Tensor  # (T, B, H)    h_t from the fused kernel
    cuts: Tensor  # (T,) bool   steps whose incoming state is detached (t = 0 always)


def _shell(net: nn.Module, gates: int) -> nn.RNNBase:
    rec = net.recurrent
    kw = dict(input_size=gates * rec.hidden_size, hidden_size=rec.hidden_size, num_layers=1)
    if isinstance(rec, nn.RNN):
        return nn.RNN(nonlinearity=rec.nonlinearity, **kw)
    return (nn.LSTM if isinstance(rec, nn.LSTM) else nn.GRU)(**kw)


def layer_params(net: nn.Module, k: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(W_xh, W_hh, b_ih, b_hh) of layer k, torch names weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}."""
    rec = net.recurrent
    return tuple(getattr(rec, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def forward(net: nn.Module, xin: Tensor, window: int | None = None) -> list[LayerRun]:
    """Layer-by-layer fused forward with the identity-input trick; ``window`` = truncated-BPTT chunk length."""
    rec, steps = net.recurrent, xin.shape[0]
    gates = cells.GATE_MULTIPLIER[net.cell]
    shell = _shell(net, gates).to(xin.dtype)
    size = gates * rec.hidden_size
    eye, zero = torch.eye(size, dtype=xin.dtype), torch.zeros(size, dtype=xin.dtype)
    win = steps if not window else max(1, int(window))
    cuts = torch.zeros(steps, dtype=torch.bool)
    cuts[::win] = True
    runs, layer_in = [], xin
    for k in range(rec.num_layers):
        w_ih, w_hh, b_ih, b_hh = layer_params(net, k)
        weights = {"weight_ih_l0": eye, "weight_hh_l0": w_hh, "bias_ih_l0": zero, "bias_hh_l0": b_hh}
        # gi_t = W_xh x_t + b_ih, all steps at once
        gi = F.linear(layer_in, w_ih, b_ih)  # (T, B, G)
        state, chunks = None, []
        for s in range(0, steps, win):
            if state is not None:  # truncated BPTT: carry the state, cut its gradient
                state = tuple(v.detach() for v in state) if isinstance(state, tuple) else state.detach()
            out, state = functional_call(shell, weights, (gi[s:s + win], state))
            chunks.append(out)
        out = torch.cat(chunks) if len(chunks) > 1 else chunks[0]  # (T, B, H)
        runs.append(LayerRun(layer_in, gi, out, cuts))
        layer_in = out
    return runs


@dataclass
class LayerGrads:
    """Forward quantities recomputed from the parameters and the exact per-step gradients of one layer."""

    h_prev: Tensor  # (T, B, H)  h_{t-1}
    parts: dict[str, Tensor]  # gates and pre-activations, each (T, B, H)
    cell: Tensor | None  # (T, B, H) c_t (LSTM)
    d_pre: Tensor  # (T, B, G)   dL/dgi_t
    d_gh: Tensor  # (T, B, G)    dL/dgh_t
    direct: Tensor  # (T, B, H)  dL/dh_t from the readout or the layer above, same step
    total: Tensor  # (T, B, H)   total dL/dh_t
    d_cell: Tensor | None  # (T, B, H) total dL/dc_t (LSTM)


@torch.no_grad()
def recover(net: nn.Module, k: int, run: LayerRun, d_gi: Tensor, d_out: Tensor) -> LayerGrads:
    """Rebuild gates, states and the total dL/dh_t of layer k from the gradients at gi and at the fused output."""
    _, w_hh, _, b_hh = layer_params(net, k)
    cell = net.cell
    gi, out, cuts = run.gi.detach(), run.out.detach(), run.cuts
    h_prev = torch.cat([torch.zeros_like(out[:1]), out[:-1]])  # (T, B, H)
    # gh_t = W_hh h_{t-1} + b_hh, all steps at once
    gh = F.linear(h_prev, w_hh, b_hh)  # (T, B, G)
    c = None
    if cell == "rnn":
        parts = {"a_pre": gi + gh}
    elif cell == "lstm":
        parts = cells.lstm_gates(gi, gh)
        c, c_t = torch.empty_like(out), torch.zeros_like(out[0])
        for t in range(out.shape[0]):
            # c_t = f_t * c_{t-1} + i_t * g_t
            c_t = parts["f"][t] * c_t + parts["i"][t] * parts["g"][t]
            c[t] = c_t
    else:
        parts = cells.gru_gates(gi, gh)
    d_gh = d_gi
    if cell == "gru":  # n_pre = gi_n + r * gh_n, so dL/dgh_n = r * dL/dn_pre
        d_r, d_z, d_n = d_gi.chunk(3, -1)
        d_gh = torch.cat([d_r, d_z, parts["r"] * d_n], -1)
    # recurrent part of dL/dh_{t-1}: (dL/dgh_t) W_hh, zero where step t's incoming state was detached
    back = (d_gh @ w_hh).masked_fill(cuts[:, None, None], 0.0)  # (T, B, H): back[t] reaches h_{t-1}
    total = d_out.clone()
    total[:-1] += back[1:]
    if cell == "gru":  # h_t = (1 - z_t) n_t + z_t h_{t-1}: the direct path z_{t+1} * dL/dh_{t+1}
        for t in range(out.shape[0] - 2, -1, -1):
            if not cuts[t + 1]:
                total[t] += parts["z"][t + 1] * total[t + 1]
    d_cell = None
    if cell == "lstm":
        # dL/dc_t = dL/dh_t * o_t * tanh'(c_t) + dL/dc_{t+1} * f_{t+1}
        local = total * parts["o"] * (1 - torch.tanh(c) ** 2)
        d_cell = local.clone()
        for t in range(out.shape[0] - 2, -1, -1):
            if not cuts[t + 1]:
                d_cell[t] += d_cell[t + 1] * parts["f"][t + 1]
    return LayerGrads(h_prev, parts, c, d_gi, d_gh, d_out, total, d_cell)


def backward(loss: Tensor, runs: list[LayerRun], params: list[Tensor]) -> tuple[list[Tensor], list[Tensor], list]:
    """One autograd call: (dL/dgi per layer, dL/d(fused output) per layer, dL/dparams)."""
    n = len(runs)
    grads = torch.autograd.grad(loss, [r.gi for r in runs] + [r.out for r in runs] + params, allow_unused=True)
    d_gi = [g if g is not None else torch.zeros_like(r.gi) for g, r in zip(grads[:n], runs)]
    d_out = [g if g is not None else torch.zeros_like(r.out) for g, r in zip(grads[n:2 * n], runs)]
    return d_gi, d_out, list(grads[2 * n:])
