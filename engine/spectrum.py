r"""Eigenvalues and singular values of W_hh, and Pascanu et al. (2013)'s sufficient condition for vanishing gradients.

For h_t = f(W_xh x_t + W_hh h_{t-1} + b) the one-step Jacobian is dh_t/dh_{t-1} = diag(f'(a_t)) W_hh, so with
|f'| <= gamma,

.. math::
    \left\| \frac{\partial h_t}{\partial h_k} \right\| \le (\gamma\, \sigma_{max}(W_{hh}))^{t-k},

which goes to 0 when sigma_max < 1/gamma: vanishing is then *guaranteed*. When sigma_max > 1/gamma, exploding is
*possible* (necessary, not sufficient: saturated tanh units or ReLU units that are off have f' = 0 and can still make
the product fall). At sigma_max = 1/gamma exactly the bound is 1: the norm cannot grow, but need not vanish (an IRNN).
The inequalities are strict, as in the paper. gamma = 1 for tanh and ReLU, 1/4 for the sigmoid.

Gated cells have no such statement from their W_hh blocks: the LSTM's cell state c_t = f_t * c_{t-1} + i_t * g_t has
dc_t/dc_{t-1} = diag(f_t) (with h_{t-1} fixed), and the GRU's h_t = (1 - z_t) * n_t + z_t * h_{t-1} has the term
diag(z_t); neither passes through W_hh, so a gate near 1 carries the gradient whatever sigma_max(W_hh) is, and the
best bound from the weights alone is not below 1. ``regime`` says so instead of claiming a guarantee.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import cells

GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}
VANISHING = "vanishing guaranteed"
BOUNDARY = "bounded by 1"  # sigma_max = 1/gamma exactly: cannot grow, need not vanish
EXPLODING = "exploding possible"
GATED = "no bound from W_hh"  # LSTM / GRU
UNDEFINED = "undefined (non-finite weights)"
BOUNDARY_TOL = 1e-12  # relative: gamma * sigma_max within this of 1 is "at the boundary" (float64 weights)


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
    precision: float = BOUNDARY_TOL  # relative precision of sigma_max given the weights' dtype (rounding of a
    # float32 orthogonal matrix puts its sigma_max about 1e-7 off 1)


def block_spectrum(w: np.ndarray, name: str, activation: str) -> BlockSpectrum:
    """Spectrum of a square block; non-finite weights give NaN values and the regime 'undefined'."""
    h = w.shape[0]
    if not np.all(np.isfinite(w)):
        nan = np.full(h, np.nan)
        return BlockSpectrum(name, activation, nan.astype(complex), nan, float("nan"), float("nan"),
                             GAMMA[activation])
    w64 = w.astype(np.float64)
    eig = np.linalg.eigvals(w64)
    eig = eig[np.argsort(-np.abs(eig), kind="stable")]
    sv = np.linalg.svd(w64, compute_uv=False)
    precision = max(BOUNDARY_TOL, 4 * np.sqrt(h) * float(np.finfo(w.dtype).eps)) if w.dtype.kind == "f" else \
        BOUNDARY_TOL
    return BlockSpectrum(name=name, activation=activation, eigenvalues=eig, singular_values=sv,
                         spectral_radius=float(np.abs(eig).max()), sigma_max=float(sv[0]), gamma=GAMMA[activation],
                         precision=precision)


def layer_spectrum(weight_hh: np.ndarray, cell: str, nonlinearity: str) -> tuple[BlockSpectrum, ...]:
    """All blocks of one layer's ``weight_hh`` [G*H, H], in torch's gate order (the whole W_hh for a vanilla RNN)."""
    kind, h = cells.get(cell), weight_hh.shape[1]
    return tuple(block_spectrum(weight_hh[k * h:(k + 1) * h], name, kind.block_activation(name, nonlinearity))
                 for k, name in enumerate(kind.block_names()))


def main_block(cell: str) -> str:
    """The block that plays W_hh's role in the state update: the candidate (g for LSTM, n for GRU)."""
    return cells.get(cell).main_block


def main_spectrum(weight_hh: np.ndarray, cell: str, nonlinearity: str) -> BlockSpectrum:
    """Spectrum of the block of one layer's W_hh that plays W_hh's role (see ``main_block``)."""
    return next(b for b in layer_spectrum(weight_hh, cell, nonlinearity) if b.name == main_block(cell))


@dataclass(frozen=True)
class Regime:
    """What the weights alone say about ||dh_t/dh_k|| for one layer: Pascanu et al.'s statement for a vanilla RNN,
    and for a gated cell that no such statement holds."""

    kind: str  # VANISHING | BOUNDARY | EXPLODING | GATED | UNDEFINED
    cell: str
    sigma_max: float  # of W_hh (RNN) or of the candidate block (LSTM g, GRU n)
    gamma: float
    deviation: float = 0.0  # BOUNDARY: |gamma sigma_max - 1|, within the weights' precision (0 when exact)

    @property
    def bound_rate(self) -> float | None:
        """r such that ||dh_t/dh_k||_2 <= r^(t-k) for every t >= k (vanilla RNN only), else None."""
        return self.gamma * self.sigma_max if self.kind in (VANISHING, BOUNDARY, EXPLODING) else None

    @property
    def guaranteed(self) -> bool:
        """Whether the statement is a guarantee (vanishing, or not growing at the boundary)."""
        return self.kind in (VANISHING, BOUNDARY)


def regime(cell: str, block: BlockSpectrum) -> Regime:
    """The regime of one layer from its main block (``main_spectrum``): strict inequalities as in the paper."""
    if not np.isfinite(block.sigma_max):
        return Regime(UNDEFINED, cell, block.sigma_max, block.gamma)
    if not cells.get(cell).weight_bound:
        return Regime(GATED, cell, block.sigma_max, block.gamma)
    rate = block.gamma * block.sigma_max
    if abs(rate - 1.0) <= block.precision:  # 1 up to the rounding of the weights (a unitary W_hh in float32)
        return Regime(BOUNDARY, cell, block.sigma_max, block.gamma, abs(rate - 1.0))
    return Regime(VANISHING if rate < 1.0 else EXPLODING, cell, block.sigma_max, block.gamma)


def decay_ratio(norms: np.ndarray) -> float:
    """||dh_T/dh_1|| / ||dh_T/dh_{T-1}|| from one row of the Jacobian map (norms[k] = ||dh_T/dh_k||, k = 0..T-1):
    how much weaker the first step's influence on the last state is than the step before the last's. NaN if T < 3
    or the lag-1 norm is 0."""
    norms = np.asarray(norms, dtype=float)
    if len(norms) < 3 or not norms[-2] > 0:
        return float("nan")
    return float(norms[0] / norms[-2])
