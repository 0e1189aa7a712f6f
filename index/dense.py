"""Dense search: FAISS inner product over L2-normalised passage vectors.

Exact (`IndexFlatIP`) by default: for the corpora this tool is made for (a few
thousand to tens of thousands of passages) a flat scan takes milliseconds and
is never wrong. Above `settings.hnsw_threshold` passages (100,000 by default;
bench/faiss_scale.py measures where a flat scan stops being interactive) an
HNSW graph keeps queries fast at a small recall cost.
"""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)

KINDS = ("auto", "flat", "hnsw")
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


def choose_kind(requested: str, count: int, threshold: int) -> str:
    """Resolve "auto" to "flat" or "hnsw"; an unknown choice names the valid ones."""
    if requested not in KINDS:
        raise ValueError(f"Unknown dense index {requested!r}; choose one of {', '.join(KINDS)}.")
    if requested == "auto":
        return "hnsw" if count > threshold else "flat"
    return requested


class DenseIndex:
    FILE = "dense.faiss"

    def __init__(self, index: faiss.Index, kind: str) -> None:
        self.index = index
        self.kind = kind

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            raise ValueError(f"Unknown dense index {kind!r}; choose flat or hnsw.")
        if len(vectors):
            index.add(vectors)
        built = cls(index, kind)
        built._tune()
        return built

    def _tune(self) -> None:
        if self.kind == "hnsw":
            self.index.hnsw.efSearch = HNSW_EF_SEARCH

    def search(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top-k (row, inner product) pairs, best first; `mask` keeps only allowed rows.

        With a mask, FAISS's own id selector filters during the search, so the
        k results are the best k allowed rows, not the allowed rows among the
        best k.
        """
        if self.size == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        params = None
        if mask is not None:
            allowed = np.flatnonzero(mask).astype(np.int64)
            if allowed.size == 0:
                return []
            k = min(k, int(allowed.size))
            selector = faiss.IDSelectorBatch(allowed)
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
            else:
                params = faiss.SearchParameters(sel=selector)
        k = min(k, self.size)
        scores, ids = self.index.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def save(self, folder: Path) -> None:
        faiss.write_index(self.index, str(folder / self.FILE))

    @classmethod
    def load(cls, folder: Path, kind: str) -> DenseIndex:
        loaded = cls(faiss.read_index(str(folder / cls.FILE)), kind)
        loaded._tune()
        return loaded
