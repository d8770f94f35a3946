"""Measurements behind the app's sentences: each function reads runs, histories or traces and returns the numbers a
lecture claims, with whether the run shows the effect. The app words them; nothing here is asserted, only measured.

Each result is an Evidence: ``shown`` (the run shows the effect as the scenario names it) and ``values`` (the
numbers a sentence quotes, by name).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from engine import analysis, spectrum
from engine.record import Trace
from engine.tasks import TaskData
from engine.training import History


@dataclass(frozen=True)
class Evidence:
    shown: bool
    values: dict = field(default_factory=dict)


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("inf") if a else float("nan")


@torch.no_grad()
def predictions(net, data: TaskData) -> torch.Tensor:
    """argmax of the model's outputs for the data's inputs: (T, B) class ids (or symbol ids for the char-LM)."""
    net.eval()
    return net(data.x).argmax(-1)


def next_characters(net, data: TaskData) -> Evidence:
    """Char-LM: the predicted next characters of the first sequence against the text (for CE and one-hot MSE)."""
    pred = predictions(net, data)[:, 0]
    target = data.y[:, 0] if data.loss == "cross_entropy" else data.y[:, 0].argmax(-1)
    correct = int((pred == target).sum())
    total = len(target)
    vocab = data.vocab
    return Evidence(correct == total, {"predicted": "".join(vocab[int(i)] for i in pred),
                                       "target": "".join(vocab[int(i)] for i in target),
                                       "correct": correct, "total": total})


def decay(trace: Trace) -> Evidence:
    """||dh_T/dh_1|| / ||dh_T/dh_{T-1}|| of the recorded map (top layer, batch element of the map).
    Shown (the first step's influence has faded) when below 1e-2."""
    row = trace.jacobians.spectral[-1]
    ratio = spectrum.decay_ratio(row)
    return Evidence(bool(ratio < 1e-2), {"ratio": ratio, "first": float(row[0]), "last": float(row[-2]),
                                         "steps": len(row)})


def spectrum_change(history: History, trace: Trace) -> Evidence:
    """The top layer's main W_hh block before training (the first snapshot) and after (the trace), with the
    regime after training. Shown: vanishing is guaranteed after training."""
    top = f"recurrent.weight_hh_l{trace.layers - 1}"
    before = spectrum.main_spectrum(history.snapshots[0][1][top], trace.cell_kind, trace.nonlinearity)
    after = trace.main_spectrum
    reg = trace.regime
    return Evidence(reg.kind == spectrum.VANISHING,
                    {"rho_before": before.spectral_radius, "sigma_before": before.sigma_max,
                     "rho_after": after.spectral_radius, "sigma_after": after.sigma_max, "bound": 1 / after.gamma,
                     "kind": reg.kind, "updates": history.updates})


def explosion(plain: History, clipped: History, threshold: float) -> Evidence:
    """The gradient norm of the unclipped run (first, largest, where), its loss at the start and the end, and the
    clipped run: how often clipping fired, the largest norm applied, its loss. Shown: the norm grew by at least
    three orders of magnitude (or became NaN/Inf), every clipped update stayed at the threshold, and the clipped
    loss went down."""
    g = plain.grad_norm
    finite = np.isfinite(g)
    top = int(np.argmax(np.where(finite, g, -np.inf))) if finite.any() else 0
    orders = math.log10(_ratio(float(g[top]), float(g[0]))) if finite.any() and g[0] > 0 else float("nan")
    # the largest rise from one update to the next on the way up to the largest norm (a rise after it is not what
    # brought the norm there)
    rises = np.diff(np.log10(np.where(finite & (g > 0), g, np.nan)[:top + 1]))
    grew_at = int(np.nanargmax(rises)) + 1 if len(rises) and np.isfinite(rises).any() else 0
    capped = bool(np.all(clipped.grad_norm_clipped <= threshold * (1 + 1e-6)))
    values = {"g_first": float(g[0]), "g_max": float(g[top]), "u_max": top, "orders": orders,
              "biggest_rise": float(10 ** np.nanmax(rises)) if np.isfinite(rises).any() else float("nan"),
              "rise_at": grew_at, "loss_first": float(plain.loss[0]), "loss_last": float(plain.loss[-1]),
              "diverged_at": plain.first_nonfinite, "updates": plain.updates,
              "fired": int(np.sum(clipped.clipped)), "clipped_updates": clipped.updates,
              "applied_max": float(np.max(clipped.grad_norm_clipped)), "clip_loss_first": float(clipped.loss[0]),
              "clip_loss_last": float(clipped.loss[-1]), "threshold": threshold,
              "clip_diverged_at": clipped.first_nonfinite}
    shown = ((orders >= 3 or plain.status == "diverged") and capped and clipped.status == "finished"
             and values["clip_loss_last"] < values["clip_loss_first"])
    return Evidence(bool(shown), values)


def cliff_steps(plain: dict, clipped: dict, lr: float, clip: float) -> Evidence:
    """Largest step in (w, b) of the plain and the clipped descent paths (engine.lessons.cliff.descent_path). Shown: the
    plain path jumps at least 100x farther than the clipped one, whose steps are at most lr * clip."""
    def steps(p):
        return np.hypot(np.diff(p["w"]), np.diff(p["b"]))
    big, small = float(steps(plain).max()), float(steps(clipped).max())
    jump = int(steps(plain).argmax()) + 1  # where the plain path's largest step landed
    return Evidence(bool(big > 100 * small and small <= lr * clip * (1 + 1e-9)),
                    {"plain_step": big, "clipped_step": small, "bound": lr * clip, "lr": lr, "clip": clip,
                     # what the loss did: clipping bounds the step, not the loss (the sentence says which happened)
                     "plain_w": float(plain["w"][jump]), "plain_b": float(plain["b"][jump]),
                     "plain_end": float(plain["loss"][-1]), "start_loss": float(clipped["loss"][0]),
                     "clipped_first": float(clipped["loss"][1]), "clipped_end": float(clipped["loss"][-1]),
                     "iters": len(clipped["loss"]) - 1,
                     # the clipped path's first step went over the wall too (E jumped between the basins' levels),
                     # whether it ended lower than the plain path, and above its own start
                     "crossed": bool(abs(clipped["loss"][1] - clipped["loss"][0]) > 0.1),
                     "lower": bool(clipped["loss"][-1] < plain["loss"][-1] - 0.01),
                     "rose": bool(clipped["loss"][-1] > clipped["loss"][0] + 0.01)})


def truncation(trace: Trace, window: int) -> Evidence:
    """At the last step of each truncation window the truncated dL/dh_t is only the direct part (nothing crosses
    the boundary); full BPTT adds what flows back from later steps. Top layer. Shown: the truncated difference is
    zero at every boundary while full BPTT's is not."""
    g, full, direct = (a[-1] for a in (trace.truncated.grad_hidden, trace.grad_hidden, trace.grad_hidden_direct))
    edges = list(range(window - 1, g.shape[0] - 1, window))
    cut = max(float(np.abs(g[e] - direct[e]).max()) for e in edges) if edges else float("nan")
    carried = min(float(np.linalg.norm(full[e] - direct[e])) for e in edges) if edges else float("nan")
    return Evidence(bool(edges and cut == 0.0 and carried > 0), {"edges": edges, "cut": cut, "carried": carried,
                                                                   "window": window})


def mean_baseline(data: TaskData, trace: Trace) -> Evidence:
    """A regression task's loss on the evaluation batch against predicting the batch's mean target (MSE).
    Shown: the model beats that baseline by at least 3x."""
    y = data.y.double().numpy()
    base = float(((y - y.mean()) ** 2).mean())
    return Evidence(bool(trace.loss * 3 < base), {"loss": trace.loss, "baseline": base,
                                                  "factor": _ratio(base, trace.loss)})


@torch.no_grad()
def initial_memory(net_at_init, data: TaskData) -> Evidence:
    """||dh_T/dh_1|| of the model as initialised (sequence 0): for an IRNN with every unit active it is exactly 1.
    Shown: it has not decayed (>= 0.5)."""
    row = analysis.last_row_norms(net_at_init, data.x)
    return Evidence(bool(row[0] >= 0.5), {"norm": float(row[0]), "steps": len(row)})


def copy_recall(net, data: TaskData, trace: Trace, n_copy: int = 3, n_symbols: int = 4) -> Evidence:
    """Copy task: the loss on the evaluation batch, the fraction of symbols reproduced in the last ``n_copy``
    steps, and the memoryless baseline (blank where no symbol is due, uniform over the symbols where one is):
    n_copy ln(n_symbols) / T, with recall at chance 1 / n_symbols."""
    pred = predictions(net, data)[-n_copy:]
    recall = float((pred == data.y[-n_copy:]).double().mean())
    steps = data.x.shape[0]
    baseline = n_copy * math.log(n_symbols) / steps
    return Evidence(bool(trace.loss < baseline), {"loss": trace.loss, "recall": recall, "baseline": baseline,
                                                  "chance": 1 / n_symbols, "steps": steps})


def term_decay(trace: Trace) -> Evidence:
    """||term_k|| of dL/dW_hh (top layer) against k. With the loss at the last step only, term k carries T-1-k
    factors dh_{j+1}/dh_j; shown when the norms fall strictly from the last step back to step 1 (step 0's term is
    0: h_{-1} = 0)."""
    norms = trace.weight_terms.norms[f"weight_hh_l{trace.layers - 1}"]
    steps = len(norms)
    falling = bool(steps >= 3 and np.all(np.diff(norms[1:]) > 0))
    return Evidence(falling and trace.mode == "many_to_one",
                    {"norms": norms.tolist(), "last": float(norms[-1]), "first": float(norms[1]) if steps > 1 else 0.0,
                     "factor": _ratio(float(norms[-1]), float(norms[1])) if steps > 1 else float("nan"),
                     "steps": steps, "mode": trace.mode})


# How close a run's loss must be to the lecture notes' printed one to count as the notes' course: the same order of
# magnitude. The notes print one run of one machine; the late losses of the same settings differ by several times from
# seed to seed and between CPUs' math kernels (remember, epoch 900, seeds 0-4: 0.0031-0.021 under MKL_CBWR=AVX2
# against the notes' 0.003; bench/seeds.py). A factor of 2 held at 5 of 5 seeds on one CPU and 1 of 5 under AVX2.
NOTES_FACTOR = 10.0


def loss_at(history: History, reference: list[tuple[int, float]]) -> Evidence:
    """The run's loss at each reference update it reached against the reference value (the lecture notes' numbers),
    and the reference updates it did not reach. Shown: every reference update reached, each loss within a factor of
    NOTES_FACTOR (a NaN/Inf loss is not within any)."""
    rows = [(u, ref, float(history.loss[u])) for u, ref in reference if u < history.updates]
    missed = [u for u, _ in reference if u >= history.updates]
    factors = [max(_ratio(v, ref), _ratio(ref, v)) if math.isfinite(v) else math.inf for _, ref, v in rows]
    worst = max(factors, default=math.nan)
    return Evidence(bool(rows and not missed and worst <= NOTES_FACTOR),
                    {"rows": rows, "missed": missed, "worst": worst, "factor": NOTES_FACTOR})


def similar_training(histories: dict[str, History], threshold: float) -> Evidence:
    """For each run (by name): the first update whose loss is below ``threshold`` (None: never) and the final loss.
    Shown: every run gets there, the slowest within a factor 2 of the fastest."""
    values = {}
    for name, h in histories.items():
        below = np.nonzero(h.loss < threshold)[0]
        values[f"reach_{name}"] = int(below[0]) if len(below) else None
        values[f"l_{name}"] = float(h.loss[-1]) if h.updates else float("nan")
    reach = [values[f"reach_{name}"] for name in histories]
    ok = all(r is not None for r in reach)
    factor = max(reach) / max(min(reach), 1) if ok else float("inf")
    return Evidence(bool(ok and factor <= 2), values | {"factor": factor})


def parameter_count(net) -> int:
    return sum(p.numel() for p in net.recurrent.parameters())
