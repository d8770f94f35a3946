r"""Per-step losses, shared by training and recording.

With a target at every step (many-to-many) the lecture notes average the per-step losses,
L = (1/T) sum_t L_t, each L_t averaged over the batch; many-to-one has one loss, at the last step. The notes' worked
PyTorch example sums them instead (``reduction="sum"``: L = sum_t L_t, as ``loss += loss_func(...)`` in a loop).
Cross-entropy takes class ids, MSE takes float targets (averaged over the output dimension too).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.errors import ConfigError, ShapeError

LOSSES = ("cross_entropy", "mse")
MODES = ("many_to_many", "many_to_one")
REDUCTIONS = ("mean", "sum")  # over the steps that carry a target


def check_targets(outputs: Tensor, y: Tensor, loss: str, mode: str) -> None:
    """ShapeError unless y fits outputs [T, B, O] for this loss and mode."""
    if loss not in LOSSES:
        raise ConfigError(f"loss must be one of {LOSSES}, got {loss!r}")
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {MODES}, got {mode!r}")
    steps, batch, out = outputs.shape
    lead = (steps, batch) if mode == "many_to_many" else (batch,)
    want = lead if loss == "cross_entropy" else (*lead, out)
    if tuple(y.shape) != want:
        raise ShapeError(f"{loss} / {mode} needs targets of shape {list(want)}, got {list(y.shape)}")
    if loss == "cross_entropy":
        if y.dtype not in (torch.int64, torch.int32):
            raise ShapeError(f"cross_entropy needs integer class ids, got {y.dtype}")
        if y.numel() and (int(y.min()) < 0 or int(y.max()) >= out):
            raise ShapeError(f"class ids must lie in [0, {out}), got [{int(y.min())}, {int(y.max())}]")


def step_losses(outputs: Tensor, y: Tensor, loss: str, mode: str, check: bool = True) -> tuple[Tensor, Tensor]:
    """(losses [T], mask [T]): L_t averaged over the batch, and which steps carry a target."""
    if check:
        check_targets(outputs, y, loss, mode)
    steps, batch, out = outputs.shape
    mask = torch.zeros(steps, dtype=torch.bool)
    if mode == "many_to_one":
        mask[-1] = True
        last = F.cross_entropy(outputs[-1], y.long()) if loss == "cross_entropy" else F.mse_loss(outputs[-1], y)
        return torch.cat([outputs.new_zeros(steps - 1), last.reshape(1)]), mask
    mask[:] = True
    if loss == "cross_entropy":
        per = F.cross_entropy(outputs.reshape(steps * batch, out), y.reshape(-1).long(), reduction="none")
        return per.view(steps, batch).mean(1), mask  # (T,)
    return (outputs - y).pow(2).mean(dim=(1, 2)), mask  # (T,)


def total_loss(losses: Tensor, mask: Tensor, reduction: str = "mean") -> Tensor:
    """L = the mean (or the sum) of the per-step losses over the steps with a target."""
    if reduction not in REDUCTIONS:
        raise ConfigError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return losses[mask].sum() if reduction == "sum" else losses[mask].mean()
