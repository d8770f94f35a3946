"""A class right after a (re)start: the disk cache warmed as the README says (`python -m viz_app.compute.warmup
--own-view`, into a temporary folder), a fresh server, then N sessions at once over the ten scenario links (a real
websocket client each: bench/load_test.py's). Reports errors and the time to the first chart (p50, p95).

Before viz_app/main.py imported pandas first, 20 of 50 sessions failed here, in 2 tries of 2 ("partially initialized
module 'pandas' has no attribute 'Series'"); goal: 0 errors.

Not part of CI: `.venv/bin/python bench/bench_restart.py [sessions]` (about a minute)."""
from __future__ import annotations

import asyncio
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from load_test import open_link, pct, start_server  # noqa: E402

from viz_app.state import scenarios  # noqa: E402


async def burst(port: int, sessions: int) -> None:
    links = [f"lang=ko&scenario={n}" for n in scenarios.names()]
    start = time.time()
    res = await asyncio.gather(*(open_link(port, links[i % len(links)]) for i in range(sessions)))
    errors = [r["error"] for r in res if r["error"]]
    firsts = [r["first"] for r in res if r["first"] is not None]
    print(f"{sessions} sessions in {time.time() - start:.1f} s: errors {len(errors)}; first chart p50 "
          f"{pct(firsts, 0.5):.1f} s, p95 {pct(firsts, 0.95):.1f} s" if firsts else "no chart at all")
    for error, n in collections.Counter(e[:110] for e in errors).most_common(4):
        print(f"  {n} x {error}")


def main() -> int:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as cache:
        os.environ["RNN_VIZ_CACHE_DIR"] = cache
        subprocess.run([sys.executable, "-m", "viz_app.compute.warmup", "--own-view"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server, port = start_server("--server.headless", "true")
        try:
            asyncio.run(burst(port, sessions))
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
