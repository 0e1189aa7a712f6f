"""Writing an index version to Milvus and publishing it (`advieszoeker index`).

Every build writes two new collections (passages, sentences) named after the
index version, loads them, waits until every row is visible, then the
manifest names them, the local pointer switches, the alias switches, and
older versions are dropped. A build killed before that leaves the previous
version answering; its half-written collections are dropped by the next
build. Milvus Lite has no alias API; there the alias is a row in a small
`<alias>_aliases` collection (see `Aliases`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from index.backends import BackendUnavailable
from index.backends.milvus_client import (
    PASSAGES,
    SENTENCES,
    connect,
    is_lite,
    milvus_call,
    milvus_errors,
    quote,
)
from index.keyword import BM25Index
from index.manifest import REBUILD
from index.results import IndexNotReady
from index.sentences import SentenceVectors
from ingest.document import Document, Passage
from ingest.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Rows per insert call: pymilvus's message limit is 64 MB; 384 floats per row.
BATCH = 2_000
# Seconds to wait for a new collection's rows to be visible.
VISIBLE_TIMEOUT = 120.0
# Dense index types: Milvus Lite has FLAT, IVF_FLAT and AUTOINDEX; a server HNSW too.
HNSW_PARAMS = {"M": 32, "efConstruction": 200}
_NAME = re.compile(r"[^0-9A-Za-z_]")


class Aliases:
    """Which collection an alias names: Milvus aliases on a server; on Milvus Lite,
    which has no alias API, one row per alias in a small collection."""

    def __init__(self, client: Any, uri: str, prefix: str) -> None:
        self.client = client
        self.uri = uri
        self.table = f"{prefix}_aliases"

    def get(self, alias: str) -> str | None:
        if not is_lite(self.uri):
            try:
                return self.client.describe_alias(alias=alias).get("collection_name")
            except Exception:  # no such alias yet: pymilvus raises a plain MilvusException
                return None
        if not self.client.has_collection(self.table):
            return None
        found = f"alias == {quote(alias)}"
        rows = self.client.query(self.table, filter=found, output_fields=["to"])
        return rows[0]["to"] if rows else None

    def set(self, alias: str, collection: str) -> None:
        if not is_lite(self.uri):
            if self.get(alias) is None:
                self.client.create_alias(collection_name=collection, alias=alias)
            else:
                self.client.alter_alias(collection_name=collection, alias=alias)
            return
        if not self.client.has_collection(self.table):
            self._create_table()
        # One row per alias, replaced in one upsert: readers see the old or the new name.
        self.client.upsert(self.table, [{"alias": alias, "to": collection, "v": [0.0, 0.0]}])
        self.client.flush(self.table)

    def _create_table(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("alias", DataType.VARCHAR, is_primary=True, max_length=255)
        schema.add_field("to", DataType.VARCHAR, max_length=255)
        # Milvus wants a vector in every collection.
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        params = self.client.prepare_index_params()
        params.add_index("v", index_type="FLAT", metric_type="L2")
        self.client.create_collection(
            self.table, schema=schema, index_params=params, consistency_level="Strong"
        )


def collection_names(prefix: str, stamp: str) -> dict[str, str]:
    base = _NAME.sub("_", f"{prefix}_v{stamp}")
    return {PASSAGES: f"{base}_p", SENTENCES: f"{base}_s"}


def alias_names(prefix: str) -> dict[str, str]:
    return {PASSAGES: prefix, SENTENCES: f"{prefix}_sentences"}


def dense_index_type(settings: Settings, count: int) -> str:
    """FLAT (exact) up to the HNSW threshold, HNSW above it on a server (Lite has no HNSW)."""
    wanted = settings.dense_index
    if wanted not in ("auto", "flat", "hnsw"):
        raise ValueError(f"Unknown dense index {wanted!r}; choose one of auto, flat, hnsw.")
    if is_lite(settings.milvus_address):
        if wanted == "hnsw":
            raise BackendUnavailable(
                "Milvus Lite has no HNSW index: set ADVIESZOEKER_DENSE_INDEX=flat (or auto), "
                "or use a Milvus server."
            )
        return "FLAT"
    if wanted == "hnsw" or (wanted == "auto" and count > settings.hnsw_threshold):
        return "HNSW"
    return "FLAT"


def _batches(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MilvusWriter:
    """Writes one index version's collections and publishes them (see the module doc)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.uri = settings.milvus_address
        self.prefix = settings.milvus_collection
        self.client = connect(settings)
        self._pending: dict[str, Any] = {}

    def close(self) -> None:
        self.client.close()

    def write(
        self,
        stamp: str,
        passages: Sequence[Passage],
        documents: dict[str, Document],
        vectors: np.ndarray,
        keyword: BM25Index,
        sentences: SentenceVectors,
        prose: Sequence[int],
    ) -> tuple[dict[str, str], str]:
        """Create and fill this version's collections; their names and the dense index type."""
        with milvus_errors(self.uri, "write the index"):
            names = collection_names(self.prefix, stamp)
            kind = dense_index_type(self.settings, len(passages))
            dim = int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[1] else 1
            pairs = zip(passages, prose, strict=True)
            meta = [_document_fields(documents.get(p.source), p, n) for p, n in pairs]
            weights = keyword.passage_weights()
            self._create(names[PASSAGES], dim, kind, sparse=True)
            log.info("Milvus: writing %d passages to %s", len(passages), names[PASSAGES])
            rows = list(range(len(passages)))
            for chunk in _batches(rows):
                self.client.insert(
                    names[PASSAGES],
                    [
                        {**meta[r], "row": r, "dense": vectors[r].tolist(), "sparse": weights[r]}
                        for r in chunk
                    ],
                )
            self._create(names[SENTENCES], dim, kind, sparse=False)
            eligible = np.flatnonzero(sentences.eligible)
            owner = np.searchsorted(sentences.offsets, eligible, side="right") - 1
            log.info("Milvus: writing %d sentences to %s", len(eligible), names[SENTENCES])
            for chunk in _batches(np.arange(len(eligible))):
                ids = eligible[chunk]
                # Rounded through float16 as the local index stores them, so both score alike.
                rounded = sentences.vectors[ids].astype(np.float16).astype(np.float32)
                self.client.insert(
                    names[SENTENCES],
                    [
                        {
                            **meta[int(owner[i])],
                            "id": int(eligible[i]),
                            "row": int(owner[i]),
                            "start": int(sentences.spans[eligible[i]][0]),
                            "dense": rounded[j].tolist(),
                        }
                        for j, i in enumerate(chunk.tolist())
                    ],
                )
            self._finish(names[PASSAGES], len(passages))
            self._finish(names[SENTENCES], len(eligible))
            return names, kind

    def _create(self, name: str, dim: int, kind: str, *, sparse: bool) -> None:
        """An empty collection; its indexes are built by `_finish` once the rows are in."""
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id" if not sparse else "row", DataType.INT64, is_primary=True)
        if not sparse:
            schema.add_field("row", DataType.INT64)
            schema.add_field("start", DataType.INT64)
        schema.add_field("source", DataType.VARCHAR, max_length=1024)
        schema.add_field("author", DataType.VARCHAR, max_length=1024)
        schema.add_field("kind", DataType.VARCHAR, max_length=256)
        schema.add_field("year", DataType.INT64)
        schema.add_field("prose_words", DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        if sparse:
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        # Collections are written once and never changed, so "Eventually" is exact
        # once every row is visible (`_finish` waits for that) and never waits per query.
        self.client.create_collection(name, schema=schema, consistency_level="Eventually")
        params = self.client.prepare_index_params()
        if kind == "HNSW":
            params.add_index("dense", index_type="HNSW", metric_type="IP", params=HNSW_PARAMS)
        else:
            params.add_index("dense", index_type=kind, metric_type="IP")
        if sparse:
            params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self._pending[name] = params

    def _finish(self, name: str, count: int) -> None:
        """Flush, index, load, and wait until every row answers."""
        self.client.flush(name)
        self.client.create_index(name, self._pending.pop(name))
        self.client.load_collection(name)
        deadline = time.monotonic() + VISIBLE_TIMEOUT
        while True:
            seen = self.client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"]
            if seen == count:
                return
            if time.monotonic() > deadline:
                raise IndexNotReady(
                    f"Milvus shows {seen} of {count} rows of {name} after "
                    f"{VISIBLE_TIMEOUT:.0f} s. {REBUILD}"
                )
            time.sleep(0.2)

    def publish(self, names: dict[str, str]) -> None:
        """Switch the aliases to this version, then drop every other version."""
        milvus_call(self.uri, "publish the index", lambda: self._publish(names))

    def _publish(self, names: dict[str, str]) -> None:
        aliases = Aliases(self.client, self.uri, self.prefix)
        for part, alias in alias_names(self.prefix).items():
            aliases.set(alias, names[part])
        self.drop_old(keep=set(names.values()))

    def drop_old(self, keep: set[str]) -> None:
        """Drop this prefix's version collections other than `keep` (old and half-written)."""
        prefix = re.escape(_NAME.sub("_", self.prefix))
        version = re.compile(rf"^{prefix}_v\d{{8}}T\d{{6}}_\w+_[ps]$")
        for name in self.client.list_collections():
            if version.match(name) and name not in keep:
                log.info("Milvus: dropping %s", name)
                self.client.drop_collection(name)


def _document_fields(document: Document | None, passage: Passage, prose: int) -> dict[str, Any]:
    """What filters see of a passage's document (None becomes "" and 0, which no filter asks)."""
    return {
        "source": passage.source,
        "author": (document.author if document else None) or "",
        "kind": (document.kind if document else None) or "",
        "year": int(document.year) if document and document.year is not None else 0,
        "prose_words": int(prose),
    }
