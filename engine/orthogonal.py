r"""An orthogonal W_hh by construction (the uRNN's recurrent matrix), evaluated in float64.

The optimiser moves an unconstrained matrix X; the weight the net uses is

.. math::
    W = B \exp(A - A^\top), \qquad A = \operatorname{tril}(X, -1),

with B an orthogonal base (set when a weight is assigned: the nearest orthogonal matrix to it, the polar factor
U V^T of its SVD) and exp of a skew-symmetric matrix orthogonal (the trivialisation of Lezcano-Casado and
Martinez-Rubio 2019, as torch.nn.utils.parametrizations.orthogonal with its matrix_exp map). torch's own evaluates the
product and the exponential in the weights' dtype: in float32 W^T W - I drifts with the size of A (2-11e-6 at
lr >= 0.1, H = 64), past what the regime treats as rounding. Here both are float64 and only the result is rounded to
the weights' dtype: ||W - Q||_2 <= sqrt(H) eps / 2 for an orthogonal Q (4.8e-7 at H = 64 in float32), whatever the
learning rate did to X.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize


class Orthogonal(nn.Module):
    """The parametrisation W = B exp(A - A^T) (see the module's doc); ``base`` is B, kept in float64."""

    def __init__(self, n: int):
        super().__init__()
        self.register_buffer("base", torch.eye(n, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        a = x.to(torch.float64).tril(-1)
        return (self.base.to(torch.float64) @ torch.linalg.matrix_exp(a - a.mT)).to(x.dtype)

    @torch.no_grad()
    def right_inverse(self, w: Tensor) -> Tensor:
        """Assigning W sets the base to W's nearest orthogonal matrix and A to 0."""
        u, _, vh = torch.linalg.svd(w.to(torch.float64))
        self.base.copy_(u @ vh)
        return torch.zeros_like(w)


def register(module: nn.Module, name: str) -> None:
    """Make ``module.<name>`` (a square weight) orthogonal by construction."""
    parametrize.register_parametrization(module, name, Orthogonal(getattr(module, name).shape[0]))
