"""The local backend: FAISS and BM25 files in the index folder, loaded into this process.

This is the index as it was before the backend seam (issue 15), unchanged in
behaviour and speed: every call is a FAISS search, a sparse-matrix product or
an array lookup, and small corpora are rescored whole (`all_passage_vectors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.backends import RowFilter
from index.dense import DenseIndex
from index.keyword import BM25Index, DutchAnalyzer
from index.sentences import SentenceVectors, similarities


class LocalBackend:
    name = "local"

    def __init__(self, dense: DenseIndex, keyword: BM25Index, sentences: SentenceVectors) -> None:
        self.dense_index = dense
        self.keyword_index = keyword
        self.sentence_vectors = sentences

    @classmethod
    def load(cls, folder: Path, dense_kind: str) -> LocalBackend:
        dense = DenseIndex.load(folder, dense_kind)
        return cls(dense, BM25Index.load(folder), SentenceVectors.load(folder))

    @property
    def analyzer(self) -> DutchAnalyzer:
        return self.keyword_index.analyzer

    @property
    def size(self) -> int:
        return self.dense_index.size

    def dense(self, query: np.ndarray, k: int, where: RowFilter | None) -> list[tuple[int, float]]:
        return self.dense_index.search(query, k, None if where is None else where.mask)

    def keyword(
        self, terms: Sequence[str], k: int, where: RowFilter | None
    ) -> list[tuple[int, float]]:
        return self.keyword_index.search_terms(terms, k, None if where is None else where.mask)

    def sentence_candidates(self, query: np.ndarray, k: int, where: RowFilter | None) -> list[int]:
        # Small corpora are rescored whole; large ones from the passage candidates
        # alone, as before the seam.
        return []

    def dense_scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        index = self.dense_index.index
        vectors = np.stack([index.reconstruct(int(r)) for r in rows])
        return similarities(vectors, query)

    def best_sentences(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        return self.sentence_vectors.best(rows, query)

    def all_passage_vectors(self, limit: int) -> np.ndarray | None:
        size = self.dense_index.size
        return self.dense_index.index.reconstruct_n(0, size) if 0 < size <= limit else None

    def passage_vector(self, row: int) -> np.ndarray:
        return self.dense_index.index.reconstruct(row)

    def sentences(self, rows: np.ndarray) -> SentenceVectors:
        return self.sentence_vectors

    def close(self) -> None:
        pass
