"""Regenerates the bundled example data (deterministic): run from the repository root.

- assets/models/hello_lstm_core.pt: state_dict of a torch.nn.LSTM(4, 16) trained on "hello" (one-hot h, e, l, o)
- assets/models/hello_gru_net.pt: state_dict of a whole engine.RecurrentNet (GRU) trained on the same
- assets/data/sensor.csv: a two-feature sensor series with a 0/1 "fault" column
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine import tasks  # noqa: E402


def main():
    (ROOT / "assets" / "models").mkdir(parents=True, exist_ok=True)
    (ROOT / "assets" / "data").mkdir(parents=True, exist_ok=True)
    data = tasks.char_lm("hello")
    torch.manual_seed(0)
    net = engine.RecurrentNet("lstm", data.input_size, 16, data.output_size)
    engine.train(net, data, engine.TrainConfig(epochs=200))
    torch.save(net.recurrent.state_dict(), ROOT / "assets" / "models" / "hello_lstm_core.pt")
    torch.manual_seed(0)
    net = engine.RecurrentNet("gru", data.input_size, 16, data.output_size)
    engine.train(net, data, engine.TrainConfig(epochs=200))
    torch.save(net.state_dict(), ROOT / "assets" / "models" / "hello_gru_net.pt")
    rng = np.random.default_rng(0)
    t = np.arange(300)
    temp = 20 + 2 * np.sin(2 * np.pi * t / 50) + 0.2 * rng.standard_normal(300)
    vib = 0.5 + 0.1 * rng.standard_normal(300)
    fault = np.zeros(300, dtype=int)
    for start in (80, 190, 260):
        vib[start:start + 6] += 1.5
        fault[start:start + 6] = 1
    rows = ["temperature,vibration,fault"] + [f"{a:.3f},{b:.3f},{c}" for a, b, c in zip(temp, vib, fault)]
    (ROOT / "assets" / "data" / "sensor.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
