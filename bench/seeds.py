"""The seed table: does each lesson show at seeds 0-4, with the torch thread count of the app's workers?

A lesson the app teaches should show at most seeds (4 of 5). For every scenario, the banner's own measurement
(viz_app/text/claims.py: Evidence.shown, the same function the page calls) on the scenario's link with ``seed=k``;
for the views that train their own models, their headline effect measured as their sentence measures it:

- nnlm: the RNN of the page (each cell choice) looks back past the NNLM's window (engine.lessons.nnlm.reaches_back);
- embed: after training, the vowels sit together and the consonants sit together (mean distance within each kind
  below the mean distance across kinds, engine.lessons.embeddings.spread), and most of them have a nearest
  neighbour of their own kind.

Each job runs in its own process with torch set to the workers' thread count (viz_app/compute/worker.THREADS), two
at a time. About 3 minutes on 2 cores.

Another kind of CPU may train the same link to other numbers: the math library (MKL) picks its kernels by the CPU,
and a lesson near its threshold can fall on either side. ``--cbwr`` runs the table again under other MKL code
branches (MKL_CBWR, e.g. COMPATIBLE AVX2), a stand-in for other machines.

Run: .venv/bin/python bench/seeds.py [--only NAME ...] [--seeds 5] [--cbwr COMPATIBLE AVX2]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RNN_VIZ_CACHE_DIR", "off")


def _scenario(name: str, seed: int) -> tuple[bool, str]:
    from engine import experiment
    from engine.lessons.cliff import demo
    from viz_app.text import claims
    from viz_app.state.fields import baseline
    runs: dict = {}

    def train(cfg):
        if cfg not in runs:
            runs[cfg] = experiment.run(cfg)
        return runs[cfg]

    state = baseline(name).with_(seed=seed)
    run = train(state.run_config())
    cliff = demo()
    ctx = claims.Context(state, run, run.trace(), train, lambda cfg, w: train(cfg).trace(tbptt_window=w or None),
                         lambda: (cliff[0], {"plain": cliff[1], "clipped": cliff[2]}))
    ev, text = claims.scenario_claim(ctx, "en")
    return bool(ev is not None and ev.shown), text


def _nnlm(cell: str, seed: int) -> tuple[bool, str]:
    from engine.lessons import nnlm
    from viz_app.state.fields import AppState
    from viz_app.views import nnlm as page
    kind, _, nl = cell.partition("_")
    state = AppState(view="nnlm", cell=kind, nonlinearity=nl or "tanh", seed=seed)
    from engine import experiment
    run = experiment.run(page.rnn_config(state))
    at = nnlm.by_position(run.trace(jacobians=False).losses, state.gap)[state.gap]
    return nnlm.reaches_back(float(at)), f"loss at the repeated letter {at:.3f} (ln 2 = 0.693)"


def _embed(cell: str, seed: int) -> tuple[bool, str]:
    from engine.lessons import embeddings as E
    c = E.compare(cell=cell, seed=seed)
    near, s = E.same_kind(c.vectors), E.spread(c.vectors)
    together = s["vowels"] < s["across"] and s["consonants"] < s["across"]
    most = near["vowels"] * 2 > len(E.VOWELS) and near["consonants"] * 2 > len(E.CONSONANTS)
    return bool(together and most), (f"within vowels {s['vowels']:.2f}, consonants {s['consonants']:.2f}, across "
                                      f"{s['across']:.2f}; nearest of the same kind: vowels {near['vowels']}/5, "
                                      f"consonants {near['consonants']}/9")


def _job(args):
    kind, name, seed = args
    import torch

    from viz_app.compute import worker
    from viz_app.views import catalog  # noqa: F401  (links name views)
    torch.set_num_threads(worker.THREADS)
    start = time.perf_counter()
    shown, text = {"scenario": _scenario, "nnlm": _nnlm, "embed": _embed}[kind](name, seed)
    return kind, name, seed, shown, text, time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="scenario names, nnlm or embed")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", action="store_true", help="print each run's sentence")
    ap.add_argument("--cbwr", nargs="*", default=[], help="MKL_CBWR branches to run the table under as well")
    a = ap.parse_args(argv)
    from viz_app.state import scenarios
    lessons = [("scenario", n) for n in scenarios.names()]
    lessons += [("nnlm", c) for c in ("rnn_tanh", "rnn_relu", "gru", "lstm")] + [("embed", "rnn")]
    if a.only:
        lessons = [(k, n) for k, n in lessons if n in a.only or k in a.only]
    jobs = [(k, n, s) for k, n in lessons for s in range(a.seeds)]
    worst = a.seeds
    for branch in [os.environ.get("MKL_CBWR", "")] + a.cbwr:  # the spawned jobs read MKL_CBWR as MKL loads
        if branch:
            os.environ["MKL_CBWR"] = branch
        results: dict = {}
        with mp.get_context("spawn").Pool(a.jobs) as pool:
            for kind, name, seed, shown, text, secs in pool.imap_unordered(_job, jobs):
                results[kind, name, seed] = shown
                if a.v:
                    print(f"  {kind}:{name} seed {seed} ({secs:.0f} s): {'shown' if shown else 'NOT shown'}: {text}",
                          flush=True)
        print(f"MKL_CBWR={branch or '(unset: this CPU)'}")
        print(f"{'lesson':24s} " + " ".join(f"s{s}" for s in range(a.seeds)) + "  shown")
        for kind, name in lessons:
            row = [results[kind, name, s] for s in range(a.seeds)]
            worst = min(worst, sum(row))
            print(f"{kind + ':' + name:24s} " + " ".join(" +" if r else " -" for r in row) + f"  {sum(row)}/{a.seeds}")
    return 0 if worst >= a.seeds - 1 else 1


if __name__ == "__main__":
    sys.exit(main())
