r"""One-hot inputs against learned dense vectors (nn.Embedding) for a character language model, and what the vectors
learn.

A one-hot input x_t (V numbers, one of them 1) makes W_xh x_t a column of W_xh: the input weights are a lookup table
already, of G x V numbers. nn.Embedding looks the character up in a V x d table E instead and feeds the d numbers to
W_xh (G x d): V d + G d parameters, fewer when d is small, and characters that play the same part in the text can get
nearby vectors.

The text here is made of random syllables, a consonant then a vowel, 1 to 3 to a word, words separated by spaces;
each epoch trains on new sentences (fresh batches), so no model can memorise a text, only its rule: after a consonant
a vowel, after a vowel a consonant or a space, after a space a consonant. The five vowels are interchangeable for
that rule, and so are the nine consonants.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.errors import ConfigError
from engine.model import RecurrentNet
from engine.tasks import TaskData, encode
from engine.training import History, TrainConfig, train

CONSONANTS, VOWELS = "bdkmnprst", "aeiou"
VOCAB = " " + "".join(sorted(CONSONANTS + VOWELS))
MAX_DIM = 16


def syllable_batch(seed: int, batch: int = 16, length: int = 60, *, one_hot: bool = False) -> TaskData:
    """``batch`` random syllable sentences of ``length`` + 1 characters (seeded): ids [T, B] (or one-hot [T, B, V])
    and the next character's id as the target."""
    g = torch.Generator().manual_seed(seed)

    def draw(chars: str) -> str:
        return chars[int(torch.randint(len(chars), (1,), generator=g))]

    rows = []
    for _ in range(batch):
        s = ""
        while len(s) < length + 1:
            syllables = int(torch.randint(1, 4, (1,), generator=g))
            s += "".join(draw(CONSONANTS) + draw(VOWELS) for _ in range(syllables)) + " "
        rows.append(encode(s[:length + 1], VOCAB))
    ids = torch.stack(rows, 1)  # (T + 1, B)
    x = F.one_hot(ids[:-1], len(VOCAB)).float() if one_hot else ids[:-1]
    return TaskData("syllables", x, ids[1:], "cross_entropy", "many_to_many", len(VOCAB), VOCAB)


def parameter_count(net: RecurrentNet) -> int:
    return sum(p.numel() for p in net.parameters())


def pca(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows projected on their first two principal components (V, 2) (a second column of zeros for d = 1), and
    the fraction of the variance each component explains (2,)."""
    centred = vectors - vectors.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    share = s ** 2 / max(float((s ** 2).sum()), 1e-300)
    if coords.shape[1] == 1:
        coords, share = np.hstack([coords, np.zeros_like(coords)]), np.append(share, 0.0)
    return coords, share[:2]


def nearest(vectors: np.ndarray) -> np.ndarray:
    """Index of each row's nearest other row (Euclidean)."""
    d = np.linalg.norm(vectors[:, None] - vectors[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return d.argmin(1)


def same_kind(vectors: np.ndarray) -> dict[str, int]:
    """How many vowels have a vowel as their nearest neighbour, and consonants a consonant."""
    near = nearest(vectors)
    kind = {c: "vowels" if c in VOWELS else "consonants" if c in CONSONANTS else "space" for c in VOCAB}
    out = {"vowels": 0, "consonants": 0}
    for i, c in enumerate(VOCAB):
        if kind[c] in out and kind[VOCAB[near[i]]] == kind[c]:
            out[kind[c]] += 1
    return out


@dataclass(frozen=True, eq=False)
class Comparison:
    """The same cell trained on the same batches with one-hot inputs and with an nn.Embedding of dimension d."""

    dim: int
    cell: str
    vectors: np.ndarray  # (V, d) the embedding table after training
    initial: np.ndarray  # (V, d) before training
    coords: np.ndarray  # (V, 2) principal components of the trained vectors
    share: np.ndarray  # (2,) variance explained by them
    dense: History
    one_hot: History
    dense_parameters: int
    one_hot_parameters: int


def compare(cell: str = "rnn", nonlinearity: str = "tanh", dim: int = 3, seed: int = 0, *, hidden: int = 16,
            epochs: int = 300, lr: float = 0.03) -> Comparison:
    """Train both (Adam, the same fresh batch each epoch for both, the same seed)."""
    if not 1 <= dim <= MAX_DIM:
        raise ConfigError(f"embedding dimension must be between 1 and {MAX_DIM}, got {dim}")
    cfg = TrainConfig(lr=lr, epochs=epochs)
    torch.manual_seed(seed)
    dense = RecurrentNet(cell, dim, hidden, len(VOCAB), nonlinearity=nonlinearity, vocab_size=len(VOCAB))
    initial = dense.embedding.weight.detach().numpy().copy()
    dense_history = train(dense, lambda e: syllable_batch(seed * 100_003 + e), cfg)
    torch.manual_seed(seed)
    plain = RecurrentNet(cell, len(VOCAB), hidden, len(VOCAB), nonlinearity=nonlinearity)
    plain_history = train(plain, lambda e: syllable_batch(seed * 100_003 + e, one_hot=True), cfg)
    vectors = dense.embedding.weight.detach().numpy().copy()
    coords, share = pca(vectors)
    return Comparison(dim=dim, cell=cell, vectors=vectors, initial=initial, coords=coords, share=share,
                      dense=dense_history, one_hot=plain_history, dense_parameters=parameter_count(dense),
                      one_hot_parameters=parameter_count(plain))


def spread(vectors: np.ndarray) -> dict[str, float]:
    """Mean distance between two vowels, between two consonants, and between a vowel and a consonant: a class
    whose inner distance is below the across distance sits together."""
    iv = [VOCAB.index(c) for c in VOWELS]
    ic = [VOCAB.index(c) for c in CONSONANTS]
    d = np.linalg.norm(vectors[:, None] - vectors[None], axis=-1)

    def inner(idx):
        block = d[np.ix_(idx, idx)]
        return float(block[~np.eye(len(idx), dtype=bool)].mean())

    return {"vowels": inner(iv), "consonants": inner(ic), "across": float(d[np.ix_(iv, ic)].mean())}
