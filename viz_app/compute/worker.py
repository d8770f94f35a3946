"""Training and recording in child processes, so that one run cannot take the server down or starve the class.

Every job runs in a process forked from a fork server that imported torch and the engine once (a job starts in about
10 ms instead of the 1-2 s of importing torch). The child holds the only copy of the run's activations: its memory
goes back to the system when it exits, and the server's Python threads (the health endpoint, every other session's
page) do not compete with it for the GIL. A job is stopped

- when it passes its memory limit (an address-space limit inside the child, the child's resident memory watched from
  outside) or its time limit: the session sees why (engine.errors.ResourceError), the server and every other session
  keep working;
- when no session waits for it any more (a closed tab, a Stop click) for GRACE seconds: long enough for a rerun of the
  same page to find it still running and wait on.

Jobs are shared by key (50 students opening one link wait for one run) and wait in one queue: at most ``workers`` at
once, at most ``heavy`` of them heavy. The queue is fair across clients (a client: the address of the connection, so a
device's tabs are one client): the jobs of the machine the server runs on (the lecturer's laptop; no address) first,
then every client's next job in turn (one student opening 20 links from 20 tabs does not put them all before the next
student's page), in arrival order within a turn. Whoever waits is told the queue position.

Nothing here imports Streamlit: the pool is tested on its own (tests/test_worker.py).
"""
from __future__ import annotations

import io
import itertools
import multiprocessing as mp
import os
import pickle
import resource
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing import forkserver, popen_forkserver, spawn, util
from multiprocessing.context import ForkServerProcess, reduction, set_spawning_popen
from typing import Callable

from engine import EngineError, ResourceError, cells
from viz_app.compute.turns import Turns

GRACE = 3.0  # seconds a job runs on with nobody waiting for it (a rerun re-attaches within this)
KEEP_DONE = 60.0  # seconds a finished job's result stays for a session that was rerunning when it finished
POLL = 0.1
NICE = 19  # the children's scheduling priority below the server's


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


WORKERS = _env_int("RNN_VIZ_WORKERS", min(2, os.cpu_count() or 1))
HEAVY = _env_int("RNN_VIZ_HEAVY_RUNS", 1)
# torch threads of each child. One: two children use the two cores without oversubscribing them (a default H=128
# run trains in 0.52 s on one thread, 1.54 s on two), and a link gives the same bits on any machine (with batch 256
# the losses of one and two threads differ in their last bits)
THREADS = _env_int("RNN_VIZ_WORKER_THREADS", 1)


class _Progress:
    """Stands for the child's progress callback in a job's keyword arguments (see Pool.run)."""


PROGRESS = _Progress()


@dataclass(frozen=True)
class Status:
    """What a waiting session is told: its place in the queue, or the job's progress."""

    queued_ahead: int  # jobs before this one in the queue (0: running)
    progress: tuple | None  # (done, total, loss) of a training job, once it reports
    seconds: float  # since the job started running (0 while queued)
    curve: tuple = ()  # every (done, loss) the training job has reported so far (about ten a second)


@dataclass(eq=False)
class Job:
    key: object
    fn: Callable
    args: tuple
    kwargs: dict
    heavy: bool
    mb: float  # memory limit, above the child's own at its start
    seconds: float  # time limit
    soft_seconds: float  # a training job is asked to stop (keeping what it learned) after this
    on_done: Callable | None = None  # called with the result in the pool's thread (e.g. storing a trained run)
    first: bool = False  # queued before the jobs that are not, in its turn
    clients: list = field(default_factory=list)  # who waits for it (their addresses; None: the server's machine)
    arrival: int = 0
    charged: str | None = None  # the client whose turn started it (Pool._order)
    done: threading.Event = field(default_factory=threading.Event)
    waiters: int = 0
    idle_since: float = field(default_factory=time.monotonic)
    started: float = 0.0
    finished: float = 0.0
    progress: tuple | None = None
    curve: list = field(default_factory=list)  # (done, loss) of every progress report
    result: object = None
    error: BaseException | None = None
    peak_mb: float = 0.0  # the child's largest resident growth seen
    result_bytes: int = 0  # size of the result as it came from the child (a cache's measure of it)


class Cancelled(Exception):
    """Nobody waited for the job any more."""


class Pool:
    """A queue of jobs run in child processes (see the module's doc)."""

    def __init__(self, workers: int = WORKERS, heavy: int = HEAVY, grace: float = GRACE, threads: int = THREADS):
        self.workers, self.heavy, self.grace, self.threads = workers, heavy, grace, threads
        self.cond = threading.Condition()
        self.jobs: dict = {}  # key -> Job: queued, running, or finished less than KEEP_DONE ago
        self.queue: list[Job] = []
        self.running: list[Job] = []
        self.arrivals = itertools.count()
        self.turns = Turns()
        threading.Thread(target=self._dispatch, name="rnn-viz-pool", daemon=True).start()

    def run(self, key, fn: Callable, *args, heavy: bool, mb: float, seconds: float, soft_seconds: float = 0.0,
            first: bool = False, on_wait: Callable[[Status], None] | None = None, on_done: Callable | None = None,
            client: str | None = None, **kwargs):
        """``fn(*args, **kwargs)`` in a child process (an argument given as PROGRESS becomes a callback
        ``(done, total, loss) -> stop?`` whose calls reach ``on_wait`` as Status.progress). Waits for it, calling
        ``on_wait`` every POLL seconds (an exception there detaches this caller; the job goes on for the others, or
        for GRACE seconds). Returns its result or raises what it raised: an EngineError, or ResourceError."""
        job = self.submit(key, fn, *args, heavy=heavy, mb=mb, seconds=seconds, soft_seconds=soft_seconds,
                          first=first, on_done=on_done, client=client, **kwargs)
        return self.wait(job, on_wait)

    def submit(self, key, fn: Callable, *args, heavy: bool, mb: float, seconds: float, soft_seconds: float = 0.0,
               first: bool = False, on_done: Callable | None = None, client: str | None = None, **kwargs) -> Job:
        """Queue a job (or join the one with the same key) for ``client`` (see the module's doc). ``first``: in its
        turn it goes before the queued jobs that are not (a recording for a page whose training is done goes before
        other pages' trainings)."""
        with self.cond:
            job = self.jobs.get(key)
            if job is None:
                job = Job(key=key, fn=fn, args=args, kwargs=kwargs, heavy=heavy, mb=mb, seconds=seconds,
                          soft_seconds=soft_seconds or seconds, on_done=on_done, first=first,
                          arrival=next(self.arrivals))
                self.jobs[key] = job
                self.queue.append(job)
                self.cond.notify_all()
            if client not in job.clients:
                job.clients.append(client)
            job.waiters += 1  # from here the job is not cancelled before its caller waits on it
            return job

    def wait(self, job: Job, on_wait: Callable[[Status], None] | None = None):
        try:
            while not job.done.wait(POLL):
                if on_wait is not None:
                    on_wait(self.status(job))
        finally:
            with self.cond:
                job.waiters -= 1
                if not job.waiters:
                    job.idle_since = time.monotonic()
        if job.error is not None:
            raise job.error
        return job.result

    def status(self, job: Job) -> Status:
        with self.cond:
            if job in self.queue:
                return Status(self._order().index(job) + 1, None, 0.0)
            return Status(0, job.progress, time.monotonic() - job.started if job.started else 0.0, tuple(job.curve))

    def _order(self) -> list[Job]:
        """The queue in the order its jobs start (holding self.cond), by the clients' turns (turns.py); each job
        learns the client whose turn it is (``charged``)."""
        active = {c for job in (*self.running, *self.queue) for c in job.clients}
        ordered = self.turns.order([(job.clients, job.first, job.arrival, job) for job in self.queue], active)
        for job, client in ordered:
            job.charged = client
        return [job for job, _ in ordered]

    # the pool's own threads ------------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        while True:
            with self.cond:
                now = time.monotonic()
                for job in list(self.queue):  # nobody waits for it any more: it never starts
                    if not job.waiters and now - job.idle_since > self.grace:
                        self.queue.remove(job)
                        self._finish(job, error=Cancelled())
                for key, job in list(self.jobs.items()):
                    if job.done.is_set() and now - job.finished > KEEP_DONE:
                        del self.jobs[key]
                for job in self._order():
                    if len(self.running) >= self.workers:
                        break
                    if job.heavy and sum(j.heavy for j in self.running) >= self.heavy:
                        continue  # a light job behind it may go first; heavy ones keep their order
                    self.queue.remove(job)
                    self.running.append(job)
                    self.turns.serve(job.charged)  # the client whose turn it was (a shared job: its best)
                    job.started = time.monotonic()
                    threading.Thread(target=self._supervise, args=(job,), name="rnn-viz-job", daemon=True).start()
                self.cond.wait(0.25)

    def _finish(self, job: Job, result=None, error: BaseException | None = None) -> None:
        """(Holding self.cond.)"""
        job.result, job.error, job.finished = result, error, time.monotonic()
        if error is not None and self.jobs.get(job.key) is job:  # those waiting get the error; the next asks again
            del self.jobs[job.key]
        job.done.set()

    def _supervise(self, job: Job) -> None:
        result, error = None, None
        try:
            result = self._child_run(job)
            if job.on_done is not None:
                job.on_done(result)
        except BaseException as e:  # noqa: BLE001 - the job's outcome, handed to whoever waits
            error = e
        with self.cond:
            self.running.remove(job)
            self._finish(job, result, error)
            self.cond.notify_all()

    def _child_run(self, job: Job):
        start()
        receive, send = mp.Pipe(duplex=False)
        # plain pickles both ways: multiprocessing's own pickler would share torch tensors through file descriptors
        # (moving the server's tensors into shared memory, and failing when the child has exited)
        # with the cell kinds registered here beyond the built-in ones: the child runs with the server's registry
        task = pickle.dumps((_added_cells(), job.fn, job.args, job.kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        child = _Process(target=_child, args=(send, task, job.mb, job.soft_seconds, self.threads), daemon=True)
        child.start()
        send.close()
        base = None
        stop = None
        try:
            while True:
                if receive.poll(POLL):
                    try:
                        raw = receive.recv_bytes()
                        kind, *payload = pickle.loads(raw)
                    except EOFError:  # the child died without a word (killed, or the C library aborted)
                        break
                    if kind == "progress":
                        job.progress = tuple(payload)
                        job.curve.append((payload[0], payload[2]))
                    elif kind == "started":
                        base = payload[0]
                    elif kind == "result":
                        job.result_bytes = len(raw)
                        return payload[0]
                    else:
                        raise payload[0]
                    continue
                if not child.is_alive():
                    if receive.poll(0):  # it answered and ended between the wait above and this look: read it
                        continue
                    break
                grown = _anon_mb(child.pid) - (base or 0.0)
                job.peak_mb = max(job.peak_mb, grown)
                with self.cond:
                    idle = not job.waiters and time.monotonic() - job.idle_since > self.grace
                if idle:
                    stop = Cancelled()
                elif base is not None and grown > job.mb:
                    stop = ResourceError("memory", job.mb)
                elif time.monotonic() - job.started > job.seconds:
                    stop = ResourceError("time", job.seconds)
                if stop is not None:
                    break
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()
        if stop is not None:
            raise stop
        if child.exitcode == -9 or base is not None and job.peak_mb > 0.9 * job.mb:
            raise ResourceError("memory", job.mb)  # killed from outside (the kernel's out-of-memory killer)
        raise ResourceError("crash", child.exitcode)


def _added_cells() -> tuple[bytes, ...]:
    """The added cell kinds, each pickled on its own (by its class's module and name): one that does not pickle, or
    does not load in the child (a class defined in a notebook's __main__), is left out there alone, and a job that
    needs it fails with the engine's own sentence (an unknown cell kind)."""
    out = []
    for cell in cells.added():
        try:
            out.append(pickle.dumps(cell, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, AttributeError, TypeError):
            continue
    return tuple(out)


def _register(blobs: tuple[bytes, ...]) -> None:
    """In the child: the server's added cell kinds, each that loads."""
    for blob in blobs:
        try:
            cell = pickle.loads(blob)
        except Exception:  # noqa: BLE001 - a class the child cannot import: that kind alone is missing
            continue
        if cell.kind not in cells.kinds():
            cells.register(cell)


def _anon_mb(pid: int) -> float:
    """A process's private resident memory (RssAnon), in MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _Popen(popen_forkserver.Popen):
    """multiprocessing's fork-server launch without re-running the parent's ``__main__`` in the child: under
    Streamlit (and AppTest) ``__main__`` is the app's own script, which would draw the whole page inside the worker;
    under the ``streamlit`` launcher it would import Streamlit again (0.37 s a job). Job functions live in modules."""

    def _launch(self, process_obj):  # Python 3.11's Popen._launch, with the two main-module entries left out
        prep_data = {k: v for k, v in spawn.get_preparation_data(process_obj._name).items()
                     if k not in ("init_main_from_path", "init_main_from_name")}
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


_STARTED = False
_START_LOCK = threading.Lock()


def start() -> None:
    """Start the fork server (1-2 s: it imports torch and the engine once), if it is not running."""
    global _STARTED
    with _START_LOCK:
        if not _STARTED:
            # torch._dynamo: the optimiser's first step imports it (and sympy, 824 modules): 1.07 s in every child
            forkserver.set_forkserver_preload(["viz_app.compute.worker", "engine.experiment", "torch._dynamo"])
            _STARTED = True
    forkserver.ensure_running()


# in the child -------------------------------------------------------------------------------------------------------
def _child(conn, task: bytes, mb: float, soft_seconds: float, threads: int) -> None:
    import torch
    os.nice(NICE)  # the server's own threads (pages, health checks) go first on a busy CPU
    added, fn, args, kwargs = pickle.loads(task)
    _register(added)

    def send(*message) -> None:
        conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    torch.set_num_threads(threads)
    with open("/proc/self/status") as f:
        size_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    # the address-space limit: an allocation beyond it fails inside the child (MemoryError, or torch's
    # "can't allocate memory"), however fast it is; the 512 MB margin covers the threads' stacks and arenas
    room = int((size_kb / 1024 + mb + 512) * 2 ** 20)
    resource.setrlimit(resource.RLIMIT_AS, (room, resource.RLIM_INFINITY))
    send("started", _anon_mb(os.getpid()))
    started, last = time.monotonic(), [0.0]

    def progress(done: int, total: int, loss: float) -> bool:
        now = time.monotonic()
        if now - last[0] > 0.1 or done == total:
            last[0] = now
            send("progress", done, total, float(loss))
        return now - started > soft_seconds  # training stops, keeping what it learned (status "stopped")

    args = tuple(progress if isinstance(v, _Progress) else v for v in args)
    kwargs = {k: progress if isinstance(v, _Progress) else v for k, v in kwargs.items()}
    try:
        result = fn(*args, **kwargs)
        send("result", result)
    except EngineError as e:
        send("error", e)
    except MemoryError:
        send("error", ResourceError("memory", mb))
    except RuntimeError as e:
        if "allocate" not in str(e):
            traceback.print_exc()
        send("error", ResourceError("memory", mb) if "allocate" in str(e) else ResourceError("crash", 1))
    except BaseException:  # noqa: BLE001 - a bug: its traceback goes to the server's log, the page gets a sentence
        traceback.print_exc()
        send("error", ResourceError("crash", 1))
    finally:
        conn.close()
