r"""The interface of a recurrent cell kind: one object owns the cell's equations, forward and backward side by side.

Every cell computes its step from two affine parts formed outside it,

.. math::
    gi_t = W_{xh} x_t + b_{ih} \qquad gh_t = W_{hh} h_{t-1} + b_{hh},

(torch's ``weight_ih`` / ``weight_hh`` / ``bias_ih`` / ``bias_hh``, stacked by gate in ``blocks`` rows of H each), so
the recording can keep ``gh_t`` (whose gradient gives step t's term in dL/dW_hh) and the input projection can be done
for all steps in one matrix product. A cell kind supplies:

- its forward step: ``parts`` (the gates and pre-activations, any leading dims) and ``update`` (the new state);
- the derivative beside it: ``coefficients`` (per-step elementwise factors, all steps at once) and ``backward_step``
  (dL/dgh_t from dL/dh_t), ``skip`` (a path from h_t to h_{t-1} that avoids W_hh), ``carry_back`` (its own state's
  path, the LSTM's c), ``input_grad`` (dL/dgi_t);
- ``derivatives`` (the f'(a_t) that make gradients vanish), its gates' activations, the W_hh block playing the
  vanilla RNN's role (``main_block``) and whether Pascanu's bound follows from W_hh alone (``weight_bound``);
- its equation in TeX (``equation``) and, for a gated cell, the path that avoids W_hh (``bypass``).

Gate names (i, f, g, o, r, z, n, ...) mean post-activation values; the pre-activations are ``*_pre``. A cell without
``torch_module`` runs on ``engine.bptt.CellStack`` (its own step in a loop, its own backward as the autograd node),
so a new cell kind is one module registered with ``engine.cells.register`` plus its parity tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # torch's names, suffixed _l{k} per layer
DIRECTIONS = ("", "_reverse")  # torch's suffix of a bidirectional layer's backward-in-time parameters
# torch's fused kernels (torch.rnn_tanh / rnn_relu / lstm / gru) run one layer, one direction, for recording
ONE_LAYER = {"has_biases": True, "num_layers": 1, "dropout": 0.0, "train": False, "bidirectional": False,
             "batch_first": False}


@dataclass
class LayerForward:
    """One layer's forward quantities, all steps (no autograd graph)."""

    x: Tensor  # (T, B, I)
    h_prev: Tensor  # (T, B, H) h_{t-1}, h_{-1} = h0
    out: Tensor  # (T, B, H) h_t
    gi: Tensor  # (T, B, G)
    gh: Tensor  # (T, B, G)
    parts: dict[str, Tensor]  # gates / pre-activations, (T, B, H) each
    cell: Tensor | None  # (T, B, H) c_t (a cell with its own state: the LSTM)
    c_prev: Tensor | None  # (T, B, H) c_{t-1}


class Cell:
    """One recurrent cell kind. Subclasses set the class attributes and write the equations."""

    kind: str = ""
    gates: tuple[str, ...] = ()  # post-activation gate names in the order of the stacked weights' blocks
    activations: dict[str, str] = {}  # gate -> the activation it applies ("sigmoid" | "tanh")
    main_block: str = "W_hh"  # the W_hh block that plays the vanilla RNN's W_hh (a gate name for gated cells)
    has_cell_state: bool = False  # a second state c_t besides h_t (LSTM)
    nonlinearities: tuple[str, ...] = ("tanh",)  # the first is used when another is asked for
    torch_module: type[nn.RNNBase] | None = None  # nn.RNN / nn.LSTM / nn.GRU whose state_dict this cell matches
    weight_bound: bool = False  # ||dh_t/dh_k|| <= (gamma sigma_max(W_hh))^(t-k) holds (a vanilla RNN only)
    equation: str = ""  # the forward step in TeX, torch's convention
    bypass: str | None = None  # TeX of the path from step t-1 to t that avoids W_hh (gated cells)
    recurrence_gate: dict[str, str] = {}  # block -> the gate that multiplies its whole recurrent sum (GRU: n <- r)
    carousel: str | None = None  # the gate whose product along the cell state alone is the carousel (LSTM: f)

    # shapes -----------------------------------------------------------------------------------------------------
    @property
    def blocks(self) -> int:
        """G / H: how many H-row blocks the stacked weights have."""
        return max(1, len(self.gates))

    def block_names(self) -> tuple[str, ...]:
        return self.gates or ("W_hh",)

    def block_activation(self, name: str, nonlinearity: str) -> str:
        return self.activations.get(name, nonlinearity)

    def state_size(self, hidden: int) -> int:
        """Size of the state s_t whose Jacobians chain: H, or 2H for (h_t, c_t)."""
        return 2 * hidden if self.has_cell_state else hidden

    def tex(self, nonlinearity: str) -> str:
        """``equation`` for the activation in use."""
        return self.equation

    def nonlinearity(self, requested: str) -> str:
        return requested if requested in self.nonlinearities else self.nonlinearities[0]

    def param_shapes(self, input_size: int, hidden: int) -> dict[str, tuple[int, ...]]:
        """One layer's parameters by torch's name template (without the _l{k} suffix)."""
        g = self.blocks * hidden
        return {"weight_ih": (g, input_size), "weight_hh": (g, hidden), "bias_ih": (g,), "bias_hh": (g,)}

    # forward ----------------------------------------------------------------------------------------------------
    def parts(self, gi: Tensor, gh: Tensor, h_prev: Tensor, nl: str) -> dict[str, Tensor]:
        """Gates and pre-activations of one step or of all steps at once (any leading dims)."""
        raise NotImplementedError

    def update(self, parts: dict[str, Tensor], h_prev: Tensor, c_prev: Tensor | None,
               nl: str) -> tuple[Tensor, Tensor | None]:
        """The new state (h_t, c_t or None) from the parts."""
        raise NotImplementedError

    def step(self, gi: Tensor, gh: Tensor, h_prev: Tensor, c_prev: Tensor | None, nl: str):
        """One step: (h_t, c_t or None, gates-and-pre-activations)."""
        p = self.parts(gi, gh, h_prev, nl)
        h, c = self.update(p, h_prev, c_prev, nl)
        return h, c, p

    @torch.no_grad()
    def layer(self, x: Tensor, h0: Tensor, c0: Tensor | None, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
              b_hh: Tensor, nl: str) -> LayerForward:
        """Every step of one layer: here ``step`` in a loop (torch's cells override it with the fused kernels)."""
        gi = F.linear(x, w_ih, b_ih)  # (T, B, G), all steps at once
        h, c, hs, cs, ghs, parts = h0, c0, [], [], [], []
        for t in range(x.shape[0]):
            gh = F.linear(h, w_hh, b_hh)  # (B, G)
            h, c, p = self.step(gi[t], gh, h, c, nl)
            hs.append(h)
            cs.append(c)
            ghs.append(gh)
            parts.append(p)
        out = torch.stack(hs)
        parts = {k: torch.stack([p[k] for p in parts]) for k in parts[0]}
        c_all = torch.stack(cs) if self.has_cell_state else None
        c_prev = torch.cat([c0[None], c_all[:-1]]) if self.has_cell_state else None
        return LayerForward(x=x, h_prev=torch.cat([h0[None], out[:-1]]), out=out, gi=gi, gh=torch.stack(ghs),
                            parts=parts, cell=c_all, c_prev=c_prev)

    # display: the step's equations written out with the model's numbers (engine/lessons/formula.py computes them
    # with ``step`` in float64, viz_app/text/equations.py typesets them with these) ---------------------------------
    def block_symbol(self, block: str) -> str:
        """The letter a block's pre-activation and value are written with: the gate's (a gateless cell: a)."""
        return block

    def weight_symbols(self, block: str) -> tuple[str, str, str, str]:
        """TeX of the block's W_x, W_h, b_x, b_h, in the notes' names."""
        return rf"W_{{x{block}}}", rf"W_{{h{block}}}", rf"b_{{x{block}}}", rf"b_{{h{block}}}"

    def update_tex(self, t: int, j: int, v: dict[str, float], num) -> list[str]:
        """Unit j's new state at step t written out with its numbers: ``v`` holds the gates' values and h_prev,
        c_prev, c and h; ``num`` writes a number. By default the new h_t's value (a cell says how it is made)."""
        return [rf"h_{{{t}}}[{j}] = {num(v['h'])}"]

    def later_cell_grad(self, dh, dc, gates: dict, c):
        """The part of the recorded dL/dc_t that came from the steps after t (float64 arrays, one sequence): dL/dc_t
        less this step's own path c_t -> h_t; None for a cell without a state of its own."""
        return None

    # backward ---------------------------------------------------------------------------------------------------
    def coefficients(self, fw: LayerForward, nl: str) -> dict[str, Tensor]:
        """Per-step elementwise factors for ``backward_step``, for all steps at once (leading dim T)."""
        raise NotImplementedError

    def backward_step(self, t: int, dh: Tensor, k: dict[str, tuple[Tensor, ...]], carry, d_gh: Tensor,
                      d_cell: Tensor | None):
        """Write dL/dgh_t into ``d_gh`` (B, G) from dh = dL/dh_t (B, H), every path. ``carry`` is what the
        cell's own state brings back from step t+1 (``carry_back``; None for a cell without one). Returns the carry
        of step t (the LSTM's dL/dc_t, also written into ``d_cell``)."""
        raise NotImplementedError

    def skip(self, dh: Tensor, dh_next: Tensor, k: dict[str, tuple[Tensor, ...]], t_next: int) -> None:
        """Add to dh = dL/dh_t the part of dL/dh_{t+1} that reaches h_t without W_hh (GRU: z_{t+1} dL/dh_{t+1})."""

    def carry_back(self, carry, k: dict[str, tuple[Tensor, ...]], t: int):
        """What the cell's own state passes from step t to step t-1 (LSTM: dL/dc_t * f_t), or None."""
        return None

    def final_carry(self, d_c_last: Tensor | None, like: Tensor):
        """The carry arriving at the last step from outside (LSTM: dL/dc_{T-1} from the caller, or zeros)."""
        return None

    def input_grad(self, d_gh: Tensor, total: Tensor, k: dict[str, Tensor]) -> Tensor:
        """dL/dgi_t (T, B, G) from dL/dgh_t and dL/dh_t: equal unless gi and gh enter the step differently."""
        return d_gh

    def derivative_activation(self, name: str, nl: str) -> str:
        """The activation ("sigmoid", "tanh", "relu") whose derivative ``derivatives`` calls ``name``: what bounds it
        (sigmoid' <= 1/4, tanh' <= 1, relu' is 0 or 1)."""
        return "tanh" if name == "c" else self.activations[name]

    def derivatives(self, parts: dict[str, Tensor], c: Tensor | None, nl: str) -> dict[str, Tensor]:
        """f'(a_t) of every gate: sigma' = sigma (1 - sigma) <= 1/4, tanh' = 1 - tanh^2 in (0, 1]; and tanh'(c_t)
        as "c" for a cell state."""
        out = {}
        for name in self.gates:
            y = parts[name]
            out[name] = y * (1 - y) if self.activations[name] == "sigmoid" else 1 - y * y
        if c is not None:
            out["c"] = 1 - torch.tanh(c) ** 2
        return out
