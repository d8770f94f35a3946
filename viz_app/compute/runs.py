"""Training and recording behind bounded caches shared by all sessions (what a waiting page shows: progress.py).

A run is keyed by its frozen RunConfig, so returning to an earlier setting is instant and view-only changes never
retrain. Caches have fixed sizes (memory stays bounded however many students connect). Training and recordings run in
worker processes (viz_app/compute/worker.py), with their budget estimate deciding their class (light or heavy) and
limits; the quick analyses (the rho slider's rescaled decay, the snapshots' eigenvalues) run here."""
from __future__ import annotations

import functools
import hashlib
import os

import numpy as np
import streamlit as st

from streamlit.runtime.scriptrunner import get_script_run_ctx

from engine import ConfigError, DataError, EngineError, ResourceError, StateDictError, experiment
from engine.serving import budget, limits
from engine.io import ModelFile, ModelInfo, from_csv, model_info as read_model_info
from engine.lessons.cliff import demo as cliff_demo

from viz_app.compute import disk, progress, worker
from viz_app.state import scenarios
from viz_app.state import fields as S
from viz_app.compute.cache import LRU, FairCache, UploadStore
from viz_app.text.errors import error_message

MAX_RUNS = 24
MAX_UPLOADS = 256  # files kept for all sessions
UPLOADS_PER_SESSION = 4  # per kind: a session's fifth CSV replaces its own oldest


def _pinned(key) -> bool:
    """The default run and every scenario's run (as the lecture opens them) stay cached whatever students do."""
    cfg, who = key
    return who == "" and cfg in _lecture_configs()


def _on_disk(cfg: experiment.RunConfig, who: str) -> bool:
    """What goes to the disk cache (viz_app/compute/disk.py): the lecture's runs and their recordings, and while the
    warm-up command runs (RNN_VIZ_WARMING=1) everything it computes; never a run built from an upload."""
    return who == "" and (cfg in _lecture_configs() or os.environ.get("RNN_VIZ_WARMING") == "1")


def _pinned_on_disk(key) -> bool:
    """A recording kept on disk whatever the cap (disk.py): what the warm-up prepared, and a lecture run's default
    recordings (its trace without a window of the link's own, its snapshots' norms). A window or a rho grid a link
    asks for is kept while there is room."""
    if os.environ.get("RNN_VIZ_WARMING") == "1":
        return True
    kind, cfg = key[0], key[1]
    return kind == "snapshot_norms" or (kind == "trace" and key[2] in (0, cfg.tbptt))


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


def client() -> str | None:
    """Who asks, for the pool's fair queue: the address of this session's connection (a device's tabs share it); None
    for the machine the server runs on (the lecturer's laptop), whose pages go first. Behind a proxy on the same
    machine every session is None: one queue in arrival order, as without fairness."""
    try:
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - no session (tests, scripts)
        return None


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


def _uploaded_inputs(cfg: experiment.RunConfig, lang: str = "en"):
    """(data, model) for a run that uses this session's uploads; EngineError when they are gone or bad."""
    data = model = None
    if cfg.task == "csv":
        raw = upload("csv", cfg.data_id)
        if raw is None:
            raise DataError("the uploaded data is not on the server any more; upload the file again", "gone")
        data = from_csv(raw, target=cfg.target or None, kind=cfg.data_kind)
    if cfg.model_id:
        raw = upload("model", cfg.model_id)
        if raw is None:
            raise StateDictError("the uploaded model is not on the server any more; upload the file again",
                                 "gone")
        model = ModelFile(raw, model_info(raw, lang))  # loaded in the run's worker
    return data, model


_MODEL_INFOS = LRU(64)  # sha256 of an uploaded model file -> (ModelInfo, None) or (None, its EngineError)


def model_info(raw: bytes, lang: str = "en") -> ModelInfo:
    """What an uploaded model file holds (StateDictError if it does not load), read in a worker process: a file is
    loaded there, never in the server's (what a crafted file costs stays in a child with limits, and no page waits
    on the server's GIL meanwhile); once per file content."""
    digest = hashlib.sha256(raw).hexdigest()
    found = _MODEL_INFOS.get(digest)
    if found is None:
        waiting = progress.Waiting(lang, budget.Estimate(0.0, 1.0, LIGHT_LIMIT_MB), training=False,
                                   message="msg.computing")
        try:  # before other pages' trainings (a look at a file, not a run), its place in the queue shown
            found = (_pool().run(("model info", digest), read_model_info, raw, heavy=False, mb=LIGHT_LIMIT_MB,
                                 seconds=60, first=True, on_wait=waiting, client=client()), None)
        except ResourceError:  # a limit on a busy machine says nothing about the file: not kept
            raise
        except EngineError as e:
            found = (None, e)
        finally:
            waiting.close()
        _MODEL_INFOS.put(digest, found)
    if found[1] is not None:
        raise found[1]
    return found[0]


LIGHT_SECONDS = 5.0  # jobs estimated below this (and below LIGHT_MB) are light: they never wait behind a heavy one
LIGHT_MB = 500.0
LIGHT_LIMIT_MB = 1000.0  # memory limit of a light job (a default run's child grows by a few MB)
TIME_LIMIT_FACTOR = 2  # training still running after this many times the budget stops (the estimate errs slow)


@st.cache_resource
def _pool() -> worker.Pool:
    """Every training run and recording of every session runs in a child process of this pool
    (viz_app/compute/worker.py)."""
    worker.start()
    return worker.Pool()


def _job_limits(cost: budget.Estimate) -> dict:
    """A job's class and limits from its estimate: memory LIGHT_LIMIT_MB for a light job; twice the estimate for a
    heavy one (the estimate errs by less), capped at twice the server's budget. Time: training stops itself at
    TIME_LIMIT_FACTOR x the budget, keeping what it learned; any job is killed a while after that."""
    heavy = cost.seconds >= LIGHT_SECONDS or cost.mb >= LIGHT_MB
    mb = min(2 * limits.MAX_RUN_MB, max(LIGHT_LIMIT_MB, 2 * cost.mb)) if heavy else LIGHT_LIMIT_MB
    soft = TIME_LIMIT_FACTOR * limits.MAX_RUN_SECONDS
    return dict(heavy=heavy, mb=mb, seconds=1.5 * soft + 10, soft_seconds=soft)


def _resumable(cfg: experiment.RunConfig, who: str) -> experiment.Run | None:
    """The cached pause of ``cfg``'s training (watching it learn) that is nearest before ``cfg``'s end, if any: the
    training goes on from it (experiment.run(resume=...): the same run, bit for bit, as from the start)."""
    found = [run for (c, w), run in _store().entries()
             if w == who and c.paused_at >= 0 and experiment.can_resume(run, cfg)]
    return max(found, key=lambda run: run.history.checkpoint.epoch, default=None)


def train(cfg: experiment.RunConfig, lang: str, label: str = "", *, quiet: bool = False) -> experiment.Run | None:
    """The run for ``cfg``: from the cache, or trained now in a worker process with its progress shown (``quiet``:
    as one line of text), going on from a cached pause of the same training if there is one. None (and a message)
    on bad input or when the run was stopped for passing its limits.

    When 50 students open the same link at once, they all wait for one job instead of training the model 50 times."""
    run = cached_run(cfg)
    if run is not None:
        return run
    key, waiting = (cfg, owner(cfg)), None
    stored = disk.get(("run", cfg)) if key[1] == "" else None
    if stored is not None:
        _store().put(key, stored[0], session_id())
        return stored[0]
    earlier = _resumable(cfg, key[1])
    try:
        data, model = _uploaded_inputs(cfg, lang)
        cost = experiment.estimate(cfg, data=data, model=model,  # BudgetError before anything is trained
                                   resume_epoch=earlier.history.checkpoint.epoch if earlier is not None else 0)
        waiting = progress.Waiting(lang, cost, label, quiet=quiet)
        run = _pool().run(("train", key), experiment.run, cfg, worker.PROGRESS, data=data, model=model,
                          resume=earlier, on_wait=waiting, on_done=lambda run: _store().put(key, run),
                          client=client(), **_job_limits(cost))
        if _on_disk(*key) and run.history.status != "stopped":  # a time limit depends on the machine
            disk.put(("run", cfg), run, pinned=True)  # a lecture's run, or one the warm-up prepared
    except EngineError as e:
        st.error(error_message(e, lang))
        return None
    finally:
        if waiting is not None:
            waiting.close()
    # stored again (and this session counted among its users): a job that finished a while ago hands its result to
    # a late caller while the store may have let the run go since
    _store().put(key, run, session_id())
    return run


def trace(cfg: experiment.RunConfig, tbptt: int = 0, jacobians: bool = True, lang: str = "en"):
    """The Trace of a trained run on its evaluation batch, recorded in a worker. The run is the store's; a page that
    trains several runs (the shapes view: three) may find one let go by the store since it was trained, and gets it
    back from the disk or a worker as ``train`` does."""
    who = owner(cfg)
    run = cached_run(cfg, who) or train(cfg, lang, quiet=True)
    if run is None:  # refused or stopped: train said why on the page
        raise ConfigError("the run to record is not available")
    return _recorded(("trace", cfg, tbptt, jacobians, who), recording_cost(run, jacobians), lang,
                     run.trace, tbptt_window=tbptt or None, jacobians=jacobians)


def _recorded(key, cost: budget.Estimate, lang: str, fn, *args, waiting_message: str = "msg.recording", **kwargs):
    """A recording from the trace cache, or made now in a worker process (its size counted against the cache's)."""
    found = _traces().get(key, session_id())
    if found is not None:
        return found
    stored = disk.get(key) if key[-1] == "" else None
    if stored is not None:
        _traces().put(key, stored[0], session_id(), weight=stored[1])
        return stored[0]
    waiting = progress.Waiting(lang, cost, training=False, message=waiting_message)
    pool = _pool()
    try:
        job = pool.submit(key, fn, *args, first=True, client=client(), **_job_limits(cost), **kwargs)
        out = pool.wait(job, waiting)
    finally:
        waiting.close()
    _traces().put(key, out, session_id(), weight=job.result_bytes)
    if _on_disk(key[1], key[-1]):
        disk.put(key, out, pinned=_pinned_on_disk(key))
    return out


def computed(kind: str, key: tuple, fn, *args, seconds: float, mb: float, lang: str = "en"):
    """A view's own computation (its own small models, not a run's recording) in a worker, cached with the
    recordings by (kind, key), shared by every session (owner "": kept on disk by the warm-up command);
    ``seconds`` and ``mb``: its budget (the worker's limits)."""
    return _recorded((kind, key, 0, True, ""), budget.Estimate(0.0, seconds, mb), lang, fn, *args,
                     waiting_message="msg.computing")


MAX_TRACES = 48
MAX_TRACE_MB = 1000.0  # all cached recordings together (the trace of a run at the budget's limit is ~ 300 MB)


@st.cache_resource
def _traces() -> FairCache:
    """Recordings by (kind, config, tbptt window or snapshot, jacobians, owner); the lecture's runs' own pinned."""
    return FairCache(MAX_TRACES, pinned=lambda key: key[0] == "trace" and not key[2] and _pinned((key[1], key[-1])),
                     max_weight=MAX_TRACE_MB * 2 ** 20)


def recording_cost(run: experiment.Run, jacobians: bool = True) -> budget.Estimate:
    """The budget estimate of recording ``run`` (no training)."""
    d, net = run.eval_data, run.net
    shape = budget.Shape(d.input_size, d.output_size, d.x.shape[0], d.x.shape[1], d.x.shape[0], d.x.shape[1])
    est = budget.estimate(net.cell, net.hidden_size, net.num_layers, 0, shape, directions=net.directions)
    return est if jacobians else budget.Estimate(0.0, est.record_seconds / 10, est.mb)


def rescaled_grid(cfg: experiment.RunConfig, values: tuple, lang: str = "en") -> experiment.RescaledGrid:
    """Run.rescaled_grid, recorded in a worker: every position of the eigenvalue page's rho slider at once."""
    who = owner(cfg)
    run = cached_run(cfg, who)
    one = recording_cost(run, jacobians=False)
    return _recorded(("rho_grid", cfg, values, who), budget.Estimate(0.0, one.record_seconds * len(values), one.mb),
                     lang, run.rescaled_grid, values)


def snapshot_gradient_norms(cfg: experiment.RunConfig, lang: str = "en") -> np.ndarray:
    """||dL/dh_t|| (total, direct) at every training snapshot (Run.snapshot_gradient_norms), recorded in a worker:
    the timeline's snapshot control moves through them in the browser."""
    who = owner(cfg)
    run = cached_run(cfg, who)
    one = recording_cost(run, jacobians=False)
    snaps = len(run.history.snapshots)
    return _recorded(("snapshot_norms", cfg, 0, who), budget.Estimate(0.0, one.record_seconds * snaps, one.mb),
                     lang, run.snapshot_gradient_norms)


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
