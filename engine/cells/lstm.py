r"""The LSTM, torch.nn.LSTM (gate order i, f, g, o in the stacked weights):

.. math::
    i_t, f_t, o_t = \sigma(\cdot), \quad g_t = \tanh(W_{xg} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}), \quad
    c_t = f_t \odot c_{t-1} + i_t \odot g_t, \quad h_t = o_t \odot \tanh(c_t).

Backward (the state is (h_t, c_t)): dL/dc_t = dL/dh_t * o_t * tanh'(c_t) + dL/dc_{t+1} * f_{t+1};
dL/d(i, f, g, o)_pre = (dL/dc_t * g_t * sigma'_i, dL/dc_t * c_{t-1} * sigma'_f, dL/dc_t * i_t * tanh'_g,
dL/dh_t * tanh(c_t) * sigma'_o). The cell-state path dc_t/dc_{t-1} = diag(f_t) avoids W_hh: no bound from the
weights alone.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from engine.cells.base import ONE_LAYER, Cell, LayerForward


def gate_values(gi: Tensor, gh: Tensor) -> dict[str, Tensor]:
    """The four gates (torch's order i, f, g, o) and their pre-activations; any leading dims (T, B, ...)."""
    i_pre, f_pre, g_pre, o_pre = (gi + gh).chunk(4, dim=-1)  # 4 x (..., H)
    # i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi), likewise f_t, o_t; g_t uses tanh
    i, f, g, o = torch.sigmoid(i_pre), torch.sigmoid(f_pre), torch.tanh(g_pre), torch.sigmoid(o_pre)
    return {"i": i, "f": f, "g": g, "o": o, "i_pre": i_pre, "f_pre": f_pre, "g_pre": g_pre, "o_pre": o_pre}


class LSTM(Cell):
    kind = "lstm"
    gates = ("i", "f", "g", "o")
    activations = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid"}
    main_block = "g"
    has_cell_state = True
    torch_module = nn.LSTM
    equation = (r"\begin{aligned} i_t &= \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i) & f_t &= \sigma(W_{xf} x_t"
                r" + W_{hf} h_{t-1} + b_f) \\ g_t &= \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g) & o_t &= \sigma(W_{xo}"
                r" x_t + W_{ho} h_{t-1} + b_o) \\ c_t &= f_t \odot c_{t-1} + i_t \odot g_t & h_t &= o_t \odot"
                r" \tanh(c_t) \end{aligned}")
    bypass = r"\partial c_t/\partial c_{t-1} = \mathrm{diag}(f_t)"
    carousel = "f"

    def update_tex(self, t, j, v, num):
        # c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
        return [rf"c_{{{t}}}[{j}] = f\,c_{{{t - 1}}} + i\,g = ({num(v['f'])})({num(v['c_prev'])}) + "
                rf"({num(v['i'])})({num(v['g'])}) = {num(v['c'])}",
                rf"h_{{{t}}}[{j}] = o \tanh(c_{{{t}}}) = ({num(v['o'])})\tanh({num(v['c'])}) = {num(v['h'])}"]

    def later_cell_grad(self, dh, dc, gates, c):
        # dL/dc_t = (from h_t: dL/dh_t o_t tanh'(c_t)) + (from step t+1: dL/dc_{t+1} f_{t+1})
        return dc - gates["o"] * (1 - np.tanh(c) ** 2) * dh

    def parts(self, gi, gh, h_prev, nl):
        return gate_values(gi, gh)

    def update(self, parts, h_prev, c_prev, nl):
        # c_t = f_t * c_{t-1} + i_t * g_t
        c = parts["f"] * c_prev + parts["i"] * parts["g"]  # (B, H)
        # h_t = o_t * tanh(c_t)
        return parts["o"] * torch.tanh(c), c

    @torch.no_grad()
    def layer(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, nl) -> LayerForward:
        """torch's fused kernel (the one behind nn.LSTM), then every step's gates at once and the cell states."""
        out = torch.lstm(x, (h0[None], c0[None]), [w_ih, w_hh, b_ih, b_hh], **ONE_LAYER)[0]
        h_prev = torch.cat([h0[None], out[:-1]])  # (T, B, H)
        gi, gh = nn.functional.linear(x, w_ih, b_ih), nn.functional.linear(h_prev, w_hh, b_hh)  # (T, B, 4H)
        p = gate_values(gi, gh)
        c, c_t = torch.empty_like(out), c0
        ig, f = (p["i"] * p["g"]).unbind(0), p["f"].unbind(0)  # i_t * g_t for all t at once
        for t, c_view in enumerate(c.unbind(0)):
            # c_t = f_t * c_{t-1} + i_t * g_t
            c_t = torch.addcmul(ig[t], f[t], c_t, out=c_view)
        return LayerForward(x=x, h_prev=h_prev, out=out, gi=gi, gh=gh, parts=p, cell=c,
                            c_prev=torch.cat([c0[None], c[:-1]]))

    def coefficients(self, fw, nl):
        i, f, g, o = (fw.parts[n] for n in self.gates)
        tc = torch.tanh(fw.cell)
        return {"c_from_h": o * (1 - tc * tc),  # dc_t += dh_t * o_t * tanh'(c_t)
                "ifg": torch.stack([g * i * (1 - i), fw.c_prev * f * (1 - f), i * (1 - g * g)], 2),  # (T, B, 3, H)
                "o": tc * o * (1 - o), "f": f}

    def backward_step(self, t, dh, k, carry, d_gh, d_cell):
        gates_t = d_gh.view(dh.shape[0], 4, dh.shape[1])  # (B, 4, H)
        dc = torch.addcmul(carry, dh, k["c_from_h"][t], out=d_cell)  # dL/dc_t
        torch.mul(dc.unsqueeze(1), k["ifg"][t], out=gates_t[:, :3])
        torch.mul(dh, k["o"][t], out=gates_t[:, 3])
        return dc

    def carry_back(self, carry, k, t):
        return carry * k["f"][t]  # dL/dc_{t-1} gets dL/dc_t * f_t

    def final_carry(self, d_c_last, like):
        return d_c_last if d_c_last is not None else torch.zeros_like(like)


CELL = LSTM()
