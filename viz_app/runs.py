"""Training and recording behind bounded caches shared by all sessions, with progress shown while a run trains.

A run is keyed by its frozen RunConfig, so returning to an earlier setting is instant and view-only changes never
retrain. Caches have fixed sizes (memory stays bounded however many students connect)."""
from __future__ import annotations

import contextlib
import functools
import os
import hashlib
import threading
import time

import numpy as np
import streamlit as st

from streamlit.runtime.scriptrunner import get_script_run_ctx

from engine import (DataError, EngineError, StateDictError, TextError, VocabularyError, budget, experiment, limits,
                    record, tasks)
from engine.io import load_model
from engine.cliff import demo as cliff_demo

from . import safe
from . import scenarios
from . import state as S
from .cache import FairCache, UploadStore
from .i18n import t

MAX_RUNS = 24
TIME_LIMIT_FACTOR = 2  # training still running after this many times the budget is stopped (the estimate errs slow)
MAX_UPLOADS = 256  # files kept for all sessions
UPLOADS_PER_SESSION = 4  # per kind: a session's fifth CSV replaces its own oldest


def _pinned(key) -> bool:
    """The default run and every scenario's run (as the lecture opens them) stay cached whatever students do."""
    cfg, who = key
    return who == "" and cfg in _lecture_configs()


@functools.lru_cache(maxsize=1)
def _lecture_configs() -> frozenset:
    return frozenset(S.baseline(name).run_config() for name in ("", *scenarios.names()))


@st.cache_resource
def _store() -> FairCache:
    return FairCache(MAX_RUNS, pinned=_pinned)


@st.cache_resource
def _uploads() -> UploadStore:
    """Uploaded files by (session, kind, content hash): one session's uploads are never another's."""
    return UploadStore(MAX_UPLOADS, UPLOADS_PER_SESSION, alive=_session_alive)


def _session_alive(session: str) -> bool:
    try:
        from streamlit.runtime import Runtime
        return Runtime.instance().is_active_session(session)
    except Exception:  # no runtime (tests, scripts): treat every session as live
        return True


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def owner(cfg: experiment.RunConfig) -> str:
    """Runs built from uploads belong to the session that uploaded them; all others are shared by everyone."""
    return session_id() if (cfg.data_id or cfg.model_id) else ""


def register_upload(kind: str, data: bytes) -> str:
    """Keep an uploaded file for this session; returns its id (a content hash)."""
    key = hashlib.sha256(data).hexdigest()[:16]
    _uploads().put((session_id(), kind, key), data)
    return key


def upload(kind: str, key: str) -> bytes | None:
    return _uploads().get((session_id(), kind, key))


def cached_run(cfg: experiment.RunConfig, who: str | None = None) -> experiment.Run | None:
    return _store().get((cfg, owner(cfg) if who is None else who), session_id())


def _uploaded_inputs(cfg: experiment.RunConfig):
    """(data, model) for a run that uses this session's uploads; EngineError when they are gone or bad."""
    data = model = None
    if cfg.task == "csv":
        raw = upload("csv", cfg.data_id)
        if raw is None:
            raise DataError("the uploaded data is not on the server any more; upload the file again")
        data = tasks.from_csv(raw, target=cfg.target or None, kind=cfg.data_kind)
    if cfg.model_id:
        raw = upload("model", cfg.model_id)
        if raw is None:
            raise StateDictError("the uploaded model is not on the server any more; upload the file again")
        model = load_model(raw, nonlinearity=cfg.nonlinearity)[0]
    return data, model


_TRAINING: dict = {}  # (cfg, owner) -> lock held while that run trains
_TRAINING_GUARD = threading.Lock()


def train(cfg: experiment.RunConfig, lang: str, label: str = "") -> experiment.Run | None:
    """The run for ``cfg``: from the cache, or trained now with a progress bar. None (and a message) on bad input.

    When 50 students open the same link at once, one session trains and the others wait for its result instead of
    training the same model 50 times over."""
    run = cached_run(cfg)
    if run is not None:
        return run
    key = (cfg, owner(cfg))
    with _TRAINING_GUARD:
        lock = _TRAINING.setdefault(key, threading.Lock())
    note = None
    while not lock.acquire(timeout=0.25):  # another session is training this very run
        if note is None:
            note = st.empty()
            note.caption(t("msg.waiting", lang))
    try:
        if note is not None:
            note.empty()
        run = cached_run(cfg)
        return run if run is not None else _train_now(cfg, lang, label, key)
    finally:
        lock.release()
        with _TRAINING_GUARD:
            if _TRAINING.get(key) is lock:
                del _TRAINING[key]


def _train_now(cfg: experiment.RunConfig, lang: str, label: str, key) -> experiment.Run | None:
    bar = st.progress(0.0, text=(label + " " if label else "") + t("msg.training", lang, done=0, total=0, loss=0.0))
    last = [0.0]

    started = time.perf_counter()

    def progress(done: int, total: int, loss: float):
        now = time.perf_counter()
        if now - started > TIME_LIMIT_FACTOR * limits.MAX_RUN_SECONDS:
            return True  # the estimate was wrong by more than its margin: stop; the page says so (status "stopped")
        if now - last[0] > 0.1 or done == total:  # at most 10 redraws a second
            last[0] = now
            bar.progress(min(1.0, done / max(total, 1)),
                         text=(label + " " if label else "") + t("msg.training", lang, done=done, total=total,
                                                                 loss=loss))

    try:
        data, model = _uploaded_inputs(cfg)
        cost = experiment.estimate(cfg, data=data, model=model)  # BudgetError before anything is trained
        with _heavy_slot(cost, lang):
            started = time.perf_counter()  # the time limit counts training, not the wait for a slot
            run = experiment.run(cfg, progress, data=data, model=model)
    except EngineError as e:
        bar.empty()
        st.error(error_message(e, lang))
        return None
    bar.empty()
    _store().put(key, run, session_id())
    return run


LIGHT_SECONDS = 5.0  # runs estimated below this never wait; heavier ones train one at a time
_HEAVY = threading.BoundedSemaphore(int(os.environ.get("RNN_VIZ_HEAVY_RUNS", "1")))
_QUEUE: list = []  # tokens of the sessions waiting for a heavy slot, in arrival order
_QUEUE_LOCK = threading.Lock()


@contextlib.contextmanager
def _heavy_slot(cost, lang: str):
    """Heavy runs (estimated >= LIGHT_SECONDS) take one of RNN_VIZ_HEAVY_RUNS slots (1 by default), in arrival order,
    with the queue position shown: memory and both cores go to one heavy run at a time, while light runs (the
    default model, a student's own seed) and cached runs are served at once."""
    if cost.seconds < LIGHT_SECONDS:
        yield
        return
    token = object()
    with _QUEUE_LOCK:
        _QUEUE.append(token)
    note = None
    try:
        while True:
            with _QUEUE_LOCK:
                ahead = _QUEUE.index(token)
            if ahead == 0 and _HEAVY.acquire(timeout=0.5):
                break
            if ahead:
                time.sleep(0.5)
            if note is None:
                note = st.empty()
            note.caption(t("msg.queued", lang, ahead=ahead + 1, seconds=cost.seconds))
    finally:
        with _QUEUE_LOCK:
            _QUEUE.remove(token)
    try:  # from here the slot is ours: released whatever happens, even a rerun interrupting this session
        if note is not None:
            note.empty()
        yield
    finally:
        _HEAVY.release()


def error_message(e: EngineError, lang: str) -> str:
    """One clear sentence in the user's language for an engine error; what it quotes of the user's input (texts,
    CSV headers, state_dict keys) is shown as text, not Markdown."""
    if isinstance(e, budget.BudgetError):
        est = e.estimate
        fits = t("msg.or", lang).join(t("msg.and", lang).join(t(f"msg.fit_{k}", lang, v=v) for k, v in alt.items())
                                      for alt in e.suggestions)
        return t("msg.budget", lang, seconds=est.seconds, mb=est.mb, max_s=limits.MAX_RUN_SECONDS,
                 max_mb=limits.MAX_RUN_MB) + (" " + t("msg.budget_fits", lang, fits=fits) if fits else "")
    if isinstance(e, VocabularyError):
        return t("msg.vocab", lang, chars=safe.md(" ".join(e.unknown[:10])))
    if isinstance(e, TextError):
        return t("msg.text", lang, max=tasks.MAX_TEXT)
    reason = safe.md(e, 300)
    if isinstance(e, StateDictError):
        return t("msg.bad_model", lang, reason=reason)
    if isinstance(e, DataError):
        return t("msg.bad_data", lang, reason=reason)
    return t("msg.bad_config", lang, reason=reason)


def trace(cfg: experiment.RunConfig, tbptt: int = 0, jacobians: bool = True, lang: str = "en"):
    """The Trace of a trained run on its evaluation batch (the run must be in the store)."""
    return _trace(cfg, tbptt, jacobians, owner(cfg), lang)


@st.cache_resource(max_entries=48, show_spinner=False)
def _trace(cfg: experiment.RunConfig, tbptt: int, jacobians: bool, who: str, _lang: str):
    """(``_lang``, for the queue notice, is not part of the cache key.)"""
    run = cached_run(cfg, who)
    with _heavy_slot(recording_cost(run, jacobians), _lang):
        return run.trace(tbptt_window=tbptt or None, jacobians=jacobians)


def recording_cost(run: experiment.Run, jacobians: bool = True) -> budget.Estimate:
    """The budget estimate of recording ``run`` (no training): a heavy recording (long sequences, large H: the
    Jacobian maps) waits for the heavy slot like a heavy training run."""
    d, net = run.eval_data, run.net
    shape = budget.Shape(d.input_size, d.output_size, d.x.shape[0], d.x.shape[1], d.x.shape[0], d.x.shape[1])
    est = budget.estimate(net.cell, net.hidden_size, net.num_layers, 0, shape)
    return est if jacobians else budget.Estimate(0.0, est.record_seconds / 10, est.mb)


def rescaled_decay(cfg: experiment.RunConfig, rho: float):
    """Run.rescaled_decay, cached: the rho slider on the eigenvalue page."""
    return _rescaled_decay(cfg, rho, owner(cfg))


@st.cache_resource(max_entries=64, show_spinner=False)
def _rescaled_decay(cfg: experiment.RunConfig, rho: float, who: str):
    return cached_run(cfg, who).rescaled_decay(rho)


def snapshot_trace(cfg: experiment.RunConfig, index: int):
    return _snapshot_trace(cfg, index, owner(cfg))


@st.cache_resource(max_entries=64, show_spinner=False)
def _snapshot_trace(cfg: experiment.RunConfig, index: int, who: str):
    run = cached_run(cfg, who)
    net = run.snapshot_net(index)
    d = run.eval_data
    return record(net, d.x, d.y, d.loss, d.mode, reduction=d.reduction, jacobians=False, weight_terms=False)


def snapshot_eigenvalues(cfg: experiment.RunConfig) -> list[np.ndarray]:
    """Eigenvalues of the top layer's W_hh (candidate block) at every snapshot."""
    return _snapshot_eigenvalues(cfg, owner(cfg))


@st.cache_resource(max_entries=16, show_spinner=False)
def _snapshot_eigenvalues(cfg: experiment.RunConfig, who: str) -> list[np.ndarray]:
    return cached_run(cfg, who).snapshot_eigenvalues()


@st.cache_resource(show_spinner=False)
def cliff():
    """Pascanu's one-unit surface, and descent paths with and without clipping from a point beside a wall."""
    surface, plain, clipped = cliff_demo()
    return surface, {"plain": plain, "clipped": clipped}
