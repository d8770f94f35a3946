r"""Initialisation schemes for W_hh (each H x H gate block of ``weight_hh_l{k}``) and rescaling to a spectral radius.

- ``default``: torch's own, U(-1/sqrt(H), 1/sqrt(H)).
- ``orthogonal``: W_hh orthogonal, all singular values 1 (Saxe et al. 2014).
- ``identity``: IRNN (Le et al. 2015): W_hh = I, biases 0; with ReLU, h_t = h_{t-1} + W_xh x_t until inputs push.
- ``np_rnn``: Talathi & Vartak 2015: R = A^T A / H with A ~ N(0, 1), W_hh = (R + I) / lambda_max(R + I), positive
  definite with largest eigenvalue exactly 1 and the others below it.
- ``unitary``: uRNN (Arjovsky et al. 2016; its real counterpart): W_hh orthogonal, as ``orthogonal``, and kept
  orthogonal during training by the model's parametrisation (RecurrentNet(unitary=True)): every |lambda| = 1.
- ``scale_spectral_radius(rho)``: W_hh <- rho * W_hh / max|lambda(W_hh)|, applicable after any of them except a
  parametrised (unitary) W_hh, whose radius is 1.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from engine.errors import ArchitectureError, ConfigError

INITS = ("default", "orthogonal", "identity", "np_rnn", "unitary")
MAX_RHO = 100.0


def hh_blocks(rnn: nn.RNNBase) -> list[tuple[str, Tensor]]:
    """Every layer's (and direction's) W_hh as (name, [G*H, H] tensor); blocks are rows [k*H:(k+1)*H]."""
    suffixes = ("", "_reverse") if getattr(rnn, "bidirectional", False) else ("",)
    return [(f"l{k}{s}", getattr(rnn, f"weight_hh_l{k}{s}")) for k in range(rnn.num_layers) for s in suffixes]


def _np_rnn_block(h: int, generator: torch.Generator, dtype) -> Tensor:
    a = torch.randn(h, h, generator=generator, dtype=torch.float64)
    # R = A^T A / H is positive semi-definite; adding I and dividing by the top eigenvalue gives lambda_max = 1
    r = a.T @ a / h + torch.eye(h, dtype=torch.float64)
    return (r / torch.linalg.eigvalsh(r)[-1]).to(dtype)


@torch.no_grad()
def init_recurrent(rnn: nn.RNNBase, scheme: str, generator: torch.Generator | None = None) -> None:
    """Apply ``scheme`` to every H x H block of every layer's W_hh, in place."""
    if scheme not in INITS:
        raise ConfigError(f"init must be one of {INITS}, got {scheme!r}")
    if scheme == "default":
        return
    h = rnn.hidden_size
    gen = generator or torch.Generator().manual_seed(0)
    for name, w in hh_blocks(rnn):
        if parametrize.is_parametrized(rnn, f"weight_hh_{name}"):  # set through the parametrisation
            if scheme not in ("orthogonal", "unitary"):
                raise ConfigError(f"a unitary W_hh cannot take the {scheme!r} initialisation")
            q = nn.init.orthogonal_(torch.empty(h, h, dtype=torch.float64), generator=gen).to(w.dtype)
            setattr(rnn, f"weight_hh_{name}", q)
            continue
        for blk in w.split(h, dim=0):
            if scheme in ("orthogonal", "unitary"):
                blk.copy_(nn.init.orthogonal_(torch.empty(h, h, dtype=torch.float64), generator=gen).to(w.dtype))
            elif scheme == "identity":
                blk.copy_(torch.eye(h, dtype=w.dtype))
            else:
                blk.copy_(_np_rnn_block(h, gen, w.dtype))
        if scheme == "identity":
            getattr(rnn, f"bias_hh_{name}").zero_()
            getattr(rnn, f"bias_ih_{name}").zero_()


def spectral_radius(w: Tensor) -> float:
    """max |lambda| of a square matrix (computed in float64)."""
    return float(torch.linalg.eigvals(w.detach().double()).abs().max())


@torch.no_grad()
def scale_spectral_radius(rnn: nn.RNNBase, rho: float) -> None:
    """Rescale each H x H block of each layer's W_hh so that its spectral radius is ``rho``."""
    if not (0.0 <= rho <= MAX_RHO):
        raise ConfigError(f"spectral radius rho must be in [0, {MAX_RHO}], got {rho}")
    h = rnn.hidden_size
    for name, w in hh_blocks(rnn):
        if parametrize.is_parametrized(rnn, f"weight_hh_{name}"):
            raise ArchitectureError("unitary_rho")
        for blk in w.split(h, dim=0):
            current = spectral_radius(blk)
            if current < 1e-12:
                if rho == 0:
                    continue
                raise ConfigError("W_hh has spectral radius 0 (nilpotent or zero); it cannot be rescaled to rho > 0")
            blk.mul_(rho / current)

