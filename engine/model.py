r"""RecurrentNet: an input side, torch's own nn.RNN / nn.LSTM / nn.GRU as the recurrent core, and a linear readout.

In the lecture notes' notation (one layer, tanh):

.. math::
    h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b), \qquad y_t = W_{hy} h_t + b_y

with W_xh = ``recurrent.weight_ih_l0``, W_hh = ``recurrent.weight_hh_l0``, b = ``bias_ih_l0 + bias_hh_l0``,
W_hy = ``readout.weight``. Because ``.recurrent`` *is* the torch module, a state_dict saved from a user's
``torch.nn.RNN/LSTM/GRU(input_size, hidden_size, num_layers)`` loads into it unchanged, and training runs on torch's
fused kernels. ``engine.record`` recomputes the same numbers step by step (engine/cells/) to see inside;
a cell kind torch has no module for runs on engine.bptt.CellStack with the same parameter names.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from engine import cells, init, orthogonal
from engine.bptt import CellStack, core
from engine.errors import ArchitectureError, ConfigError, ShapeError

NONLINEARITIES = ("tanh", "relu")
MAX_HIDDEN = 1024
MAX_LAYERS = 8


def check_model_args(cell: str, hidden_size: int, num_layers: int, nonlinearity: str) -> None:
    """Raise ConfigError with a readable message for any unsupported setting."""
    cells.get(cell)  # ConfigError naming the registered kinds
    if nonlinearity not in NONLINEARITIES:
        raise ConfigError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    if not 1 <= int(hidden_size) <= MAX_HIDDEN:
        raise ConfigError(f"hidden_size must be between 1 and {MAX_HIDDEN}, got {hidden_size}")
    if not 1 <= int(num_layers) <= MAX_LAYERS:
        raise ConfigError(f"num_layers must be between 1 and {MAX_LAYERS}, got {num_layers}")


def recurrent_core(kind: cells.Cell, input_size: int, hidden: int, layers: int, nonlinearity: str,
                   bidirectional: bool = False) -> nn.Module:
    """The recurrent core: torch's own module when there is one (so its state_dicts load), else a CellStack."""
    if kind.torch_module is not None:
        kw = {"nonlinearity": nonlinearity} if len(kind.nonlinearities) > 1 else {}
        return kind.torch_module(input_size, hidden, layers, bidirectional=bidirectional, **kw)
    return CellStack(kind, input_size, hidden, layers, nonlinearity, bidirectional)


class RecurrentNet(nn.Module):
    """x [T, B, I] (or token ids [T, B] with ``vocab_size``) -> recurrent core -> readout -> y [T, B, O].

    ``bidirectional``: each layer also runs backward in time (torch's ``bidirectional=True``: parameters
    ``*_l{k}_reverse``); a layer's output at step t is [h_t forward, h_t backward] (2H), which the readout and the
    layer above read. ``residual``: from the second layer on, a layer passes up h^(l)_t + its own input
    (h^(l-1)_t), so the gradient reaches lower layers also along the identity (He et al. 2016; the notes' deep RNN
    extensions); torch's modules have no such option, so such a net runs layer by layer on engine.bptt.
    ``unitary`` (uRNN, vanilla RNN only): every W_hh is kept orthogonal, all |eigenvalues| = 1, through training
    (engine.orthogonal, in float64: the optimiser moves an unconstrained matrix, W_hh is its image on
    the orthogonal group); the real counterpart of Arjovsky et al. (2016)'s unitary matrices."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", vocab_size: int | None = None, *, bidirectional: bool = False,
                 residual: bool = False, unitary: bool = False):
        super().__init__()
        check_model_args(cell, hidden_size, num_layers, nonlinearity)
        if input_size < 1 or output_size < 1:
            raise ConfigError(f"input_size and output_size must be >= 1, got {input_size}, {output_size}")
        kind = cells.get(cell)
        self.cell, self.nonlinearity = cell, kind.nonlinearity(nonlinearity)
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.num_layers, self.bidirectional, self.residual = num_layers, bool(bidirectional), bool(residual)
        self.directions = 2 if bidirectional else 1
        # optional nn.Embedding encoder (token ids -> dense vectors of size input_size), as in the notes' chapter 13
        self.embedding = nn.Embedding(vocab_size, input_size) if vocab_size else None
        # torch's own nn.RNN / nn.LSTM / nn.GRU, or a CellStack with the same parameter names for other kinds
        self.recurrent = recurrent_core(kind, input_size, hidden_size, num_layers, self.nonlinearity,
                                        self.bidirectional)
        self.unitary = bool(unitary)
        if unitary:
            if kind.blocks != 1:
                raise ArchitectureError("unitary_cell")
            for name, _ in init.hh_blocks(self.recurrent):
                orthogonal.register(self.recurrent, f"weight_hh_{name}")
        # y_t = W_hy h_t + b_y  (h_t = [forward; backward] for a bidirectional net)
        self.readout = nn.Linear(hidden_size * self.directions, output_size)

    def _arguments(self) -> tuple[tuple, dict]:
        vocab = self.embedding.num_embeddings if self.embedding is not None else None
        return ((self.cell, self.input_size, self.hidden_size, self.output_size, self.num_layers, self.nonlinearity,
                 vocab), {"bidirectional": self.bidirectional, "residual": self.residual, "unitary": self.unitary})

    def __reduce_ex__(self, protocol):
        """A unitary net travels (pickle: from a worker process; deepcopy) as its arguments and state_dict: torch
        pickles no parametrised module, and its deep copies would share one parametrised class."""
        if not getattr(self, "unitary", False):
            return super().__reduce_ex__(protocol)
        state = {k: v.detach().clone() for k, v in self.state_dict().items()}
        return _rebuilt, (*self._arguments(), state, self.training)

    def plain_copy(self) -> RecurrentNet:
        """A copy with the same weights and no parametrisation (a unitary W_hh as computed, free to be changed).
        Not deepcopy + remove_parametrizations: torch's parametrised class is shared by the copies, and removing the
        parametrisation from one removes the weight from all."""
        args, kw = self._arguments()
        with torch.random.fork_rng(devices=[]):  # building draws initial weights: leave the caller's RNG as it was
            out = RecurrentNet(*args, **(kw | {"unitary": False}))
        state = {k: v for k, v in self.state_dict().items() if not k.startswith("recurrent.parametrizations.")}
        for name in getattr(self.recurrent, "parametrizations", {}):
            state[f"recurrent.{name}"] = getattr(self.recurrent, name).detach()
        out.load_state_dict(state)
        return out.to(next(self.parameters()).dtype).train(self.training)

    def encode(self, x: Tensor) -> Tensor:
        """Input side: token ids through the embedding, or float features unchanged; checks the shape."""
        if self.embedding is not None:
            if x.dim() != 2 or x.dtype not in (torch.int64, torch.int32):
                raise ShapeError(f"expected token ids [T, B], got {tuple(x.shape)} {x.dtype}")
            return self.embedding(x)  # (T, B, I)
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ShapeError(f"expected x of shape [T, B, {self.input_size}], got {tuple(x.shape)}")
        if x.shape[0] < 1 or x.shape[1] < 1:
            raise ShapeError(f"need at least one step and one sequence, got {tuple(x.shape)}")
        return x

    def forward(self, x: Tensor, state=None, return_state: bool = False):
        """Many-to-many outputs for every step; many-to-one reads the last row, one-to-many is ``generate``."""
        if self.residual or self.unitary:  # layer by layer (identity paths; W_hh recomputed from its parametrisation)
            hs, state = core(self.recurrent, self.cell, self.nonlinearity, self.encode(x), state,
                             residual=self.residual)
        else:
            hs, state = self.recurrent(self.encode(x), state)  # (T, B, D*H)
        y = self.readout(hs)  # (T, B, O)
        return (y, state) if return_state else y


def _rebuilt(args: tuple, kw: dict, state: dict, training: bool) -> RecurrentNet:
    with torch.random.fork_rng(devices=[]):  # building draws initial weights: leave the caller's RNG as it was
        net = RecurrentNet(*args, **kw)
    net = net.to(next(iter(state.values())).dtype)
    net.load_state_dict(state)
    return net.train(training)


@torch.no_grad()
def generate(net: RecurrentNet, first: Tensor, steps: int, *, one_hot: bool = True,
             sample: bool = False, generator: torch.Generator | None = None) -> Tensor:
    """One-to-many: feed each prediction back as the next input. ``first`` is x_0 of shape [B, I].

    For a char-LM (``one_hot``) the next input is the one-hot of the argmax (or a sample) of y_t; for a regression
    model the next input is y_t itself. Returns the chosen outputs, shape [steps, B] (ids) or [steps, B, O].
    """
    if net.bidirectional:
        raise ArchitectureError("generate")
    x, state, outs = first.unsqueeze(0), None, []  # (1, B, I)
    for _ in range(steps):
        y, state = net(x, state, return_state=True)  # (1, B, O)
        if one_hot:
            probs = torch.softmax(y[0], dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator)[:, 0] if sample else probs.argmax(-1)  # (B,)
            outs.append(nxt)
            x = nn.functional.one_hot(nxt, net.input_size).to(first.dtype).unsqueeze(0)
        else:
            outs.append(y[0])
            x = y
    return torch.stack(outs)
