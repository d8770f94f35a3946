r"""``record``: one call that returns everything inside a RecurrentNet for a batch, as a frozen Trace of numpy arrays.

Shapes use fixed letters: L layers, T time, B batch, H hidden, G = gates * H, I input, O output.
Notation of the lecture notes mapped to torch: W_xh = weight_ih_l{k}, W_hh = weight_hh_l{k}, W_hy = readout.weight.
The BPTT decomposition recorded term by term is

.. math::
    \frac{\partial L}{\partial W_{hh}} = \sum_k \left(\frac{\partial L}{\partial gh_k}\right)^{\top} h_{k-1},
    \qquad gh_k = W_{hh} h_{k-1} + b_{hh},

where dL/dgh_k already holds every path from every later loss back to step k (the sum over t of
(dL/dy_t)(dy_t/dh_t)(dh_t/dh_k)(dh_k/dW_hh)|immediate in the notes' form).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from engine import bptt, cells, jacobian, losses, spectrum
from engine.errors import ArchitectureError
from engine.model import RecurrentNet

TERM_MATRIX_MAX_HIDDEN = 64
TERM_MATRIX_MAX_ELEMENTS = 8_000_000  # a stack of per-step terms (T, G, X) is kept as matrices up to 32 MB
TERM_GRAM_ELEMENTS = 131_072  # otherwise its norms come from (B, B) Gram matrices, this many elements at a time


@dataclass(frozen=True, eq=False)
class JacobianMaps:
    """||ds_t/ds_k|| for every pair k <= t of one batch element (NaN above the diagonal), top layer unless noted.

    LSTM: the state is s = (h, c) and the maps are blocks of ds_t/ds_k: ``spectral`` is dh_t/dh_k with c_k held
    fixed, ``cell_spectral`` dc_t/dc_k with h_k held fixed (each a block of the full product, not a derivative along
    one path)."""

    batch: int  # the batch element
    spectral: np.ndarray  # (T, T) ||dh_t/dh_k||_2
    frobenius: np.ndarray  # (T, T) ||dh_t/dh_k||_F
    cell_spectral: np.ndarray | None  # (T, T) ||dc_t/dc_k||_2 (LSTM)
    by_layer: np.ndarray | None  # (L, T, T) spectral maps of every layer (record(all_layer_maps=True))
    input_sensitivity: np.ndarray  # (T,) ||du_t / dx_0||_2 of what the readout reads at t: the top layer's h_t
    # (every direction), or for a residual net the sum of every layer's h_t
    reverse_spectral: np.ndarray | None = None  # (T, T) bidirectional: ||dh^b_t/dh^b_k||_2 of the backward
    # direction, for k >= t (NaN below the diagonal): h^b_t depends on the later states


@dataclass(frozen=True, eq=False)
class WeightTerms:
    """Step t's term of dL/dW (batch summed) for every recurrent weight, by torch's name ("weight_hh_l0", ...)."""

    norms: dict[str, np.ndarray]  # name -> (T,) ||term_t||_F
    matrices: dict[str, np.ndarray]  # name -> (T, *W.shape): only the stacks small enough to keep (may be empty)


@dataclass(frozen=True, eq=False)
class Truncated:
    """dL/dh_t when BPTT is cut every ``window`` steps (the state passes forward, its gradient does not)."""

    window: int
    grad_hidden: np.ndarray  # (L, T, B, H)


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything recorded for one batch, numpy arrays in parts:

    - the run: ``cell_kind`` ... ``mode``; the forward pass: ``inputs`` ... ``preactivations``, ``weight_hh``;
    - the gradients: ``grad_hidden``, ``grad_hidden_direct``, ``grad_cell``, ``param_grads``;
    - optional parts, each None when record() was asked to skip it: ``jacobians`` (JacobianMaps), ``weight_terms``
      (WeightTerms), ``truncated`` (Truncated);
    - derived on first use: ``derivatives``, ``spectra`` (and ``main_spectrum``, ``eigenvalues``, ``regime``).

    LSTM-only arrays (``cell_state``, ``grad_cell``) are None for the other cells."""

    cell_kind: str  # "rnn" | "lstm" | "gru" (or a registered kind: engine.cells)
    nonlinearity: str
    loss_kind: str
    mode: str
    inputs: np.ndarray  # (T, B, I) what the recurrent core saw (embedded ids for an embedding net)
    targets: np.ndarray  # (T, B) | (T, B, O) | (B,) | (B, O)
    outputs: np.ndarray  # (T, B, O) readout y_t
    losses: np.ndarray  # (T,) L_t averaged over the batch (0 where no target)
    loss_mask: np.ndarray  # (T,) steps with a target
    loss: float  # L, the mean (or sum, see ``reduction``) of L_t over steps with a finite loss and a target
    hidden: np.ndarray  # (L, T, B, H) h_t; (L, T, B, 2H) bidirectional: [forward | backward]
    cell_state: np.ndarray | None  # (L, T, B, H) c_t of an LSTM (the cell kind is ``cell_kind``)
    gates: dict[str, np.ndarray]  # i, f, g, o / r, z, n: (L, T, B, H) post-activation
    preactivations: dict[str, np.ndarray]  # a_pre / i_pre ... : (L, T, B, H)
    weight_hh: tuple  # per layer: W_hh as recorded, (G, H) numpy
    grad_hidden: np.ndarray  # (L, T, B, D*H) total dL/dh_t (each direction its own h)
    grad_hidden_direct: np.ndarray  # (L, T, B, D*H) the part arriving at step t from the readout / layer above
    grad_cell: np.ndarray | None  # (L, T, B, H) total dL/dc_t (LSTM)
    param_grads: dict[str, np.ndarray]  # full dL/dtheta by parameter name (torch's names)
    jacobians: JacobianMaps | None
    weight_terms: WeightTerms | None
    truncated: Truncated | None
    nonfinite: dict[str, int | None] = field(default_factory=dict)  # quantity -> first step that is non-finite
    directions: int = 1  # 2: bidirectional; per-unit arrays are [forward H | backward H] (torch's output order)
    residual: bool = False  # layers from the second on pass up h^(l)_t + h^(l-1)_t
    weight_hh_reverse: tuple = ()  # bidirectional: per layer the backward direction's W_hh

    @property
    def cell(self) -> cells.Cell:
        """The object owning this cell kind's equations (engine.cells)."""
        return cells.get(self.cell_kind)

    @property
    def steps(self) -> int:
        """T, the number of time steps."""
        return self.hidden.shape[1]

    @property
    def layers(self) -> int:
        """L, the number of layers."""
        return self.hidden.shape[0]

    @cached_property
    def derivatives(self) -> dict[str, np.ndarray]:
        """f'(a_t) per gate (tanh' in (0, 1], sigmoid' <= 1/4; and tanh'(c_t) as "c" for LSTM): (L, T, B, H)."""
        parts = {k: torch.from_numpy(v) for k, v in (self.gates | self.preactivations).items()}
        c = torch.from_numpy(self.cell_state) if self.cell_state is not None else None
        return {k: v.numpy() for k, v in self.cell.derivatives(parts, c, self.nonlinearity).items()}

    @cached_property
    def spectra(self) -> tuple:
        """Per layer, the spectrum.BlockSpectrum of each H x H block of W_hh (computed on first use)."""
        return tuple(spectrum.layer_spectrum(w, self.cell_kind, self.nonlinearity) for w in self.weight_hh)

    @property
    def main_spectrum(self) -> spectrum.BlockSpectrum:
        """Top layer's W_hh (the candidate block g / n for LSTM / GRU)."""
        return next(b for b in self.spectra[-1] if b.name == spectrum.main_block(self.cell_kind))

    @property
    def eigenvalues(self) -> np.ndarray:
        """(H,) complex eigenvalues of the top layer's W_hh (candidate block for LSTM / GRU), by modulus."""
        return self.main_spectrum.eigenvalues

    @property
    def singular_values(self) -> np.ndarray:
        return self.main_spectrum.singular_values

    @property
    def regime(self) -> spectrum.Regime:
        """What the top layer's weights say about ||dh_t/dh_k|| (spectrum.regime): a guarantee only for an RNN."""
        return spectrum.regime(self.cell_kind, self.main_spectrum)


def _np(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def first_nonfinite(a: np.ndarray, time_axis: int) -> int | None:
    """First index along ``time_axis`` where ``a`` has a NaN or Inf, else None."""
    bad = ~np.isfinite(a)
    if not bad.any():
        return None
    other = tuple(i for i in range(a.ndim) if i != time_axis)
    return int(np.argmax(bad.any(axis=other)))


def layer_weights(net: RecurrentNet, k: int, d: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(W_xh, W_hh, b_ih, b_hh) of layer k, direction d: torch's weight_ih_l{k}, ..., with _reverse for d = 1."""
    rec, suffix = net.recurrent, cells.DIRECTIONS[d]
    return tuple(getattr(rec, f"{n}_l{k}{suffix}").detach() for n in cells.WEIGHTS)


def _in_time(x: Tensor, d: int) -> Tensor:
    """A direction's quantity in the sequence's time order (the reverse direction runs on the inputs flipped)."""
    return x if d == 0 else x.flip(0)


def _merged(layer: list, get) -> Tensor:
    """One quantity of a layer, its directions side by side in time order: (T, B, D*H) (no copy for one)."""
    if len(layer) == 1:
        return get(layer[0])
    return torch.cat([_in_time(get(r), d) for d, r in enumerate(layer)], -1)


def forward_all(net: RecurrentNet, xin: Tensor) -> tuple[list, Tensor]:
    """Every layer's forward record, per direction (each in its own time order), and what the top layer passes to
    the readout (T, B, D*H). A residual net passes up h^(l)_t + its input from its second layer on."""
    fws, inp = [], xin
    zeros = inp.new_zeros(inp.shape[1], net.hidden_size)
    for k in range(net.num_layers):
        fws.append([bptt.forward(net.cell, net.nonlinearity, _in_time(inp, d), zeros, zeros,
                                 *layer_weights(net, k, d)) for d in range(net.directions)])
        out = _merged(fws[-1], lambda f: f.out)
        inp = out + inp if net.residual and k > 0 else out
    return fws, inp


def _backward_all(net: RecurrentNet, fws, direct_top: Tensor, cuts: Tensor | None, input_grad: bool = False):
    """BPTT through every layer, top down: what reaches layer l's outputs is (dL/dgi of layer l+1) W_xh^{l+1}, summed
    over the directions, plus (residual nets) what reached layer l+1's outputs, along the identity.
    Returns (per layer per direction the backward record, per layer the gradient arriving at its outputs from
    outside (T, B, D*H), dL/dx_t of the first layer if ``input_grad`` else None: a (T B, G) x (G, I) product that
    only an embedding's gradient needs)."""
    bws, directs, direct = [None] * len(fws), [None] * len(fws), direct_top
    hidden = net.hidden_size
    for k in range(len(fws) - 1, -1, -1):
        directs[k], bws[k], d_x = direct, [], None
        for d, fw in enumerate(fws[k]):
            w_ih, w_hh, _, _ = layer_weights(net, k, d)
            part = direct if len(fws[k]) == 1 else _in_time(direct[..., d * hidden:(d + 1) * hidden], d)
            bws[k].append(bptt.backward(net.cell, net.nonlinearity, fw, part, w_hh, cuts))
            if k == 0 and not input_grad:
                continue
            dx = _in_time(bws[k][-1].d_gi @ w_ih, d)  # (T, B, I_k): dL/dx_t of layer k through this direction
            d_x = dx if d_x is None else d_x + dx
        direct = d_x + direct if net.residual and k > 0 else d_x
    return bws, directs, direct


class _Pass(NamedTuple):
    """One forward and backward pass over the batch, as record() needs it."""

    xin: Tensor  # (T, B, I) what the recurrent core saw
    outputs: Tensor  # (T, B, O)
    per_step: Tensor  # (T,) L_t
    mask: Tensor  # (T,) steps with a target
    total: Tensor  # L
    fws: list  # per layer, per direction: bptt.forward's record (the direction's own time order)
    bws: list  # per layer, per direction: bptt.backward's record
    directs: list  # per layer: the gradient arriving at its outputs from outside the layer (T, B, D*H)
    grads: dict  # dL/dtheta of the readout (and the embedding)


def _run(net: RecurrentNet, x: Tensor, y: Tensor, loss: str, mode: str, reduction: str) -> _Pass:
    with torch.enable_grad():
        xin = net.encode(x)  # (T, B, I), through the embedding's graph if there is one
    fws, top = forward_all(net, xin.detach())
    top = top.clone().requires_grad_(True)
    with torch.enable_grad():
        outputs = net.readout(top)  # (T, B, O)
        per_step, mask = losses.step_losses(outputs, y, loss, mode)
        finite = torch.isfinite(per_step.detach()) & mask
        # an exploding run: the loss is taken over the finite steps, so the gradients of the finite part stay usable
        total = losses.total_loss(per_step, finite, reduction) if finite.any() else per_step[mask].sum()
        readout_params = list(net.readout.parameters())
        direct_top, *d_readout = torch.autograd.grad(total, [top, *readout_params])
    bws, directs, d_x = _backward_all(net, fws, direct_top, None, input_grad=net.embedding is not None)
    grads = {f"readout.{n}": g for (n, _), g in zip(net.readout.named_parameters(), d_readout)}
    if net.embedding is not None:
        grads["embedding.weight"] = torch.autograd.grad(xin, net.embedding.weight, d_x)[0]
    return _Pass(xin.detach(), outputs.detach(), per_step.detach(), mask, total.detach(), fws, bws, directs, grads)


def _units(fws, bws):
    """(torch's name suffix "_l{k}" or "_l{k}_reverse", direction, forward record, backward record) of every layer
    and direction."""
    return [(f"_l{k}{cells.DIRECTIONS[d]}", d, fw, bw) for k, (fl, bl) in enumerate(zip(fws, bws))
            for d, (fw, bw) in enumerate(zip(fl, bl))]


def _recurrent_grads(fws, bws) -> dict[str, Tensor]:
    """dL/dtheta of the recurrent core: sum_t of the per-step terms, taken directly as one product over (T, B)."""
    grads = {}
    for suffix, _, fw, bw in _units(fws, bws):
        for name, g in zip(cells.WEIGHTS, bptt.weight_grads(fw, bw)):
            grads[f"recurrent.{name}{suffix}"] = g
    return grads


def _stack(layers, get) -> np.ndarray:
    """(L, T, B, D*H) array of one quantity per layer, the directions side by side in time order (no copy for a
    single layer and direction)."""
    if len(layers) == 1:
        return _np(_merged(layers[0], get))[None]
    return np.stack([_np(_merged(g, get)) for g in layers])


def _term_stack(d: Tensor, v: Tensor, keep: bool) -> tuple[Tensor, Tensor | None]:
    """Step t's term sum_b d_tb v_tb^T for every t: (its Frobenius norms (T,), the matrices (T, G, X) if ``keep``).

    Without ``keep`` no (G, X) matrix is formed: ||sum_b d_b v_b^T||_F^2 = sum_{b,b'} (d_b . d_b') (v_b . v_b'), from
    two (B, B) Gram matrices per step, a chunk of steps at a time in float64. (Forming the matrices chunk by chunk
    would be just as small in theory, but repeated 12 MB temporaries grew glibc's heap to the full 8 GB stack.)"""
    if keep:
        terms = torch.bmm(d.transpose(1, 2), v)  # (T, G, X)
        return torch.linalg.matrix_norm(terms), terms
    steps, batch = d.shape[0], d.shape[1]
    chunk = max(1, TERM_GRAM_ELEMENTS // (batch * batch))
    norms = []
    for s in range(0, steps, chunk):
        dc, vc = d[s:s + chunk].double(), v[s:s + chunk].double()  # (c, B, G), (c, B, X)
        gram = torch.bmm(dc, dc.transpose(1, 2)) * torch.bmm(vc, vc.transpose(1, 2))  # (c, B, B)
        norms.append(gram.sum((1, 2)).clamp_min(0).sqrt())
    return torch.cat(norms).to(d.dtype), None


def _weight_terms(fws, bws, hidden: int) -> WeightTerms:
    """Step t's term in dL/dW_hh is (dL/dgh_t)^T h_{t-1}, in dL/dW_xh it is (dL/dgi_t)^T x_t (batch summed).
    Every stack's norms; its matrices only when small enough to keep: W_hh with H <= 64, any stack up to
    TERM_MATRIX_MAX_ELEMENTS. A 2000-character vocabulary never becomes one (T, G, V) tensor."""
    norms, kept = {}, {}
    for suffix, direction, fw, bw in _units(fws, bws):
        for name, d, v in ((f"weight_hh{suffix}", bw.d_gh, fw.h_prev), (f"weight_ih{suffix}", bw.d_gi, fw.x)):
            size = d.shape[0] * d.shape[2] * v.shape[2]
            keep = size <= TERM_MATRIX_MAX_ELEMENTS and (hidden <= TERM_MATRIX_MAX_HIDDEN or "ih" in name)
            n, matrices = _term_stack(d, v, keep)
            norms[name] = _np(_in_time(n, direction))  # indexed by the sequence's step t
            if matrices is not None:
                kept[name] = _np(_in_time(matrices, direction))
    return WeightTerms(norms, kept)


def record(net: RecurrentNet, x: Tensor, y: Tensor, loss: str = "cross_entropy", mode: str = "many_to_many", *,
           reduction: str = "mean", tbptt_window: int | None = None, jacobian_batch: int = 0, jacobians: bool = True,
           weight_terms: bool = True, all_layer_maps: bool = False) -> Trace:
    """Record one batch: x [T, B, I] (or ids [T, B]), y as ``losses.check_targets`` describes.

    ``jacobians=False`` skips the T x T maps and the input sensitivity (``Trace.jacobians`` is None);
    ``all_layer_maps=True`` adds the map of every layer (``jacobians.by_layer``; the views draw the top layer's only).
    ``weight_terms=False`` skips the per-step dL/dW terms (``Trace.weight_terms`` is None); ``tbptt_window`` shorter
    than the sequence adds ``Trace.truncated``. Everything else is always recorded.
    """
    net.eval()
    steps = net.encode(x).shape[0]
    if net.bidirectional and tbptt_window and tbptt_window < steps:
        raise ArchitectureError("tbptt")
    run = _run(net, x, y, loss, mode, reduction)
    fws, bws = run.fws, run.bws
    truncated = None
    if tbptt_window and tbptt_window < steps:
        cuts = torch.zeros(steps, dtype=torch.bool)
        cuts[:: int(tbptt_window)] = True
        truncated = _stack(_backward_all(net, fws, run.directs[-1], cuts)[0], lambda b: b.total)
    names = list(fws[0][0].parts)
    grads = run.grads | _recurrent_grads(fws, bws)
    hidden = _stack(fws, lambda f: f.out)
    grad_hidden = _stack(bws, lambda b: b.total)
    per_step = _np(run.per_step)
    lstm = cells.get(net.cell).has_cell_state
    trace = Trace(
        cell_kind=net.cell, nonlinearity=net.nonlinearity, loss_kind=loss, mode=mode, inputs=_np(run.xin),
        targets=_np(y), outputs=_np(run.outputs), losses=per_step, loss_mask=_np(run.mask), loss=float(run.total),
        hidden=hidden, cell_state=_stack(fws, lambda f: f.cell) if lstm else None,
        gates={n: _stack(fws, lambda f, n=n: f.parts[n]) for n in names if not n.endswith("_pre")},
        preactivations={n: _stack(fws, lambda f, n=n: f.parts[n]) for n in names if n.endswith("_pre")},
        weight_hh=tuple(_np(layer_weights(net, k)[1]).copy() for k in range(net.num_layers)),
        grad_hidden=grad_hidden, grad_hidden_direct=np.stack([_np(d) for d in run.directs]),
        grad_cell=_stack(bws, lambda b: b.d_cell) if lstm else None,
        param_grads={n: _np(grads[n]) for n, _ in net.named_parameters() if n in grads},
        jacobians=_jacobians(net, fws, jacobian_batch, all_layer_maps) if jacobians else None,
        weight_terms=_weight_terms(fws, bws, net.hidden_size) if weight_terms else None,
        truncated=Truncated(int(tbptt_window), truncated) if truncated is not None else None,
        nonfinite={"hidden": first_nonfinite(hidden, 1), "loss": first_nonfinite(per_step, 0),
                   "grad_hidden": first_nonfinite(grad_hidden, 1)},
        directions=net.directions, residual=net.residual,
        weight_hh_reverse=tuple(_np(layer_weights(net, k, 1)[1]).copy() for k in range(net.num_layers))
        if net.bidirectional else (),
    )
    del run, fws, bws
    return trace


def _jacobians(net: RecurrentNet, fws, b: int, all_layer_maps: bool) -> JacobianMaps:
    """The top layer's Jacobian-norm maps for batch element b (every layer's with ``all_layer_maps``; the forward
    direction, and the backward one's as ``reverse_spectral``), and the input sensitivity of the top layer (which
    needs every layer's step Jacobians, not their maps)."""
    maps, reverse, sens_layers = [], None, []
    with_cell = cells.get(net.cell).has_cell_state
    for k, layer in enumerate(fws):
        sens_layers.append([])
        for d, fw in enumerate(layer):
            w_ih, w_hh, _, b_hh = layer_weights(net, k, d)
            c_prev = fw.c_prev[:, b] if fw.c_prev is not None else None
            js, ks = jacobian.step_jacobians(net.cell, net.nonlinearity, w_hh, b_hh, fw.gi[:, b], fw.h_prev[:, b],
                                             c_prev)
            if d == 0 and (all_layer_maps or k == len(fws) - 1):
                maps.append(jacobian.chain_norms(js, net.hidden_size, with_cell))
            elif d == 1 and k == len(fws) - 1:  # in flipped time k' <= t'; back in the sequence's time k >= t
                reverse = jacobian.chain_norms(js, net.hidden_size, False)["spectral"][::-1, ::-1].copy()
            sens_layers[-1].append((js, ks @ w_ih))  # (T, S, I): all that the input sensitivity reads of K_t
    top = maps[-1]
    return JacobianMaps(batch=b, spectral=top["spectral"], frobenius=top["frobenius"],
                        cell_spectral=top.get("cell_spectral"),
                        by_layer=np.stack([m["spectral"] for m in maps]) if all_layer_maps else None,
                        input_sensitivity=jacobian.input_sensitivity(sens_layers, net.hidden_size,
                                                                     residual=net.residual),
                        reverse_spectral=reverse)
