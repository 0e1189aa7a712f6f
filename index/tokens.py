"""Token vectors: late interaction (MaxSim) over each passage's own tokens.

One vector per passage misses what a question shares with one part of a
passage; a teacher's question in her own words often matches a few of the
passage's words closely and the rest not at all. Late interaction (ColBERT,
Khattab & Zaharia 2020) keeps the model's contextual vector of every token:
a query token's score is its best cosine among the passage's tokens, and the
passage's score is their average, weighted by how rare each query token is in
the corpus (idf), so "leerling" counts more than "de" and punctuation not at
all. No training is needed: the vectors are the ones the model computes
anyway, before it averages them. On the users' question set it reranks the
hybrid's first 20 passages for +0.04 MRR@10 and +0.05 hit@5 on the held-out
split (bench/EXPERIMENTS.md, "late interaction").

One class builds, saves, loads and scores them, as `SentenceVectors` does for
sentences: rows are passages (in store order); a passage's tokens are
`offsets[row]:offsets[row + 1]`, with their token ids (for the idf) and their
unit vectors in float16. At about 150 KB per passage they are memory-mapped,
not loaded, and kept only up to `MAX_PASSAGES` passages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# A text's tokens: ids (n,) and unit vectors (n, dimension), prompt and special tokens left out.
Tokens = tuple[np.ndarray, np.ndarray]
# A passage's tokens also carry their character spans in its text (n, 2).
PassageTokens = tuple[np.ndarray, np.ndarray, np.ndarray]
# About 150 KB of disk a passage (read from it as needed, not held in memory):
# above this many passages the ranking goes without.
MAX_PASSAGES = 10_000
# Bump when what a text's tokens are changes: the cache (cache.py) then recomputes them.
TOKEN_FORMAT = 1


class TokenVectors:
    FILE = "tokens.npz"  # offsets and token ids
    VECTORS_FILE = "tokens.npy"  # the vectors, memory-mapped: a query reads only its top 20

    def __init__(
        self, offsets: np.ndarray, ids: np.ndarray, vectors: np.ndarray, spans: np.ndarray
    ) -> None:
        self.offsets = offsets
        self.ids = ids
        self.vectors = vectors
        self.spans = spans  # each token's characters in its passage's text
        self._idf = _idf(offsets, ids)

    @property
    def passages(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def build(cls, tokens: Sequence[PassageTokens]) -> TokenVectors:
        """From each passage's tokens, in store order (Embedder.encode_passage_tokens)."""
        offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(t[0]) for t in tokens])
        if offsets[-1] > 0:
            ids = np.concatenate([t[0] for t in tokens]).astype(np.int32)
            vectors = np.concatenate([t[1] for t in tokens if len(t[1])]).astype(np.float16)
            spans = np.concatenate([t[2].reshape(-1, 2) for t in tokens]).astype(np.int32)
        else:
            ids, vectors = np.zeros(0, dtype=np.int32), np.zeros((0, 0), dtype=np.float16)
            spans = np.zeros((0, 2), dtype=np.int32)
        return cls(offsets, ids, vectors, spans)

    def save(self, folder: Path) -> None:
        np.savez(folder / self.FILE, offsets=self.offsets, ids=self.ids, spans=self.spans)
        np.save(folder / self.VECTORS_FILE, self.vectors)

    @classmethod
    def load(cls, folder: Path) -> TokenVectors | None:
        """The saved token vectors, or None for an index built without them."""
        path = folder / cls.FILE
        if not path.exists():
            return None
        with np.load(path) as data:
            offsets, ids, spans = data["offsets"], data["ids"], data["spans"]
        vectors = np.load(folder / cls.VECTORS_FILE, mmap_mode="r")
        if len(vectors) != len(ids) or offsets[-1] != len(ids) or len(spans) != len(ids):
            raise ValueError(f"{folder / cls.VECTORS_FILE} does not match {path}")
        return cls(offsets, ids, vectors, spans)

    def weights(self, query_ids: np.ndarray) -> np.ndarray:
        """Each query token's idf in the corpus; a token no passage has weighs the most."""
        unseen = math.log((self.passages + 1) / 0.5)
        return np.array([self._idf.get(int(t), unseen) for t in query_ids], dtype=np.float32)

    def maxsim(self, rows: Sequence[int], query: Tokens) -> np.ndarray:
        """Per row, the idf-weighted mean over query tokens of their best cosine in it."""
        query_ids, query_vectors = query
        out = np.zeros(len(rows), dtype=np.float32)
        if len(query_ids) == 0 or len(rows) == 0:
            return out
        weights = self.weights(query_ids)
        weights /= weights.sum()
        starts = self.offsets[np.asarray(rows)]
        ends = self.offsets[np.asarray(rows) + 1]
        index = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        if len(index) == 0:
            return out
        sims = _similarities(self.vectors[index], query_vectors)
        counts = ends - starts
        firsts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        present = counts > 0
        best = np.maximum.reduceat(sims, firsts[present], axis=0)  # (rows with tokens, query)
        out[present] = best @ weights
        return out

    def in_spans(self, row: int, spans: np.ndarray, query: Tokens) -> np.ndarray:
        """Per character span of the row's text (its sentences), the MaxSim of the
        passage's tokens inside it: which sentence holds the question's words."""
        out = np.zeros(len(spans), dtype=np.float32)
        query_ids, query_vectors = query
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        if len(query_ids) == 0 or b == a or len(spans) == 0:
            return out
        weights = self.weights(query_ids)
        weights /= weights.sum()
        sims = _similarities(self.vectors[a:b], query_vectors)
        starts, ends = self.spans[a:b, 0], self.spans[a:b, 1]
        for i, (start, end) in enumerate(np.asarray(spans).tolist()):
            inside = (starts >= start) & (ends <= end) & (ends > starts)
            if inside.any():
                out[i] = float(sims[inside].max(axis=0) @ weights)
        return out


def _similarities(passage_tokens: np.ndarray, query_tokens: np.ndarray) -> np.ndarray:
    """(passage tokens, query tokens) cosines, with torch's matmul: numpy's would
    wake OpenBLAS's thread pool, which fights torch's for the two cores
    (see sentences.similarities)."""
    import torch

    # float16 to float32 in torch: numpy's conversion took 7 of a query's milliseconds.
    left = np.ascontiguousarray(passage_tokens)
    left = torch.from_numpy(left if left.flags.writeable else left.copy()).float()
    right = torch.from_numpy(np.ascontiguousarray(query_tokens, dtype=np.float32))
    return (left @ right.T).numpy()


def _idf(offsets: np.ndarray, ids: np.ndarray) -> dict[int, float]:
    """ln((N + 1) / (df + 0.5)) per token id, df counted in passages."""
    n = len(offsets) - 1
    if ids.size == 0:
        return {}
    owner = np.repeat(np.arange(n), np.diff(offsets))
    pairs = np.unique(np.stack([owner, ids.astype(np.int64)]), axis=1)
    values, df = np.unique(pairs[1], return_counts=True)
    idf = np.log((n + 1) / (df + 0.5))
    return dict(zip(values.tolist(), idf.tolist(), strict=True))
