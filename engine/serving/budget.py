r"""A run's cost, estimated from its settings before it starts, against the server's budget (engine.serving.limits).

Time: every step of every layer costs a fixed overhead (the BPTT loop, the fused kernels' dispatch) plus its
matrix products, forward and backward about 6 G (I + H) B flops; the readout 6 O H B. The recording adds the
Jacobian maps of the top layer: T^2 (t, k) blocks, each a product and an exact spectral norm of an S x S matrix
(S = H, or 2H for an LSTM), T^2 (2.4e-5 + 1.5e-10 S^3) s. Memory: the larger of one update's activations and the
recording (its arrays, the maps' two (T, S, S) chain buffers and (T, T) maps). The constants were measured on a
2-core laptop (default char-LM: 4e-5 s per step; LSTM H=64, B=32: 1.7e-4 s per step; maps: RNN H=35 T=499 5.1 s,
LSTM H=64 T=299 9.2 s, GRU H=128 T=199 14.2 s, where the model says 6.8, 30 and 13.5 s) and err on the slow side:
the budget refuses what would stall a room, it does not promise a duration.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from engine import cells
from engine.jacobian import STEP_CHUNK_ELEMENTS, pool_batch
from engine.serving import limits
from engine.errors import ConfigError

STEP_SECONDS = 4e-5  # per step and layer, besides the products
FLOPS = 1e10  # products per second, the two cores together
MAP_PAIR_SECONDS, MAP_CUBE_SECONDS = 2.4e-5, 1.5e-10  # Jacobian map: per (t, k) pair, plus per S^3 of each pair
BYTES = 4  # float32
HEAP = 1.8


class BudgetError(ConfigError):
    """The settings would exceed the server's budget. ``estimate`` says by how much; ``suggestions`` are the nearest
    settings that fit: alternatives, each a {field: value} of changes made together ("text_length": keep the first
    that many characters of the text)."""

    def __init__(self, estimate: Estimate, suggestions: list[dict]):
        self.estimate, self.suggestions = estimate, suggestions
        super().__init__(f"this run would need about {estimate.seconds:.0f} s and {estimate.mb:.0f} MB "
                         f"(limits {limits.MAX_RUN_SECONDS:.0f} s, {limits.MAX_RUN_MB:.0f} MB)")

    def __reduce__(self):  # errors travel from a worker process to the server as pickles
        return type(self), (self.estimate, self.suggestions)


@dataclass(frozen=True)
class Shape:
    """What the cost depends on besides the model's sizes."""

    input_size: int
    output_size: int
    train_steps: int  # T of a training sequence
    train_batch: int
    eval_steps: int  # T of the recorded batch
    eval_batch: int


@dataclass(frozen=True)
class Estimate:
    train_seconds: float
    record_seconds: float
    mb: float

    @property
    def seconds(self) -> float:
        return self.train_seconds + self.record_seconds

    def fits(self) -> bool:
        return self.seconds <= limits.MAX_RUN_SECONDS and self.mb <= limits.MAX_RUN_MB


def estimate(cell: str, hidden: int, layers: int, epochs: int, shape: Shape, *, directions: int = 1) -> Estimate:
    """A bidirectional model (``directions`` = 2) costs as twice the layers (the upper ones reading 2H), and its
    recording makes both directions' maps."""
    if directions == 2:
        both = estimate(cell, hidden, 2 * layers, epochs, shape)
        second_map = estimate(cell, hidden, 1, 0, shape).record_seconds  # an upper bound of one more T x T map
        return Estimate(both.train_seconds, both.record_seconds + second_map, both.mb)
    kind = cells.get(cell)
    g, s = kind.blocks * hidden, kind.state_size(hidden)

    def step_seconds(batch: int) -> float:
        flops = sum(6 * g * ((shape.input_size if k == 0 else hidden) + hidden) * batch for k in range(layers))
        flops += 6 * shape.output_size * hidden * batch
        return layers * STEP_SECONDS + flops / FLOPS

    train = epochs * shape.train_steps * step_seconds(shape.train_batch)
    t = shape.eval_steps
    record = t * step_seconds(shape.eval_batch) * 3 + t * t * (MAP_PAIR_SECONDS + MAP_CUBE_SECONDS * s ** 3)
    per_step = shape.eval_batch * (shape.input_size + shape.output_size + layers * (6 * hidden + 3 * g))
    # the maps: their two (T, S, S) chain buffers and the certificates' jobs in flight (a job: up to four rows or
    # pool_batch H x H blocks; with the jobs waiting, their float64 copies and squarings, measured up to 16 blocks a
    # job's block); every layer's step Jacobians J_t and K_t W_ih (T, S, S + I), kept for the input sensitivity; the
    # layer being differentiated: its K_t (T, S, G) and the chunked intermediates (engine.jacobian.step_jacobians)
    maps = 2 * t * s * s + 16 * min(4 * t, pool_batch(hidden)) * hidden * hidden
    steps = t * s * (s + shape.input_size) + (layers - 1) * t * s * (s + hidden)
    current = t * s * g + 10 * min(STEP_CHUNK_ELEMENTS, t * s * g)
    # x HEAP: the heap keeps what one stage of the recording freed for the next, and what the certificates' pool threads
    # freed (their lag behind the main thread depends on the CPU: a GRU 128 char-LM's peak ranged 743-966 MB over 7
    # runs, up to 1.59x its parts on a busy machine; 1.8x leaves room)
    record_mb = HEAP * (t * per_step + maps + steps + current + 4 * t * t * 2) * BYTES / 2 ** 20
    activations = shape.train_steps * shape.train_batch * layers * (shape.input_size + 4 * g + 6 * hidden) * 3
    train_mb = activations * BYTES / 2 ** 20
    return Estimate(train, record, 300 + max(train_mb, record_mb))  # 300 MB: the process's own share of a run


def check(cell: str, hidden: int, layers: int, epochs: int, shape: Shape, *, text_run: bool,
          directions: int = 1) -> Estimate:
    """The estimate, or BudgetError with the nearest settings that fit: fewer epochs when training is what
    exceeds; a shorter sequence (text), a smaller batch or hidden size when one update or the recording does;
    if nothing alone is enough, the largest batch / length / H that fits one epoch, with the epochs that fit then."""
    cost_of = functools.partial(estimate, directions=directions)
    est = cost_of(cell, hidden, layers, epochs, shape)
    if est.fits():
        return est
    dims = [d for d in ("hidden_size", "batch", "length") if not (d == "batch" and text_run)]

    def cost(name: str, v: int, n_epochs: int) -> Estimate:
        return cost_of(cell, v if name == "hidden_size" else hidden, layers, n_epochs, _with(shape, name, v))

    def largest(name: str, n_epochs: int) -> int:
        current = {"hidden_size": hidden, "batch": shape.train_batch, "length": shape.train_steps}[name]
        return _largest(lambda v: cost(name, v, n_epochs).fits(), current - 1)

    def change(name: str, v: int) -> dict:  # a text of v + 1 characters has v steps
        return {"text_length": v + 1} if name == "length" and text_run else {name: v}

    suggestions = []
    if cost_of(cell, hidden, layers, 1, shape).fits():
        suggestions.append({"epochs": max(1, min(epochs - 1, _epochs_that_fit(cost_of(cell, hidden, layers, 1,
                                                                                        shape))))})
    suggestions += [change(name, best) for name in dims if (best := largest(name, epochs))]
    if not suggestions:
        for name in ("batch", "length", "hidden_size"):
            if name in dims and (best := largest(name, 1)):
                one = cost(name, best, 1)
                suggestions = [change(name, best) | {"epochs": max(1, min(epochs, _epochs_that_fit(one)))}]
                break
    raise BudgetError(est, suggestions)


def _epochs_that_fit(one_epoch: Estimate) -> int:
    """How many epochs fit the time budget, from the estimate of one."""
    room = limits.MAX_RUN_SECONDS - one_epoch.record_seconds
    return math.floor(room / max(one_epoch.train_seconds, 1e-9))


def _largest(fits, hi: int) -> int:
    """The largest v in [1, hi] with fits(v) (fits is monotone: smaller is cheaper), or 0."""
    lo, best = 1, 0
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(mid):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return best


def _with(shape: Shape, name: str, value: int) -> Shape:
    if name == "batch":
        return Shape(shape.input_size, shape.output_size, shape.train_steps, value, shape.eval_steps,
                     shape.eval_batch)
    if name == "length":
        return Shape(shape.input_size, shape.output_size, value, shape.train_batch, value, shape.eval_batch)
    return shape
