"""Where the index lives: the seam between the ranking and the engine that stores vectors.

The ranking (ranking.py), answer sentences, exact quotes and citations are the
project's own and shared; a backend only answers four questions:

- dense candidates: the passages nearest a query vector;
- keyword candidates: the passages with the highest BM25 score for the
  project's own analysed query terms (so every backend ranks words alike);
- sentence vectors of candidate passages, or straight away their best
  sentence's similarity to the query (a server computes it where the vectors are);
- all of it restricted to filtered rows (`RowFilter`).

Two backends: `local` (FAISS and BM25 files in the index folder, the default)
and `milvus` (collections in Milvus Lite or a Milvus server; see milvus.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from index.keyword import DutchAnalyzer
from index.manifest import REBUILD, Manifest
from index.results import Filters, IndexNotReady
from ingest.document import Passage
from ingest.errors import AdvieszoekerError
from ingest.settings import Settings

BACKENDS = ("local", "milvus")


class BackendUnavailable(AdvieszoekerError):
    """The configured index engine cannot be used (unknown, missing or unreachable)."""


@dataclass(frozen=True)
class RowFilter:
    """The rows a search may return.

    `mask` (over all rows) is the whole truth, and enough for a backend that
    holds its index in this process. A server backend cannot take a mask of a
    million rows per query, so the mask's parts travel along in a form it can
    turn into its own filter expression: the resolved document `filters`, an
    explicit list of `rows` (the passages that hold an exact quote), and the
    minimum number of prose words of the dense ranking (see ranking.py).
    """

    mask: np.ndarray
    filters: Filters | None = None
    rows: np.ndarray | None = None
    min_prose_words: int = 0


class SentenceLookup(Protocol):
    """Per passage row, its sentences' spans and vectors (`SentenceVectors` has this shape)."""

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]: ...


class Backend(Protocol):
    """What the ranking asks of the engine that holds the index."""

    name: str
    analyzer: DutchAnalyzer  # the index's own query analysis (its corpus vocabulary)

    @property
    def size(self) -> int: ...

    def dense(
        self, query: np.ndarray, k: int, where: RowFilter | None
    ) -> list[tuple[int, float]]: ...

    def keyword(
        self, terms: Sequence[str], k: int, where: RowFilter | None
    ) -> list[tuple[int, float]]: ...

    def sentence_candidates(
        self, query: np.ndarray, k: int, where: RowFilter | None
    ) -> list[int]: ...

    def dense_scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray: ...

    def best_sentences(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray: ...

    def all_passage_vectors(self, limit: int) -> np.ndarray | None: ...

    def passage_vector(self, row: int) -> np.ndarray: ...

    def sentences(self, rows: np.ndarray) -> SentenceLookup: ...

    def close(self) -> None: ...


def check_backend(name: str) -> str:
    """The backend name, or a clear error naming the valid ones."""
    if name not in BACKENDS:
        raise BackendUnavailable(
            f"Unknown backend {name!r} (ADVIESZOEKER_BACKEND); choose one of {', '.join(BACKENDS)}."
        )
    return name


def open_backend(
    settings: Settings, folder: Path, manifest: Manifest, passages: Sequence[Passage]
) -> Backend:
    """The backend an index version was built for, opened and checked to be complete."""
    backend: Backend
    if check_backend(settings.backend) == "milvus":
        from index.backends.milvus import MilvusBackend

        backend = MilvusBackend.open(settings, folder, manifest, passages)
    else:
        from index.backends.local import LocalBackend

        backend = LocalBackend.load(folder, manifest.dense_kind)
        if backend.sentence_vectors.passages != len(passages):
            raise IndexNotReady(f"The sentence index in {folder} is incomplete. {REBUILD}")
    return backend


def probe_backend(settings: Settings) -> None:
    """Raise BackendUnavailable now if the configured engine cannot be reached."""
    if check_backend(settings.backend) == "milvus":
        from index.backends.milvus_client import connect

        connect(settings).close()
