"""One lecture experiment end to end: a frozen RunConfig -> seeded task, model, initialisation, training, recording.

RunConfig is hashable (the app's cache key and the URL's content); the same RunConfig gives the same run bit for bit.
"""
from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from engine import analysis, init, losses, spectrum, tasks
from engine.serving import allocator, budget, limits
from engine.errors import ArchitectureError, ConfigError
from engine.io import ModelFile
from engine.model import RecurrentNet, check_model_args
from engine.record import Trace, record
from engine.training import History, TrainConfig, train

EVAL_BATCH = 8  # sequences recorded for the views (generated tasks)
TRAIN_SEED_STRIDE = 1_000_003  # epoch e of seed s draws batch seed s * stride + e
EVAL_SEED = 999_983


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run. Field names are the URL's parameter names."""

    cell: str = "rnn"
    nonlinearity: str = "tanh"
    hidden_size: int = 35
    num_layers: int = 1
    bidirectional: int = 0  # 1: every layer also runs backward in time (not for next-step prediction)
    residual: int = 0  # 1: from the second layer on, a layer passes up h^(l) + h^(l-1)
    init: str = "default"
    rho: float = 0.0  # spectral radius W_hh is rescaled to; 0 keeps the initialisation's own
    task: str = "char_lm"
    text: str = tasks.DEFAULT_TEXT
    alphabet: str = ""  # char-LM: a fixed vocabulary ("" = the text's own characters)
    loss: str = "cross_entropy"  # char-LM: or "mse" on one-hot targets
    reduce: str = "mean"  # per-step losses averaged, or summed as in the notes' worked example
    length: int = 30  # sequence length of generated tasks
    batch: int = 16
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 300
    paused_at: int = -1  # training paused after this many epochs (0: the initialisation), to go on; -1: not paused
    clip: str = "none"
    clip_threshold: float = 1.0
    tbptt: int = 0
    seed: int = 0
    data_id: str = ""  # an uploaded CSV (task "csv"), by content hash; the bytes live in the app's cache
    target: str = ""  # its target column ("" = predict every column's next value)
    data_kind: str = "regression"  # or "classification"
    model_id: str = ""  # an uploaded model, by content hash

    def train_config(self) -> TrainConfig:
        every = max(1, self.epochs // 20) if self.epochs else 0
        return TrainConfig(self.optimizer, self.lr, self.epochs, self.clip, self.clip_threshold, self.tbptt, every)

    def check(self) -> None:
        check_model_args(self.cell, self.hidden_size, self.num_layers, self.nonlinearity)
        if self.bidirectional not in (0, 1) or self.residual not in (0, 1):
            raise ConfigError("bidirectional and residual are 0 or 1")
        if self.bidirectional and self.predicts_next and not self.model_id:  # an upload is shown, not trained: its
            raise ArchitectureError("next_step")  # probe's target is then not the next input (_model_input)
        if self.bidirectional and self.tbptt:
            raise ArchitectureError("tbptt")
        if self.residual and self.num_layers < 2:
            raise ArchitectureError("residual_layers")
        if self.init == "unitary" and self.cell != "rnn":
            raise ArchitectureError("unitary_cell")
        if self.init == "unitary" and self.rho not in (0.0, 1.0):
            raise ArchitectureError("unitary_rho")
        if self.init not in init.INITS:
            raise ConfigError(f"init must be one of {init.INITS}, got {self.init!r}")
        if not (0.0 <= self.rho <= init.MAX_RHO) or not math.isfinite(self.rho):
            raise ConfigError(f"rho must be in [0, {init.MAX_RHO}], got {self.rho}")
        if self.task not in tasks.TASKS and self.task != "csv":
            raise ConfigError(f"unknown task {self.task!r}")
        if self.loss not in losses.LOSSES or self.reduce not in losses.REDUCTIONS:
            raise ConfigError(f"loss must be one of {losses.LOSSES} and reduce one of {losses.REDUCTIONS}")
        if self.task != "char_lm" and (self.loss != "cross_entropy" or self.alphabet):
            raise ConfigError(tasks.CHAR_LM_ONLY)
        if not 1 <= self.batch <= limits.MAX_BATCH:
            raise ConfigError(f"batch must be between 1 and {limits.MAX_BATCH}, got {self.batch}")
        self.train_config().check()
        if not (self.paused_at == -1 or 0 <= self.paused_at < self.epochs):
            raise ConfigError(f"paused_at must be -1 or in [0, epochs), got {self.paused_at} with {self.epochs} epochs")

    @property
    def predicts_next(self) -> bool:
        """Whether the target at step t is the input at step t+1 (char-LM, the sine's next value, a CSV without a
        target column): an autoregressive task, which a bidirectional model would solve by reading the answer."""
        return self.task in ("char_lm", "sine") or (self.task == "csv" and not self.target)

    def with_(self, **changes) -> RunConfig:
        return replace(self, **changes)


def task_batch(cfg: RunConfig, which: int) -> tasks.TaskData:
    """Training batch of epoch ``which`` (>= 0) or the evaluation batch (which = -1)."""
    seed = EVAL_SEED + cfg.seed if which < 0 else cfg.seed * TRAIN_SEED_STRIDE + which
    batch = EVAL_BATCH if which < 0 else cfg.batch
    return tasks.make(cfg.task, length=cfg.length, batch=batch, text=cfg.text, seed=seed, loss=cfg.loss,
                      alphabet=cfg.alphabet, reduction=cfg.reduce)


def build_model(cfg: RunConfig, data: tasks.TaskData) -> RecurrentNet:
    """Seeded model for the task's sizes, with the chosen W_hh initialisation and spectral radius."""
    torch.manual_seed(cfg.seed)
    net = RecurrentNet(cfg.cell, data.input_size, cfg.hidden_size, data.output_size, cfg.num_layers,
                       cfg.nonlinearity, bidirectional=bool(cfg.bidirectional), residual=bool(cfg.residual),
                       unitary=cfg.init == "unitary")
    init.init_recurrent(net.recurrent, cfg.init, torch.Generator().manual_seed(cfg.seed))
    if cfg.rho > 0 and not net.unitary:  # a unitary W_hh has radius 1 (rho is 0 or 1: RunConfig.check)
        init.scale_spectral_radius(net.recurrent, cfg.rho)
    return net


@dataclass(frozen=True, eq=False)
class RescaledGrid:
    """||dh_T/dh_k|| for every k and the main W_hh block's spectrum with W_hh rescaled to each spectral radius in
    ``values`` (0: as trained): the eigenvalue page's rho slider, every position computed before it moves."""

    values: tuple
    norms: tuple  # of [T] arrays
    spectra: tuple  # of spectrum.BlockSpectrum


@dataclass(frozen=True, eq=False)
class Run:
    """A trained model, its training history and the batch the views record on."""

    config: RunConfig
    net: RecurrentNet
    history: History
    eval_data: tasks.TaskData

    def trace(self, *, tbptt_window: int | None = None, jacobians: bool = True) -> Trace:
        return _record(self.net, self.eval_data, tbptt_window=tbptt_window or None, jacobians=jacobians)

    def rescaled_decay(self, rho: float):
        """(||dh_T/dh_k|| for every k, spectrum of the main W_hh block) with W_hh rescaled to spectral radius rho
        (0: as trained). No retraining."""
        net = rescaled(self.net, rho) if rho > 0 else self.net
        w = getattr(net.recurrent, f"weight_hh_l{net.num_layers - 1}").detach().numpy()
        return (analysis.last_row_norms(net, self.eval_data.x),
                spectrum.main_spectrum(w, net.cell, net.nonlinearity))

    def rescaled_grid(self, values) -> RescaledGrid:
        """``rescaled_decay`` at each rho of ``values`` (0: as trained)."""
        out = [self.rescaled_decay(float(v)) for v in values]
        return RescaledGrid(tuple(values), tuple(n for n, _ in out), tuple(b for _, b in out))

    def main_spectrum(self) -> spectrum.BlockSpectrum:
        """Spectrum of the top layer's main W_hh block (the candidate block for LSTM / GRU) as trained."""
        w = getattr(self.net.recurrent, f"weight_hh_l{self.net.num_layers - 1}").detach().numpy()
        return spectrum.main_spectrum(w, self.net.cell, self.net.nonlinearity)

    def snapshot_eigenvalues(self) -> list:
        """Eigenvalues of the top layer's main W_hh block at every training snapshot."""
        top = f"recurrent.weight_hh_l{self.net.num_layers - 1}"
        return [spectrum.main_spectrum(state[top], self.net.cell, self.net.nonlinearity).eigenvalues
                for _, state in self.history.snapshots]

    def snapshot_trace(self, index: int) -> Trace:
        """The Trace of the model at training snapshot ``index`` (no Jacobian maps, no per-step weight terms)."""
        return _record(self.snapshot_net(index), self.eval_data, jacobians=False, weight_terms=False)

    def snapshot_gradient_norms(self) -> np.ndarray:
        """[S, 2, T]: ||dL/dh_t|| of the top layer at every training snapshot, total (row 0) and the direct part from
        step t's own output (row 1), each the norm over the batch and the units (analysis.norms_over_time)."""
        out = []
        for i in range(len(self.history.snapshots)):
            tr = self.snapshot_trace(i)
            out.append([analysis.norms_over_time(tr.grad_hidden[-1]),
                        analysis.norms_over_time(tr.grad_hidden_direct[-1])])
        return np.array(out)

    @functools.cached_property
    def layer_gradient_norms(self) -> dict[bool, np.ndarray]:
        """||dL/dh^(l)|| (over steps, sequences and units; every direction) of every layer l = 1..L on the
        evaluation batch, for this model's weights with the identity paths between layers (key True) and without
        them (False): one of the two is the model as trained, the other the same weights with ``residual``
        switched. Needs 2+ layers. Computed once per run: the BPTT page's chart and its sentence read it on every
        rerun."""
        out = {}
        for residual in (True, False):
            net = copy.deepcopy(self.net)
            net.residual = residual
            tr = _record(net, self.eval_data, jacobians=False, weight_terms=False)
            out[residual] = np.sqrt((tr.grad_hidden.astype(np.float64) ** 2).sum(axis=(1, 2, 3)))
        return out

    def snapshot_net(self, index: int) -> RecurrentNet:
        """A copy of the model with the parameters of snapshot ``index``."""
        net = copy.deepcopy(self.net)
        own = net.state_dict()  # a snapshot also holds a parametrised W_hh as computed: not a parameter to load
        state = {k: torch.from_numpy(v) for k, v in self.history.snapshots[index][1].items() if k in own}
        net.load_state_dict(state)
        return net


def run(cfg: RunConfig, progress: Callable[[int, int, float], bool | None] | None = None, *,
        data: tasks.TaskData | None = None, model: RecurrentNet | ModelFile | None = None, budgeted: bool = False,
        resume: Run | None = None) -> Run:
    """Build, train and return a Run (raises ConfigError / TextError / VocabularyError on bad settings).

    ``data``: an uploaded task (a CSV) used for training and recording. ``model``: an uploaded model (or its file,
    loaded here), shown as it is (no training); it reads the text when its input size is the text's vocabulary
    size, else random inputs.
    ``budgeted``: estimate the run's cost first and raise budget.BudgetError if it exceeds the server's budget
    (engine.serving.limits), before any training. ``resume``: a paused run of the same training (``cfg`` but an earlier
    ``paused_at``) to go on from: the result is the same, bit for bit, as training ``cfg`` from the start."""
    if budgeted:
        estimate(cfg, data=data, model=model)
    cfg.check()
    if model is not None:
        net = model.load(cfg.nonlinearity) if isinstance(model, ModelFile) else copy.deepcopy(model)
        eval_data = data or _model_input(cfg, net)
        return Run(cfg, net, train(net, eval_data, TrainConfig(epochs=0)), eval_data)
    _check_upload(cfg, data)
    if resume is not None and not can_resume(resume, cfg):
        raise ConfigError("the run to resume is not an earlier pause of this training")
    eval_data = replace(data, reduction=cfg.reduce) if data is not None else task_batch(cfg, -1)
    net = build_model(cfg, eval_data) if resume is None else copy.deepcopy(resume.net)
    torch.manual_seed(cfg.seed)
    fixed = cfg.task in ("char_lm", "csv")
    history = train(net, eval_data if fixed else (lambda e: task_batch(cfg, e)), cfg.train_config(), progress,
                    pause_at=cfg.paused_at, resume=None if resume is None else resume.history.checkpoint)
    allocator.release()  # the run's activations are freed: give the memory back, not only to this process's heap
    return Run(cfg, net, history, eval_data)


def _record(net: RecurrentNet, d: tasks.TaskData, **options) -> Trace:
    """``record`` on the evaluation batch ``d``, then the heap's free memory handed back (engine/serving/allocator.py:
    a policy of the process that serves runs, kept out of the maths; a worker's memory also returns when it exits)."""
    trace = record(net, d.x, d.y, d.loss, d.mode, reduction=d.reduction, **options)
    allocator.release()
    return trace


def can_resume(run: Run, cfg: RunConfig) -> bool:
    """Whether ``cfg``'s training can go on from ``run``: the same training paused earlier than ``cfg`` ends."""
    point = run.history.checkpoint
    end = cfg.epochs if cfg.paused_at < 0 else cfg.paused_at
    return point is not None and run.config == cfg.with_(paused_at=run.config.paused_at) and point.epoch <= end


def estimate(cfg: RunConfig, *, data: tasks.TaskData | None = None, model: RecurrentNet | ModelFile | None = None,
             resume_epoch: int = 0) -> budget.Estimate:
    """The budget estimate of ``run(cfg, data=data, model=model)``, or BudgetError / ConfigError, without training
    (``resume_epoch``: from a run paused after that many epochs)."""
    cfg.check()
    if model is not None:
        return check_budget(cfg, data or _model_input(cfg, model), model.cell, model.hidden_size, model.num_layers,
                            epochs=0, directions=model.directions)
    _check_upload(cfg, data)
    eval_data = data if data is not None else task_batch(cfg, -1)
    end = cfg.epochs if cfg.paused_at < 0 else cfg.paused_at
    return check_budget(cfg, eval_data, cfg.cell, cfg.hidden_size, cfg.num_layers, epochs=max(0, end - resume_epoch),
                        directions=2 if cfg.bidirectional else 1)


def _check_upload(cfg: RunConfig, data: tasks.TaskData | None) -> None:
    if cfg.task == "csv" and data is None:
        raise ConfigError("the uploaded data is no longer on the server; upload the file again")


def check_budget(cfg: RunConfig, eval_data: tasks.TaskData, cell: str, hidden: int, layers: int, *, epochs: int,
                 directions: int = 1):
    """budget.check for this run: a fixed batch (text, CSV, upload) trains on the recorded sequence itself."""
    steps, batch = eval_data.x.shape[0], eval_data.x.shape[1]
    fixed = cfg.task in ("char_lm", "csv") or cfg.model_id
    shape = budget.Shape(eval_data.input_size, eval_data.output_size, steps, batch if fixed else cfg.batch, steps,
                         batch)
    return budget.check(cell, hidden, layers, epochs, shape, text_run=cfg.task == "char_lm", directions=directions)


def _model_input(cfg: RunConfig, net: RecurrentNet | ModelFile) -> tasks.TaskData:
    """What an uploaded model is shown on: the text when its sizes fit, else Gaussian inputs. A bidirectional model's
    backward direction reads x_{t+1}: its probe never asks for the next input (the text, or a next-input target)."""
    both = net.directions == 2
    text = tasks.char_lm(cfg.text, cfg.alphabet or None, loss=cfg.loss) if cfg.task == "char_lm" and not both else None
    if text is not None and text.input_size == net.input_size and text.output_size == net.output_size:
        return text
    return tasks.random_inputs(net.input_size, net.output_size, length=cfg.length, seed=cfg.seed, next_input=not both)


def rescaled(net: RecurrentNet, rho: float) -> RecurrentNet:
    """A copy of ``net`` whose W_hh blocks are rescaled to spectral radius ``rho`` (no retraining); a unitary net's
    copy is a plain RNN with the same weights (its parametrisation removed, so W_hh can leave the unit circle)."""
    out = net.plain_copy() if getattr(net, "unitary", False) else copy.deepcopy(net)
    init.scale_spectral_radius(out.recurrent, rho)
    return out
