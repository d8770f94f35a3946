r"""The BPTT ledger: the numbers behind one gradient, for sequence 0 of a Trace (the top layer, a net running forward
in time; layers above the first without residual inputs).

- ``recursion(k)``: dL/dh_k = dL_k/dh_k (the direct part, from step k's output) + the carried part
  (ds_{k+1}/dh_k)^T dL/ds_{k+1}, the state gradient of step k+1 sent back through the step Jacobian (s = h, or (h, c)
  for an LSTM). The carried part is computed here from the step's Jacobian, independently of the recording's
  backward pass, so the two sides of the equation are checked against each other.
- ``chain(t, k)``: the chain ds_t/ds_k = J_t ... J_{k+1}, written as the row of its factors' spectral norms
  ||J_j|| (a vanilla RNN: ||diag(f'(a_j)) W_hh||), their product, the measured ||dh_t/dh_k|| (the Jacobian map),
  and for a vanilla RNN Pascanu's bound (gamma sigma_max(W_hh))^(t-k). Sub-multiplicativity orders them:
  measured <= product <= bound. An LSTM's carousel is the product of unit u's forget gates f_{k+1} ... f_t: the
  path c_k -> c_t through the cells alone.
- ``weight_terms(row, col)``: one entry of dL/dW_hh as the sum over steps of its terms T_k = (dL/da_k) h_{k-1}^T,
  the lecture notes' T_3 + T_2 + T_1, against the recorded gradient of W_hh.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine import cells, jacobian, spectrum
from engine.errors import ArchitectureError, ConfigError
from engine.lessons.formula import layer_input
from engine.record import Trace, layer_weights


@dataclass(frozen=True)
class Recursion:
    step: int
    unit: int
    direct: np.ndarray  # (H,) dL_k/dh_k
    carried: np.ndarray  # (H,) (ds_{k+1}/dh_k)^T dL/ds_{k+1} (0 at the last step)
    total: np.ndarray  # (H,) the recorded dL/dh_k


@dataclass(frozen=True)
class Chain:
    t: int
    k: int
    factors: np.ndarray  # (t - k,) ||J_j||_2 for j = k+1 .. t
    measured: float  # ||dh_t/dh_k||_2 (the map)
    bound: float | None  # (gamma sigma_max(W_hh))^(t-k): a vanilla RNN only
    gamma_sigma: float | None  # gamma sigma_max(W_hh)
    carousel: float | None  # prod_j f_j[unit] (LSTM)

    @property
    def product(self) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.prod(self.factors))


@dataclass(frozen=True)
class Terms:
    row: int
    col: int
    terms: np.ndarray  # (T,) T_k[row, col], batch summed
    recorded: float  # dL/dW_hh[row, col] as recorded (param_grads)


class Ledger:
    """The ledger of ``trace`` recorded from ``net`` (the top layer's weights and recorded values). ``jacobians``:
    (step Jacobians, their norms) of an earlier Ledger of the same trace (``Ledger.jacobians``), not computed again."""

    def __init__(self, net, trace: Trace, jacobians: tuple | None = None):
        if trace.directions != 1:
            raise ArchitectureError("ledger_bidirectional")
        self.net, self.trace, self.layer = net, trace, trace.layers - 1
        self.kind = cells.get(trace.cell_kind)
        hidden = net.hidden_size
        weights = layer_weights(net, self.layer)
        dtype = weights[0].dtype  # the net's precision, as the recording's
        w_ih, w_hh, b_ih, b_hh = weights
        u = torch.from_numpy(layer_input(trace, self.layer)).to(dtype)  # (T, I)
        h = torch.from_numpy(trace.hidden[self.layer, :, 0, :hidden]).to(dtype)
        zero = torch.zeros(1, hidden, dtype=dtype)
        h_prev = torch.cat([zero, h[:-1]])
        c_prev = None
        if trace.cell_state is not None:
            c = torch.from_numpy(trace.cell_state[self.layer, :, 0]).to(dtype)
            c_prev = torch.cat([zero, c[:-1]])
        self.w_hh = w_hh
        if jacobians is not None:
            self.js, self._norms = jacobians
            return
        self.js = jacobian.step_jacobians(trace.cell_kind, trace.nonlinearity, w_hh, b_hh, u @ w_ih.T + b_ih,
                                          h_prev, c_prev)[0]  # (T, S, S)
        self._norms = None

    @property
    def jacobians(self) -> tuple:
        """What a Ledger of the same trace can start from: the step Jacobians and their norms."""
        return self.js, self.factor_norms

    @property
    def factor_norms(self) -> np.ndarray:
        """||J_j||_2 of every step (J_0 = ds_0/ds_{-1}), computed once. Where the state is h alone (RNN, GRU) they
        are the Jacobian map's first subdiagonal, ||dh_j/dh_{j-1}||, already computed (certified) by the recording."""
        if self._norms is None:
            maps = self.trace.jacobians
            if self.js.shape[1] == self.net.hidden_size and maps is not None:
                self._norms = np.concatenate([[np.nan], np.diagonal(maps.spectral, -1)])
            else:
                self._norms = torch.linalg.matrix_norm(self.js, ord=2).double().numpy()
        return self._norms

    @property
    def steps(self) -> int:
        return self.trace.steps

    def _state_grad(self, step: int) -> torch.Tensor:
        """dL/ds_step as the step Jacobian needs it: h_t's total gradient, and for an LSTM c_t's from the steps after
        only (the recorded dL/dc_t also holds the path c_t -> h_t = o_t tanh(c_t), which J_t already contains)."""
        tr, k = self.trace, self.layer
        dh = tr.grad_hidden[k, step, 0].astype(np.float64)
        if tr.grad_cell is None:
            return torch.from_numpy(dh)
        gates = {name: g[k, step, 0].astype(np.float64) for name, g in tr.gates.items()}
        later = self.kind.later_cell_grad(dh, tr.grad_cell[k, step, 0].astype(np.float64), gates,
                                          tr.cell_state[k, step, 0].astype(np.float64))
        return torch.from_numpy(np.concatenate([dh, later]))

    def recursion(self, step: int, unit: int = 0) -> Recursion:
        hidden = self.net.hidden_size
        direct = self.trace.grad_hidden_direct[self.layer, step, 0].astype(np.float64)
        carried = np.zeros(hidden)
        if step + 1 < self.steps:
            carried = (self.js[step + 1].double().T @ self._state_grad(step + 1))[:hidden].numpy()
        return Recursion(step, unit, direct, carried, self.trace.grad_hidden[self.layer, step, 0].astype(np.float64))

    def chain(self, t: int, k: int, unit: int = 0) -> Chain:
        if not 0 <= k < t < self.steps:
            raise ConfigError(f"a chain needs 0 <= k < t < T, got k={k}, t={t}, T={self.steps}")
        factors = self.factor_norms[k + 1: t + 1]
        measured = float(self.trace.jacobians.spectral[t, k]) if self.trace.jacobians is not None else float("nan")
        bound = gamma_sigma = carousel = None
        if self.kind.weight_bound:
            sigma = float(torch.linalg.matrix_norm(self.w_hh.double(), 2))
            gamma_sigma = spectrum.GAMMA[self.trace.nonlinearity] * sigma
            with np.errstate(over="ignore"):
                bound = float(np.float64(gamma_sigma) ** (t - k))  # inf past float64's range, not an error
        if self.kind.carousel is not None:  # the path along the cell state alone (LSTM: the forget gates)
            gate = self.trace.gates[self.kind.carousel][self.layer, k + 1: t + 1, 0, unit]
            carousel = float(np.prod(gate.astype(np.float64)))
        return Chain(t, k, factors, measured, bound, gamma_sigma, carousel)

    def weight_terms(self, row: int, col: int | None = None) -> Terms:
        """Entry (row, col) of dL/dW_hh by step; ``col`` None: the column where the recorded gradient is largest."""
        name = f"weight_hh_l{self.layer}"
        if self.trace.weight_terms is None or name not in self.trace.weight_terms.matrices:
            raise ArchitectureError("terms_not_kept")
        matrices = self.trace.weight_terms.matrices[name]  # (T, G, H)
        if f"recurrent.{name}" not in self.trace.param_grads:
            raise ArchitectureError("terms_unitary")
        recorded = self.trace.param_grads[f"recurrent.{name}"]
        if col is None:
            col = int(np.argmax(np.abs(recorded[row])))
        return Terms(row, col, matrices[:, row, col].astype(np.float64), float(recorded[row, col]))
