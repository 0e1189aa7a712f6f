"""The milvus backend: passage and sentence vectors and BM25 weights in Milvus collections.

Why Milvus: an organisation that searches many archives at once (tens of
millions of passages) or runs several app servers needs the index in a
distributed engine, not in files each process loads. Milvus Lite (a file in
the data folder) runs the same engine in a child process, so the tests and a
single machine need no server.

Versions: `milvus-lite==2.5.1` is pinned on purpose. It runs the real Milvus
2.5 engine; the 3.x releases are a pure-Python rewrite that silently ignores
analyzer settings, scores BM25 per segment and scans every row per query, so
they would rank differently from a server. Milvus Lite has no alias API; there
the alias is a row in a small `<alias>_aliases` collection (see `Aliases`).

Keyword parity: Milvus has no Dutch decompounding, so its own BM25 is not
used. Each passage stores a sparse vector of the project's own BM25 weights
(`BM25Index.passage_weights`) and a query is the sparse vector of its analysed
terms' counts: the inner product is exactly the local BM25 score. Fusion is
done in the project's code (ranking.py) from the two candidate lists; Milvus's
server-side WeightedRanker returned the BM25 list reversed here, and fusing in
our code guarantees the same answers as the local backend.

Publishing: every build writes two new collections (passages, sentences)
named after the index version, loads them, waits until every row is visible,
then the manifest names them, the local pointer switches, the alias switches,
and older versions are dropped. A build killed before that leaves the
previous version answering; its half-written collections are dropped by the
next build.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index.backends import BackendUnavailable, RowFilter
from index.keyword import BM25Index, DutchAnalyzer, query_counts
from index.manifest import REBUILD, Manifest
from index.results import Filters, IndexNotReady
from index.sentences import SentenceVectors, sentence_spans
from ingest.document import Document, Passage
from ingest.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Rows per insert call: pymilvus's message limit is 64 MB; 384 floats per row.
BATCH = 2_000
# Milvus returns at most this many hits per search.
MAX_LIMIT = 16_384
# Seconds to wait for a connection, and for a new collection's rows to be visible.
CONNECT_TIMEOUT = 10.0
VISIBLE_TIMEOUT = 120.0
# Dense index types: Milvus Lite has FLAT, IVF_FLAT and AUTOINDEX; a server HNSW too.
HNSW_PARAMS = {"M": 32, "efConstruction": 200}
HNSW_EF = 128
PASSAGES, SENTENCES = "passages", "sentences"
_NAME = re.compile(r"[^0-9A-Za-z_]")


def is_lite(uri: str) -> bool:
    """A local file (Milvus Lite) rather than a server URL."""
    return "://" not in uri


@contextmanager
def milvus_errors(uri: str, what: str) -> Iterator[None]:
    """A connection or server failure inside becomes one clear message."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except MilvusException as exc:
        raise unavailable(uri, what, exc) from exc


def milvus_call(uri: str, what: str, call: Callable[[], T]) -> T:
    """Run one Milvus call under `milvus_errors`."""
    with milvus_errors(uri, what):
        return call()


def unavailable(uri: str, what: str, exc: Exception) -> BackendUnavailable:
    detail = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    if is_lite(uri) and lite_in_use(Path(uri)):
        return BackendUnavailable(
            f"The Milvus Lite file {uri} is in use by another program (Milvus Lite serves one "
            "process per file): stop `advieszoeker serve` or the other indexing run first, or "
            "point ADVIESZOEKER_MILVUS_URI at a Milvus server."
        )
    if "collection not found" in detail.lower():
        return BackendUnavailable(
            f"The index this program opened is no longer in Milvus at {uri}: a newer one was "
            "published. Restart `advieszoeker serve` (or search again from a new process)."
        )
    if is_lite(uri):
        return BackendUnavailable(
            f"Milvus Lite could not {what} in {uri} ({detail}). Install it with "
            "`pip install milvus-lite==2.5.1`, or set ADVIESZOEKER_BACKEND=local."
        )
    return BackendUnavailable(
        f"Milvus at {uri} could not {what} ({detail}). Check that the server runs and that "
        "ADVIESZOEKER_MILVUS_URI and ADVIESZOEKER_MILVUS_TOKEN are right, or set "
        "ADVIESZOEKER_BACKEND=local."
    )


def lite_in_use(path: Path) -> bool:
    """Whether another process holds this Milvus Lite file (milvus-lite's own lock)."""
    lock = path.parent / f".{path.name}.lock"
    if not lock.exists():
        return False
    if server_manager_holds(path):
        return False
    with lock.open("a") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN)
    return False


def server_manager_holds(path: Path) -> bool:
    """Whether this process already runs the Milvus Lite engine of this file (then the
    lock must not be probed: POSIX locks are per process, and closing a probe would
    release the engine's own lock and stop it)."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            from milvus_lite.server_manager import server_manager_instance
    except ImportError:
        return False
    return str(path.absolute().resolve()) in server_manager_instance._servers


def connect(settings: Settings) -> Any:
    """A MilvusClient for the configured URI (Milvus Lite starts its engine here)."""
    uri = settings.milvus_address
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError as exc:
        raise BackendUnavailable(
            "The milvus backend needs pymilvus and milvus-lite: run `make setup`, or "
            "`pip install pymilvus milvus-lite==2.5.1`, or set ADVIESZOEKER_BACKEND=local."
        ) from exc
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # Checked before trying: a failed milvus-lite start deletes the lock file
        # of the process that holds the file.
        if lite_in_use(Path(uri)):
            raise unavailable(uri, "open the file", RuntimeError("in use"))
    try:
        with warnings.catch_warnings():
            # milvus-lite 2.5.1 imports pkg_resources, which warns on every start.
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            return MilvusClient(uri=uri, token=settings.milvus_token, timeout=CONNECT_TIMEOUT)
    except MilvusException as exc:
        raise unavailable(uri, "be reached", exc) from exc


def quote(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def expression(where: RowFilter | None) -> str:
    """The Milvus filter expression equal to a RowFilter's parts ("" for every row)."""
    if where is None:
        return ""
    parts: list[str] = []
    f: Filters | None = where.filters
    if f is not None:
        for field, values in (("source", f.sources), ("author", f.authors), ("kind", f.kinds)):
            if values:
                parts.append(f"{field} in [{', '.join(quote(str(v)) for v in values)}]")
        if f.years:
            parts.append(f"year in [{', '.join(str(int(y)) for y in f.years)}]")
    if where.rows is not None:
        parts.append(f"row in [{', '.join(str(int(r)) for r in where.rows)}]")
    if where.min_prose_words > 0:
        parts.append(f"prose_words >= {int(where.min_prose_words)}")
    if f is None and where.rows is None and where.min_prose_words == 0 and not where.mask.all():
        # A mask with no parts to say it by: name its rows.
        parts.append(f"row in [{', '.join(str(int(r)) for r in np.flatnonzero(where.mask))}]")
    return " and ".join(parts)


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
