r"""Jacobians through time: the map ||dh_t / dh_k|| for all k <= t, and the sensitivity ||dh_t / dx_0||.

The state is s_t = h_t (RNN, GRU) or s_t = (h_t, c_t) (LSTM). One step's Jacobian J_t = ds_t / ds_{t-1} is taken with
``torch.func.jacrev`` of the very step function the recording uses (vmapped over t); for a vanilla RNN it is
diag(f'(a_t)) W_hh. The chain rule gives

.. math::
    \frac{\partial s_t}{\partial s_k} = J_t J_{t-1} \cdots J_{k+1}, \qquad \frac{\partial s_k}{\partial s_k} = I.

All rows of the map are built left to right with one batched product per step (row t = J_t @ row t-1; for an LSTM,
whose c-columns of J_t are diagonal, half a product). Each matrix is kept divided by its Frobenius norm with the log of
the scale aside, so exploding (1e300) and vanishing (1e-300) chains neither overflow nor underflow. Spectral norms are
exact to eigvalsh's accuracy: power iteration, warm-started from the neighbouring pair, with a proof that its value is
within 1e-6 of the top eigenvalue of each block's Gram matrix, and eigvalsh where there is no proof; in batches on a
thread pool while the products go on (engine/certify.py).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor
from torch.func import jacrev, vmap

from engine import cells
from engine.certify import TopEigen


POOL_JOB_ELEMENTS = 2 ** 22
STEP_CHUNK_ELEMENTS = 2 ** 21  # 8 MB of float32 per intermediate of the step Jacobians (the budget counts it)


def pool_batch(hidden: int) -> int:
    """How many H x H blocks a certificate job takes: about POOL_JOB_ELEMENTS, 32 to 1024."""
    return max(32, min(1024, POOL_JOB_ELEMENTS // (hidden * hidden)))


def step_jacobians(cell: str, nonlinearity: str, w_hh: Tensor, b_hh: Tensor, gi: Tensor, h_prev: Tensor,
                   c_prev: Tensor | None) -> tuple[Tensor, Tensor]:
    """For one sequence: J_t = ds_t/ds_{t-1} [T, S, S] and K_t = ds_t/dgi_t [T, S, G] (gi_t = W_xh x_t + b_ih)."""
    hidden, kind = h_prev.shape[-1], cells.get(cell)

    def f(s, g):  # s (S,), g (G,)
        h = s[:hidden]
        c = s[hidden:] if kind.has_cell_state else None
        gh = w_hh @ h + b_hh  # (G,)
        h_new, c_new, _ = kind.step(g, gh, h, c, nonlinearity)
        return torch.cat([h_new, c_new]) if kind.has_cell_state else h_new

    s_prev = torch.cat([h_prev, c_prev], -1) if kind.has_cell_state else h_prev  # (T, S)
    # jacrev differentiates the S outputs at once: every intermediate of the step is (steps, S, G) at a time, so the
    # steps go in chunks of about STEP_CHUNK_ELEMENTS (an LSTM H=128 at T=99 took 460 MB in one go)
    chunk = max(1, STEP_CHUNK_ELEMENTS // (s_prev.shape[-1] * gi.shape[-1]))
    with torch.no_grad():
        js, ks = vmap(jacrev(f, argnums=(0, 1)), chunk_size=chunk)(s_prev.detach(), gi.detach())
    return js, ks  # (T, S, S), (T, S, G)



# Rows from which the pool tries power iteration on the blocks before forming Gram matrices: this moves work from the
# caller to the pool, so it pays when the caller is the slower side: from row 128 (measured: T=100 RNN/GRU, where the
# pool is the slower side, 1.1-1.25x slower from row 32 or 64; T=200 0.72-0.95x from row 96-160), and from row 64 for
# a state (h, c) whose products cost twice the Gram matrices (LSTM T=100 0.90x, T=200 0.87x).
CHAIN_FROM = {False: 128, True: 64}  # by: the state is larger than the block


def chain_norms(js: Tensor, hidden: int, with_cell: bool, stats: dict | None = None,
                certify: bool = True) -> dict[str, np.ndarray]:
    """Norm maps of ds_t/ds_k for k <= t (NaN above the diagonal): 'spectral' and 'frobenius' of the h-block, and
    'cell_spectral' (||dc_t/dc_k||_2, LSTM only). For an LSTM (s = (h, c)) the h-block is dh_t/dh_k with c_k held
    fixed and the c-block dc_t/dc_k with h_k held fixed: blocks of the full chain J_t ... J_{k+1}.
    js: [T, S, S]. Spectral norms are exact to the accuracy of eigvalsh (relative 1e-6 on lambda_max in float32,
    1e-12 in float64): each is the Frobenius norm times the square root of the top eigenvalue of the normalised
    block's Gram matrix, proved by a certificate or computed by eigvalsh (``engine.certify.TopEigen``;
    ``certify=False``: eigvalsh for every pair, the reference the benchmark times it against). ``stats``, if given,
    receives how many pairs each method settled."""
    steps, size = js.shape[0], js.shape[1]
    whole = size == hidden  # RNN / GRU: the h-block is the whole state Jacobian
    blocks = {"spectral": slice(0, hidden)} | ({"cell_spectral": slice(hidden, size)} if with_cell else {})
    out = {k: np.full((steps, steps), np.nan) for k in (*blocks, "frobenius")}
    logs = {k: np.full((steps, steps), np.nan) for k in blocks}  # log(scale * ||block||_F)
    eye = torch.eye(size, dtype=js.dtype)
    buf = [torch.empty(steps, size, size, dtype=js.dtype) for _ in range(2)]
    buf[0][0] = eye
    log_scale = torch.zeros(steps, dtype=torch.float64)  # ds_t/ds_k = exp(log_scale[k]) * rows[k]
    stats = {} if stats is None else stats
    # a job's matrices together about POOL_JOB_ELEMENTS (16 MB of float32; with their float64 bounds and
    # two jobs in flight, a GRU H=128 T=199 recording took 1 GB at 1024 matrices a job)
    top = TopEigen(stats, certify, batch=pool_batch(hidden))
    lam = {name: np.full((steps, steps), np.nan) for name in blocks}  # lambda_max of U^T U
    carry = _diagonal_carry(js, hidden)
    # every J_t diagonal (an IRNN at initialisation): every chain and its Gram matrix are diagonal
    diagonal = torch.equal(js, torch.diag_embed(torch.diagonal(js, dim1=-2, dim2=-1)))
    for t in range(steps):
        rows = buf[t % 2][: t + 1]  # (t+1, S, S): row k is ds_t/ds_k up to its scale; row t = I
        if t > 0:
            before = buf[(t - 1) % 2][:t]
            if carry is None:
                torch.matmul(js[t], before, out=rows[:t])
            else:  # J_t = [dense | diagonal]: half the flops of the full product
                torch.matmul(js[t, :, :hidden], before[:, :hidden], out=rows[:t])
                rows[:t].view(t, 2, hidden, size).addcmul_(carry[t][:, :, None], before[:, None, hidden:])
            rows[t] = eye
            scale = torch.linalg.matrix_norm(rows[:t])  # (t,)
            # a chain that is exactly 0 (ReLU units off) stays 0 with log scale -inf; dividing it by a clamped
            # 1e-300 would be 0/0 in float32, where 1e-300 rounds to 0
            rows[:t] /= torch.where(scale > 0, scale, torch.ones_like(scale))[:, None, None]
            log_scale[:t] += scale.double().log()
        for name, sl in blocks.items():
            blk = rows[:t, sl, sl]  # (t, H, H), k < t; the diagonal k = t is the identity
            fro = torch.ones(t, dtype=js.dtype) if whole else torch.linalg.matrix_norm(blk)  # rows have unit norm
            log_fro = log_scale[:t] + fro.double().log()  # -inf where the block is 0, NaN where non-finite
            logs[name][t, :t] = log_fro.numpy()
            if name == "spectral":
                with np.errstate(over="ignore"):
                    out["frobenius"][t, : t + 1] = np.append(np.exp(log_fro.numpy()), hidden ** 0.5)
            if t:
                unit = blk if whole else blk / torch.where(fro > 0, fro, torch.ones_like(fro))[:, None, None]
                if not torch.isfinite(log_fro).all():  # an exploded chain: keep the power iteration from NaN/Inf
                    unit = torch.nan_to_num(unit, nan=0.0, posinf=0.0, neginf=0.0)
                if diagonal:  # every chain is diagonal, and so is its Gram: lambda_max is the largest entry squared
                    lam[name][t, :t] = (unit * unit).amax((-2, -1)).double().numpy()
                    stats["diagonal"] = stats.get("diagonal", 0) + t
                else:
                    long_row = t >= CHAIN_FROM[size > hidden]
                    if long_row and top.wants.get(name, True):  # the blocks themselves (a copy: the buffer is reused)
                        top.add((name, t), chain=unit.clone() if unit.data_ptr() == blk.data_ptr() else unit)
                    else:
                        top.add((name, t), unit.mT @ unit, eligible=long_row)
    for (name, t, k), values in top.results():
        lam[name][t, k.numpy()] = values.double().numpy()
    for name in blocks:
        with np.errstate(over="ignore", invalid="ignore"):  # an exploded chain is inf / NaN, by design
            sigma = np.exp(logs[name]) * np.sqrt(np.clip(lam[name], 0, None))
            out[name] = np.where(np.isfinite(logs[name]) | (sigma == 0), sigma, np.nan)
        np.fill_diagonal(out[name], 1.0)  # ds_t/ds_t = I
    return out


def _diagonal_carry(js: Tensor, hidden: int) -> Tensor | None:
    """For a state s = (h, c) whose step Jacobian's c-columns are diagonal blocks, as an LSTM's are
    (dh_t/dc_{t-1} = diag(o_t tanh'(c_t) f_t), dc_t/dc_{t-1} = diag(f_t)): their diagonals [T, 2, H]; else None.
    Checked on the numbers (off-diagonal entries exactly 0), so any cell with this structure gets the fast product."""
    steps, size = js.shape[0], js.shape[1]
    if size != 2 * hidden:
        return None
    blocks = js[:, :, hidden:].reshape(steps, 2, hidden, hidden)
    diag = torch.diagonal(blocks, dim1=-2, dim2=-1)
    return diag.clone() if torch.equal(blocks, torch.diag_embed(diag)) else None


def input_sensitivity(layers: list, hidden: int, *, residual: bool = False) -> np.ndarray:
    """||du_t / dx_0||_2 for every t, u_t what the readout reads: the top layer's h_t (every direction), or for a
    residual net the sum of every layer's h_t (the top layer's output plus its input). ``layers`` holds per layer, per
    direction (J [T,S,S], K W_ih [T,S,I]) in the direction's own time order (the backward one's flipped): K_t W_ih,
    not K_t [T,S,G] itself, which is 4x larger for an LSTM (kept for every layer until this runs).

    Layer 1: N_0 = K_0 W_ih, N_t = J_t N_{t-1} (the backward direction meets x_0 at its last step, before which
    N = 0). Layer l+1 sees x through its input u_t = [h^l_t of every direction] (+ u^l_t for a residual net):
    N_t = J_t N_{t-1} + K_t W_ih M_t, with M_t = du_t/dx_0 of the layer below.
    """
    lower = None  # (T, D*H, I): d(input of the next layer)_t / dx_0
    for k, directions in enumerate(layers):
        outs = []
        for d, (js, kw) in enumerate(directions):
            steps = js.shape[0]
            m = lower if lower is None or d == 0 else lower.flip(0)
            enter = 0 if d == 0 else steps - 1  # where x_0 enters layer 1, in this direction's time
            n_prev, rows = None, []
            for t in range(steps):
                # input-side term: layer 1 only where x_0 enters; higher layers at every t through u_t
                drive = kw[t] @ m[t] if m is not None else kw[t] if t == enter else None  # (S, I)
                if n_prev is None:
                    n_t = drive
                else:
                    n_t = js[t] @ n_prev if drive is None else js[t] @ n_prev + drive  # (S, I)
                rows.append(n_t)
                n_prev = n_t
            zero = torch.zeros_like(next(r for r in rows if r is not None))
            got = torch.stack([r if r is not None else zero for r in rows])[:, :hidden]  # (T, H, I)
            outs.append(got if d == 0 else got.flip(0))
        out = outs[0] if len(outs) == 1 else torch.cat(outs, 1)  # (T, D*H, I)
        lower = out + lower if residual and k > 0 else out
    finite = torch.isfinite(lower).flatten(1).all(1)
    norms = torch.full((lower.shape[0],), float("nan"), dtype=torch.float64)
    norms[finite] = torch.linalg.matrix_norm(lower[finite].double(), ord=2)
    return norms.numpy()
