r"""Pascanu, Mikolov & Bengio (2013)'s one-unit recurrent network and its loss "cliff".

.. math::
    x_t = w\,\sigma(x_{t-1}) + b, \quad x_0 = 0.5, \qquad E = (\sigma(x_{50}) - 0.7)^2.

For w > 4 the map x -> w sigma(x) + b has two stable fixed points for b between two bifurcation values, and an
unstable one between them. The wall is not at a bifurcation (E is continuous there) but at the boundary between the
two basins as seen from the start x_0: at b*(w) = x_0 - sigma(x_0) w, x_0 is itself the unstable fixed point, and
for b just below or above b* the 50 steps run to different stable points. At w = 6 (bifurcations at b = -3.415 and
-2.585) E jumps by 0.384 across b* = -3.235 over a width that shrinks exponentially with the number of steps: a wall
that a coarse grid steps over. ``cliff_surface`` finds each wall between coarse grid points by bisection and adds
samples around it, so the drawn surface shows it.
Gradients are exact forward-mode derivatives (dx_t/dw, dx_t/db carried along the recursion).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

X0, TARGET, STEPS = 0.5, 0.7, 50
DEMO_LR, DEMO_CLIP, DEMO_ITERS = 0.2, 1.0, 30  # the descent paths drawn beside the wall


def basin_boundary(w):
    """b*(w) = x_0 - sigma(x_0) w: the b at which x_0 is the map's unstable fixed point (where the wall stands)."""
    return X0 - _sigmoid(X0) * np.asarray(w, dtype=np.float64)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free sigma


def cliff_loss(w, b, steps: int = STEPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(E, dE/dw, dE/db) broadcast over ``w`` and ``b``."""
    w, b = np.broadcast_arrays(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
    x = np.full(w.shape, X0)
    dw, db = np.zeros(w.shape), np.zeros(w.shape)
    for _ in range(steps):
        s = _sigmoid(x)
        ds = s * (1 - s)  # sigma'(x_{t-1})
        # dx_t/dw = sigma(x_{t-1}) + w sigma'(x_{t-1}) dx_{t-1}/dw ;  dx_t/db = 1 + w sigma'(x_{t-1}) dx_{t-1}/db
        dw, db = s + w * ds * dw, 1.0 + w * ds * db
        # x_t = w sigma(x_{t-1}) + b
        x = w * s + b
    s = _sigmoid(x)
    # dE/dx_T = 2 (sigma(x_T) - 0.7) sigma'(x_T)
    g = 2.0 * (s - TARGET) * s * (1 - s)
    return (s - TARGET) ** 2, g * dw, g * db


@dataclass(frozen=True, eq=False)
class CliffSurface:
    """E on a curvilinear grid: row j has b = b[j] and its own sorted w samples (coarse + around each wall)."""

    w: np.ndarray  # (NB, NW') w samples per row
    b: np.ndarray  # (NB, NW') b per sample (constant along a row)
    loss: np.ndarray  # (NB, NW')
    walls: np.ndarray  # (K, 2) (w*, b) located walls
    wall_loss: np.ndarray  # (K,) E at each wall
    coarse_w: np.ndarray  # (NW,) the regular w grid


def _bisect_wall(w_lo: float, w_hi: float, b: float, e_lo: float, e_hi: float, steps: int, iters: int = 60):
    """Narrow [w_lo, w_hi] to the point where E switches from near e_lo to near e_hi."""
    mid_e = 0.5 * (e_lo + e_hi)
    for _ in range(iters):
        w_mid = 0.5 * (w_lo + w_hi)
        e_mid = float(cliff_loss(w_mid, b, steps)[0])
        if (e_mid - mid_e) * (e_lo - mid_e) > 0:
            w_lo = w_mid
        else:
            w_hi = w_mid
    return 0.5 * (w_lo + w_hi)


def cliff_surface(w_range=(-2.0, 12.0), b_range=(-8.0, 2.0), n_w: int = 60, n_b: int = 40, steps: int = STEPS,
                  jump: float = 0.02, extra: int = 12) -> CliffSurface:
    """Sample E on a coarse grid, locate each jump between neighbouring w samples by bisection, and add ``extra``
    samples geometrically spaced around every wall (down to 1e-9 from it) so the wall is drawn as a wall."""
    ws = np.linspace(*w_range, n_w)
    bs = np.linspace(*b_range, n_b)
    coarse = cliff_loss(ws[None, :], bs[:, None], steps)[0]  # (NB, NW)
    offsets = np.geomspace(1e-9, (ws[1] - ws[0]) / 2, extra // 2)
    rows, walls = [], []
    for j, b in enumerate(bs):
        samples = list(ws)
        for i in np.nonzero(np.abs(np.diff(coarse[j])) > jump)[0][: 4]:
            w_star = _bisect_wall(ws[i], ws[i + 1], b, coarse[j, i], coarse[j, i + 1], steps)
            narrow = 1e-3 * (ws[1] - ws[0])
            step = cliff_loss(w_star + narrow, b, steps)[0] - cliff_loss(w_star - narrow, b, steps)[0]
            if abs(float(step)) < jump / 2:
                continue  # a steep but smooth slope that the coarse grid already draws
            walls.append((w_star, b))
            samples += list(w_star - offsets) + list(w_star + offsets)
        rows.append(np.sort(np.asarray(samples)))
    width = max(len(r) for r in rows)
    # pad rows to one width by repeating their last sample (a zero-width segment in the drawing)
    w2 = np.stack([np.pad(r, (0, width - len(r)), mode="edge") for r in rows])
    b2 = np.repeat(bs[:, None], width, axis=1)
    walls = np.asarray(walls).reshape(-1, 2)
    return CliffSurface(w2, b2, cliff_loss(w2, b2, steps)[0], walls, cliff_loss(walls[:, 0], walls[:, 1], steps)[0],
                        ws)


def loss_map(w_range=(-2.0, 12.0), b_range=(-8.0, 2.0), n_w: int = 141, n_b: int = 101, steps: int = STEPS
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E on a regular grid for a 2-D map: (w (n_w,), b (n_b,), E (n_b, n_w)). Each wall shows as the edge between
    two colours (a cell may straddle it: the exact walls are ``cliff_surface``'s)."""
    ws, bs = np.linspace(*w_range, n_w), np.linspace(*b_range, n_b)
    return ws, bs, cliff_loss(ws[None, :], bs[:, None], steps)[0]


def slice_across(w: float, b_centre: float, half: float = 1.5, n: int = 241, steps: int = STEPS
                 ) -> tuple[np.ndarray, np.ndarray]:
    """E along b at fixed ``w``, over b_centre +- half: a line that crosses the wall b*(w) = x_0 - sigma(x_0) w when
    it lies in the interval, sampled densely there (down to 1e-9 either side) so the jump is drawn vertical.
    Returns (b, E), b increasing."""
    bs = np.linspace(b_centre - half, b_centre + half, n)
    wall = float(basin_boundary(w))
    if bs[0] < wall < bs[-1]:
        near = np.geomspace(1e-9, 2 * half / n, 16)
        bs = np.unique(np.concatenate([bs, wall - near, wall + near]))
    return bs, cliff_loss(np.full_like(bs, w), bs, steps)[0]


def descent_path(w0: float, b0: float, lr: float = 0.5, iters: int = 60, clip: float | None = None,
                 steps: int = STEPS) -> dict[str, np.ndarray]:
    """Gradient descent on (w, b) from (w0, b0); with ``clip``, g <- clip * g / ||g|| when ||g|| > clip.
    Returns w, b, loss, grad_norm per iterate (iters + 1 points); stops early on a non-finite value."""
    w, b, out = float(w0), float(b0), {"w": [], "b": [], "loss": [], "grad_norm": []}
    for _ in range(iters + 1):
        e, gw, gb = (float(v) for v in cliff_loss(w, b, steps))
        norm = float(np.hypot(gw, gb))
        for k, v in zip(out, (w, b, e, norm)):
            out[k].append(v)
        if not np.isfinite(norm) or not np.isfinite(e):
            break
        if clip is not None and norm > clip:
            gw, gb = gw * clip / norm, gb * clip / norm
        w, b = w - lr * gw, b - lr * gb
    return {k: np.asarray(v) for k, v in out.items()}


def steep_start(surface: CliffSurface, min_grad: float = 50.0) -> tuple[float, float] | None:
    """A point just beside one of the located walls where ||grad E|| exceeds ``min_grad``: a start from which plain
    gradient descent is thrown off the cliff (Pascanu et al.'s picture). None if no wall was found."""
    for w_star, b_star in surface.walls:
        for d in np.geomspace(1e-2, 1e-9, 29):
            for w in (w_star - d, w_star + d):
                if np.hypot(*cliff_loss(w, b_star)[1:]) > min_grad:
                    return float(w), float(b_star)
    return None


def demo(lr: float = DEMO_LR, iters: int = DEMO_ITERS, clip: float = DEMO_CLIP, **surface_kw):
    """Pascanu's picture: the surface, and descent from a point beside a wall without and with norm clipping."""
    surface = cliff_surface(**surface_kw)
    start = steep_start(surface) or (6.0, -3.2)
    return surface, descent_path(*start, lr=lr, iters=iters), descent_path(*start, lr=lr, iters=iters, clip=clip)
