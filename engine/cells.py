r"""One time step of each recurrent cell, exactly as torch.nn.RNN / LSTM / GRU compute it.

Notation: the lecture notes' W_xh is torch's ``weight_ih_l{k}``, W_hh is ``weight_hh_l{k}``; torch keeps two biases,
``bias_ih`` and ``bias_hh``, whose sum is the notes' b. Every step function takes the two affine parts already formed,

.. math::
    gi_t = W_{xh} x_t + b_{ih} \qquad gh_t = W_{hh} h_{t-1} + b_{hh},

so the recording can keep ``gh_t`` (whose gradient gives step t's term in dL/dW_hh) and the input projection can be
done for all steps in one matrix product. Gate names (i, f, g, o, r, z, n) mean post-activation values; the
pre-activations are ``*_pre``. Gate order inside the stacked weights is torch's: i, f, g, o and r, z, n.
"""
from __future__ import annotations

import torch
from torch import Tensor

GATES = {"rnn": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
GATE_MULTIPLIER = {"rnn": 1, "lstm": 4, "gru": 3}
# Pascanu et al. 2013: gamma bounds |f'| of the activation that feeds each W_hh block.
GATE_ACTIVATION = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid", "r": "sigmoid", "z": "sigmoid",
                   "n": "tanh"}


def rnn_step(gi: Tensor, gh: Tensor, nonlinearity: str) -> tuple[Tensor, dict[str, Tensor]]:
    """Vanilla RNN: h_t = f(W_xh x_t + W_hh h_{t-1} + b), f = tanh or relu."""
    # a_t = W_xh x_t + b_ih + W_hh h_{t-1} + b_hh
    a = gi + gh  # (B, H)
    # h_t = tanh(a_t)  or  relu(a_t)
    h = torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)  # (B, H)
    return h, {"a_pre": a}


def lstm_gates(gi: Tensor, gh: Tensor) -> dict[str, Tensor]:
    """The four LSTM gates (torch's order i, f, g, o) and their pre-activations; any leading dims (T, B, ...)."""
    i_pre, f_pre, g_pre, o_pre = (gi + gh).chunk(4, dim=-1)  # 4 x (..., H)
    # i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi), likewise f_t, o_t; g_t uses tanh
    i, f, g, o = torch.sigmoid(i_pre), torch.sigmoid(f_pre), torch.tanh(g_pre), torch.sigmoid(o_pre)
    return {"i": i, "f": f, "g": g, "o": o, "i_pre": i_pre, "f_pre": f_pre, "g_pre": g_pre, "o_pre": o_pre}


def lstm_step(gi: Tensor, gh: Tensor, c_prev: Tensor) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """LSTM; returns h_t, c_t and the gates with their pre-activations."""
    p = lstm_gates(gi, gh)
    # c_t = f_t * c_{t-1} + i_t * g_t
    c = p["f"] * c_prev + p["i"] * p["g"]  # (B, H)
    # h_t = o_t * tanh(c_t)
    h = p["o"] * torch.tanh(c)  # (B, H)
    return h, c, p


def gru_gates(gi: Tensor, gh: Tensor) -> dict[str, Tensor]:
    """GRU gates r, z, n (torch's convention: r multiplies (W_hn h + b_hn)); any leading dims."""
    gi_r, gi_z, gi_n = gi.chunk(3, dim=-1)  # 3 x (B, H)
    gh_r, gh_z, gh_n = gh.chunk(3, dim=-1)  # 3 x (B, H)
    r_pre, z_pre = gi_r + gh_r, gi_z + gh_z
    # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr),  z_t likewise
    r, z = torch.sigmoid(r_pre), torch.sigmoid(z_pre)
    # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    n_pre = gi_n + r * gh_n
    n = torch.tanh(n_pre)
    return {"r": r, "z": z, "n": n, "r_pre": r_pre, "z_pre": z_pre, "n_pre": n_pre}


def gru_step(gi: Tensor, gh: Tensor, h_prev: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """GRU step: h_t = (1 - z_t) * n_t + z_t * h_{t-1} (the notes' z is torch's 1 - z)."""
    p = gru_gates(gi, gh)
    h = (1 - p["z"]) * p["n"] + p["z"] * h_prev  # (B, H)
    return h, p


def step(cell: str, nonlinearity: str, gi: Tensor, gh: Tensor, h_prev: Tensor, c_prev: Tensor | None):
    """Dispatch one step: returns (h_t, c_t or None, gates-and-pre-activations dict)."""
    if cell == "rnn":
        h, parts = rnn_step(gi, gh, nonlinearity)
        return h, None, parts
    if cell == "lstm":
        return lstm_step(gi, gh, c_prev)
    h, parts = gru_step(gi, gh, h_prev)
    return h, None, parts


def activation_derivatives(cell: str, nonlinearity: str, parts: dict[str, Tensor],
                           c: Tensor | None) -> dict[str, Tensor]:
    """The local derivatives f'(a_t) whose product makes gradients vanish: tanh' in (0, 1], sigmoid' <= 1/4."""
    if cell == "rnn":
        a = parts["a_pre"]
        d = 1 - torch.tanh(a) ** 2 if nonlinearity == "tanh" else (a > 0).to(a.dtype)
        return {"a": d}
    out = {}
    for name in GATES[cell]:
        y = parts[name]
        # sigma'(a) = sigma (1 - sigma);  tanh'(a) = 1 - tanh^2
        out[name] = y * (1 - y) if GATE_ACTIVATION[name] == "sigmoid" else 1 - y * y
    if c is not None:
        out["c"] = 1 - torch.tanh(c) ** 2
    return out
