r"""Small seeded tasks in a name -> generator registry (the names the app's URL uses).

Every generator takes a ``torch.Generator`` and returns a TaskData: x [T, B, I] float, y as the loss needs
(see engine.losses), the loss, the output mode, and for text the vocabulary. Same seed, same tensors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace


import torch
import torch.nn.functional as F
from torch import Tensor

from engine.losses import LOSSES, REDUCTIONS
from engine.errors import ConfigError, TextError, VocabularyError

DEFAULT_TEXT = "hello pytorch. how long can a rnn cell remember?"
CHAR_LM_ONLY = "the loss choice and the alphabet apply to the character language model only"
MAX_TEXT = 5000
MAX_STEPS = 2000


@dataclass(frozen=True, eq=False)
class TaskData:
    """One task instance: inputs, targets and how to score them."""

    name: str
    x: Tensor  # (T, B, I)
    y: Tensor  # (T, B) ids | (T, B, O) floats | (B,) ids | (B, O) floats
    loss: str  # "cross_entropy" | "mse"
    mode: str  # "many_to_many" | "many_to_one"
    output_size: int
    vocab: str | None = None  # char-LM: the symbols, index = id
    labels: tuple[str, ...] = field(default_factory=tuple)  # class names for classification
    reduction: str = "mean"  # per-step losses averaged or summed (losses.total_loss)

    @property
    def input_size(self) -> int:
        return self.x.shape[-1]


def build_vocab(text: str) -> str:
    """The sorted set of characters of ``text``: the char-LM's vocabulary."""
    return "".join(sorted(set(text)))


def encode(text: str, vocab: str) -> Tensor:
    """Character ids of ``text``; VocabularyError for any character outside ``vocab``."""
    index = {c: i for i, c in enumerate(vocab)}
    unknown = sorted({c for c in text if c not in index})
    if unknown:
        raise VocabularyError(unknown, vocab)
    return torch.tensor([index[c] for c in text], dtype=torch.long)


def char_lm(text: str = DEFAULT_TEXT, vocab: str | None = None, dtype=torch.float32, *, loss: str = "cross_entropy",
            reduction: str = "mean") -> TaskData:
    """Next-character prediction on one text: "hello" -> x = one-hot(h, e, l, l), y = ids(e, l, l, o).

    Many-to-many, batch of one sequence; the vocabulary is built from the text unless given (then every character
    of the text must be in it). ``loss="cross_entropy"`` takes the ids; ``loss="mse"`` takes the one-hot vectors
    of the next characters as targets (the lecture notes' worked example: MSE, summed over steps).
    """
    if not isinstance(text, str) or len(text) < 2:
        raise TextError("the text needs at least two characters (one input and the next character to predict)")
    if len(text) > MAX_TEXT:
        raise TextError(f"the text has {len(text)} characters; at most {MAX_TEXT} are supported")
    if loss not in LOSSES:
        raise ConfigError(f"char_lm: loss must be one of {LOSSES}, got {loss!r}")
    if vocab is not None and (len(set(vocab)) != len(vocab) or len(vocab) < 2):
        raise ConfigError("an alphabet needs at least two distinct characters, each once")
    vocab = vocab or build_vocab(text)
    ids = encode(text, vocab)
    x = F.one_hot(ids[:-1], len(vocab)).to(dtype).unsqueeze(1)  # (T, 1, V)
    y = ids[1:].unsqueeze(1)  # (T, 1)
    if loss == "mse":
        y = F.one_hot(y, len(vocab)).to(dtype)  # (T, 1, V)
    return TaskData("char_lm", x, y, loss, "many_to_many", len(vocab), vocab, reduction=reduction)


def copy_memory(length: int = 20, batch: int = 32, n_symbols: int = 4, n_copy: int = 3,
                generator: torch.Generator | None = None, dtype=torch.float32) -> TaskData:
    """Copy task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): see n_copy symbols, wait, reproduce them.

    Symbols 1..n_symbols, blank 0, delimiter n_symbols+1. T = 2 * n_copy + lag. Example (n_copy=2, lag=3):
    x = [3, 1, 0, 0, 5, 0, 0], y = [0, 0, 0, 0, 0, 3, 1].
    """
    lag = length - 2 * n_copy
    if lag < 1:
        raise ConfigError(f"copy task: length must be at least {2 * n_copy + 1} (got {length})")
    seq = torch.randint(1, n_symbols + 1, (n_copy, batch), generator=generator)
    blank = torch.zeros(lag - 1, batch, dtype=torch.long)
    delim = torch.full((1, batch), n_symbols + 1)
    x_ids = torch.cat([seq, blank, delim, torch.zeros(n_copy, batch, dtype=torch.long)])  # (T, B)
    y = torch.cat([torch.zeros(n_copy + lag, batch, dtype=torch.long), seq])  # (T, B)
    x = F.one_hot(x_ids, n_symbols + 2).to(dtype)
    return TaskData("copy", x, y, "cross_entropy", "many_to_many", n_symbols + 1)


def adding(length: int = 30, batch: int = 32, generator: torch.Generator | None = None, dtype=torch.float32
           ) -> TaskData:
    """Adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): values in [0, 1] with two marked steps, one in
    each half; the target is the sum of the two marked values. Example: x = [(0.3, 0), (0.7, 1), (0.1, 0), (0.5, 1)],
    y = 1.2. Many-to-one, MSE."""
    if length < 2:
        raise ConfigError("adding problem: length must be at least 2")
    values = torch.rand(length, batch, generator=generator, dtype=torch.float64)
    half = length // 2
    first = torch.randint(0, half, (batch,), generator=generator)
    second = torch.randint(half, length, (batch,), generator=generator)
    marks = torch.zeros(length, batch, dtype=torch.float64)
    marks[first, torch.arange(batch)] = 1.0
    marks[second, torch.arange(batch)] = 1.0
    x = torch.stack([values, marks], -1).to(dtype)  # (T, B, 2)
    y = (values * marks).sum(0, keepdim=False).unsqueeze(-1).to(dtype)  # (B, 1)
    return TaskData("adding", x, y, "mse", "many_to_one", 1)


def temporal_order(length: int = 30, batch: int = 32, generator: torch.Generator | None = None,
                   dtype=torch.float32) -> TaskData:
    """Temporal order (Hochreiter & Schmidhuber 1997): distractors a-d, with X or Y at one step in the first and one
    in the second half; classify the order XX, XY, YX or YY. Symbols a b c d X Y (one-hot, 6). Many-to-one."""
    if length < 4:
        raise ConfigError("temporal order: length must be at least 4")
    ids = torch.randint(0, 4, (length, batch), generator=generator)
    half = length // 2
    t1 = torch.randint(0, half, (batch,), generator=generator)
    t2 = torch.randint(half, length, (batch,), generator=generator)
    s1 = torch.randint(0, 2, (batch,), generator=generator)
    s2 = torch.randint(0, 2, (batch,), generator=generator)
    cols = torch.arange(batch)
    ids[t1, cols] = 4 + s1
    ids[t2, cols] = 4 + s2
    x = F.one_hot(ids, 6).to(dtype)
    return TaskData("temporal_order", x, 2 * s1 + s2, "cross_entropy", "many_to_one", 4,
                    labels=("XX", "XY", "YX", "YY"))


def sine(length: int = 50, batch: int = 16, noise: float = 0.1, generator: torch.Generator | None = None,
         dtype=torch.float32) -> TaskData:
    """Noisy sine regression: x_t = sin(w t + phi) + noise, target the clean next value sin(w (t+1) + phi).
    Many-to-many, MSE."""
    if length < 1:
        raise ConfigError("sine: length must be at least 1")
    w = 0.1 + 0.3 * torch.rand(1, batch, generator=generator, dtype=torch.float64)
    phi = 2 * math.pi * torch.rand(1, batch, generator=generator, dtype=torch.float64)
    t = torch.arange(length + 1, dtype=torch.float64).unsqueeze(1)  # (T+1, 1)
    clean = torch.sin(w * t + phi)  # (T+1, B)
    x = clean[:-1] + noise * torch.randn(length, batch, generator=generator, dtype=torch.float64)
    return TaskData("sine", x.unsqueeze(-1).to(dtype), clean[1:].unsqueeze(-1).to(dtype), "mse", "many_to_many", 1)


def spike(length: int = 40, batch: int = 32, generator: torch.Generator | None = None, dtype=torch.float32
          ) -> TaskData:
    """Sensor-series classification (the notes' "normal / defective" product): Gaussian noise, and in half of the
    sequences one spike of height 3 at a random step. Class 1 = a spike occurred. Many-to-one, cross-entropy."""
    if length < 1:
        raise ConfigError("spike: length must be at least 1")
    x = 0.3 * torch.randn(length, batch, generator=generator, dtype=torch.float64)
    label = torch.randint(0, 2, (batch,), generator=generator)
    where = torch.randint(0, length, (batch,), generator=generator)
    cols = torch.arange(batch)
    x[where[label == 1], cols[label == 1]] += 3.0
    return TaskData("spike", x.unsqueeze(-1).to(dtype), label, "cross_entropy", "many_to_one", 2,
                    labels=("normal", "spike"))


def random_inputs(input_size: int, output_size: int, length: int = 30, batch: int = 4, seed: int = 0,
                  dtype=torch.float32, next_input: bool = True) -> TaskData:
    """Gaussian input sequences for a model brought by the user: x_t ~ N(0, 1); the target is the next input when
    the output has the input's size and ``next_input``, else zeros (then dL/dy_t = y_t: every output pulls on the
    gradient; a bidirectional model, which reads x_{t+1}, gets zeros)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(length + 1, batch, input_size, generator=gen, dtype=torch.float64).to(dtype)
    y = x[1:] if output_size == input_size and next_input else torch.zeros(length, batch, output_size, dtype=dtype)
    return TaskData("random", x[:-1], y, "mse", "many_to_many", output_size)


TASKS = {"char_lm": char_lm, "copy": copy_memory, "adding": adding, "temporal_order": temporal_order,
         "sine": sine, "spike": spike}


def make(name: str, *, length: int | None = None, batch: int | None = None, text: str | None = None,
         seed: int = 0, dtype=torch.float32, loss: str = "cross_entropy", alphabet: str = "",
         reduction: str = "mean") -> TaskData:
    """Build a task by its registry name with a seed (and, for char_lm, the text, its loss and a fixed alphabet).
    ``reduction``: the per-step losses averaged ("mean") or summed ("sum")."""
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; choose one of {sorted(TASKS)}")
    if reduction not in REDUCTIONS:
        raise ConfigError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if name == "char_lm":
        return char_lm(DEFAULT_TEXT if text is None else text, alphabet or None, dtype=dtype, loss=loss,
                       reduction=reduction)
    if loss != "cross_entropy" or alphabet:
        raise ConfigError(CHAR_LM_ONLY)
    if length is not None and not 1 <= length <= MAX_STEPS:
        raise ConfigError(f"sequence length must be between 1 and {MAX_STEPS}, got {length}")
    kw = {k: v for k, v in (("length", length), ("batch", batch)) if v is not None}
    return replace(TASKS[name](generator=torch.Generator().manual_seed(seed), dtype=dtype, **kw), reduction=reduction)
