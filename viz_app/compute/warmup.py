"""Prepare the lecture before the class: `python -m viz_app.compute.warmup`.

Opens the default link and every scenario's link on every view, as a student clicking through would, with the app's own
code (Streamlit's AppTest: the script runs in this process, training in the app's worker processes) and keeps every run
and recording it computed in the disk cache (viz_app/compute/disk.py). A server started afterwards, or restarted, serves
those links from disk: the first student does not wait for training. Entries of older code versions are deleted first.
Nothing here needs a running server.

    python -m viz_app.compute.warmup              # every scenario x every view (about a minute or two on 2 cores)
    python -m viz_app.compute.warmup --own-view   # only the view each link opens on
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m viz_app.compute.warmup", description=__doc__.split("\n\n")[1])
    ap.add_argument("--own-view", action="store_true", help="only the view each link opens on")
    a = ap.parse_args(argv)
    os.environ["RNN_VIZ_WARMING"] = "1"  # runs.py: keep everything computed here on disk
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    from viz_app.compute import disk
    from viz_app.state import scenarios
    from viz_app import views
    from viz_app.views import catalog  # noqa: F401  (registers the views)
    from viz_app.state import fields as S

    if disk.directory() is None:
        print("RNN_VIZ_CACHE_DIR=off: the disk cache is off, nothing to prepare")
        return 1
    pruned = disk.prune()
    start, failed = time.perf_counter(), 0
    for name in ("", *scenarios.names()):
        shown = (S.baseline(name).view,) if a.own_view else views.names()
        for view in shown:
            t0 = time.perf_counter()
            at = AppTest.from_file(str(ROOT / "viz_app" / "main.py"), default_timeout=900)
            at.query_params.update({"view": view, **({"scenario": name} if name else {})})
            at.run()
            bad = [e.message for e in at.exception] + [e.value for e in at.error]
            failed += bool(bad)
            print(f"{name or 'default':14s} {view:9s} {time.perf_counter() - t0:6.1f} s"
                  + (f"  PROBLEM: {str(bad[0])[:200]}" if bad else ""), flush=True)
    files = list(disk.directory().glob("*.pkl"))
    size = sum(p.stat().st_size for p in files) / 2 ** 20
    print(f"prepared in {time.perf_counter() - start:.0f} s: {len(files)} entries, {size:.0f} MiB in "
          f"{disk.directory()} (code version {disk.version()}; {pruned} old entries deleted)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
