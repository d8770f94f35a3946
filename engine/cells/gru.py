r"""The GRU, torch.nn.GRU (gate order r, z, n; torch's convention: r multiplies W_hn h_{t-1} + b_hn, and the notes'
update gate z is torch's 1 - z):

.. math::
    r_t, z_t = \sigma(\cdot), \quad n_t = \tanh(W_{xn} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})), \quad
    h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}.

Backward: dL/dn_pre = dL/dh_t (1 - z_t) tanh'(n_t); dL/dz_pre = dL/dh_t (h_{t-1} - n_t) sigma'(z);
dL/dr_pre = dL/dn_pre * gh_n * sigma'(r); dL/dgh = (dL/dr_pre, dL/dz_pre, r_t * dL/dn_pre), dL/dgi_n = dL/dn_pre;
and h_{t-1} also reaches h_t through z_t * h_{t-1}, a path that avoids W_hh: no bound from the weights alone.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from engine.cells.base import ONE_LAYER, Cell, LayerForward


def gate_values(gi: Tensor, gh: Tensor) -> dict[str, Tensor]:
    """Gates r, z, n and their pre-activations; any leading dims."""
    gi_r, gi_z, gi_n = gi.chunk(3, dim=-1)  # 3 x (B, H)
    gh_r, gh_z, gh_n = gh.chunk(3, dim=-1)  # 3 x (B, H)
    r_pre, z_pre = gi_r + gh_r, gi_z + gh_z
    # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr),  z_t likewise
    r, z = torch.sigmoid(r_pre), torch.sigmoid(z_pre)
    # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    n_pre = gi_n + r * gh_n
    n = torch.tanh(n_pre)
    return {"r": r, "z": z, "n": n, "r_pre": r_pre, "z_pre": z_pre, "n_pre": n_pre}


class GRU(Cell):
    kind = "gru"
    gates = ("r", "z", "n")
    activations = {"r": "sigmoid", "z": "sigmoid", "n": "tanh"}
    main_block = "n"
    torch_module = nn.GRU
    equation = (r"\begin{aligned} r_t &= \sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r) & z_t &= \sigma(W_{xz} x_t"
                r" + W_{hz} h_{t-1} + b_z) \\ n_t &= \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))"
                r" & h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1} \end{aligned}")
    bypass = r"\partial h_t/\partial h_{t-1} \ni \mathrm{diag}(z_t)"
    recurrence_gate = {"n": "r"}

    def update_tex(self, t, j, v, num):
        # h_t = (1 - z) n + z h_{t-1}
        return [rf"h_{{{t}}}[{j}] = (1 - z)\,n + z\,h_{{{t - 1}}} = (1 - {num(v['z'])})({num(v['n'])}) + "
                rf"({num(v['z'])})({num(v['h_prev'])}) = {num(v['h'])}"]

    def parts(self, gi, gh, h_prev, nl):
        return gate_values(gi, gh)

    def update(self, parts, h_prev, c_prev, nl):
        return (1 - parts["z"]) * parts["n"] + parts["z"] * h_prev, None

    @torch.no_grad()
    def layer(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, nl) -> LayerForward:
        """torch's fused kernel (the one behind nn.GRU), then every step's gates at once."""
        out = torch.gru(x, h0[None], [w_ih, w_hh, b_ih, b_hh], **ONE_LAYER)[0]  # (T, B, H)
        h_prev = torch.cat([h0[None], out[:-1]])
        gi, gh = nn.functional.linear(x, w_ih, b_ih), nn.functional.linear(h_prev, w_hh, b_hh)  # (T, B, 3H)
        return LayerForward(x=x, h_prev=h_prev, out=out, gi=gi, gh=gh, parts=gate_values(gi, gh), cell=None,
                            c_prev=None)

    def coefficients(self, fw, nl):
        r, z, n = (fw.parts[g] for g in self.gates)
        gh_n = fw.gh.chunk(3, -1)[2]
        dn_pre = (1 - z) * (1 - n * n)  # dL/dn_pre = dh * (1 - z) tanh'(n)
        return {"gh": torch.stack([dn_pre * gh_n * r * (1 - r), (fw.h_prev - n) * z * (1 - z), dn_pre * r], 2),
                "gi_n": dn_pre, "z": z}

    def backward_step(self, t, dh, k, carry, d_gh, d_cell):
        torch.mul(dh.unsqueeze(1), k["gh"][t], out=d_gh.view(dh.shape[0], 3, dh.shape[1]))

    def skip(self, dh, dh_next, k, t_next):
        dh.addcmul_(dh_next, k["z"][t_next])  # h_t = ... + z_t * h_{t-1}

    def input_grad(self, d_gh, total, k):
        hidden = total.shape[-1]
        return torch.cat([d_gh[..., : 2 * hidden], total * k["gi_n"]], -1)  # gi_n enters n_pre without r


CELL = GRU()
