"""Engine benchmarks, measured side by side in one run (medians of interleaved repeats; the machine is shared).

1. Training the default char-LM (tanh RNN, H=35, 1000 full-sequence updates, Adam lr 0.01) with engine.train,
   against the lecture notes' hand-written RNN: a per-step Python loop over nn.Linear layers (i2h, h2h, i2o).
   Goal: engine <= 1/4 of the loop's time, to the same final loss.
2. engine.record for an LSTM, H=64, T=100, B=32 (states, gates, total dL/dh_t; no Jacobian maps) against one plain
   nn.LSTM forward + backward on the same batch. Goal: <= 1.5x (issue 13; <= 2x before). Both on a warm heap: the
   engine trims the heap after a run only when much is free (engine.serving.allocator), so a record no longer leaves the
   next nn.LSTM call to fault its pages in again, which had flattered the ratio (nn.LSTM 11.4 -> 7.1 ms here).
3. The T x T Jacobian-norm map for H=64 (chain products and exact spectral norms): the engine against the certified
   power iteration on Gram matrices only and against eigvalsh on every pair. Goals: T=100 RNN/GRU < 0.1 s,
   LSTM < 0.25 s; T=500 < 2 s. T=200: the longest generated task the app serves (engine.serving.limits.MAX_LENGTH).
4. Peak memory of record (with maps) for T=500.

Run: .venv/bin/python bench/bench_engine.py [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import engine  # noqa: E402
from engine import jacobian, tasks  # noqa: E402
from engine.record import layer_weights  # noqa: E402


def naive_train(data, hidden, updates, seed=0):
    """The notes' hand-written RNN: h = tanh(i2h(x) + h2h(h)), y = i2o(h), one Python iteration per step."""
    torch.manual_seed(seed)
    v = data.input_size
    i2h, h2h, i2o = nn.Linear(v, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, data.output_size)
    params = [*i2h.parameters(), *h2h.parameters(), *i2o.parameters()]
    opt = torch.optim.Adam(params, lr=0.01)
    x, y = data.x[:, 0], data.y[:, 0]
    losses = []
    for _ in range(updates):
        h, outs = torch.zeros(1, hidden), []
        for t in range(x.shape[0]):
            h = torch.tanh(i2h(x[t:t + 1]) + h2h(h))
            outs.append(i2o(h))
        loss = F.cross_entropy(torch.cat(outs), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def engine_train(data, hidden, updates, seed=0):
    torch.manual_seed(seed)
    net = engine.RecurrentNet("rnn", data.input_size, hidden, data.output_size)
    return list(engine.train(net, data, engine.TrainConfig(optimizer="adam", lr=0.01, epochs=updates)).loss)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def first_below(losses, level):
    return next((i for i, v in enumerate(losses) if v < level), None)


def bench_training(rounds, updates):
    data = tasks.char_lm()
    t_naive, t_eng = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine load
        t, naive_losses = timed(naive_train, data, 35, updates)
        t_naive.append(t)
        t, eng_losses = timed(engine_train, data, 35, updates)
        t_eng.append(t)
    n, e = statistics.median(t_naive), statistics.median(t_eng)
    print(f"[train] char-LM, tanh RNN H=35, {updates} updates, Adam 0.01 ({rounds} interleaved rounds, median)")
    print(f"  per-step nn.Linear loop: {n:7.2f} s   final loss {naive_losses[-1]:.2e}   "
          f"first < 0.01 at update {first_below(naive_losses, 0.01)}")
    print(f"  engine.train           : {e:7.2f} s   final loss {eng_losses[-1]:.2e}   "
          f"first < 0.01 at update {first_below(eng_losses, 0.01)}")
    print(f"  ratio engine / loop = {e / n:.3f}   (goal <= 0.25)")


def bench_record(reps):
    torch.manual_seed(0)
    steps, batch, hidden = 100, 32, 64
    net = engine.RecurrentNet("lstm", hidden, hidden, hidden)
    x, y = torch.randn(steps, batch, hidden), torch.randint(0, hidden, (steps, batch))

    def plain():
        out = net(x)
        F.cross_entropy(out.reshape(-1, hidden), y.reshape(-1)).backward()

    def rec_core():  # states, gates, total dL/dh_t (and the parameter gradients)
        engine.record(net, x, y, jacobians=False, weight_terms=False)

    def rec_terms():  # ... plus every step's dL/dW_xh and dL/dW_hh term as a matrix
        engine.record(net, x, y, jacobians=False)

    plain(), rec_core(), rec_terms()
    tp, tc, tt = [], [], []
    for _ in range(reps):
        tp.append(timed(plain)[0])
        tc.append(timed(rec_core)[0])
        tt.append(timed(rec_terms)[0])
    p, c, t = statistics.median(tp), statistics.median(tc), statistics.median(tt)
    print(f"[record] LSTM H=64 T=100 B=32, median of {reps}")
    print(f"  nn.LSTM forward+backward                  : {p * 1e3:7.1f} ms")
    print(f"  record: states, gates, total dL/dh_t        : {c * 1e3:7.1f} ms   ratio {c / p:.2f}   (goal <= 1.5)")
    print(f"  record: + per-step dL/dW term matrices     : {t * 1e3:7.1f} ms   ratio {t / p:.2f}")


def map_jacobians(cell, nonlinearity, init, steps, hidden=64, seed=0):
    """One sequence's step Jacobians [T, S, S] through a fresh float32 net, as engine.record takes them."""
    torch.manual_seed(seed)
    net = engine.RecurrentNet(cell, 8, hidden, 4, nonlinearity=nonlinearity, unitary=init == "unitary")
    if init == "orthogonal":
        torch.nn.init.orthogonal_(net.recurrent.weight_hh_l0)
    x = torch.randn(steps, 1, 8)
    trace = engine.record(net, x, torch.randint(0, 4, (steps, 1)), jacobians=False)
    w_ih, w_hh, b_ih, b_hh = layer_weights(net, 0)
    zero = torch.zeros(1, hidden)
    with torch.no_grad():
        h_prev = torch.cat([zero, torch.from_numpy(trace.hidden[0, :-1, 0])])
        c_prev = torch.cat([zero, torch.from_numpy(trace.cell_state[0, :-1, 0])]) if cell == "lstm" else None
        return jacobian.step_jacobians(cell, nonlinearity, w_hh.detach(), b_hh.detach(), x[:, 0] @ w_ih.T + b_ih,
                                       h_prev, c_prev)[0]


MAP_CASES = [("rnn", "tanh", "default", 0.1), ("gru", "tanh", "default", 0.1), ("lstm", "tanh", "default", 0.25),
             ("rnn", "tanh", "orthogonal", None), ("rnn", "relu", "unitary", None)]


def gram_rows_only(fn, *args):
    """fn with every row of the map handed to the pool as Gram matrices (the method before the power on the blocks)."""
    before, jacobian.CHAIN_FROM = jacobian.CHAIN_FROM, {False: 1 << 30, True: 1 << 30}
    try:
        return timed(fn, *args)
    finally:
        jacobian.CHAIN_FROM = before


def bench_jacobian(reps, lengths, threads):
    """The T x T spectral-norm map from the step Jacobians (chain products, norms), interleaved: eigvalsh on every pair
    (certify=False), the certified power iteration on Gram matrices only, and as the engine runs it (long rows tried
    on the blocks themselves first); torch threads as the app's workers use them (viz_app.compute.worker.THREADS) and
    torch's default."""
    before = torch.get_num_threads()
    for n in threads:
        torch.set_num_threads(n)
        for steps in lengths:
            print(f"[jacobian map] H=64, T={steps}, {n} torch thread(s), median of {reps if steps <= 200 else 1}")
            for cell, nl, init, goal in MAP_CASES:
                js = map_jacobians(cell, nl, init, steps)
                t_ref, t_gram, t_new, stats = [], [], [], {}
                for _ in range(reps if steps <= 200 else 1):
                    t_ref.append(timed(jacobian.chain_norms, js, 64, cell == "lstm", None, False)[0])
                    t_gram.append(gram_rows_only(jacobian.chain_norms, js, 64, cell == "lstm")[0])
                    stats.clear()
                    t_new.append(timed(jacobian.chain_norms, js, 64, cell == "lstm", stats)[0])
                ref, gram, new = (statistics.median(x) for x in (t_ref, t_gram, t_new))
                goal = 2.0 if steps >= 500 else goal if steps == 100 else None
                aim = f"goal < {goal:.2f} s" if goal else "no goal"
                share = ", ".join(f"{k} {v / sum(stats.values()):.0%}" for k, v in stats.items())
                print(f"  {cell:4s} {nl} {init:10s}: eigvalsh every pair {ref:6.3f} s   Gram only {gram:6.3f} s   "
                      f"engine {new:6.3f} s ({aim}, {new / gram:4.2f}x Gram only)   [{share}]")
    torch.set_num_threads(before)


MEMORY_CHILD = """
import resource, sys, torch
sys.path.insert(0, {root!r})
import engine
torch.manual_seed(0)
net = engine.RecurrentNet("lstm", 64, 64, 64)
x, y = torch.randn({steps}, 32, 64), torch.randint(0, 64, ({steps}, 32))
engine.record(net, x[:5], y[:5], jacobians={jac})  # warm up: imports, thread pools
before = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() // 1024  # current RSS, KiB
engine.record(net, x, y, jacobians={jac})
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_memory(steps):
    print(f"[memory] engine.record, LSTM H=64 B=32 T={steps} (peak RSS of a fresh process)")
    root = str(Path(__file__).resolve().parents[1])
    for jac in (False, True):
        out = subprocess.run([sys.executable, "-c", MEMORY_CHILD.format(root=root, steps=steps, jac=jac)],
                             capture_output=True, text=True, check=True).stdout.split()
        before, after = int(out[0]) / 1024, int(out[1]) / 1024
        label = "with Jacobian maps" if jac else "without maps     "
        print(f"  {label}: peak {after:7.0f} MiB   (+{after - before:6.0f} MiB over the loaded process)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats and updates (a smoke run)")
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    bench_training(1 if a.quick else 3, 100 if a.quick else 1000)
    bench_record(3 if a.quick else 15)
    bench_jacobian(1 if a.quick else 5, (100,) if a.quick else (100, 200, 500), (1,) if a.quick else (1, 2))
    bench_memory(500)


if __name__ == "__main__":
    main()
