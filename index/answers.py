"""Answer sentences: which sentences of a passage answer the question.

Nothing is generated: a passage's own sentences are scored against the query
and the best one to three are marked. Sentence vectors are computed at index
time (see build.py), so scoring at query time is one small matrix product.
The dense score is blended with keyword overlap, so a sentence that contains
the question's rare words wins a near tie.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ingest import split_sentences

# Sentences shorter than this are headings or fragments, not answers.
MIN_WORDS = 4
# A further sentence is marked only when it scores nearly as well as the best.
MARGIN = 0.03
MAX_SENTENCES = 3
KEYWORD_WEIGHT = 0.02

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


@dataclass(frozen=True)
class ScoredSentence:
    start: int
    end: int
    score: float


def score_sentences(
    text: str,
    spans: np.ndarray,
    vectors: np.ndarray | None,
    query_vector: np.ndarray | None,
    query_terms: set[str],
    analyse: Callable[[str], list[str]],
) -> list[ScoredSentence]:
    """Score each sentence of one passage against the query."""
    if len(spans) == 0:
        return []
    if vectors is not None and query_vector is not None and len(vectors):
        dense = similarities(vectors, query_vector)
    else:
        dense = np.zeros(len(spans), dtype=np.float32)
    out: list[ScoredSentence] = []
    for (start, end), sim in zip(spans.tolist(), dense.tolist(), strict=True):
        sentence = text[start:end]
        if not is_answer_candidate(sentence):
            continue
        overlap = len(query_terms & set(analyse(sentence))) if query_terms else 0
        out.append(ScoredSentence(start, end, sim + KEYWORD_WEIGHT * min(overlap, 4)))
    return out


def pick(scored: list[ScoredSentence], limit: int = MAX_SENTENCES) -> list[ScoredSentence]:
    """The best sentence and the next ones within MARGIN of it, in text order."""
    if not scored:
        return []
    ranked = sorted(scored, key=lambda s: -s.score)
    best = ranked[0].score
    chosen = [s for s in ranked[:limit] if s.score >= best - MARGIN]
    return sorted(chosen, key=lambda s: s.start)
