"""The worker pool (viz_app/compute/worker.py): runs in child processes give the same bits as in the server's process, a
child that passes its memory or time limit is stopped with a typed error while the pool goes on serving, jobs are
shared by key, a job nobody waits for is cancelled, and errors arrive typed."""
from __future__ import annotations

import os
import pickle
import threading
import time

import numpy as np
import pytest
import torch

from engine import ConfigError, ResourceError, VocabularyError, experiment
from engine.serving import budget
from viz_app.compute import worker


MB = 1000.0  # a light job's memory limit in the app (runs.LIGHT_LIMIT_MB)


def _allocate(mb: int, touch: bool = True):
    """Allocate (and touch) mb megabytes in one array, then hold it."""
    a = np.ones(mb * 2 ** 20 // 8) if touch else np.empty(mb * 2 ** 20 // 8)
    return float(a[:10].sum())


def _grow(step_mb: int, steps: int, pause: float):
    """Grow by step_mb every pause seconds (the memory watch must catch it between allocations)."""
    kept = []
    for _ in range(steps):
        kept.append(np.ones(step_mb * 2 ** 20 // 8))
        time.sleep(pause)
    return len(kept)


def _sleep(seconds: float, progress=None):
    end = time.monotonic() + seconds
    done = 0
    while time.monotonic() < end:
        time.sleep(0.02)
        done += 1
        if progress is not None and progress(done, 0, 0.0):
            return "stopped"
    return os.getpid()


def _raise(kind: str):
    if kind == "vocab":
        raise VocabularyError(["é"], "abc")
    if kind == "config":
        raise ConfigError("bad")
    if kind == "budget":
        cfg = experiment.RunConfig(cell="lstm", hidden_size=128, num_layers=3, task="copy", length=200, batch=256,
                                   epochs=5000)
        experiment.estimate(cfg)
    raise KeyError("a bug")


@pytest.fixture(scope="module")
def pool():
    return worker.Pool(workers=2, heavy=1, grace=0.5)


def test_a_run_in_a_worker_is_bit_identical_to_one_in_process(pool):
    cfg = experiment.RunConfig(epochs=40)
    before = torch.get_num_threads()
    torch.set_num_threads(pool.threads)  # the workers' thread count (the bits of large products depend on it)
    try:
        here = experiment.run(cfg)
        here_trace = here.trace()
    finally:
        torch.set_num_threads(before)
    seen = []
    there = pool.run(("t", cfg), experiment.run, cfg, worker.PROGRESS, heavy=False, mb=MB, seconds=60,
                     on_wait=seen.append)
    assert there.history.loss.tobytes() == here.history.loss.tobytes()
    for (name, a), b in zip(here.net.state_dict().items(), there.net.state_dict().values()):
        assert torch.equal(a, b), name
    a, b = here_trace, pool.run(("r", cfg), there.trace, heavy=False, mb=MB, seconds=60)
    assert np.array_equal(a.hidden, b.hidden) and np.array_equal(a.grad_hidden, b.grad_hidden)
    assert np.array_equal(a.jacobians.spectral, b.jacobians.spectral, equal_nan=True)
    progress = [s.progress for s in seen if s.progress]
    assert not progress or progress[-1][1] == 40  # the training's own counts reached the waiting page


def test_the_live_loss_curve_is_the_training_s_own_loss(pool):
    """What a waiting page draws while a run trains (Status.curve): updates in order, each with the loss the run's
    history has at that update, the last one the end of training."""
    cfg = experiment.RunConfig(epochs=900)
    seen = []
    run = pool.run(("live", cfg), experiment.run, cfg, worker.PROGRESS, heavy=False, mb=MB, seconds=120,
                   on_wait=seen.append)
    curve = pool.jobs[("live", cfg)].curve
    assert len(curve) >= 3 and max(len(s.curve) for s in seen) >= 2  # several reports reached the waiting page
    done = [d for d, _ in curve]
    assert done == sorted(set(done)) and done[-1] == 900
    assert [loss for _, loss in curve] == [float(run.history.loss[d - 1]) for d in done]
    for status in seen:  # each status's curve is the start of the job's
        assert list(status.curve) == curve[:len(status.curve)]


@pytest.mark.parametrize("kind, error", [("vocab", VocabularyError), ("config", ConfigError),
                                         ("budget", budget.BudgetError), ("bug", ResourceError)])
def test_errors_arrive_typed_with_their_fields(pool, kind, error):
    with pytest.raises(error) as e:
        pool.run(("raise", kind), _raise, kind, heavy=False, mb=MB, seconds=30)
    if kind == "vocab":
        assert e.value.unknown == ["é"] and e.value.vocab == "abc"
    if kind == "budget":
        assert e.value.estimate.mb > 1500 and e.value.suggestions
    if kind == "bug":
        assert e.value.kind == "crash"


def test_errors_pickle_round_trip():
    for err in (VocabularyError(["x"], "ab"), ResourceError("memory", 12.0), ResourceError("crash", -11)):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err)


def test_one_allocation_past_the_limit_fails_in_the_child_and_the_pool_goes_on(pool):
    with pytest.raises(ResourceError) as e:  # 4 GB in one array against a 300 MB limit: the address-space limit
        pool.run("huge", _allocate, 4000, heavy=False, mb=300, seconds=30)
    assert e.value.kind == "memory" and e.value.limit == 300
    assert pool.run("small", _allocate, 50, heavy=False, mb=300, seconds=30) == 10.0


def test_growth_past_the_limit_is_stopped_from_outside(pool):
    job = pool.submit("grow", _grow, 50, 40, 0.05, heavy=False, mb=400, seconds=30)
    with pytest.raises(ResourceError) as e:
        pool.wait(job)
    assert e.value.kind == "memory"
    assert 300 < job.peak_mb < 400 + 512 + 100  # seen growing; stopped near the limit, not at the end (2000 MB)


def test_time_limit_stops_a_job_and_a_training_job_stops_softly_first(pool):
    t0 = time.monotonic()
    with pytest.raises(ResourceError) as e:
        pool.run("slow", _sleep, 30.0, heavy=False, mb=300, seconds=1.0)
    assert e.value.kind == "time" and time.monotonic() - t0 < 5
    # with a progress callback the child stops by itself at the soft limit and returns what it has
    assert pool.run("soft", _sleep, 30.0, worker.PROGRESS, heavy=False, mb=300, seconds=20.0,
                    soft_seconds=0.5) == "stopped"


def test_jobs_are_shared_by_key_and_each_child_is_a_new_process(pool):
    out = []
    threads = [threading.Thread(target=lambda: out.append(pool.run("same", _sleep, 0.5, heavy=False, mb=300,
                                                                    seconds=30))) for _ in range(5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(set(out)) == 1 and out[0] != os.getpid()  # five waiters, one child
    assert pool.run("other", _sleep, 0.1, heavy=False, mb=300, seconds=30) != out[0]


def test_a_job_nobody_waits_for_is_cancelled_and_a_new_caller_starts_it_again(pool):
    class Leave(Exception):
        pass

    def leave(status):
        raise Leave

    with pytest.raises(Leave):
        pool.run("left", _sleep, 30.0, heavy=False, mb=300, seconds=60, on_wait=leave)
    job = pool.jobs["left"]
    job.done.wait(10)
    assert isinstance(job.error, worker.Cancelled)  # killed after the grace period, long before its 30 s
    assert "left" not in pool.jobs
    assert pool.run("left", _sleep, 0.1, heavy=False, mb=300, seconds=30) > 0


def test_heavy_jobs_run_one_at_a_time_and_light_ones_pass_them(pool):
    h1 = pool.submit("h1", _sleep, 1.0, heavy=True, mb=300, seconds=30)
    h2 = pool.submit("h2", _sleep, 1.0, heavy=True, mb=300, seconds=30)
    light = pool.submit("l", _sleep, 0.1, heavy=False, mb=300, seconds=30)
    time.sleep(0.5)
    assert pool.status(h2).queued_ahead == 1 and pool.status(h1).queued_ahead == 0
    pool.wait(light)
    assert not h1.done.is_set()  # the light job finished while the first heavy one still ran
    pool.wait(h1), pool.wait(h2)
    assert h2.started >= h1.finished


def test_a_job_marked_first_goes_before_queued_ones_not_marked(pool):
    busy = [pool.submit(("busy", i), _sleep, 1.5, heavy=False, mb=300, seconds=30) for i in range(2)]
    while any(pool.status(job).queued_ahead for job in busy):  # both workers taken
        time.sleep(0.05)
    later = [pool.submit(("later", i), _sleep, 0.1, heavy=False, mb=300, seconds=30) for i in range(2)]
    urgent = pool.submit("urgent", _sleep, 0.1, heavy=False, mb=300, seconds=30, first=True)
    assert pool.status(urgent).queued_ahead == 1 and pool.status(later[0]).queued_ahead == 2
    for job in (*busy, *later, urgent):
        pool.wait(job)
    assert urgent.started <= min(job.started for job in later)


def test_the_queue_takes_each_client_s_next_job_in_turn_and_the_lecturer_s_first(pool):
    """One student (an address) queues six pages, then another student one, then the lecturer (the server's own
    machine: no address) one: the lecturer's goes first, then each student's next in turn; a student's job that the
    lecturer joins (the same link) moves up with the lecturer."""
    busy = [pool.submit(("fair busy", i), _sleep, 1.0, heavy=False, mb=300, seconds=30, client="10.0.0.9")
            for i in range(2)]
    while any(pool.status(job).queued_ahead for job in busy):  # both workers taken
        time.sleep(0.05)
    spam = [pool.submit(("spam", i), _sleep, 0.05, heavy=False, mb=300, seconds=30, client="10.0.0.1")
            for i in range(6)]
    other = pool.submit("other student", _sleep, 0.05, heavy=False, mb=300, seconds=30, client="10.0.0.2")
    lecturer = pool.submit("lecturer page", _sleep, 0.05, heavy=False, mb=300, seconds=30)
    assert [pool.status(j).queued_ahead for j in (lecturer, spam[0], other, spam[1], spam[5])] == [1, 2, 3, 4, 8]
    joined = pool.submit(("spam", 5), _sleep, 0.05, heavy=False, mb=300, seconds=30)  # the lecturer opens it too
    assert joined is spam[5] and [pool.status(j).queued_ahead for j in (spam[5], lecturer, spam[0])] == [1, 2, 3]
    for job in (*busy, *spam, other, lecturer, joined):
        pool.wait(job)
    assert spam[5].started <= lecturer.started <= spam[0].started <= other.started <= spam[1].started


def test_a_run_stopped_at_its_memory_limit_is_said_on_the_page_and_the_next_run_works(monkeypatch):
    """In the app: a training job whose child passes its (here tiny) memory limit is stopped; the page says so in
    one sentence, without a traceback; the same page with the normal limits then trains and draws."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from viz_app.compute import runs
    from viz_app.text.errors import error_message
    real = runs._job_limits
    monkeypatch.setattr(runs, "_job_limits", lambda cost: real(cost) | {"mb": 5.0})
    app = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.query_params.update({"lang": "en", "cell": "lstm", "hidden_size": "64", "task": "copy", "length": "60",
                            "batch": "64", "epochs": "20", "seed": "4242"})  # grows by about 50 MB
    at.run()
    assert not at.exception and [e.value for e in at.error] == [error_message(ResourceError("memory", 5.0),
                                                                                     "en")]
    assert "memory limit (5 MB)" in at.error[0].value and not at.get("plotly_chart")
    monkeypatch.setattr(runs, "_job_limits", real)
    at.run()
    assert not at.exception and not at.error and at.get("plotly_chart")


def test_waiting_pages_draw_the_live_curve_once_per_group_of_reports(monkeypatch):
    """Every session waiting for one training job draws the same figures of the loss so far (the curve cut to whole
    groups of reports), each built once; the figure's points are the curve's."""
    import streamlit as st
    from viz_app.compute import progress
    drawn = []
    monkeypatch.setattr(st.delta_generator.DeltaGenerator, "plotly_chart",
                        lambda self, fig, **kw: drawn.append(fig), raising=True)
    progress.live_figure.cache_clear()
    curve = tuple((10 * (i + 1), 1.0 / (i + 1)) for i in range(23))
    pages = [progress.Waiting("en", budget.Estimate(1.0, 0.0, 10.0)) for _ in range(3)]
    for n in (3, 7, 12, 23):
        for page in pages:
            page.drawn = (page.drawn[0], 0.0)  # as if half a second had passed
            page(worker.Status(0, (curve[n - 1][0], 500, curve[n - 1][1]), 1.0, curve[:n]))
    assert [len(f.data[0].x) for f in drawn] == [5] * 3 + [10] * 3 + [20] * 3
    assert list(drawn[-1].data[0].x) == [d for d, _ in curve[:20]]
    assert list(drawn[-1].data[0].y) == [loss for _, loss in curve[:20]]
    assert progress.live_figure.cache_info().misses == 3  # one build per group, shared by the three pages
    for page in pages:
        page.close()


def test_the_launch_we_copy_is_still_cpythons():
    """worker._Popen._launch is CPython's private Popen._launch (multiprocessing.popen_forkserver) with the parent's
    __main__ left out of the child's preparation data: the rest must stay CPython's, statement for statement, so a
    Python whose launch changes fails here instead of in a classroom."""
    import ast
    import inspect
    import textwrap
    from multiprocessing import popen_forkserver

    def body(fn) -> list:
        return ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0].body

    ours, theirs = body(worker._Popen._launch), body(popen_forkserver.Popen._launch)
    assert ast.unparse(theirs[0]) == "prep_data = spawn.get_preparation_data(process_obj._name)"
    assert "init_main_from_path" in ast.unparse(ours[0]) and "init_main_from_name" in ast.unparse(ours[0])
    assert [ast.dump(s) for s in ours[1:]] == [ast.dump(s) for s in theirs[1:]]


def test_an_answer_that_arrives_as_the_child_ends_is_read(monkeypatch):
    """A child that sends its result and exits between the pool's wait for a message timing out and its look at
    whether the child lives: the pool took it for a child that died without a word ("ended without an answer (exit
    code 0)" on a page, seen once in a browser check). The race is forced here: the first wait that would have seen
    a message waits until the child has ended and says there was none."""
    real = worker.mp.Pipe

    class Late:
        def __init__(self, conn):
            self.conn, self.raced = conn, False

        def poll(self, timeout=0.0):
            if timeout and not self.raced and self.conn.poll(timeout):
                time.sleep(0.5)  # the child answers and exits meanwhile
                self.raced = True
                return False
            return self.conn.poll(timeout)

        def __getattr__(self, name):
            return getattr(self.conn, name)

    def pipe(duplex=True):
        receive, send = real(duplex=duplex)
        return Late(receive), send

    monkeypatch.setattr(worker.mp, "Pipe", pipe)
    pool = worker.Pool(workers=1, heavy=1, grace=0.5)
    assert pool.run("race", _sleep, 0.0, heavy=False, mb=MB, seconds=30) > 0  # its pid: the answer was read
