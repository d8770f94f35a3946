"""Derived quantities the views show: PCA of hidden states, gate saturation, the term-by-term split of dL/dW_hh,
and the last row of the Jacobian map for a live rescaling of W_hh. numpy / torch only."""
from __future__ import annotations

import numpy as np
import torch

from engine import jacobian
from engine.model import RecurrentNet
from engine.record import forward_all, layer_weights


def pca(states: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Project rows of ``states`` [N, H] on their top-k principal axes: (coords [N, k], explained variance ratio)."""
    x = states.astype(np.float64)
    x = x - x.mean(0, keepdims=True)
    k = min(k, *x.shape)
    if not np.isfinite(x).all():
        return np.full((x.shape[0], k), np.nan), np.full(k, np.nan)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    total = (s ** 2).sum()
    ratio = (s[:k] ** 2) / total if total > 0 else np.zeros(k)
    return x @ vt[:k].T, ratio


def norms_over_time(a: np.ndarray) -> np.ndarray:
    """[T, B, H] -> [T]: the norm over the batch and the units at every step (||dL/dh_t|| as the views plot it)."""
    return np.sqrt((np.asarray(a, dtype=np.float64) ** 2).sum(axis=(1, 2)))


def saturation(gate: np.ndarray, low: float = 0.1, high: float = 0.9) -> dict[str, np.ndarray]:
    """Per unit, the fraction of (step, sequence) pairs where a gate is below ``low`` / above ``high``.
    gate: [T, B, H]. A saturated sigmoid has sigma' near 0: gradient through it vanishes."""
    flat = gate.reshape(-1, gate.shape[-1])
    return {"low": (flat < low).mean(0), "high": (flat > high).mean(0)}


def term_projections(terms: np.ndarray) -> tuple[np.ndarray, float]:
    """Split ||dL/dW|| over steps: term_k projected on the direction of the total G = sum_k term_k.

    Returns (p [T], ||G||) with sum_k p_k = ||G|| exactly; a negative p_k is a step pulling against the total."""
    total = terms.sum(0)
    norm = float(np.linalg.norm(total))
    if norm == 0 or not np.isfinite(norm):
        return np.zeros(terms.shape[0]), norm
    return (terms.reshape(terms.shape[0], -1) @ total.ravel()) / norm, norm


def geometric(rate: float, lags: np.ndarray) -> np.ndarray:
    """rate ** lag, for the predicted rho^(T-k) line and Pascanu's bound (gamma sigma_max)^(T-k)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.power(float(rate), lags.astype(float))


@torch.no_grad()
def last_row_norms(net: RecurrentNet, x: torch.Tensor, b: int = 0) -> np.ndarray:
    """||dh_{T-1} / dh_k||_2 for k = 0 .. T-1 (top layer, its forward direction; sequence b), fast: T products from
    the end, no full map.

    x: [T, B, I]. The chain is kept normalised with its log scale aside (no overflow / underflow)."""
    net.eval()
    fw = forward_all(net, net.encode(x)[:, b:b + 1].detach())[0][-1][0]
    w = layer_weights(net, net.num_layers - 1)
    c_prev = fw.c_prev[:, 0] if fw.c_prev is not None else None
    js, _ = jacobian.step_jacobians(net.cell, net.nonlinearity, w[1], w[3], fw.gi[:, 0], fw.h_prev[:, 0], c_prev)
    steps, hidden = js.shape[0], net.hidden_size
    q = torch.eye(js.shape[1], dtype=js.dtype)
    mats, log_scale, logs = [q[:hidden, :hidden]], 0.0, [0.0]
    for k in range(steps - 2, -1, -1):
        q = q @ js[k + 1]  # dh_{T-1}/ds_k = dh_{T-1}/ds_{k+1} J_{k+1}
        scale = float(torch.linalg.matrix_norm(q))
        if not np.isfinite(scale) or scale == 0:
            mats += [torch.full_like(mats[0], float("nan") if not np.isfinite(scale) else 0.0)] * (k + 1)
            logs += [log_scale] * (k + 1)
            break
        q = q / scale
        log_scale += np.log(scale)
        mats.append(q[:hidden, :hidden])
        logs.append(log_scale)
    stack = torch.stack(mats)  # (T, H, H), index j = lag T-1-k
    finite = torch.isfinite(stack).flatten(1).all(1)
    sig = torch.full((len(mats),), float("nan"), dtype=torch.float64)
    sig[finite] = torch.linalg.matrix_norm(stack[finite].double(), ord=2)
    with np.errstate(over="ignore"):
        norms = sig.numpy() * np.exp(np.asarray(logs))
    return norms[::-1].copy()  # index k
