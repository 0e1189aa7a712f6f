"""Build the search index from the store: dense vectors, BM25, answer sentences.

Embedding is the expensive part, so every vector is cached by the content hash
of the text it embeds and the model's fingerprint (`cache/embeddings.sqlite`).
Re-indexing after one document changed embeds only that document's new
passages and sentences; `BuildReport` counts what was embedded and what came
from the cache.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.backends import check_backend
from index.cache import EmbeddingCache
from index.dense import DenseIndex, choose_kind
from index.keyword import BM25Index
from index.manifest import SNAPSHOT, Manifest, new_version_dir, publish
from index.ranking import prose_words
from index.sentences import SentenceVectors
from index.tokens import MAX_PASSAGES, TokenVectors
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
    """The part of `index.model.Embedder` the index needs (a fake one in tests).

    An embedder that also has `encode_passage_tokens` and `encode_query_with_tokens`
    gets late interaction (tokens.py); without them the ranking goes without.
    """

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
        # Indexes from before late interaction have no token vectors: rebuilt.
        "token_vectors": 1,
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
        tokens = _token_vectors(passages, embedder, cache, progress)
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
    if tokens is not None:  # with either backend: they rerank what it returns
        tokens.save(folder)
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


def _token_vectors(
    passages: Sequence[Passage], embedder: EmbedderLike, cache: EmbeddingCache, progress: bool
) -> TokenVectors | None:
    """Late interaction's token vectors (index/tokens.py), of the passage text
    alone; None for a model without them or a corpus above MAX_PASSAGES."""
    encode = getattr(embedder, "encode_passage_tokens", None)
    if encode is None or len(passages) > MAX_PASSAGES:
        return None
    log.info("Token vectors of %d passages", len(passages))
    found, _ = cache.embed_tokens(
        [p.text for p in passages], lambda texts: encode(texts, progress=progress)
    )
    return TokenVectors.build(found)


def passage_for_keywords(passage: Passage, document: Document | None) -> str:
    """What BM25 indexes: the passage text alone. Adding the section headings was
    tried and did not help on the tune split (keyword MRR@10 0.590 vs 0.600)."""
    return passage.text
