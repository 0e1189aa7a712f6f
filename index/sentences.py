"""Sentence vectors: every passage's answer sentences, embedded at index time.

One class builds, saves and loads them, so build.py and the Searcher cannot
disagree on the file layout. Rows are passages (in store order); a passage's
sentences are `offsets[row]:offsets[row + 1]`, each with its span in the
passage text and its vector. Sentences too short to answer anything (headings,
list stubs) keep a zero vector and never score.

A query then needs only dot products: the best sentence of each passage feeds
the hybrid's dense score (see ranking.py) and the marked answer sentences
(see answers.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ingest import split_sentences
from ingest.document import Passage

# Embeds texts as passages; returns one row per text.
Embed = Callable[[list[str]], np.ndarray]
# Sentences shorter than this are headings or fragments, not answers.
MIN_WORDS = 4

_WORD = re.compile(r"\w+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage, whitespace trimmed, empty ones dropped."""
    spans: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def similarities(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Row-wise dot products without BLAS.

    A BLAS matrix-vector product wakes OpenBLAS's thread pool, whose spinning
    threads then compete with torch's for the two cores: measured here, that
    doubled the next query's embedding time (hybrid median 43 ms vs 20 ms).
    einsum's own loop takes well under a millisecond at these sizes.
    """
    return np.einsum("ij,j->i", matrix, vector.astype(matrix.dtype, copy=False))


def is_answer_candidate(sentence: str) -> bool:
    """Long enough to answer something: not a heading, number or list stub."""
    return len(_WORD.findall(sentence)) >= MIN_WORDS


class SentenceVectors:
    FILE = "sentences.npz"

    def __init__(self, offsets: np.ndarray, spans: np.ndarray, vectors: np.ndarray) -> None:
        self.offsets = offsets
        self.spans = spans
        self.vectors = vectors
        # Rows with a zero vector were too short to embed.
        self.eligible = np.any(vectors != 0, axis=1)

    @property
    def passages(self) -> int:
        return len(self.offsets) - 1

    @property
    def count(self) -> int:
        return len(self.spans)

    @property
    def embedded(self) -> int:
        return int(self.eligible.sum())

    @classmethod
    def build(cls, passages: Sequence[Passage], embed: Embed, dimension: int) -> SentenceVectors:
        """Split every passage into sentences and embed those long enough to answer."""
        per_passage = [sentence_spans(p.text) for p in passages]
        offsets = np.zeros(len(passages) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(s) for s in per_passage])
        flat = [
            (p.text[a:b], a, b) for p, ss in zip(passages, per_passage, strict=True) for a, b in ss
        ]
        eligible = [i for i, (text, _, _) in enumerate(flat) if is_answer_candidate(text)]
        vectors = np.zeros((len(flat), dimension), dtype=np.float32)
        if eligible:
            vectors[eligible] = embed([flat[i][0] for i in eligible])
        spans = np.array([(a, b) for _, a, b in flat], dtype=np.int32).reshape(-1, 2)
        return cls(offsets, spans, vectors)

    def save(self, folder: Path) -> None:
        # float16 halves the file; scores are computed in float32 after loading.
        np.savez(
            folder / self.FILE,
            offsets=self.offsets,
            spans=self.spans,
            vectors=self.vectors.astype(np.float16),
        )

    @classmethod
    def load(cls, folder: Path) -> SentenceVectors:
        with np.load(folder / cls.FILE) as data:
            return cls(data["offsets"], data["spans"], data["vectors"].astype(np.float32))

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The spans (in the passage text) and vectors of one passage's sentences."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.spans[a:b], self.vectors[a:b]

    def best(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Per row, the highest similarity of one of its answer sentences (-inf if none)."""
        starts = self.offsets[rows]
        counts = self.offsets[rows + 1] - starts
        index = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        owner = np.repeat(np.arange(len(rows)), counts)
        sims = np.where(self.eligible[index], similarities(self.vectors[index], query), -np.inf)
        best = np.full(len(rows), -np.inf, dtype=np.float32)
        np.maximum.at(best, owner, sims.astype(np.float32))
        return best
