r"""Bengio et al. (2003)'s feed-forward neural language model (NNLM) beside an RNN, on a text made to need more context
than a fixed window holds.

The NNLM sees only the n previous characters: each is looked up in a table C (one row of d numbers per character:
the one-hot vector times C), the n rows are concatenated and go through one tanh layer to a softmax,

.. math::
    e_t = [C x_{t-n+1}; \dots; C x_t], \qquad y_t = \operatorname{softmax}\big(U \tanh(H e_t + b) + c\big).

Positions before the text's start read a padding row. An RNN carries h_t instead, so nothing bounds how far back it
can look. ``long_range_text`` writes sentences "c54321c ": a letter, a countdown of ``gap`` digits, the same letter
again. After "1" the next character is the letter gap + 1 characters back: a window of n <= gap characters cannot
see it (the best it can do is a guess among the 4 letters, ln 4 = 1.386 nats), while everything else in a sentence
is predictable from the last character alone (except the first letter: random, ln 4 for every model).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine import tasks
from engine.errors import ConfigError

LETTERS = "abcd"
# the lecture's comparison: both models train EPOCHS epochs with Adam at LR on SENTENCES sentences; HIDDEN is the
# RNN's hidden size and the NNLM's hidden layer. With one torch thread, the RNN reaches back past the window (loss at
# the repeated letter below GUESS / 2) at seeds 0-4 under this CPU's MKL kernels and under MKL_CBWR=COMPATIBLE and
# AVX2 (stand-ins for other machines; bench/seeds.py --cbwr): tanh 5, 4, 5 of 5; ReLU 5, 5, 5; GRU 5, 4, 5; LSTM
# 5, 5, 5; seed 0 (the default page) in every case. At 200 epochs and LR 0.03 the tanh RNN did at 4, 3, 4 and
# missed seed 0 on this CPU (loss 1.37, 0.35 and 0.92 at seed 0 under the three: a lesson on a knife's edge)
EPOCHS, HIDDEN, SENTENCES, LR = 250, 32, 100, 0.02
MAX_GAP, MAX_WINDOW = 9, 12
GUESS = math.log(len(LETTERS))  # nats of a uniform guess among the letters


def long_range_text(gap: int = 5, sentences: int = 100, seed: int = 0) -> str:
    """``sentences`` sentences "L{gap}...1L " with L drawn uniformly from LETTERS (seeded)."""
    if not 1 <= gap <= MAX_GAP:
        raise ConfigError(f"gap must be between 1 and {MAX_GAP}, got {gap}")
    g = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(LETTERS), (sentences,), generator=g).tolist()
    countdown = "".join(str(d) for d in range(gap, 0, -1))
    return "".join(f"{LETTERS[i]}{countdown}{LETTERS[i]} " for i in picks)


def period(gap: int) -> int:
    """Characters per sentence: letter, gap digits, letter, space."""
    return gap + 3


class FixedWindowLM(nn.Module):
    """The NNLM: ``window`` previous characters -> lookup table C (vocab + 1 padding rows, ``embed`` columns) ->
    concatenated -> tanh hidden layer -> logits over the vocabulary."""

    def __init__(self, vocab_size: int, window: int, embed: int = 8, hidden: int = 32):
        super().__init__()
        if not 1 <= window <= MAX_WINDOW:
            raise ConfigError(f"window must be between 1 and {MAX_WINDOW}, got {window}")
        self.vocab_size, self.window = vocab_size, window
        self.table = nn.Embedding(vocab_size + 1, embed)  # row vocab_size: before the text's start
        self.hidden = nn.Linear(window * embed, hidden)
        self.readout = nn.Linear(hidden, vocab_size)

    def windows(self, ids: Tensor) -> Tensor:
        """(T, n): for every position t, the ids of characters t-n+1 .. t (padding before the start)."""
        pad = torch.full((self.window - 1,), self.vocab_size, dtype=ids.dtype)
        return torch.cat([pad, ids]).unfold(0, self.window, 1)

    def forward(self, ids: Tensor) -> Tensor:
        """ids [T] -> logits [T, V]: row t predicts character t+1 from characters t-n+1 .. t."""
        e = self.table(self.windows(ids)).flatten(1)  # (T, n*d): the window's rows of C, concatenated
        return self.readout(torch.tanh(self.hidden(e)))


@dataclass(frozen=True, eq=False)
class WindowRun:
    """A trained NNLM: its per-epoch loss and the per-position loss on its text."""

    model: FixedWindowLM
    vocab: str
    loss: np.ndarray  # (epochs,) mean cross-entropy before each update
    per_step: np.ndarray  # (T,) cross-entropy of each prediction after training


def train_window_lm(text: str, window: int, *, epochs: int = EPOCHS, lr: float = LR, embed: int = 8,
                    hidden: int = 32, seed: int = 0, vocab: str | None = None) -> WindowRun:
    """Adam on the whole text (one batch of every position), full-batch like the char-LM's RNN."""
    vocab = vocab or tasks.build_vocab(text)
    ids = tasks.encode(text, vocab)
    x, y = ids[:-1], ids[1:]
    torch.manual_seed(seed)
    model = FixedWindowLM(len(vocab), window, embed, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        losses.append(loss.item())
        opt.step()
    with torch.no_grad():
        per_step = F.cross_entropy(model(x), y, reduction="none").numpy()
    return WindowRun(model.eval(), vocab, np.array(losses), per_step)


def by_position(per_step: np.ndarray, gap: int) -> np.ndarray:
    """The per-step loss averaged over the sentences at each position in a sentence (the text starts a sentence):
    (period,), position p predicts character p+1 of a sentence."""
    p = period(gap)
    full = len(per_step) // p * p
    return np.asarray(per_step[:full], dtype=float).reshape(-1, p).mean(0)


def letter_entropy(text: str) -> float:
    """Entropy (nats) of the letters that follow a space in ``text`` (every sentence's first letter but the text's
    own first): the least mean loss there of a model that knows only how often each letter opens a sentence (a little
    under ln 4 for a finite text); lower is memorising the text's own sequence of letters."""
    counts = np.array([text.count(" " + c) for c in LETTERS], dtype=np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def reaches_back(loss_at_letter: float) -> bool:
    """A model has learned to look back to the repeated letter when it puts more than half of its probability on it
    on average: its loss there below ln 2 = GUESS / 2 (a guess among the four letters costs GUESS)."""
    return bool(loss_at_letter < GUESS / 2)


def needed_back(gap: int) -> int:
    """How many characters back the repeated letter is from where it is predicted (after the countdown's "1")."""
    return gap + 1
