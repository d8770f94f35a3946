"""Caches one student cannot empty: after 100 distinct links and 100 uploads from other sessions, the lecturer's run
is still cached and a live session's upload is still there."""
import numpy as np
import pytest

from engine import experiment
from viz_app.compute import runs
from viz_app.compute.cache import FairCache


@pytest.fixture
def as_session(monkeypatch):
    current = {"id": ""}
    monkeypatch.setattr(runs, "session_id", lambda: current["id"])
    runs._store().items.clear()
    runs._store().users.clear()
    runs._uploads().items.clear()

    def use(name):
        current["id"] = name
    return use


def test_a_run_many_sessions_use_outlives_one_sessions_many_links(as_session):
    lecture = experiment.RunConfig(hidden_size=9, epochs=3, seed=41)  # a lecturer's own link, not a scenario
    for student in range(30):  # the room opens the lecturer's link
        as_session(f"student-{student}")
        assert runs.train(lecture, "en") is not None
    as_session("curious")
    for i in range(100):  # one student: 100 distinct cheap links
        runs._store().put((lecture.with_(seed=1000 + i), ""), object(), "curious")
    as_session("student-0")
    assert runs.cached_run(lecture) is not None
    assert len(runs._store().items) == runs.MAX_RUNS


def test_scenario_and_default_runs_are_pinned(as_session):
    from viz_app.state.fields import baseline
    store = runs._store()
    default = baseline("").run_config()
    store.put((default, ""), "default run", "lecturer")
    for i in range(100):
        for who in ("a", "b"):  # even entries used by two sessions do not push it out
            store.put((default.with_(seed=2000 + i), ""), object(), who)
    assert store.get((default, "")) == "default run"


def test_a_live_sessions_upload_survives_100_uploads_from_others(as_session):
    as_session("owner")
    key = runs.register_upload("csv", b"x,y\n1,2\n3,4\n")
    as_session("other")
    for i in range(100):
        runs.register_upload("csv", f"x,y\n{i},2\n3,4\n".encode())
    for i in range(100):
        as_session(f"visitor-{i}")
        runs.register_upload("model", f"{i}".encode())
    as_session("owner")
    assert runs.upload("csv", key) is not None
    as_session("other")
    mine = [k for k in runs._uploads().items if k[0] == "other"]
    assert len(mine) == runs.UPLOADS_PER_SESSION  # its quota: its own oldest went


def test_fair_cache_evicts_the_least_shared_entry_first():
    cache = FairCache(3)
    cache.put("shared", 1, "a")
    cache.get("shared", "b")
    cache.put("x", 2, "c")
    cache.put("y", 3, "c")
    cache.put("z", 4, "c")  # full: x (one user, oldest) goes, not "shared" (two users, oldest of all)
    assert cache.get("shared") == 1 and cache.get("x") is None and cache.get("z") == 4


def test_one_sessions_many_links_evict_each_other_not_anothers_one_link():
    """The lecturer prepares a custom link (not a scenario: not pinned); a student opens 30 cheap distinct links.
    The student's own entries go, the lecturer's stays; once the lecturer holds more than anyone, theirs go first."""
    cache = FairCache(8)
    cache.put("lecturer's link", 0, "lecturer")
    for i in range(30):
        cache.put(f"student link {i}", i, "student")
        assert "lecturer's link" in cache.items  # looked at without a use
    assert "lecturer's link" in cache.items and len(cache.items) == 8
    assert [k for k in cache.items if k.startswith("student")] == [f"student link {i}" for i in range(23, 30)]
    for i in range(10):
        cache.put(f"lecturer's other link {i}", i, "lecturer")
    assert sum(k.startswith("student") for k in cache.items) >= 3  # the lecturer's own now go first


def test_fair_cache_keeps_its_entries_weights_under_its_bound():
    cache = FairCache(10, pinned=lambda key: key == "lecture", max_weight=100)
    cache.put("lecture", 0, "a", weight=60)
    cache.put("x", 1, "b", weight=30)
    cache.put("y", 2, "c", weight=30)  # 120 > 100: x goes (the lecture's is pinned), not the one just stored
    assert cache.get("lecture") == 0 and cache.get("x") is None and cache.get("y") == 2
    assert sum(cache.weights.values()) == 90
    cache.put("huge", 3, "d", weight=500)  # over the bound alone: everything unpinned but itself goes
    assert set(cache.items) == {"lecture", "huge"}


def test_a_run_the_store_let_go_still_reaches_a_late_caller(as_session):
    """A finished job keeps its result for a minute (for a page that was rerunning when it finished); if the store
    evicted the run meanwhile, the next caller still gets the run, and it is stored again (a blank page before)."""
    cfg = experiment.RunConfig(hidden_size=6, epochs=3, seed=4343)
    first = runs.train(cfg, "en")
    runs._store().items.clear()  # evicted by other sessions' runs
    again = runs.train(cfg, "en")
    assert again is not None and again.history.loss.tobytes() == first.history.loss.tobytes()
    assert runs.cached_run(cfg) is again


def test_figures_leave_the_figure_cache_with_the_data_they_were_built_from():
    """The shared figure cache holds its data weakly: when a Trace leaves the trace cache and is freed, every figure
    built from it leaves too (it would otherwise stay until 512 newer figures pushed it out)."""
    import gc

    import plotly.graph_objects as go

    from viz_app.figures import common

    class Data:
        pass

    def line(data, *, n):
        return go.Figure(go.Scatter(x=list(range(n)), y=list(range(n))))

    kept, dropped = Data(), Data()
    before = len(common._FIGURES.items)
    for n in (3, 4):
        common.figure(line, kept, n=n)
        common.figure(line, dropped, n=n)
    assert len(common._FIGURES.items) == before + 4
    del dropped
    gc.collect()
    assert len(common._FIGURES.items) == before + 2
    assert all(entry[0]() is not None for entry in common._FIGURES.items.values())
    assert common.figure(line, kept, n=3).data[0].x == (0, 1, 2)


def test_built_figures_are_weighed_and_their_cache_stays_under_its_bytes(monkeypatch):
    """The built figures' cache is bounded by bytes, not only by entries: a long text's pages hold T x T maps as
    Python lists (tens of MB a page; 15 such links took the server to 1.5 GB). ``size_of`` is within a factor 2 of
    what the figure's dict really holds (tracemalloc), and the cache drops its oldest figures to stay under its cap."""
    import tracemalloc

    import plotly.graph_objects as go

    from viz_app.compute.cache import LRU
    from viz_app.figures import common

    def curves(data, *, n):
        return go.Figure([go.Scatter(x=list(range(n)), y=[float(i) * 0.5 for i in range(n)], name="a" * 40),
                          go.Heatmap(z=np.ones((n // 100, 100), dtype=np.float32))])

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    spec = curves(None, n=200_000).to_dict()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert held / 2 <= common.size_of(spec) <= 2 * held, (common.size_of(spec), held)

    class Data:
        pass

    cap = 3 * common.size_of(curves(None, n=20_000).to_dict())
    monkeypatch.setattr(common, "_FIGURES", LRU(512, max_weight=cap))
    kept = [Data() for _ in range(6)]
    for data in kept:
        common.figure(curves, data, n=20_000)
        assert common._FIGURES.weight <= cap
    assert len(common._FIGURES.items) == 3  # the three newest
    assert [k[2] for k in common._FIGURES.items] == [id(d) for d in kept[3:]]
    assert common._FIGURES.weight == sum(common._FIGURES.weights.values())
    common.figure(curves, Data(), n=200_000)  # heavier than the whole cap: drawn, not kept
    assert len(common._FIGURES.items) == 3


def test_the_lecture_runs_survive_a_server_restart_on_disk(as_session, tmp_path, monkeypatch):
    """The lecture's runs and recordings go to the disk cache (viz_app/compute/disk.py) when computed; after a restart
    (memory caches empty) they load from it, nothing is trained, and they are bit for bit what training gives. A
    student's own config is not written; another code version or a damaged file never loads."""
    import numpy as np
    import torch

    from viz_app.compute import disk
    from viz_app.state import fields as S

    monkeypatch.setenv("RNN_VIZ_CACHE_DIR", str(tmp_path))
    runs._traces().items.clear()  # a fresh server: earlier tests may have recorded this run in memory
    runs._traces().users.clear()
    as_session("lecturer")
    cfg = S.baseline("hello").run_config()
    runs.train(cfg, "en")
    runs.trace(cfg)
    runs.train(experiment.RunConfig(hidden_size=9, epochs=3, seed=41), "en")  # a student's link: memory only
    assert len(list(tmp_path.glob("*.pkl"))) == 2
    runs._store().items.clear()
    runs._traces().items.clear()
    monkeypatch.setattr(runs, "_pool", lambda: pytest.fail("computed again instead of loaded"))
    run, trace = runs.train(cfg, "en"), runs.trace(cfg)
    fresh = experiment.run(cfg)
    for name, value in fresh.net.state_dict().items():
        assert torch.equal(run.net.state_dict()[name], value), name
    assert np.array_equal(run.history.loss, fresh.history.loss)
    assert np.array_equal(trace.grad_hidden, fresh.trace().grad_hidden)
    monkeypatch.setattr(disk, "version", lambda: "another")
    assert disk.get(("run", cfg)) is None and disk.prune() == 2 and not list(tmp_path.glob("*.pkl"))
    monkeypatch.undo()
    monkeypatch.setenv("RNN_VIZ_CACHE_DIR", str(tmp_path))
    disk.put(("run", cfg), run)
    (path,) = tmp_path.glob("*.pkl")
    path.write_bytes(path.read_bytes()[:100])  # a damaged file
    assert disk.get(("run", cfg)) is None and not path.exists()


def test_the_disk_cache_version_follows_every_engine_module(tmp_path, monkeypatch):
    """An edit anywhere in engine/ (its subfolders too: cells, lessons, serving) makes the stored runs stale."""
    import shutil
    from pathlib import Path

    from viz_app.compute import disk
    shutil.copytree(Path(disk.PROJECT) / "engine", tmp_path / "engine")
    monkeypatch.setattr(disk, "PROJECT", tmp_path)
    seen = []
    for edited in (None, "lessons/embeddings.py", "cells/lstm.py", "serving/limits.py", "record.py"):
        if edited:
            with open(tmp_path / "engine" / edited, "a") as f:
                f.write("\n# edited\n")
        disk.version.cache_clear()
        seen.append(disk.version())
    disk.version.cache_clear()
    assert len(set(seen)) == len(seen)


def test_the_disk_cache_stays_under_its_cap_and_keeps_the_lecture(as_session, tmp_path, monkeypatch):
    """Every distinct window or rho a link asked for was a new recording on the lecturer's disk, and nothing deleted
    them. Past RNN_VIZ_CACHE_MB the least recently used unpinned entries go; the lecture's run, its default
    recording and what the warm-up prepared stay, whatever students open."""
    import os
    import time

    import numpy as np

    from viz_app.compute import disk
    from viz_app.state import fields as S

    monkeypatch.setenv("RNN_VIZ_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("RNN_VIZ_CACHE_MB", "1")
    block = np.zeros(160_000 // 8)  # 0.15 MiB a recording: the two pinned and four more fit under the cap
    cfg = S.baseline("truncated").run_config()
    disk.put(("run", cfg), block, pinned=True)
    pinned = runs._pinned_on_disk
    assert pinned(("trace", cfg, 0, True, "")) and pinned(("trace", cfg, cfg.tbptt, True, ""))
    assert not pinned(("trace", cfg, 7, True, "")) and not pinned(("rho_grid", cfg, (1.0,), ""))
    disk.put(("trace", cfg, 0, True, ""), block, pinned=True)

    def kept():  # windows on disk (looked at without get(), which counts as a use)
        return {w for w in range(1, 9) if disk._path(tmp_path, ("trace", cfg, w, True, ""), False).exists()}

    for window in range(1, 9):  # a student's links: each window a new recording
        disk.put(("trace", cfg, window, True, ""), block)
        time.sleep(0.02)
        if window == 4:
            assert kept() == {1, 2, 3, 4}
            assert disk.get(("trace", cfg, 2, True, "")) is not None  # a use: 2 is now more recent than 3 and 4
            time.sleep(0.02)
        assert sum(p.stat().st_size for p in tmp_path.glob("*.pkl")) <= disk.cap_bytes()
        if window == 7:
            assert kept() == {2, 5, 6, 7}  # the oldest went first, 2 after 3 and 4: it had been used since
    assert kept() == {5, 6, 7, 8}
    assert disk.get(("run", cfg)) is not None and disk.get(("trace", cfg, 0, True, "")) is not None  # pinned
    monkeypatch.setenv("RNN_VIZ_WARMING", "1")  # the warm-up pins what it prepares
    assert runs._pinned_on_disk(("rho_grid", cfg, (1.0,), ""))
    monkeypatch.delenv("RNN_VIZ_WARMING")
    monkeypatch.setenv("RNN_VIZ_CACHE_MB", "many")
    assert disk.cap_bytes() == disk.MAX_MB * 2 ** 20 and os.environ["RNN_VIZ_CACHE_MB"] == "many"
