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
within 1e-6 of the top eigenvalue of each block's Gram matrix (Kato-Temple, Wolkowicz-Styan, the inertia), and
eigvalsh where there is no proof; in batches on a thread pool while the products go on (``_TopEigen``). On long rows
the pool first iterates on the blocks themselves, whose proof needs no Gram matrix (``_chain_bound``).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import Tensor
from torch.func import jacrev, vmap

from engine.serving import allocator
from engine import cells

_POOL = ThreadPoolExecutor(max_workers=2)


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
    with torch.no_grad():
        js, ks = vmap(jacrev(f, argnums=(0, 1)))(s_prev.detach(), gi.detach())
    return js, ks  # (T, S, S), (T, S, G)


def _times(v: Tensor, g: Tensor) -> Tensor:
    """v^T g for v (n, H) and g (n, H, M), as rows (n, M): torch's batched vector-times-matrix is ~9x faster than its
    matrix-times-vector here (for a symmetric g this is g v)."""
    return (v[:, None, :] @ g)[:, 0]


def upper_bound(rho: Tensor, r: Tensor, tau: Tensor, phi: Tensor | None, size: int) -> Tensor:
    """A proved upper bound on lambda_max of a symmetric PSD matrix G (size x size) with tr G = tau and ||G||_F^2 = phi
    (None: unknown), given a unit vector's Rayleigh quotient rho and residual r >= ||G v - rho v|| (inf where there is
    none). Some eigenvalue lies in [rho - r, rho + r]. Every other one is at most mu = min(tau - (rho - r),
    sqrt(phi - (rho - r)^2)); if mu < rho - r that eigenvalue is the largest, and by Kato-Temple
    lambda_max <= rho + r^2 / (rho - mu). With phi also Wolkowicz-Styan: lambda_max <= m + s sqrt(n - 1), m and s^2
    the mean and variance of the n eigenvalues (tight for a flat spectrum)."""
    low = rho - r
    others = tau - low if phi is None else torch.minimum(tau - low, (phi - low * low).clamp_min(0).sqrt())
    apart = others < low
    bound = torch.where(apart, rho + r * r / torch.where(apart, rho - others, 1), torch.inf)
    if phi is not None:
        mean = tau / size
        bound = torch.minimum(bound, mean + (phi / size - mean * mean).clamp_min(0).sqrt() * (size - 1) ** 0.5)
    return bound


def _rounding(size: int, tau: Tensor) -> Tensor:
    """How far a computed G v may be from the exact one: ~ H eps ||G||_F <= H eps tr G (twice, for U^T (U v))."""
    return 4 * size * torch.finfo(tau.dtype).eps * tau


def _gram_bound(g: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Rayleigh quotient, proved upper bound and raw residual for symmetric PSD g (n, H, H) and unit v (n, H)."""
    size = g.shape[-1]
    gv = _times(v, g)
    rho = (v * gv).sum(-1)
    tau = torch.diagonal(g, dim1=-2, dim2=-1).sum(-1)
    residual = torch.linalg.vector_norm(gv - rho[:, None] * v, dim=-1)
    return rho, upper_bound(rho, residual + _rounding(size, tau), tau, torch.linalg.matrix_norm(g) ** 2, size), residual


def _chain_bound(u: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """For U (n, H, H) and unit v (n, H), without forming G = U^T U (two products with U, not one of H^3): the Rayleigh
    quotient ||U v||^2, a proved upper bound on lambda_max(G) from the residual and tr G = ||U||_F^2 alone
    (Kato-Temple, which needs the top eigenvalue over half the trace: a chain that has begun to forget all but one
    direction), and the next power iterate G v / ||G v||."""
    uv = _times(v, u.mT)
    gv = _times(uv, u)
    rho = (uv * uv).sum(-1)
    tau = torch.linalg.matrix_norm(u) ** 2
    residual = torch.linalg.vector_norm(gv - rho[:, None] * v, dim=-1)
    bound = upper_bound(rho, residual + _rounding(u.shape[-1], tau), tau, None, u.shape[-1])
    return rho, bound, torch.nn.functional.normalize(gv, dim=-1)


def _tolerance(dtype: torch.dtype) -> float:
    """Relative accuracy of lambda_max asked of a certificate: eigvalsh's own here (sigma to half of it)."""
    return 1e-6 if dtype == torch.float32 else 1e-12


class _TopEigen:
    r"""Largest eigenvalue of the Gram matrices G = U^T U of one map's blocks (U of unit Frobenius norm), certified, in
    jobs on a thread pool while the caller goes on multiplying (torch releases the GIL in its kernels). At most
    ``backlog`` jobs wait, which bounds memory.

    Column k of the map keeps its latest top eigenvector, the start of the pair (t, k) in the next job: the right
    singular vectors of J_t ... J_{k+1} settle as t grows (a new column starts from its largest column of G). The jobs
    run one after the other for that reason (and their choices depend on the numbers only: the same map every run).
    Power iteration gives the Rayleigh quotient rho <= lambda_max, kept only with a proof that
    lambda_max <= rho (1 + tol), tol the accuracy eigvalsh has here (1e-6 in float32):

    - for a row given as its blocks U (``add(chain=)``), up to three power steps on U itself, no G formed (an H^3
      product each): ``_chain_bound``'s proof from the residual and tr G alone holds once the top eigenvalue is over
      half the trace, as it is for most long chains (measured at T=500, H=64: 97% of a tanh RNN's pairs in rows
      128-499, 93% of a GRU's, 59% of an LSTM's in rows 64-499); the rest go on as Gram matrices. Not tried for 4 rows
      after a row where it settled under a tenth (8, 16, 32 after more such rows), and the caller sends the Gram
      matrices again meanwhile (it learns of it when it collects a job: an orthogonal RNN's flat chains);
    - ``upper_bound`` from the residual, tr G and ||G||_F^2 (Kato-Temple once the top eigenvalue is proved apart,
      or Wolkowicz-Styan);
    - when v is an eigenvector (tiny residual) but the top eigenvalues are close or equal (a uRNN's chains): the
      inertia, rho (1 + tol) I - G has a Cholesky factor (float64), so no eigenvalue is above rho (1 + tol);
    - the same bounds on P = G^8 (three squarings), whose spectrum is far steeper: lambda_max(G)^8 = c lambda_max(P);
      skipped for the next three jobs after a job where it settled under half the pairs (a flat spectrum stays flat,
      and three squarings cost half an eigvalsh);
    - ``eigvalsh`` for the rest (short chains near the diagonal, flat spectra), in a job of its own, so that two run
      at once.

    ``stats`` counts the pairs each way settled."""

    ITERS, CONVERGED, SQUARINGS = 4, 1e-4, 3  # power iterations; relative residual for the inertia test; squarings
    CHAIN_ITERS, CHAIN_REST = 3, 4  # power steps on U; rows it rests after settling under a tenth of a row (at first)

    def __init__(self, stats: dict, certify: bool = True, batch: int = 1024, steps: int = 4, backlog: int = 2):
        self.stats, self.certify, self.batch, self.steps, self.backlog = stats, certify, batch, steps, backlog
        self.pending, self.jobs, self.done = [], [], []
        self.vectors: dict = {}  # name -> (T, H) latest vector of each column k; zero rows: none yet
        self.last = None  # the job before
        self.squaring = [1.0, 0]  # share of pairs the squarings settled when last tried; jobs since
        self.chains: dict = {}  # name -> [rows since the power on U last failed, rows it rests (0: it paid)]
        self.wants: dict = {}  # name -> the power on U wanted, as of the last job collected (what the caller sends)

    def add(self, key, gram: Tensor | None = None, chain: Tensor | None = None, eligible: bool = False) -> None:
        """key = (name, t): row t of a map. Either gram (t, H, H), the Gram matrices of its blocks k < t, or chain
        (t, H, H), the blocks themselves (of unit Frobenius norm; not to be changed after): then the job tries power
        iteration on them first (``_chain_bound``; long rows, where most chains have one direction left) and forms the
        Gram matrices of the rest. ``eligible``: a row given as Gram matrices while the power on U rests (``wants``),
        which counts towards its rest."""
        block = gram if chain is None else chain
        self.pending.append((key, block, "chain" if chain is not None else "eligible" if eligible else "gram"))
        if sum(b.shape[0] for _, b, _ in self.pending) >= self.batch or len(self.pending) >= self.steps:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.last = _POOL.submit(self._job, self.pending, self.last)
            self.jobs.append(self.last)
            self.pending = []
        while len(self.jobs) > self.backlog:
            self._collect()

    def _known(self, name: str, t: int, like: Tensor) -> Tensor:
        """The latest vectors of columns 0..t-1 of map ``name`` (grown with zero rows: none yet)."""
        known = self.vectors.setdefault(name, like.new_zeros(0, like.shape[-1]))
        if known.shape[0] < t:
            known = self.vectors[name] = torch.cat([known, known.new_zeros(t - known.shape[0], like.shape[-1])])
        return known

    @staticmethod
    def _cold(v: Tensor, grams: Tensor) -> Tensor:
        """Rows of v that are zero (no vector yet) start from their Gram matrix's largest column."""
        cold = (v == 0).all(-1)
        if cold.any():
            j = torch.diagonal(grams[cold], dim1=-2, dim2=-1).argmax(-1)
            v[cold] = grams[cold][torch.arange(len(j)), :, j]
        return torch.nn.functional.normalize(v, dim=-1)

    def _wanted(self, name: str) -> bool:
        """The power on U is to be tried on map ``name``'s next row: it settled a tenth of its last row, or it has
        rested long enough."""
        since, rest = self.chains.setdefault(name, [0, 0])
        return self.certify and since >= rest

    def _chain_first(self, name: str, t: int, u: Tensor, known: Tensor):
        """Row t's pairs settled by up to CHAIN_ITERS power steps on U itself; returns (columns, values) settled and the
        columns left with their blocks. After a row where it settled under a tenth it rests CHAIN_REST rows, twice as
        long after each such row in a row (up to 8 times; a flat spectrum stays flat)."""
        cols, v = torch.arange(t), known[:t]
        if (v[-1] == 0).all():  # the new column starts from G's largest column, U^T (U e_j)
            j = int((u[-1] * u[-1]).sum(0).argmax())
            v[-1] = u[-1].mT @ u[-1][:, j]
        v, settled = torch.nn.functional.normalize(v, dim=-1), []
        for _ in range(self.CHAIN_ITERS):
            rho, upper, after = _chain_bound(u, v)
            known[cols] = after
            ok = upper <= rho * (1 + _tolerance(u.dtype))
            if ok.any():
                settled.append((cols[ok], rho[ok]))
                cols, u, after = cols[~ok], u[~ok], after[~ok]
            v = after
            if not len(cols):
                break
        self.stats["power on U"] = self.stats.get("power on U", 0) + t - len(cols)
        rested = self.chains[name][1]
        self.chains[name] = [0, 0 if t - len(cols) >= 0.1 * t else
                             self.CHAIN_REST if rested == 0 else min(2 * rested, 8 * self.CHAIN_REST)]
        return settled, cols, u

    def _job(self, items, before):
        if before is not None:
            before.result()  # its vectors are this job's starts (submitted earlier: running or done)
        done, keys, grams, starts = [], [], [], []
        for (name, t), block, kind in items:
            known = self._known(name, t, block)
            cols = torch.arange(t)
            if kind != "gram" and not self._wanted(name):  # the power on U rests: this row counts towards it
                self.chains[name][0] += 1
            elif kind == "chain":
                settled, cols, block = self._chain_first(name, t, block, known)
                done += [((name, t, k), values) for k, values in settled]
            if kind == "chain":
                if not len(cols):
                    continue
                block = block.mT @ block
            keys.append(((name, t, cols), len(cols)))
            grams.append(block)
            starts.append(known[cols])
        wants = {name: self._wanted(name) for name in self.chains}
        if not grams:
            return done, keys, None, None, None, wants
        grams = torch.cat(grams)
        top, v, idx, left = self._solve(grams, self._cold(torch.cat(starts), grams))
        at = 0
        for (name, _, cols), n in keys:  # in order: a later t's vector of column k replaces an earlier one's
            self.vectors[name][cols] = v[at:at + n]
            at += n
        exact = _POOL.submit(lambda g: torch.linalg.eigvalsh(g)[..., -1].clone(), left) if len(idx) else None
        return done, keys, top, idx, exact, wants

    def _solve(self, grams: Tensor, v: Tensor):
        """Certified top eigenvalues (NaN: not settled), the final vectors, and the indices and matrices left."""
        tol = _tolerance(grams.dtype)
        top, out = torch.full((grams.shape[0],), torch.nan, dtype=grams.dtype), v.clone()
        idx, g = torch.arange(grams.shape[0]), grams
        if not self.certify:
            self.stats["eigvalsh"] = self.stats.get("eigvalsh", 0) + len(idx)
            return top, out, idx, g

        def settle(stage, ok, rho, v, *more):
            nonlocal idx, g
            top[idx[ok]], out[idx] = rho[ok], v
            self.stats[stage] = self.stats.get(stage, 0) + int(ok.sum())
            idx, g = idx[~ok], g[~ok]
            return [x[~ok] for x in (rho, v, *more)]

        for _ in range(self.ITERS):
            v = torch.nn.functional.normalize(_times(v, g), dim=-1)
        rho, upper, r = _gram_bound(g, v)
        rho, v, r = settle("power", upper <= rho * (1 + tol), rho, v, r)
        converged = r <= self.CONVERGED * rho
        if converged.any():
            ok = torch.zeros_like(converged)
            shift = (rho[converged].double() * (1 + tol))[:, None, None] * torch.eye(g.shape[-1], dtype=torch.float64)
            ok[converged] = torch.linalg.cholesky_ex(shift - g[converged].double()).info == 0
            rho, v = settle("inertia", ok, rho, v)
        rate, since = self.squaring
        self.squaring[1] += 1
        if len(idx) and (rate >= 0.5 or since >= 3):
            p, log_c = g, torch.zeros(len(idx), dtype=torch.float64)
            for _ in range(self.SQUARINGS):
                p = p @ p
                norm = torch.linalg.matrix_norm(p)
                log_c = 2 * log_c + norm.double().log()
                p = p / torch.where(norm > 0, norm, 1)[:, None, None]
            for _ in range(self.ITERS):
                v = torch.nn.functional.normalize(_times(v, p), dim=-1)
            rho = (v * _times(v, g)).sum(-1)
            upper = ((log_c + _gram_bound(p, v)[1].double().log()) / 2 ** self.SQUARINGS).exp()
            ok = upper <= rho.double() * (1 + tol)
            self.squaring = [ok.double().mean().item(), 0]
            settle("power on G^8", ok, rho, v)
        if len(idx):
            self.stats["eigvalsh"] = self.stats.get("eigvalsh", 0) + len(idx)
        return top, out, idx, g

    def _collect(self) -> None:
        done, keys, top, idx, exact, wants = self.jobs.pop(0).result()
        self.done += done
        self.wants.update(wants)  # read here, in the caller, at a point fixed by the count of rows: the same every run
        if exact is not None:
            top[idx] = exact.result()
        at = 0
        for key, n in keys:
            self.done.append((key, top[at:at + n]))
            at += n

    def results(self):
        """((name, t, columns k), top eigenvalues of those pairs), for every pair added."""
        self.pending and self._flush()
        while self.jobs:
            self._collect()
        allocator.release()  # glibc keeps what worker threads freed in per-thread arenas: hand it back
        return self.done


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
    block's Gram matrix, proved by a certificate or computed by eigvalsh (``_TopEigen``; ``certify=False``: eigvalsh
    for every pair, the reference the benchmark times it against). ``stats``, if given, receives how many pairs each
    method settled."""
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
    top = _TopEigen(stats, certify)
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
    """||dh^L_t / dx_0||_2 for every t (top layer, every direction). ``layers`` holds per layer, per direction
    (J [T,S,S], K [T,S,G], W_ih [G,I]) in the direction's own time order (the backward one's flipped).

    Layer 1: N_0 = K_0 W_ih, N_t = J_t N_{t-1} (the backward direction meets x_0 at its last step, before which
    N = 0). Layer l+1 sees x through its input u_t = [h^l_t of every direction] (+ u^l_t for a residual net):
    N_t = J_t N_{t-1} + K_t W_ih M_t, with M_t = du_t/dx_0 of the layer below.
    """
    lower = None  # (T, D*H, I): d(input of the next layer)_t / dx_0
    for k, directions in enumerate(layers):
        outs = []
        for d, (js, ks, w_ih) in enumerate(directions):
            steps = js.shape[0]
            m = lower if lower is None or d == 0 else lower.flip(0)
            enter = 0 if d == 0 else steps - 1  # where x_0 enters layer 1, in this direction's time
            n_prev, rows = None, []
            for t in range(steps):
                # input-side term: layer 1 only where x_0 enters; higher layers at every t through u_t
                drive = ks[t] @ w_ih @ m[t] if m is not None else ks[t] @ w_ih if t == enter else None  # (S, I)
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
