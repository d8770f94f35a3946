r"""Eigenvalues and singular values of W_hh, and Pascanu et al. (2013)'s sufficient condition for vanishing gradients.

For h_t = f(W_xh x_t + W_hh h_{t-1} + b) the one-step Jacobian is dh_t/dh_{t-1} = diag(f'(a_t)) W_hh, so with
|f'| <= gamma,

.. math::
    \left\| \frac{\partial h_t}{\partial h_k} \right\| \le (\gamma\, \sigma_{max}(W_{hh}))^{t-k},

which goes to 0 when sigma_max < 1/gamma: vanishing is then *guaranteed*. When sigma_max > 1/gamma, exploding is
*possible* (necessary, not sufficient). gamma = 1 for tanh and ReLU, 1/4 for the sigmoid gates.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import GATE_ACTIVATION, GATES

GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}
VANISHING = "vanishing guaranteed"
EXPLODING = "exploding possible"


@dataclass(frozen=True)
class BlockSpectrum:
    """Spectrum of one H x H block of W_hh (the whole W_hh for a vanilla RNN)."""

    name: str  # "W_hh" for a vanilla RNN, else the gate: i, f, g, o / r, z, n
    activation: str  # the activation the block feeds: tanh, relu or sigmoid
    eigenvalues: np.ndarray  # (H,) complex, sorted by decreasing modulus
    singular_values: np.ndarray  # (H,) descending
    spectral_radius: float  # max |lambda|
    sigma_max: float  # largest singular value = ||W||_2
    gamma: float  # bound on |f'|
    regime: str  # VANISHING if sigma_max < 1/gamma else EXPLODING


def block_spectrum(w: np.ndarray, name: str, activation: str) -> BlockSpectrum:
    """Spectrum of a square block; non-finite weights give NaN values and the regime 'undefined'."""
    h = w.shape[0]
    if not np.all(np.isfinite(w)):
        nan = np.full(h, np.nan)
        return BlockSpectrum(name, activation, nan.astype(complex), nan, float("nan"), float("nan"),
                             GAMMA[activation], "undefined (non-finite weights)")
    w64 = w.astype(np.float64)
    eig = np.linalg.eigvals(w64)
    eig = eig[np.argsort(-np.abs(eig), kind="stable")]
    sv = np.linalg.svd(w64, compute_uv=False)
    gamma = GAMMA[activation]
    regime = VANISHING if sv[0] < 1.0 / gamma else EXPLODING
    return BlockSpectrum(name, activation, eig, sv, float(np.abs(eig).max()), float(sv[0]), gamma, regime)


def layer_spectrum(weight_hh: np.ndarray, cell: str, nonlinearity: str) -> tuple[BlockSpectrum, ...]:
    """All blocks of one layer's ``weight_hh`` [G*H, H], in torch's gate order."""
    if cell == "rnn":
        return (block_spectrum(weight_hh, "W_hh", nonlinearity),)
    h = weight_hh.shape[1]
    return tuple(block_spectrum(weight_hh[k * h:(k + 1) * h], g, GATE_ACTIVATION[g])
                 for k, g in enumerate(GATES[cell]))


def main_block(cell: str) -> str:
    """The block that plays W_hh's role in the state update: the candidate (g for LSTM, n for GRU)."""
    return {"rnn": "W_hh", "lstm": "g", "gru": "n"}[cell]


def main_spectrum(weight_hh: np.ndarray, cell: str, nonlinearity: str) -> BlockSpectrum:
    """Spectrum of the block of one layer's W_hh that plays W_hh's role (see ``main_block``)."""
    return next(b for b in layer_spectrum(weight_hh, cell, nonlinearity) if b.name == main_block(cell))
