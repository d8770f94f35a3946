r"""The vanilla (Elman) RNN, torch.nn.RNN: h_t = f(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh), f = tanh or ReLU.

Backward: dL/da_t = dL/dh_t * f'(a_t) with tanh' = 1 - h_t^2 and ReLU' = [a_t > 0]; dL/dgh_t = dL/dgi_t = dL/da_t.
The one-step Jacobian is diag(f'(a_t)) W_hh, so |f'| <= gamma gives Pascanu et al.'s bound
||dh_t/dh_k|| <= (gamma sigma_max(W_hh))^(t-k) from the weights alone (``weight_bound``).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from engine.cells.base import ONE_LAYER, Cell, LayerForward

_FUSED = {"tanh": torch.rnn_tanh, "relu": torch.rnn_relu}


class RNN(Cell):
    kind = "rnn"
    nonlinearities = ("tanh", "relu")
    torch_module = nn.RNN
    weight_bound = True
    equation = r"h_t = f\!\left(W_{xh}\, x_t + W_{hh}\, h_{t-1} + b_h\right)"

    def block_symbol(self, block: str) -> str:
        return "a"  # a_t, the pre-activation whose f is h_t

    def weight_symbols(self, block: str) -> tuple[str, str, str, str]:
        return "W_{xh}", "W_{hh}", "b_{ih}", "b_{hh}"

    def update_tex(self, t, j, v, num):
        return []  # h_t = f(a_t) is written on a_t's own line

    def tex(self, nonlinearity: str) -> str:
        return self.equation.replace("f", r"\tanh" if nonlinearity == "tanh" else r"\operatorname{ReLU}", 1)

    def parts(self, gi: Tensor, gh: Tensor, h_prev: Tensor, nl: str) -> dict[str, Tensor]:
        # a_t = W_xh x_t + b_ih + W_hh h_{t-1} + b_hh
        return {"a_pre": gi + gh}

    def update(self, parts, h_prev, c_prev, nl):
        a = parts["a_pre"]
        # h_t = tanh(a_t)  or  relu(a_t)
        return (torch.tanh(a) if nl == "tanh" else torch.relu(a)), None

    @torch.no_grad()
    def layer(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, nl) -> LayerForward:
        """torch's fused kernel (the one behind nn.RNN), then every step's pre-activation at once."""
        out = _FUSED[nl](x, h0[None], [w_ih, w_hh, b_ih, b_hh], **ONE_LAYER)[0]  # (T, B, H)
        h_prev = torch.cat([h0[None], out[:-1]])
        gi, gh = nn.functional.linear(x, w_ih, b_ih), nn.functional.linear(h_prev, w_hh, b_hh)  # (T, B, H)
        return LayerForward(x=x, h_prev=h_prev, out=out, gi=gi, gh=gh, parts={"a_pre": gi + gh}, cell=None,
                            c_prev=None)

    def coefficients(self, fw, nl):
        a = fw.parts["a_pre"]
        # f'(a_t): tanh' = 1 - h_t^2, relu' = [a_t > 0]
        return {"gh": 1 - fw.out ** 2 if nl == "tanh" else (a > 0).to(a.dtype)}

    def backward_step(self, t, dh, k, carry, d_gh, d_cell):
        # dL/da_t = dL/dh_t * f'(a_t)
        torch.mul(dh, k["gh"][t], out=d_gh)

    def derivative_activation(self, name, nl):
        return nl

    def derivatives(self, parts, c, nl):
        a = parts["a_pre"]
        return {"a": 1 - torch.tanh(a) ** 2 if nl == "tanh" else (a > 0).to(a.dtype)}


CELL = RNN()
