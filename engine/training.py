r"""Training with SGD / Adam / RMSprop, gradient clipping and truncated BPTT, recording every update.

Clipping by global norm is torch's ``clip_grad_norm_``: with g the concatenation of all gradients,

.. math::
    g \leftarrow \frac{\text{threshold}}{\lVert g \rVert} g \quad \text{if } \lVert g \rVert > \text{threshold}

(torch divides by ||g|| + 1e-6, so the applied norm is just below the threshold); clipping by value clamps each
component to [-threshold, threshold]. Truncated BPTT with window k cuts each sequence into chunks of k steps: the
hidden state is carried from chunk to chunk, its gradient is cut (``detach``), and each chunk is one update.
The forward runs on torch's fused module and the backward is engine.bptt's (tested equal to autograd's).
A loss or gradient norm that is NaN/Inf stops training with status "diverged" at that update, before the step.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from engine import bptt, losses
from engine.errors import ArchitectureError, ConfigError
from engine.model import RecurrentNet
from engine.tasks import TaskData

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}
CLIPS = ("none", "norm", "value")
MAX_EPOCHS = 20000
MAX_LR = 100.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the model and the data (hashable: a cache key)."""

    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 300  # char-LM: passes over the text; generated tasks: fresh batches
    clip: str = "none"  # "none" | "norm" | "value"
    clip_threshold: float = 1.0
    tbptt: int = 0  # truncated-BPTT window k; 0 = full BPTT
    snapshot_every: int = 0  # keep the parameters every N updates (0: first and last only)

    def check(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.clip not in CLIPS:
            raise ConfigError(f"clip must be one of {CLIPS}, got {self.clip!r}")
        if not (0 < self.lr <= MAX_LR) or not math.isfinite(self.lr):
            raise ConfigError(f"learning rate must be in (0, {MAX_LR}], got {self.lr}")
        if not 0 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError(f"epochs must be between 0 and {MAX_EPOCHS}, got {self.epochs}")
        if self.clip != "none" and not self.clip_threshold > 0:
            raise ConfigError(f"clipping threshold must be > 0, got {self.clip_threshold}")
        if self.tbptt < 0:
            raise ConfigError(f"truncated-BPTT window must be >= 0, got {self.tbptt}")


@dataclass(frozen=True, eq=False)
class History:
    """Per-update record of a training run (U updates)."""

    loss: np.ndarray  # (U,)
    grad_norm: np.ndarray  # (U,) ||g|| before clipping
    grad_norm_clipped: np.ndarray  # (U,) ||g|| of the update actually applied
    clipped: np.ndarray  # (U,) bool, clipping changed the gradient
    status: str  # "finished" | "diverged" | "stopped" (its time limit) | "paused" (asked to, with a checkpoint)
    first_nonfinite: int | None  # update where loss or gradient became NaN/Inf
    snapshots: tuple = field(default_factory=tuple)  # ((update, {name: ndarray}), ...)
    seconds: float = 0.0
    checkpoint: Checkpoint | None = None  # status "paused": where training goes on from (train(resume=...))
    per_epoch: int = 1  # updates in one epoch (truncated BPTT: one per chunk with a target)

    @property
    def updates(self) -> int:
        return len(self.loss)


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A training paused after ``epoch`` epochs: everything ``train(..., resume=checkpoint)`` needs to go on as if it
    had never stopped (the model's parameters are the model's own). Read-only: resuming copies it."""

    epoch: int  # epochs done
    optimizer: dict  # the optimizer's state_dict (Adam's moments, step counts)
    rng: torch.Tensor  # torch's global generator
    records: dict  # per-update lists so far: loss, gn, gc, fired
    snapshots: tuple  # the schedule's snapshots so far (not the one taken at the pause)
    seconds: float


def _snapshot(net: RecurrentNet) -> dict[str, np.ndarray]:
    """The state_dict, and a parametrised weight (a unitary W_hh) also as computed, under its plain name."""
    out = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
    for name in getattr(net.recurrent, "parametrizations", {}):
        out[f"recurrent.{name}"] = getattr(net.recurrent, name).detach().cpu().numpy().copy()
    return out


def _chunks(data: TaskData, window: int):
    """(x, y, has_target) per truncated-BPTT chunk."""
    steps = data.x.shape[0]
    win = window if 0 < window < steps else steps
    for s in range(0, steps, win):
        last = s + win >= steps
        if data.mode == "many_to_many":
            yield data.x[s:s + win], data.y[s:s + win], True
        else:
            yield data.x[s:s + win], data.y, last


def _clip(params, cfg: TrainConfig) -> tuple[float, float, bool]:
    """Apply the configured clipping in place: (norm before, norm after, fired)."""
    grads = [p.grad for p in params if p.grad is not None]
    before = float(torch.nn.utils.get_total_norm(grads))
    if cfg.clip == "norm" and math.isfinite(before):
        torch.nn.utils.clip_grad_norm_(params, cfg.clip_threshold)
    elif cfg.clip == "value" and math.isfinite(before):
        torch.nn.utils.clip_grad_value_(params, cfg.clip_threshold)
    after = float(torch.nn.utils.get_total_norm(grads)) if cfg.clip != "none" else before
    return before, after, cfg.clip != "none" and after < before


def train(net: RecurrentNet, data: TaskData | Callable[[int], TaskData], cfg: TrainConfig,
          progress: Callable[[int, int, float], bool | None] | None = None, *, pause_at: int = -1,
          resume: Checkpoint | None = None) -> History:
    """Train ``net`` in place. ``data`` is one fixed batch (char-LM) or ``epoch -> TaskData`` (fresh batches).

    ``progress(update, total_updates, loss)`` is called after every update; returning True stops training.
    ``pause_at`` (0 <= pause_at < cfg.epochs): stop after that many epochs with status "paused" and a checkpoint;
    ``resume``: go on from a checkpoint of this training (``net`` holding its parameters then). Paused and resumed,
    a training is the same bit for bit as never paused (losses, gradients, snapshots, parameters).
    """
    cfg.check()
    if cfg.tbptt and getattr(net, "bidirectional", False):
        raise ArchitectureError("tbptt")
    params = [p for p in net.parameters() if p.requires_grad]
    opt = OPTIMIZERS[cfg.optimizer](params, lr=cfg.lr, foreach=True)
    get = data if callable(data) else (lambda _e: data)
    first = get(0)
    per_epoch = sum(1 for *_, has in _chunks(first, cfg.tbptt) if has)
    total = cfg.epochs * per_epoch
    start, checked, status, bad = time.perf_counter(), None, "finished", None
    if resume is None:
        rec = {"loss": [], "gn": [], "gc": [], "fired": []}
        snaps, begin, before = [(0, _snapshot(net))], 0, 0.0
    else:  # copies: the checkpoint stays as it was (a paused run can be resumed again)
        opt.load_state_dict(copy.deepcopy(resume.optimizer))
        torch.set_rng_state(resume.rng)
        rec = {k: list(v) for k, v in resume.records.items()}
        snaps, begin, before = list(resume.snapshots), resume.epoch, resume.seconds
    end = pause_at if 0 <= pause_at < cfg.epochs else cfg.epochs
    net.train()
    for epoch in range(begin, end):
        batch = first if epoch == 0 else get(epoch)
        state = None
        for xc, yc, has_target in _chunks(batch, cfg.tbptt):
            if state is not None:  # truncated BPTT: keep the state, cut its gradient
                state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            if not has_target:
                with torch.no_grad():
                    _, state = net(xc, state, return_state=True)
                continue
            out, state = bptt.run(net, xc, state)  # (k, B, O), engine.bptt's backward
            # targets are validated once per batch, not on every chunk
            per_step, mask = losses.step_losses(out, yc, batch.loss, batch.mode, check=checked is not batch)
            checked = batch
            # L = mean (or sum) of L_t over the steps with a target (all of them, or the last one)
            loss = losses.total_loss(per_step, mask, batch.reduction)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gn, gc, fired = _clip(params, cfg)
            u = len(rec["loss"])
            rec["loss"].append(loss.item())
            rec["gn"].append(gn)
            rec["gc"].append(gc)
            rec["fired"].append(fired)
            if not (math.isfinite(rec["loss"][-1]) and math.isfinite(gn)):
                status, bad = "diverged", u
                break
            opt.step()
            if cfg.snapshot_every and (u + 1) % cfg.snapshot_every == 0:
                snaps.append((u + 1, _snapshot(net)))
            if progress is not None and progress(u + 1, total, rec["loss"][-1]):
                status = "stopped"
                break
        if status != "finished":
            break
    seconds = before + time.perf_counter() - start
    checkpoint = None
    if status == "finished" and end < cfg.epochs:
        status = "paused"
        checkpoint = Checkpoint(epoch=end, optimizer=copy.deepcopy(opt.state_dict()), rng=torch.get_rng_state(),
                                records={k: list(v) for k, v in rec.items()}, snapshots=tuple(snaps),
                                seconds=seconds)
    if snaps[-1][0] != len(rec["loss"]):
        snaps.append((len(rec["loss"]), _snapshot(net)))
    net.eval()
    return History(loss=np.array(rec["loss"], dtype=float), grad_norm=np.array(rec["gn"], dtype=float),
                   grad_norm_clipped=np.array(rec["gc"], dtype=float), clipped=np.array(rec["fired"], dtype=bool),
                   status=status, first_nonfinite=bad, snapshots=tuple(snaps), seconds=seconds,
                   checkpoint=checkpoint, per_epoch=per_epoch)
