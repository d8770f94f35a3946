"""The built figures' cache and the server's memory (not part of CI): distinct long-text links one after another, on
this tree's server and on a baseline tree's, side by side in one run.

A long text's pages hold T x T maps, so each built page weighs tens of MiB; a cache bounded by entries only (the
baseline: 512 figures) keeps every one of them, one bounded by bytes (RNN_VIZ_FIGURE_MB, default 256) does not.
Measured at 9df1d80 against 3fafc56 (15 links of a 1,200-character text, BPTT view): PSS after the last link 1618 vs
1635 MiB, peak 1882 vs 1892: no difference to speak of. Both grow about 75 MiB a link, so the figures are not what
holds the server's memory here (the recordings' cache, weighted at 1000 MB, and the heap).
Per tree, each server with its own empty RNN_VIZ_CACHE_DIR:

1. the default page ("lang=en"), then the server tree's PSS (the server, its fork server and workers);
2. N distinct long-text links one after another (a new seed each: a new run every time), the server tree's PSS
   after each, polled every 0.25 s for the peak.

Prints per tree: PSS after the default page, after the last link, the peak, and seconds per link.

Run: .venv/bin/python bench/bench_figure_memory.py [--tree REF] [--baseline REF] [--links 15] [--chars 1200]
     [--views bptt]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_test import MemoryWatch, open_link, start_server, tree_pss_mib  # noqa: E402
from viz_app.state.fields import MAX_TEXT_URL  # noqa: E402

LINK = "lang=en&view={view}&epochs=5&seed={seed}&text={text}"
TOO_LONG = 180.0  # seconds: a link slower than this is reported
WORDS = ("the quick brown fox jumps over a lazy dog while seven wizards quietly hex jolly vixens and a big sphinx "
         "of quartz judges my vow ; pack my box with five dozen liquor jugs , how vexingly quick daft zebras jump .")


def long_text(chars: int) -> str:
    """A fixed English-like text of exactly ``chars`` characters."""
    out = ""
    while len(out) < chars:
        out += WORDS + " "
    return out[:chars]


def run_tree(name: str, root: Path, a, text: str) -> dict:
    cache = tempfile.mkdtemp(prefix="bench-figmem-cache-")
    server, port = start_server(root=root, env={**os.environ, "RNN_VIZ_CACHE_DIR": cache, "PYTHONPATH": ""})
    watch = MemoryWatch(server.pid)
    r = {"default": None, "after": [], "seconds": [], "errors": [], "slow": []}
    try:
        watch.start()
        out = asyncio.run(open_link(port, "lang=en"))  # the server's first page (imports, fork server)
        if out["error"]:
            r["errors"].append(f"default: {out['error']}")
        time.sleep(1.0)
        r["default"] = tree_pss_mib(server.pid)
        print(f"[{name}] default page {out['all'] or float('nan'):.1f} s, PSS {r['default']:.0f} MiB", flush=True)
        q = quote(text, safe="")
        for i in range(a.links):
            start = time.perf_counter()
            for view in a.views.split(","):
                out = asyncio.run(open_link(port, LINK.format(view=view, seed=1000 + i, text=q)))
                if out["error"] or not out["charts"]:
                    r["errors"].append(f"link {i} {view}: {out['error'] or 'no chart'}")
            took = time.perf_counter() - start
            r["seconds"].append(took)
            if took > TOO_LONG:
                r["slow"].append(i)
            r["after"].append(tree_pss_mib(server.pid))
            print(f"[{name}] link {i + 1:2d}/{a.links}: {took:6.1f} s, PSS {r['after'][-1]:6.0f} MiB "
                  f"(peak {watch.peak:.0f})", flush=True)
        time.sleep(0.5)
        r["peak"] = max(watch.peak, *r["after"], r["default"])
        return r
    finally:
        watch.stop = True
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        shutil.rmtree(cache, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", default="HEAD~1", help="the tree to compare with (a git ref)")
    ap.add_argument("--tree", default="", help="measure this git ref (a worktree) instead of the working tree")
    ap.add_argument("--links", type=int, default=15, help="distinct long-text links per tree")
    ap.add_argument("--chars", type=int, default=1200, help=f"the text's length (at most {MAX_TEXT_URL})")
    ap.add_argument("--views", default="bptt", help="views opened per link, comma-separated (e.g. bptt,states)")
    a = ap.parse_args()
    if not 1 <= a.chars <= MAX_TEXT_URL:
        ap.error(f"--chars must be 1..{MAX_TEXT_URL}")
    text = long_text(a.chars)
    print(f"{a.links} links per tree, text {len(text)} characters, views {a.views}, epochs 5", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-figmem-trees-"))
    trees = [(f"tree {a.tree}" if a.tree else "this tree", a.tree or None), (f"base {a.baseline}", a.baseline)]
    made, results = [], {}
    try:
        roots = []
        for i, (_name, ref) in enumerate(trees):
            if ref is None:
                roots.append(ROOT)
                continue
            path = tmp / f"tree{i}"
            subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=ROOT, check=True,
                           capture_output=True)
            made.append(path)
            roots.append(path)
        for (name, _), root in zip(trees, roots):
            results[name] = run_tree(name, root, a, text)
    finally:
        for path in made:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nserver tree PSS (MiB), {a.links} distinct links of a {len(text)}-character text, views {a.views}")
    print(f"  {'tree':>16} | {'default':>7} | {'last link':>9} | {'peak':>6} | {'s/link p50':>10} | {'max':>6} "
          "| errors")
    for name, r in results.items():
        secs = r["seconds"] or [float("nan")]
        print(f"  {name:>16} | {r['default']:7.0f} | {r['after'][-1] if r['after'] else float('nan'):9.0f} | "
              f"{r['peak']:6.0f} | {statistics.median(secs):10.1f} | {max(secs):6.1f} | {len(r['errors'])}")
    for name, r in results.items():
        print(f"  {name}, PSS after each link: " + ", ".join(f"{x:.0f}" for x in r["after"]))
        for e in r["errors"][:5]:
            print(f"  {name} error: {e}")
        if r["slow"]:
            print(f"  {name}: links over {TOO_LONG:.0f} s: {r['slow']} (try a shorter --chars)")


if __name__ == "__main__":
    main()
