r"""Backpropagation through time, written out as the lecture notes write it, for one layer of any cell kind.

The forward pass runs on torch's own fused module (no graph); the quantities the backward pass needs are then
recomputed for all steps at once (gi_t = W_xh x_t + b_ih, gh_t = W_hh h_{t-1} + b_hh, the gates). The backward pass
walks t = T-1 ... 0 carrying the gradient that flows back from step t+1:

.. math::
    \frac{\partial L}{\partial h_t} = \underbrace{\delta_t}_{\text{readout / layer above}}
        + \underbrace{\left(\frac{\partial L}{\partial gh_{t+1}}\right) W_{hh}}_{\text{from step } t+1}
        \;(+\; z_{t+1} \odot \frac{\partial L}{\partial h_{t+1}} \text{ for the GRU})

and each cell kind's own step backward beside its forward (engine/cells/: the RNN's dL/da_t = dL/dh_t * f'(a_t),
the LSTM's cell-state path, the GRU's z_{t+1} dL/dh_{t+1} skip; sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2).

Every per-step coefficient is computed for all t before the loop, so the loop is one small matrix product and a
few elementwise operations per step. Step t's terms of the weight gradients are (dL/dgh_t)^T h_{t-1} and
(dL/dgi_t)^T x_t. ``cuts`` marks steps whose incoming state is detached (truncated BPTT): nothing flows back across.
Tests check all of it against torch.autograd, torch's modules and finite differences.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from engine import cells
from engine.cells import DIRECTIONS, LayerForward, WEIGHTS, Cell


@dataclass
class LayerBackward:
    total: Tensor  # (T, B, H) dL/dh_t, every path
    d_cell: Tensor | None  # (T, B, H) dL/dc_t (LSTM)
    d_gi: Tensor  # (T, B, G) dL/dgi_t = dL/d(pre-activation)_t
    d_gh: Tensor  # (T, B, G) dL/dgh_t
    d_h0: Tensor  # (B, H)
    d_c0: Tensor | None  # (B, H)


@torch.no_grad()
def forward(cell: str, nl: str, x: Tensor, h0: Tensor, c0: Tensor | None, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
            b_hh: Tensor) -> LayerForward:
    """Every step of one layer (torch's fused kernels for its own cells), then every step's gates at once."""
    kind = cells.get(cell)
    return kind.layer(x, h0, c0 if kind.has_cell_state else None, w_ih, w_hh, b_ih, b_hh, nl)


@torch.no_grad()
def backward(cell: str, nl: str, fw: LayerForward, direct: Tensor, w_hh: Tensor, cuts: Tensor | None = None,
             d_h_last: Tensor | None = None, d_c_last: Tensor | None = None) -> LayerBackward:
    """BPTT for one layer given the direct gradient dL/dh_t arriving from outside at every step (T, B, H)."""
    kind = cells.get(cell)
    steps = fw.out.shape[0]
    k = kind.coefficients(fw, nl)
    cut = cuts.tolist() if cuts is not None else [False] * steps  # cut[0] is ignored: h0's gradient is d_h0
    total = torch.empty_like(fw.out)
    d_gh = torch.empty_like(fw.gh)  # (T, B, G)
    d_cell = torch.empty_like(fw.out) if kind.has_cell_state else None
    # per-step views, made once: indexing a tensor inside the loop costs as much as the arithmetic
    dir_t, tot_t, gh_t = direct.unbind(0), total.unbind(0), d_gh.unbind(0)
    k_t = {name: v.unbind(0) for name, v in k.items()}
    cell_t = d_cell.unbind(0) if d_cell is not None else [None] * steps
    carry = kind.final_carry(d_c_last, fw.out[0])
    for t in range(steps - 1, -1, -1):
        if t == steps - 1:  # dL/dh_{T-1}: the direct term plus whatever the caller sends into the final state
            dh = torch.add(dir_t[t], d_h_last, out=tot_t[t]) if d_h_last is not None else tot_t[t].copy_(dir_t[t])
        elif cut[t + 1]:  # truncated BPTT: nothing flows back from step t+1
            dh = tot_t[t].copy_(dir_t[t])
            carry = kind.final_carry(None, dh)
        else:  # dL/dh_t = direct_t + (dL/dgh_{t+1}) W_hh  (+ what skips W_hh, e.g. the GRU's z_{t+1} dL/dh_{t+1})
            dh = torch.addmm(dir_t[t], gh_t[t + 1], w_hh, out=tot_t[t])
            kind.skip(dh, tot_t[t + 1], k_t, t + 1)
            carry = kind.carry_back(carry, k_t, t + 1)
        carry = kind.backward_step(t, dh, k_t, carry, gh_t[t], cell_t[t])
    # what reaches the initial state h_{-1} (and c_{-1})
    back = d_gh[0] @ w_hh
    kind.skip(back, total[0], k_t, 0)
    return LayerBackward(total, d_cell, kind.input_grad(d_gh, total, k), d_gh, back, kind.carry_back(carry, k_t, 0))


def weight_grads(fw: LayerForward, bw: LayerBackward, weights: bool = True):
    """(dL/dW_xh, dL/dW_hh, dL/db_ih, dL/db_hh): the per-step terms summed over t and the batch
    (the two matrices are None with ``weights=False``)."""
    d_gi, d_gh = bw.d_gi.flatten(0, 1), bw.d_gh.flatten(0, 1)  # (T*B, G)
    if not weights:
        return None, None, d_gi.sum(0), d_gh.sum(0)
    return (d_gi.T @ fw.x.flatten(0, 1), d_gh.T @ fw.h_prev.flatten(0, 1), d_gi.sum(0), d_gh.sum(0))


class Layer(torch.autograd.Function):
    """One recurrent layer as an autograd node: the cell's forward, the BPTT above as its backward."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell, nl):
        fw = forward(cell, nl, x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        # fw.out is the tensor returned below, whose grad_fn is this ctx: kept as a plain field it would make a
        # reference cycle (ctx -> fw -> out -> grad_fn -> ctx) that only the cyclic collector frees, so every
        # update's activations would stay alive. save_for_backward holds an output without the cycle.
        ctx.fw, ctx.cell, ctx.nl = replace(fw, out=None), cell, nl
        ctx.save_for_backward(w_ih, w_hh, fw.out)
        h_last = fw.out[-1]
        c_last = fw.cell[-1] if fw.cell is not None else torch.zeros_like(h_last)
        return fw.out, h_last, c_last

    @staticmethod
    def backward(ctx, d_out, d_h_last, d_c_last):
        w_ih, w_hh, out = ctx.saved_tensors
        fw, cell = replace(ctx.fw, out=out), ctx.cell
        d_out = d_out if d_out is not None else torch.zeros_like(fw.out)
        bw = backward(cell, ctx.nl, fw, d_out, w_hh, None, d_h_last, d_c_last if fw.cell is not None else None)
        g_ih, g_hh, g_bih, g_bhh = weight_grads(fw, bw)
        d_x = bw.d_gi @ w_ih  # (T, B, I)
        return d_x, bw.d_h0, bw.d_c0, g_ih, g_hh, g_bih, g_bhh, None, None


def core(rec: nn.Module, cell: str | cells.Cell, nl: str, inp: Tensor, state=None, *, residual: bool = False):
    """The recurrent core ``rec`` (torch's module or a CellStack: parameters weight_ih_l{k}[_reverse] ...) on inputs
    [T, B, I] with this module's BPTT as the backward pass: (top layer's output [T, B, D*H], final state as torch
    returns it: [L*D, B, H], layer-major). A bidirectional layer runs its reverse direction on the inputs flipped in
    time and flips its outputs back; ``residual``: layers from the second on pass up h_t + their input."""
    kind = cell if isinstance(cell, cells.Cell) else cells.get(cell)
    directions = cells.DIRECTIONS[: 2 if getattr(rec, "bidirectional", False) else 1]
    batch, hidden = inp.shape[1], rec.hidden_size
    if state is None:
        zeros = inp.new_zeros(rec.num_layers * len(directions), batch, hidden)
        state = (zeros, zeros) if kind.has_cell_state else zeros
    h0s, c0s = state if kind.has_cell_state else (state, state)
    hs, cs = [], []
    for k in range(rec.num_layers):
        outs = []
        for d, suffix in enumerate(directions):
            w = [getattr(rec, f"{n}_l{k}{suffix}") for n in WEIGHTS]
            i = k * len(directions) + d
            out, h_last, c_last = Layer.apply(inp if d == 0 else inp.flip(0), h0s[i], c0s[i], *w, kind.kind, nl)
            outs.append(out if d == 0 else out.flip(0))
            hs.append(h_last)
            cs.append(c_last)
        out = outs[0] if len(outs) == 1 else torch.cat(outs, -1)  # (T, B, D*H)
        inp = out + inp if residual and k > 0 else out
    h_n = torch.stack(hs)
    return inp, ((h_n, torch.stack(cs)) if kind.has_cell_state else h_n)


def run(net: nn.Module, x: Tensor, state=None):
    """Same outputs as ``net(x, state, return_state=True)``, with this module's BPTT as the backward pass."""
    out, new_state = core(net.recurrent, net.cell, net.nonlinearity, net.encode(x), state,
                          residual=getattr(net, "residual", False))
    return net.readout(out), new_state


class CellStack(nn.Module):
    """The recurrent core of a cell kind torch has no module for: torch's parameter names and shapes
    (``weight_ih_l{k}`` ...), initialised as torch initialises its own (U(-1/sqrt(H), 1/sqrt(H))), running the
    cell's step and its hand-derived backward (``core``, beside it)."""

    def __init__(self, cell: Cell, input_size: int, hidden_size: int, num_layers: int, nonlinearity: str,
                 bidirectional: bool = False):
        super().__init__()
        self.cell, self.nonlinearity, self.bidirectional = cell, nonlinearity, bidirectional
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        bound, directions = hidden_size ** -0.5, DIRECTIONS[: 2 if bidirectional else 1]
        for k in range(num_layers):
            shapes = cell.param_shapes(input_size if k == 0 else hidden_size * len(directions), hidden_size)
            for suffix in directions:
                for name, shape in shapes.items():
                    param = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
                    self.register_parameter(f"{name}_l{k}{suffix}", param)

    def forward(self, x: Tensor, state=None):
        return core(self, self.cell, self.nonlinearity, x, state)  # residual nets call core themselves
