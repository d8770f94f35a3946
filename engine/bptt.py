r"""Backpropagation through time, written out as the lecture notes write it, for one layer of any cell.

The forward pass runs on torch's own fused module (no graph); the quantities the backward pass needs are then
recomputed for all steps at once (gi_t = W_xh x_t + b_ih, gh_t = W_hh h_{t-1} + b_hh, the gates). The backward pass
walks t = T-1 ... 0 carrying the gradient that flows back from step t+1:

.. math::
    \frac{\partial L}{\partial h_t} = \underbrace{\delta_t}_{\text{readout / layer above}}
        + \underbrace{\left(\frac{\partial L}{\partial gh_{t+1}}\right) W_{hh}}_{\text{from step } t+1}
        \;(+\; z_{t+1} \odot \frac{\partial L}{\partial h_{t+1}} \text{ for the GRU})

with, per cell (sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2):

- RNN:  dL/da_t = dL/dh_t * f'(a_t);  dL/dgh_t = dL/dgi_t = dL/da_t
- LSTM: dL/dc_t = dL/dh_t * o_t * tanh'(c_t) + dL/dc_{t+1} * f_{t+1};
        dL/d(i, f, g, o)_pre = (dL/dc_t * g_t * sigma'_i, dL/dc_t * c_{t-1} * sigma'_f, dL/dc_t * i_t * tanh'_g,
        dL/dh_t * tanh(c_t) * sigma'_o)
- GRU:  dL/dn_pre = dL/dh_t (1 - z_t) tanh'(n_t); dL/dz_pre = dL/dh_t (h_{t-1} - n_t) sigma'(z);
        dL/dr_pre = dL/dn_pre * gh_n * sigma'(r); dL/dgh = (dL/dr_pre, dL/dz_pre, r_t * dL/dn_pre)

Every per-step coefficient is computed for all t before the loop, so the loop is one small matrix product and a
few elementwise operations per step. Step t's terms of the weight gradients are (dL/dgh_t)^T h_{t-1} and
(dL/dgi_t)^T x_t. ``cuts`` marks steps whose incoming state is detached (truncated BPTT): nothing flows back across.
Tests check all of it against torch.autograd, torch's modules and finite differences.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import cells

@dataclass
class LayerForward:
    """One layer's forward quantities, all steps (no autograd graph)."""

    x: Tensor  # (T, B, I)
    h_prev: Tensor  # (T, B, H) h_{t-1}, h_{-1} = h0
    out: Tensor  # (T, B, H) h_t
    gi: Tensor  # (T, B, G)
    gh: Tensor  # (T, B, G)
    parts: dict[str, Tensor]  # gates / pre-activations, (T, B, H) each
    cell: Tensor | None  # (T, B, H) c_t (LSTM)
    c_prev: Tensor | None  # (T, B, H) c_{t-1}


@dataclass
class LayerBackward:
    total: Tensor  # (T, B, H) dL/dh_t, every path
    d_cell: Tensor | None  # (T, B, H) dL/dc_t (LSTM)
    d_gi: Tensor  # (T, B, G) dL/dgi_t = dL/d(pre-activation)_t
    d_gh: Tensor  # (T, B, G) dL/dgh_t
    d_h0: Tensor  # (B, H)
    d_c0: Tensor | None  # (B, H)


_FUSED = {"rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu, "gru": torch.gru}


@torch.no_grad()
def forward(cell: str, nl: str, x: Tensor, h0: Tensor, c0: Tensor | None, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
            b_hh: Tensor) -> LayerForward:
    """Fused forward of one layer (the kernels behind nn.RNN / LSTM / GRU), then every step's gates at once."""
    args = ([w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, False)
    if cell == "lstm":
        out = torch.lstm(x, (h0[None], c0[None]), *args)[0]  # (T, B, H)
    else:
        out = _FUSED["gru" if cell == "gru" else f"rnn_{nl}"](x, h0[None], *args)[0]  # (T, B, H)
    h_prev = torch.cat([h0[None], out[:-1]])  # (T, B, H)
    # gi_t = W_xh x_t + b_ih ;  gh_t = W_hh h_{t-1} + b_hh   (all steps at once)
    gi, gh = F.linear(x, w_ih, b_ih), F.linear(h_prev, w_hh, b_hh)  # (T, B, G)
    c = c_prev = None
    if cell == "rnn":
        parts = {"a_pre": gi + gh}
    elif cell == "gru":
        parts = cells.gru_gates(gi, gh)
    else:
        parts = cells.lstm_gates(gi, gh)
        c, c_t = torch.empty_like(out), c0
        ig, f = (parts["i"] * parts["g"]).unbind(0), parts["f"].unbind(0)  # i_t * g_t for all t at once
        for t, c_view in enumerate(c.unbind(0)):
            # c_t = f_t * c_{t-1} + i_t * g_t
            c_t = torch.addcmul(ig[t], f[t], c_t, out=c_view)
        c_prev = torch.cat([c0[None], c[:-1]])
    return LayerForward(x, h_prev, out, gi, gh, parts, c, c_prev)


def _coefficients(cell: str, nl: str, fw: LayerForward):
    """Per-step elementwise factors: dL/dgh_t = [dh_t | dc_t] * coef (per block), and extras per cell."""
    p = fw.parts
    if cell == "rnn":
        a = p["a_pre"]
        # f'(a_t): tanh' = 1 - h_t^2, relu' = [a_t > 0]
        return {"gh": 1 - fw.out ** 2 if nl == "tanh" else (a > 0).to(a.dtype)}
    if cell == "lstm":
        i, f, g, o = p["i"], p["f"], p["g"], p["o"]
        tc = torch.tanh(fw.cell)
        return {"c_from_h": o * (1 - tc * tc),  # dc_t += dh_t * o_t * tanh'(c_t)
                "ifg": torch.stack([g * i * (1 - i), fw.c_prev * f * (1 - f), i * (1 - g * g)], 2),  # (T, B, 3, H)
                "o": tc * o * (1 - o), "f": f}
    r, z, n = p["r"], p["z"], p["n"]
    gh_n = fw.gh.chunk(3, -1)[2]
    dn_pre = (1 - z) * (1 - n * n)  # dL/dn_pre = dh * (1 - z) tanh'(n)
    return {"gh": torch.stack([dn_pre * gh_n * r * (1 - r), (fw.h_prev - n) * z * (1 - z), dn_pre * r], 2),
            "gi_n": dn_pre, "z": z}


@torch.no_grad()
def backward(cell: str, nl: str, fw: LayerForward, direct: Tensor, w_hh: Tensor, cuts: Tensor | None = None,
             d_h_last: Tensor | None = None, d_c_last: Tensor | None = None) -> LayerBackward:
    """BPTT for one layer given the direct gradient dL/dh_t arriving from outside at every step (T, B, H)."""
    steps, batch, hidden = fw.out.shape
    k = _coefficients(cell, nl, fw)
    cut = cuts.tolist() if cuts is not None else [False] * steps  # cut[0] is ignored: h0's gradient is d_h0
    total = torch.empty_like(fw.out)
    d_gh = torch.empty_like(fw.gh)  # (T, B, G)
    d_cell = torch.empty_like(fw.out) if cell == "lstm" else None
    dc_next = d_c_last if d_c_last is not None else torch.zeros_like(fw.out[0])
    # per-step views, made once: indexing a tensor inside the loop costs as much as the arithmetic
    dir_t, tot_t, gh_t = direct.unbind(0), total.unbind(0), d_gh.unbind(0)
    gates_t = d_gh.view(steps, batch, -1, hidden).unbind(0)  # (B, gates, H) each
    k_t = {name: v.unbind(0) for name, v in k.items()}
    cell_t = d_cell.unbind(0) if cell == "lstm" else None
    for t in range(steps - 1, -1, -1):
        if t == steps - 1:  # dL/dh_{T-1}: the direct term plus whatever the caller sends into the final state
            dh = torch.add(dir_t[t], d_h_last, out=tot_t[t]) if d_h_last is not None else tot_t[t].copy_(dir_t[t])
        elif cut[t + 1]:  # truncated BPTT: nothing flows back from step t+1
            dh = tot_t[t].copy_(dir_t[t])
        else:  # dL/dh_t = direct_t + (dL/dgh_{t+1}) W_hh  (+ z_{t+1} * dL/dh_{t+1} for the GRU)
            dh = torch.addmm(dir_t[t], gh_t[t + 1], w_hh, out=tot_t[t])
            if cell == "gru":
                dh.addcmul_(tot_t[t + 1], k_t["z"][t + 1])
        if cell == "rnn":
            torch.mul(dh, k_t["gh"][t], out=gh_t[t])
        elif cell == "lstm":
            if t < steps - 1 and not cut[t + 1]:
                dc_next = dc_next * k_t["f"][t + 1]  # dL/dc_t gets dL/dc_{t+1} * f_{t+1}
            elif t < steps - 1:
                dc_next = torch.zeros_like(dc_next)
            dc = torch.addcmul(dc_next, dh, k_t["c_from_h"][t], out=cell_t[t])  # dL/dc_t
            torch.mul(dc.unsqueeze(1), k_t["ifg"][t], out=gates_t[t][:, :3])
            torch.mul(dh, k_t["o"][t], out=gates_t[t][:, 3])
            dc_next = dc
        else:
            torch.mul(dh.unsqueeze(1), k_t["gh"][t], out=gates_t[t])
    # what reaches the initial state h_{-1} (and c_{-1})
    back = d_gh[0] @ w_hh
    if cell == "gru":
        back = torch.addcmul(back, total[0], k["z"][0])
    d_gi = d_gh
    if cell == "gru":  # gi_n enters n_pre without the factor r
        d_gi = torch.cat([d_gh[..., : 2 * hidden], total * k["gi_n"]], -1)
    d_c0 = dc_next * k["f"][0] if cell == "lstm" else None
    return LayerBackward(total, d_cell, d_gi, d_gh, back, d_c0)


def weight_grads(fw: LayerForward, bw: LayerBackward, weights: bool = True):
    """(dL/dW_xh, dL/dW_hh, dL/db_ih, dL/db_hh): the per-step terms summed over t and the batch
    (the two matrices are None with ``weights=False``)."""
    d_gi, d_gh = bw.d_gi.flatten(0, 1), bw.d_gh.flatten(0, 1)  # (T*B, G)
    if not weights:
        return None, None, d_gi.sum(0), d_gh.sum(0)
    return (d_gi.T @ fw.x.flatten(0, 1), d_gh.T @ fw.h_prev.flatten(0, 1), d_gi.sum(0), d_gh.sum(0))


class Layer(torch.autograd.Function):
    """One recurrent layer as an autograd node: fused forward, the BPTT above as its backward."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell, nl):
        fw = forward(cell, nl, x, h0, c0 if cell == "lstm" else None, w_ih, w_hh, b_ih, b_hh)
        # fw.out is the tensor returned below, whose grad_fn is this ctx: kept as a plain field it would make a
        # reference cycle (ctx -> fw -> out -> grad_fn -> ctx) that only the cyclic collector frees, so every
        # update's activations would stay alive. save_for_backward holds an output without the cycle.
        ctx.fw, ctx.cell, ctx.nl = replace(fw, out=None), cell, nl
        ctx.save_for_backward(w_ih, w_hh, fw.out)
        h_last = fw.out[-1]
        c_last = fw.cell[-1] if cell == "lstm" else torch.zeros_like(h_last)
        return fw.out, h_last, c_last

    @staticmethod
    def backward(ctx, d_out, d_h_last, d_c_last):
        w_ih, w_hh, out = ctx.saved_tensors
        fw, cell = replace(ctx.fw, out=out), ctx.cell
        d_out = d_out if d_out is not None else torch.zeros_like(fw.out)
        bw = backward(cell, ctx.nl, fw, d_out, w_hh, None, d_h_last, d_c_last if cell == "lstm" else None)
        g_ih, g_hh, g_bih, g_bhh = weight_grads(fw, bw)
        d_x = bw.d_gi @ w_ih  # (T, B, I)
        return d_x, bw.d_h0, bw.d_c0, g_ih, g_hh, g_bih, g_bhh, None, None


def run(net: nn.Module, x: Tensor, state=None):
    """Same outputs as ``net(x, state, return_state=True)``, with this module's BPTT as the backward pass."""
    rec = net.recurrent
    inp = net.encode(x)
    batch, hidden = inp.shape[1], rec.hidden_size
    if state is None:
        zeros = inp.new_zeros(rec.num_layers, batch, hidden)
        state = (zeros, zeros) if net.cell == "lstm" else zeros
    h0s, c0s = state if net.cell == "lstm" else (state, state)
    hs, cs = [], []
    for k in range(rec.num_layers):
        w = [getattr(rec, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        inp, h_last, c_last = Layer.apply(inp, h0s[k], c0s[k], *w, net.cell, net.nonlinearity)
        hs.append(h_last)
        cs.append(c_last)
    h_n = torch.stack(hs)
    new_state = (h_n, torch.stack(cs)) if net.cell == "lstm" else h_n
    return net.readout(inp), new_state
