"""Build the search index from the store: dense vectors, BM25, answer sentences.

Embedding is the expensive part, so every vector is cached by the content hash
of the text it embeds and the model's fingerprint (`cache/embeddings.sqlite`).
Re-indexing after one document changed embeds only that document's new
passages and sentences; `BuildReport` counts what was embedded and what came
from the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.backends import check_backend
from index.dense import DenseIndex, choose_kind
from index.keyword import BM25Index
from index.manifest import SNAPSHOT, Manifest, new_version_dir, publish
from index.ranking import prose_words
from index.sentences import SentenceVectors
from ingest.document import Document, Passage
from ingest.settings import Settings
from ingest.store import Store

if TYPE_CHECKING:
    from index.backends.milvus_publish import MilvusWriter

log = logging.getLogger(__name__)

ROWS_FILE = "rows.json"
# What is embedded with each passage to give it context. Hybrid MRR@10 on the tune
# split: none 0.709, section 0.719, title+section 0.743.
CONTEXTS = ("none", "title", "section", "title+section")
DEFAULT_CONTEXT = "title+section"


class EmbedderLike(Protocol):
    """The part of `index.model.Embedder` the index needs (a fake one in tests)."""

    name: str

    @property
    def fingerprint(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


@dataclass(frozen=True)
class BuildReport:
    documents: int
    passages: int
    sentences: int
    passages_embedded: int  # passage vectors computed in this build
    sentences_embedded: int
    from_cache: int  # vectors (passages and sentences) reused from the cache
    dense_kind: str
    seconds: float
    index_dir: Path

    def summary(self) -> str:
        return (
            f"Indexed {self.passages} passages ({self.sentences} sentences) of "
            f"{self.documents} documents in {self.seconds:.1f} s: embedded "
            f"{self.passages_embedded} passages and {self.sentences_embedded} sentences, "
            f"{self.from_cache} vectors from the cache; dense index {self.dense_kind}."
        )


def index_settings(settings: Settings) -> dict[str, object]:
    """The settings an index depends on: a change in any of them needs a rebuild.

    The backend is named only when it is not the local one, so local indexes
    built before there was a choice stay valid.
    """
    values: dict[str, object] = {
        "embed_context": embed_context(settings),
        "decompound": True,
        "keyword_text": "passage",
    }
    if settings.backend != "local":
        values["backend"] = settings.backend
    return values


def embed_context(settings: Settings) -> str:
    value = str(settings.extra.get("embed_context", DEFAULT_CONTEXT))
    if value not in CONTEXTS:
        raise ValueError(f"Unknown embed_context {value!r}; choose one of {', '.join(CONTEXTS)}.")
    return value


def passage_for_embedding(passage: Passage, document: Document | None, context: str) -> str:
    """The text embedded for a passage: optionally led by its title and section path."""
    parts: list[str] = []
    if document is not None and "title" in context and document.title:
        parts.append(document.title)
    if "section" in context and passage.section:
        parts.append(" › ".join(passage.section))
    return "\n".join([" › ".join(parts), passage.text]) if parts else passage.text


class EmbeddingCache:
    """Vectors by (model fingerprint, text hash), in SQLite so writes are atomic."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (fingerprint TEXT, key TEXT, vector BLOB, "
            "PRIMARY KEY (fingerprint, key))"
        )

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE fingerprint = ? AND key IN ({marks})",
                [self.fingerprint, *chunk],
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(self.fingerprint, k, v.astype(np.float32).tobytes()) for k, v in items.items()],
            )

    def embed(
        self, texts: Sequence[str], embedder: EmbedderLike, *, progress: bool
    ) -> tuple[np.ndarray, int]:
        """Vectors for `texts` (cached ones reused) and how many were newly embedded."""
        keys = [self.key(t) for t in texts]
        found = self.get(sorted(set(keys)))
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            vectors = embedder.encode_passages(list(missing.values()), progress=progress)
            new = dict(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
            self.put(new)
            found.update(new)
        dim = embedder.dimension
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out, len(missing)


def build_index(
    settings: Settings, store: Store, embedder: EmbedderLike, progress: bool = True
) -> BuildReport:
    """Embed (with the cache), build dense + keyword indexes, publish them atomically."""
    writer = None
    if check_backend(settings.backend) == "milvus":
        from index.backends.milvus_publish import MilvusWriter

        # Connect first: an unreachable Milvus is said before minutes of embedding.
        writer = MilvusWriter(settings)
    try:
        return _build(settings, store, embedder, progress, writer)
    finally:
        if writer is not None:
            writer.close()


def _build(
    settings: Settings,
    store: Store,
    embedder: EmbedderLike,
    progress: bool,
    writer: MilvusWriter | None,
) -> BuildReport:
    started = time.perf_counter()
    documents = {d.source: d for d in store.documents()}
    passages = store.passages()
    context = embed_context(settings)
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite", embedder.fingerprint)
    try:
        texts = [passage_for_embedding(p, documents.get(p.source), context) for p in passages]
        log.info("Embedding %d passages", len(texts))
        vectors, passages_new = cache.embed(texts, embedder, progress=progress)

        # Answer sentences: embedded once here, so a query only needs a dot product.
        sentences_new = 0

        def embed_sentences(texts: list[str]) -> np.ndarray:
            nonlocal sentences_new
            log.info("Embedding %d sentences", len(texts))
            found, sentences_new = cache.embed(texts, embedder, progress=progress)
            return found

        sentences = SentenceVectors.build(passages, embed_sentences, embedder.dimension)
    finally:
        cache.close()

    keyword = BM25Index.build([passage_for_keywords(p, documents.get(p.source)) for p in passages])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = new_version_dir(settings.index_dir, stamp)
    (folder / ROWS_FILE).write_text(json.dumps([p.id for p in passages]), "utf-8")
    matrix = vectors.reshape(len(passages), embedder.dimension)
    collections: dict[str, str] = {}
    if writer is not None:
        # The weights go to Milvus; the folder keeps what analyses a query.
        keyword.save(folder, weights=False)
        prose = [prose_words(p.text) for p in passages]
        collections, kind = writer.write(
            folder.name.removeprefix("v-"), passages, documents, matrix, keyword, sentences, prose
        )
    else:
        kind = choose_kind(settings.dense_index, len(passages), settings.hnsw_threshold)
        DenseIndex.build(matrix, kind).save(folder)
        keyword.save(folder)
        sentences.save(folder)
    seconds = time.perf_counter() - started
    report = BuildReport(
        documents=len(documents),
        passages=len(passages),
        sentences=sentences.count,
        passages_embedded=passages_new,
        sentences_embedded=sentences_new,
        from_cache=len(passages) - passages_new + sentences.embedded - sentences_new,
        dense_kind=kind,
        seconds=seconds,
        index_dir=folder,
    )
    manifest = Manifest(
        model_name=embedder.name,
        model_fingerprint=embedder.fingerprint,
        dimension=embedder.dimension,
        passage_count=len(passages),
        corpus_hash=store.corpus_hash(),
        dense_kind=kind,
        settings=index_settings(settings),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        collections=collections,
        build={
            "seconds": round(seconds, 2),
            "passages_embedded": passages_new,
            "sentences_embedded": sentences_new,
            "sentences": sentences.count,
        },
    )
    store.snapshot(folder / SNAPSHOT)
    publish(settings.index_dir, folder, manifest)
    if writer is not None:
        writer.publish(collections)
    log.info(report.summary())
    return report


def passage_for_keywords(passage: Passage, document: Document | None) -> str:
    """What BM25 indexes: the passage text alone. Adding the section headings was
    tried and did not help on the tune split (keyword MRR@10 0.590 vs 0.600)."""
    return passage.text
