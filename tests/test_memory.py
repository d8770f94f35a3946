"""Memory stays bounded: training and recording make no reference cycles, so each update's activations are freed
when it ends (with Python's cyclic collector off, as it may not run for a long time on a busy server)."""
import gc

import pytest
import torch

import engine
from engine import experiment
from engine.training import TrainConfig, train


@pytest.mark.parametrize("cell,tbptt", [("rnn", 0), ("lstm", 0), ("gru", 0), ("lstm", 7)])
def test_training_and_recording_leave_nothing_for_the_cyclic_collector(cell, tbptt):
    cfg = experiment.RunConfig(cell=cell, hidden_size=16, num_layers=2, task="copy", length=20, batch=8)
    data = experiment.task_batch(cfg, 0)
    net = experiment.build_model(cfg, data)
    # torch's first optimizer step in a process initialises lazily (once, through caught exceptions whose frames
    # hold that first optimizer in a cycle): warm up so what follows measures every later run
    train(experiment.build_model(cfg, data), data, TrainConfig(epochs=1, tbptt=tbptt))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collect finds unreachable is kept in gc.garbage for us to see
    try:
        train(net, data, TrainConfig(epochs=4, tbptt=tbptt))
        engine.record(net, data.x, data.y)
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, torch.Tensor)]
        assert leaked == [], f"{len(leaked)} tensors only the cyclic collector would free"
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
