r"""The spectral norms of the Jacobian maps, certified: power iteration on a block's Gram matrix G = U^T U (or on
the block U itself, for long chains), warm-started from the neighbouring pair, kept only with a proof that its value
is within the tolerance of G's top eigenvalue (Kato-Temple from the residual, Wolkowicz-Styan from the trace and
the trace of G^2, the inertia), and eigvalsh where there is no proof; in batches on a thread pool while the caller's
products go on (``TopEigen``). engine/jacobian.py builds the products and asks."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch
from torch import Tensor


_POOL = ThreadPoolExecutor(max_workers=2)


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
    the mean and variance of the n eigenvalues (tight for a flat spectrum), with room for the rounding of every
    term (the variance is a difference of nearly equal numbers there)."""
    low = rho - r
    others = tau - low if phi is None else torch.minimum(tau - low, (phi - low * low).clamp_min(0).sqrt())
    apart = others < low
    bound = torch.where(apart, rho + r * r / torch.where(apart, rho - others, 1), torch.inf)
    if phi is not None:
        # the variance by cancellation, phi/n - m^2, with room for the rounding of tau and phi (sums of n and n^2
        # terms) and of m^2: without it a nearly flat spectrum's variance rounded to 0 and the bound fell to the mean,
        # under lambda_max (eigenvalues 1 and 1 - 1e-8 gave 1 - 5e-9); such a spectrum now goes to eigvalsh.
        eps = torch.finfo(tau.dtype).eps
        mean = tau / size
        slack = 4 * size * size * eps * (phi / size + mean * mean)
        spread = (phi / size - mean * mean + slack).clamp_min(0).sqrt() * (size - 1) ** 0.5
        bound = torch.minimum(bound, mean * (1 + 4 * size * eps) + spread)
    return bound


def _rounding(size: int, tau: Tensor) -> Tensor:
    """How far a computed G v may be from the exact one: ~ H eps ||G||_F <= H eps tr G (twice, for U^T (U v))."""
    return 4 * size * torch.finfo(tau.dtype).eps * tau


def _gram_bound(g: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Rayleigh quotient, proved upper bound and raw residual for symmetric PSD g (n, H, H) and unit v (n, H), in
    float64 whatever g's type: of the matrix as stored, exactly to float64's rounding (in float32 the quotient's own
    rounding, ~H eps, put it up to 3.5e-7 above lambda_max and the bound 3e-7 under it)."""
    g, v = g.double(), torch.nn.functional.normalize(v.double(), dim=-1)
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
    direction), and the next power iterate G v / ||G v||. In float64, as ``_gram_bound``."""
    u, v = u.double(), torch.nn.functional.normalize(v.double(), dim=-1)
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


class TopEigen:
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
    - ``eigvalsh`` for the rest (short chains near the diagonal, flat spectra), in a job of its own, so that two run
      at once.

    ``stats`` counts the pairs each way settled.

    (A fourth way, the same bounds on G^8 after three squarings, was removed: in float32 the squarings' rounding put
    its "bound" up to 4e-8 under lambda_max(G), and in float64 they made the maps 2.1-2.6x slower than without them,
    slower than eigvalsh for every pair.)"""

    ITERS, CONVERGED = 4, 1e-4  # power iterations; relative residual for the inertia test
    CHAIN_ITERS, CHAIN_REST = 3, 4  # power steps on U; rows it rests after settling under a tenth of a row (at first)

    def __init__(self, stats: dict, certify: bool = True, batch: int = 1024, steps: int = 4, backlog: int = 2):
        self.stats, self.certify, self.batch, self.steps, self.backlog = stats, certify, batch, steps, backlog
        self.pending, self.jobs, self.done = [], [], []
        self.vectors: dict = {}  # name -> (T, H) latest vector of each column k; zero rows: none yet
        self.last = None  # the job before
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
        v, settled, wide = torch.nn.functional.normalize(v, dim=-1), [], u.double()  # the bounds' float64, once
        for _ in range(self.CHAIN_ITERS):
            rho, upper, after = _chain_bound(wide, v)
            known[cols] = after.to(known.dtype)
            ok = upper <= rho * (1 + _tolerance(u.dtype))
            if ok.any():
                settled.append((cols[ok], rho[ok]))
                cols, u, wide, after = cols[~ok], u[~ok], wide[~ok], after[~ok]
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
        top, out = torch.full((grams.shape[0],), torch.nan, dtype=torch.float64), v.clone()
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
        if len(idx):
            self.stats["eigvalsh"] = self.stats.get("eigvalsh", 0) + len(idx)
        return top, out, idx, g

    def _collect(self) -> None:
        done, keys, top, idx, exact, wants = self.jobs.pop(0).result()
        self.done += done
        self.wants.update(wants)  # read here, in the caller, at a point fixed by the count of rows: the same every run
        if exact is not None:
            top[idx] = exact.result().double()
        at = 0
        for key, n in keys:
            self.done.append((key, top[at:at + n]))
            at += n

    def results(self):
        """((name, t, columns k), top eigenvalues of those pairs), for every pair added."""
        self.pending and self._flush()
        while self.jobs:
            self._collect()
        return self.done
