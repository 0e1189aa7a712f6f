"""The milvus backend: passage and sentence vectors and BM25 weights in Milvus collections.

Why Milvus: an organisation that searches many archives at once (tens of
millions of passages) or runs several app servers needs the index in a
distributed engine, not in files each process loads. Milvus Lite (a file in
the data folder) runs the same engine in a child process, so the tests and a
single machine need no server. Connecting is in milvus_client.py, writing and
publishing in milvus_publish.py.

Keyword parity: Milvus has no Dutch decompounding, so its own BM25 is not
used. Each passage stores a sparse vector of the project's own BM25 weights
(`BM25Index.passage_weights`) and a query is the sparse vector of its analysed
terms' counts: the inner product is exactly the local BM25 score. Fusion is
done in the project's code (ranking.py) from the two candidate lists; Milvus's
server-side WeightedRanker returned the BM25 list reversed here, and fusing in
our code guarantees the same answers as the local backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.backends import RowFilter
from index.backends.milvus_client import (
    PASSAGES,
    SENTENCES,
    connect,
    expression,
    milvus_call,
)
from index.keyword import BM25Index, DutchAnalyzer, query_counts
from index.manifest import REBUILD, Manifest
from index.results import IndexNotReady
from index.sentences import sentence_spans
from ingest.document import Passage
from ingest.settings import Settings

# Milvus returns at most this many hits per search.
MAX_LIMIT = 16_384
HNSW_EF = 128


class SentenceSubset:
    """The sentences of some passage rows, fetched from Milvus, shaped like SentenceVectors.

    Spans come from the passage text (the same split as at index time); only
    answer sentences are stored in Milvus, the rest keep a zero vector.
    """

    def __init__(self, spans: dict[int, np.ndarray], vectors: dict[int, np.ndarray]) -> None:
        self._spans = spans
        self._vectors = vectors

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        return self._spans[row], self._vectors[row]


class MilvusBackend:
    name = "milvus"

    def __init__(
        self,
        client: Any,
        uri: str,
        collections: dict[str, str],
        analyzer: DutchAnalyzer,
        terms: dict[str, int],
        texts: Sequence[str],
        dimension: int,
        dense_kind: str,
    ) -> None:
        self.client = client
        self.uri = uri
        self.collections = collections
        self.analyzer = analyzer
        self._terms = terms
        self._texts = texts
        self._dimension = dimension
        self._size = len(texts)
        self._hnsw = dense_kind == "HNSW"

    @classmethod
    def open(
        cls, settings: Settings, folder: Path, manifest: Manifest, passages: Sequence[Passage]
    ) -> MilvusBackend:
        """Connect and check that the collections the manifest names are all there."""
        collections = manifest.collections
        if set(collections) != {PASSAGES, SENTENCES}:
            raise IndexNotReady(f"The index in {folder} names no Milvus collections. {REBUILD}")
        client = connect(settings)
        uri = settings.milvus_address
        try:
            for name in collections.values():
                if not milvus_call(uri, "be read", lambda n=name: client.has_collection(n)):
                    raise IndexNotReady(
                        f"The Milvus collection {name} of this index is gone (dropped, or "
                        f"another Milvus than {uri}). {REBUILD}"
                    )
            # The query analysis and term ids stay local; the weights live in Milvus.
            analyzer, terms = BM25Index.load_vocabulary(folder)
        except BaseException:
            client.close()
            raise
        texts = [p.text for p in passages]
        return cls(client, uri, collections, analyzer, terms, texts, manifest.dimension,
                   manifest.dense_kind)  # fmt: skip

    @property
    def size(self) -> int:
        return self._size

    def close(self) -> None:
        self.client.close()

    def _search(
        self,
        part: str,
        field: str,
        query: Any,
        k: int,
        where: RowFilter | None,
        out: list[str],
        group: bool = False,
    ) -> list[dict[str, Any]]:
        if k <= 0 or (where is not None and not where.mask.any()):
            return []
        params: dict[str, Any] = {"metric_type": "IP"}
        if field == "dense" and self._hnsw:
            # HNSW needs ef >= the number of hits asked for.
            params["params"] = {"ef": max(HNSW_EF, k)}
        found = milvus_call(
            self.uri,
            "search",
            lambda: self.client.search(
                self.collections[part],
                data=[query],
                anns_field=field,
                limit=min(k, MAX_LIMIT),
                filter=expression(where),
                output_fields=out,
                search_params=params,
                # One hit per passage: its best sentence.
                **({"group_by_field": "row"} if group else {}),
            ),
        )
        hits = [{"score": float(h["distance"]), **h["entity"]} for h in (found[0] if found else [])]
        if where is not None:
            # The expression says the same as the mask; the mask has the last word.
            hits = [h for h in hits if where.mask[int(h["row"])]]
        return hits

    @staticmethod
    def _ordered(pairs: list[tuple[int, float]]) -> list[tuple[int, float]]:
        # Ties in row order, as the local backend breaks them.
        return sorted(pairs, key=lambda p: (-p[1], p[0]))

    def dense(self, query: np.ndarray, k: int, where: RowFilter | None) -> list[tuple[int, float]]:
        vector = np.asarray(query, dtype=np.float32).ravel().tolist()
        hits = self._search(PASSAGES, "dense", vector, k, where, ["row"])
        return self._ordered([(int(h["row"]), h["score"]) for h in hits])

    def keyword(
        self, terms: Sequence[str], k: int, where: RowFilter | None
    ) -> list[tuple[int, float]]:
        counts = query_counts(self._terms, terms)
        if not counts:
            return []
        hits = self._search(PASSAGES, "sparse", counts, k, where, ["row"])
        return self._ordered([(int(h["row"]), h["score"]) for h in hits if h["score"] > 0])

    def sentence_candidates(self, query: np.ndarray, k: int, where: RowFilter | None) -> list[int]:
        vector = np.asarray(query, dtype=np.float32).ravel().tolist()
        hits = self._search(SENTENCES, "dense", vector, k, where, ["row"], group=True)
        return [int(h["row"]) for h in hits]

    def _only(self, rows: np.ndarray) -> RowFilter:
        mask = np.zeros(self._size, dtype=bool)
        mask[rows] = True
        return RowFilter(mask, rows=np.unique(rows))

    def dense_scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        vector = np.asarray(query, dtype=np.float32).ravel().tolist()
        hits = self._search(PASSAGES, "dense", vector, len(rows), self._only(rows), ["row"])
        found = {int(h["row"]): h["score"] for h in hits}
        return np.array([found.get(int(r), -np.inf) for r in rows], dtype=np.float32)

    def best_sentences(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Per row, its best answer sentence's similarity (-inf if none), computed by Milvus."""
        vector = np.asarray(query, dtype=np.float32).ravel().tolist()
        only = self._only(rows)
        hits = self._search(SENTENCES, "dense", vector, len(rows), only, ["row"], group=True)
        found = {int(h["row"]): h["score"] for h in hits}
        return np.array([found.get(int(r), -np.inf) for r in rows], dtype=np.float32)

    def _rows(self, part: str, rows: np.ndarray, fields: list[str]) -> list[dict[str, Any]]:
        if len(rows) == 0:
            return []
        listed = ", ".join(str(int(r)) for r in np.unique(rows))
        return milvus_call(
            self.uri,
            "read vectors",
            lambda: self.client.query(
                self.collections[part], filter=f"row in [{listed}]", output_fields=fields
            ),
        )

    def all_passage_vectors(self, limit: int) -> np.ndarray | None:
        # Never pull the whole collection: candidates are rescored instead.
        return None

    def passage_vector(self, row: int) -> np.ndarray:
        (stored,) = self._rows(PASSAGES, np.array([row]), ["dense"])
        return np.asarray(stored["dense"], dtype=np.float32)

    def sentences(self, rows: np.ndarray) -> SentenceSubset:
        stored: dict[int, dict[int, list[float]]] = {}
        for r in self._rows(SENTENCES, rows, ["row", "start", "dense"]):
            stored.setdefault(int(r["row"]), {})[int(r["start"])] = r["dense"]
        spans: dict[int, np.ndarray] = {}
        vectors: dict[int, np.ndarray] = {}
        for row in {int(r) for r in rows.tolist()}:
            own = sentence_spans(self._texts[row])
            spans[row] = np.array(own, dtype=np.int32).reshape(-1, 2)
            matrix = np.zeros((len(own), self._dimension), dtype=np.float32)
            for i, (start, _) in enumerate(own):
                if start in stored.get(row, {}):
                    matrix[i] = stored[row][start]
            vectors[row] = matrix
        return SentenceSubset(spans, vectors)
