"""How the disk cache grows from students' links (not part of CI): every distinct rho_view or bptt_window on a lecture
link may be a new recording computed in a worker and written to the disk cache (``RNN_VIZ_CACHE_DIR``).

For each tree (this one, then a baseline worktree of an older commit): `streamlit run` on a free local port with a
fresh empty cache directory, then ``--links`` websocket clients (load_test.py's), one after another, each opening a
lecture link (the default one or ``scenario=NAME``) with a random ``view=eigen&rho_view=<0.05..3, 4 decimals>`` or
``view=bptt&bptt_window=<1..40>`` (the same seeded list for every tree) until its script run finishes. Prints the
cache's size (MB, its files' sizes summed) and files every 50 links, the server tree's RSS at the end, a table.

Run: .venv/bin/python bench/bench_disk.py [--links 1000] [--trees both|head|base] [--base ddcef46]
(the baseline worktree is made under /tmp/bench_disk/base with `git worktree add` and removed at the end)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from load_test import open_link, start_server, tree_pss_mib  # noqa: E402

SCRATCH = Path("/tmp/bench_disk")
EVERY = 50


def links(n: int, seed: int = 0) -> list[str]:
    """``n`` lecture links, each with a random rho_view (eigen page) or bptt_window (BPTT page), seeded."""
    rng = random.Random(seed)
    names = ["", *json.loads((ROOT / "assets" / "scenarios.json").read_text())]
    out = []
    for _ in range(n):
        name = rng.choice(names)
        view = f"view=eigen&rho_view={rng.uniform(0.05, 3):.4f}" if rng.random() < 0.5 else \
            f"view=bptt&bptt_window={rng.randint(1, 40)}"
        out.append(f"scenario={name}&{view}" if name else view)
    return out


def disk_use(root: Path) -> tuple[float, int]:
    files = [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []
    return sum(p.stat().st_size for p in files) / 2 ** 20, len(files)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], list(children.get(pid, []))
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def tree_rss_mib(pid: int) -> float:
    """Sum of the RSS of a process and its descendants (shared pages counted once per process), in MiB."""
    lines = []
    for p in [pid, *descendants(pid)]:
        try:
            lines += [line for line in Path(f"/proc/{p}/status").read_text().splitlines() if line.startswith("VmRSS:")]
        except OSError:
            continue
    return sum(int(line.split()[1]) for line in lines) / 1024


async def bench_tree(label: str, root: Path, queries: list[str]) -> list[tuple]:
    cache = Path(tempfile.mkdtemp(prefix=f"cache-{label}-", dir=SCRATCH))
    server, port = start_server(root=root, env={**os.environ, "RNN_VIZ_CACHE_DIR": str(cache)})
    rows, errors, start = [], 0, time.time()
    try:
        for i, query in enumerate(queries, 1):
            out = await open_link(port, query)
            if out["error"] or out["all"] is None:
                errors += 1
                print(f"  [{label}] error on ?{query}: {out['error']}", flush=True)
            if i % EVERY == 0 or i == len(queries):
                mb, files = disk_use(cache)
                rows.append((i, mb, files))
                print(f"  [{label}] {i:5d} links  disk {mb:8.1f} MB  {files:5d} files  errors {errors}  "
                      f"{time.time() - start:6.0f} s", flush=True)
        print(f"  [{label}] server tree at the end: RSS {tree_rss_mib(server.pid):.0f} MiB (sum over processes), "
              f"PSS {tree_pss_mib(server.pid):.0f} MiB; {len(queries)} links in {time.time() - start:.0f} s, "
              f"errors {errors}", flush=True)
    finally:
        children = descendants(server.pid)
        server.terminate()
        server.wait(30)
        for pid in children:  # workers still alive after their server: ours, by pid
            subprocess.run(["kill", str(pid)], stderr=subprocess.DEVNULL)
        shutil.rmtree(cache, ignore_errors=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--links", type=int, default=1000)
    ap.add_argument("--trees", choices=("both", "head", "base"), default="both")
    ap.add_argument("--base", default="ddcef46")
    a = ap.parse_args()
    SCRATCH.mkdir(exist_ok=True)
    queries = links(a.links)
    base = SCRATCH / "base"
    trees = {k: v for k, v in {"head": ROOT, "base": base}.items() if a.trees in ("both", k)}
    results = {}
    try:
        if "base" in trees:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), a.base], check=True,
                           stdout=subprocess.DEVNULL)
        for label, root in trees.items():
            print(f"[{label}] {root} ({len(queries)} links)", flush=True)
            results[label] = asyncio.run(bench_tree(label, root, queries))
    finally:
        if "base" in trees and base.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print("\n links " + "".join(f"| {label:>5} MB  files " for label in results))
    for rows in zip(*results.values()):
        print(f"{rows[0][0]:6d} " + "".join(f"| {mb:8.1f} {files:6d} " for _, mb, files in rows))

if __name__ == "__main__":
    main()
