"""The Searcher: one object per process that answers questions about the corpus.

It loads the store, the model and the indexes once (`Searcher.open`) and then
serves `search` calls from the CLI, the web app and the tests alike. It is a
thin front: ranking is `ranking.HybridRanker`, exact quotes `exact.ExactQuotes`,
highlights and the short answer `answers.AnswerMaker`, filters
`filters.FilterResolver`, the queries' embeddings `query_vectors.QueryVectors`. Modes:

- "auto": exact-quote search when the query holds quoted phrases, else hybrid;
- "exact": quoted phrases (or the whole query) must occur, in document order;
- "hybrid": dense and BM25 rankings fused (see ranking.py and fusion.py);
- "keyword", "dense": one ranking alone (the baselines of the evaluation).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from pathlib import Path
from zipfile import BadZipFile

import numpy as np

from index.answers import AnswerMaker, ScoredSentence, highlights, pick
from index.asks import Ask, AskIndex
from index.backends import (
    RowFilter,
    SentenceLookup,
    check_backend,
    open_backend,
    probe_backend,
)
from index.build import ROWS_FILE, EmbedderLike, index_settings
from index.citation import cite, cite_quote
from index.exact import ExactQuotes
from index.filters import FilterResolver
from index.keyword import dutch_stopwords
from index.manifest import REBUILD, SNAPSHOT, Manifest, read_manifest
from index.query import clean_query
from index.query_vectors import QueryVectors
from index.quote_check import QuoteCheck, QuoteChecker
from index.quotes import parse_query
from index.ranking import HybridRanker, Ranking, prose_words
from index.results import (
    Filters,
    Highlight,
    Hit,
    IndexNotReady,
    QueryError,
    SearchResponse,
)
from index.similar import Related, eligible_rows, related_passages
from index.tokens import Tokens, TokenVectors
from ingest.document import Document, Passage
from ingest.errors import AdvieszoekerError
from ingest.settings import Settings
from ingest.store import Store, StoreError

log = logging.getLogger(__name__)

__all__ = ["MODES", "Ranking", "Searcher", "clean_query", "prose_words"]

MODES = ("auto", "hybrid", "keyword", "dense", "exact")
MAX_K = 100


class Searcher:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: EmbedderLike,
        manifest: Manifest,
        folder: Path,
    ) -> None:
        self.settings = settings
        self.store = store
        self.manifest = manifest
        self.ranking = Ranking(**_ranking_overrides(settings))
        self._documents = {d.source: d for d in store.documents()}
        self._passages = store.passages()
        ids = json.loads((folder / ROWS_FILE).read_text("utf-8"))
        if ids != [p.id for p in self._passages]:
            raise IndexNotReady(f"The search index does not match the documents. {REBUILD}")
        self._row_of = {p.id: row for row, p in enumerate(self._passages)}
        self._sources = sorted(self._documents)
        self._by_source: dict[str, list[int]] = {}
        for row, p in enumerate(self._passages):
            self._by_source.setdefault(p.source, []).append(row)
        self.backend = open_backend(settings, folder, manifest, self._passages)
        analyse = self.backend.analyzer.terms
        tokens = TokenVectors.load(folder)
        self.ranker = HybridRanker(self.ranking, self._passages, self.backend, analyse, tokens)
        self.answers = AnswerMaker(analyse, self.ranker.tokens)
        self.quotes = ExactQuotes(self._documents, self._sources, self._passages, self._by_source)
        self.filters = FilterResolver(self._documents, self._sources, self._passages)
        self._lock = threading.Lock()  # the lazily built asks and "meer hierover" data
        self.queries = QueryVectors(embedder, with_tokens=self.ranker.tokens is not None)
        self.quote_checker = QuoteChecker(
            [self._documents[s] for s in self._sources],
            {s: self.passages(s) for s in self._sources},
            dutch_stopwords(),
            quote_index=self.quotes.quote_index,
        )
        self._asks: AskIndex | None = None  # extracted on first use
        # "Meer hierover": rows worth showing, and each row's document number.
        self._similar_rows: np.ndarray | None = None
        self._source_ids = np.zeros(0, dtype=np.int32)

    # Opening

    @classmethod
    def open(cls, settings: Settings, embedder: EmbedderLike | None = None) -> Searcher:
        """Load store, model and index; IndexNotReady (saying how to fix it) if any is stale."""
        if not settings.db_path.exists():
            raise IndexNotReady(
                f"No documents have been indexed yet in {settings.data_dir}. {REBUILD}"
            )
        folder, manifest = read_manifest(settings.index_dir)
        built_for = manifest.settings.get("backend", "local")
        if built_for != check_backend(settings.backend):
            raise IndexNotReady(
                f"The search index was built for the {built_for} backend, but the backend is "
                f"now {settings.backend} (ADVIESZOEKER_BACKEND). {REBUILD}"
            )
        # Search the snapshot of the store the index was built from: an ingest
        # or an interrupted re-index changes the live store, never what the
        # published index answers from.
        snapshot = folder / SNAPSHOT
        try:
            store = Store.open(snapshot if snapshot.exists() else settings.db_path, create=False)
        except StoreError as exc:
            raise IndexNotReady(str(exc)) from exc
        # The store can be checked before the (slow) model load.
        why = manifest.mismatch(
            fingerprint=manifest.model_fingerprint,
            corpus_hash=store.corpus_hash(),
            passage_count=store.passage_count(),
            settings=index_settings(settings),
        )
        if why is None and embedder is None:
            from index.model import Embedder

            # A server backend that cannot be reached is said before the (slow) model load.
            probe_backend(settings)

            embedder = Embedder.load(settings, progress=False)
        if why is None and embedder is not None:
            why = manifest.mismatch(
                fingerprint=embedder.fingerprint,
                corpus_hash=store.corpus_hash(),
                passage_count=store.passage_count(),
                settings=index_settings(settings),
            )
        if why is not None or embedder is None:
            store.close()
            raise IndexNotReady(f"The search index cannot be used: {why}. {REBUILD}")
        try:
            searcher = cls(settings, store, embedder, manifest, folder)
        except AdvieszoekerError:  # IndexNotReady, an unreachable Milvus: their own message
            store.close()
            raise
        except (OSError, ValueError, RuntimeError, KeyError, EOFError, BadZipFile) as exc:
            # A truncated or missing index file: say so, never serve half an index.
            store.close()
            raise IndexNotReady(
                f"The search index in {folder} is damaged ({type(exc).__name__}). {REBUILD}"
            ) from exc
        if searcher.backend.size != len(searcher._passages):
            searcher.close()
            raise IndexNotReady(f"The search index in {folder} is incomplete. {REBUILD}")
        return searcher

    def close(self) -> None:
        self.backend.close()
        self.store.close()

    # Search

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "auto"
    ) -> SearchResponse:
        if mode not in MODES:
            raise QueryError(f"Onbekende zoekwijze {mode!r}; kies uit {', '.join(MODES)}.")
        if not isinstance(k, int) or k < 1:
            raise QueryError("Het aantal resultaten moet minstens 1 zijn.")
        k = min(k, MAX_K)
        text, notices = clean_query(query, self.settings.max_query_chars)
        filters, filter_notices = self.filters.resolve(filters)
        notices += filter_notices
        mask = self.filters.mask(filters)
        where = None if mask is None else RowFilter(mask, filters)
        parsed = parse_query(text)
        if mode == "auto":
            mode = "exact" if parsed.phrases else "hybrid"
        if mode == "exact":
            phrases = parsed.phrases or (text,)
            words = parsed.words if parsed.phrases else ""
            notices += parsed.notices
            response = self._exact(text, phrases, words, k, where, notices)
            if response.hits or (mask is not None and not mask.any()):
                return response
            shown = " ".join(f"“{p}”" for p in phrases)
            notices = (
                *response.notices,
                f"Geen passage bevat letterlijk {shown}; hieronder de passages die er het "
                "best bij passen.",
            )
            mode = "hybrid"
        wanted = " ".join([*parsed.phrases, parsed.words]) if parsed.phrases else text
        embed_tokens = self.query_tokens if self.ranker.tokens is not None else None
        ranked, qvec = self.ranker.rank(wanted, mode, k, where, self.query_vector, embed_tokens)
        ranked = ranked[:k]
        sentences = self.backend.sentences(np.array([row for row, _ in ranked], dtype=np.int64))
        query_tokens = None
        if embed_tokens is not None and ranked and mode != "keyword":
            query_tokens = embed_tokens(wanted)  # cached: the rerank embedded it
        hits = [
            self._ranked_hit(i + 1, row, score, wanted, qvec, sentences, query_tokens)
            for i, (row, score) in enumerate(ranked)
        ]
        return SearchResponse(
            query=text,
            hits=tuple(h for h, _ in hits),
            mode=mode,
            notices=notices,
            answer=self.answers.short_answer(hits),
        )

    @property
    def embedder(self) -> EmbedderLike:
        return self.queries.embedder

    @embedder.setter
    def embedder(self, embedder: EmbedderLike) -> None:
        """The server swaps in a BatchingEmbedder after opening."""
        self.queries.embedder = embedder

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding, cached (query_vectors.py)."""
        return self.queries.vector(text)

    def query_tokens(self, text: str) -> Tokens:
        """The query's token vectors for late interaction (tokens.py), cached alike."""
        return self.queries.tokens(text)

    def clear_cache(self) -> None:
        """Forget cached query vectors (so timings measure the model, not the cache)."""
        self.queries.clear()

    def _exact(
        self,
        text: str,
        phrases: tuple[str, ...],
        words: str,
        k: int,
        where: RowFilter | None,
        notices: tuple[str, ...],
    ) -> SearchResponse:
        found, split = self.quotes.find(phrases, None if where is None else where.mask)
        if words and found:
            # Plain words next to the quotes decide the order among the passages that quote.
            rows = np.array(sorted(found), dtype=np.int64)
            allowed = np.zeros(len(self._passages), dtype=bool)
            allowed[rows] = True
            only = RowFilter(allowed, rows=rows)
            ranked_rows = self.ranker.rank(words, "hybrid", len(found), only, self.query_vector)
            ranked = [row for row, _ in ranked_rows[0]]
            ranked += sorted(set(found) - set(ranked), key=self.quotes.doc_order)
        else:
            ranked = sorted(found, key=self.quotes.doc_order)
        hits: list[tuple[Hit, list[ScoredSentence]]] = []
        sentences = self.backend.sentences(np.array(ranked[:k], dtype=np.int64))
        for rank, row in enumerate(ranked[:k], start=1):
            marked = tuple(sorted(found[row], key=lambda h: h.start))
            passage = self._passages[row]
            document = self._documents[passage.source]
            hit = Hit(rank, 1.0, passage, document, marked)
            # An exact quote is cited with the page it is printed on.
            hit = replace(hit, citation=cite(document, passage, hit.locate(marked[0])))
            hits.append((hit, self.answers.for_quote(row, marked, sentences)))
        if split and found:
            notices += (
                "Het citaat loopt over de grens van twee passages; elk toont zijn deel ervan.",
            )
        if len(ranked) > k:
            shown = "de eerste wordt" if k == 1 else f"de eerste {k} worden"
            notices += (f"{len(ranked)} passages bevatten de zin; {shown} getoond.",)
        return SearchResponse(
            query=text,
            hits=tuple(h for h, _ in hits),
            mode="exact",
            notices=notices,
            answer=self.answers.short_answer(hits),
        )

    def _ranked_hit(
        self,
        rank: int,
        row: int,
        score: float,
        query: str,
        qvec: np.ndarray | None,
        sentences: SentenceLookup,
        query_tokens: Tokens | None = None,
    ) -> tuple[Hit, list[ScoredSentence]]:
        """The hit, and its scored sentences (candidates for the short answer)."""
        passage = self._passages[row]
        document = self._documents[passage.source]
        scored = self.answers.for_ranked(row, passage.text, query, qvec, sentences, query_tokens)
        marked = highlights(passage.text, pick(scored))
        return Hit(rank, score, passage, document, marked, cite(document, passage)), scored

    # Tools on top of the search

    def check_quote(self, quote: str, filters: Filters | None = None) -> QuoteCheck:
        """Where a quote comes from and how it differs from the source (quote_check.py).

        The hybrid ranking's best passages are tried as candidate places too,
        next to the checker's own word votes."""
        text, _ = clean_query(quote, self.settings.max_query_chars)
        filters, _ = self.filters.resolve(filters)
        mask = self.filters.mask(filters)
        ranked, _ = self.ranker.rank(text, "hybrid", 3, mask, self.query_vector)
        hints = [
            (p.source, p.char_start, p.char_end)
            for p in (self._passages[row] for row, _ in ranked[:3])
        ]
        allowed = (
            None
            if filters is None or filters.empty
            else {s for s in self._sources if filters.admits(self._documents[s])}
        )
        return self.quote_checker.check(text, hints=hints, allowed=allowed)

    def asks(self, query: str = "", filters: Filters | None = None) -> list[Ask]:
        """The recommendations of the documents the filters admit (index/asks.py); with a
        query, those about it, best first."""
        if query.strip():
            query, _ = clean_query(query, self.settings.max_query_chars)
        filters, _ = self.filters.resolve(filters)
        with self._lock:
            if self._asks is None:
                self._asks = AskIndex(
                    self.documents(),
                    {s: self.passages(s) for s in self._sources},
                    self.backend.analyzer.terms,
                )
        return self._asks.find(query, filters)

    def similar(self, passage_id: str, k: int = 5, min_score: float | None = None) -> list[Related]:
        """Passages of other documents making the same point, by year (index/similar.py);
        `min_score` overrides the settings' similarity floor."""
        row = self._row_of.get(passage_id)
        if row is None:
            raise QueryError(
                f"Onbekende passage {passage_id!r}: neem de passage-id uit een zoekresultaat."
            )
        with self._lock:
            if self._similar_rows is None:
                self._similar_rows = eligible_rows(self._passages, self.ranker.dense_eligible)
                number = {s: i for i, s in enumerate(self._sources)}
                self._source_ids = np.array(
                    [number[p.source] for p in self._passages], dtype=np.int32
                )
        allowed = self._similar_rows & (self._source_ids != self._source_ids[row])
        vectors = self.ranker.passage_vectors
        vector = vectors[row] if vectors is not None else self.backend.passage_vector(row)
        return related_passages(
            row,
            self._passages,
            self._documents,
            vector,
            lambda query, k, mask: self.backend.dense(query, k, RowFilter(mask)),
            allowed,
            k=k,
            min_score=self.settings.similar_min_score if min_score is None else min_score,
        )

    # Browsing

    def documents(self) -> list[Document]:
        return [self._documents[s] for s in self._sources]

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self._documents.values() if d.doc_id == doc_id), None)

    def passages(self, source: str | None = None) -> list[Passage]:
        """The passages of one document, or (no source) of the whole corpus, in index order."""
        if source is None:
            return list(self._passages)
        return [self._passages[r] for r in self._by_source.get(source, [])]

    def passage(self, passage_id: str) -> Passage | None:
        row = self._row_of.get(passage_id)
        return None if row is None else self._passages[row]

    def context(self, passage_id: str, radius: int = 1) -> list[Passage]:
        row = self._row_of.get(passage_id)
        if row is None:
            return []
        rows = self._by_source[self._passages[row].source]
        at = rows.index(row)
        return [self._passages[r] for r in rows[max(0, at - radius) : at + radius + 1]]

    def facets(self) -> dict[str, list]:
        return self.filters.facets()

    def cite(self, hit: Hit, sentence: str | None = None) -> str:
        """The hit's citation; with a sentence of it, that sentence quoted with
        the page it is printed on."""
        if sentence:
            at = hit.passage.text.find(sentence)
            where = hit.locate(Highlight(at, at + len(sentence), sentence)) if at >= 0 else None
            return cite_quote(hit.document, hit.passage, sentence, where)
        return cite(hit.document, hit.passage)


def _ranking_overrides(settings: Settings) -> dict[str, object]:
    """Ranking knobs from settings.extra (used by experiments), validated by Ranking."""
    known = Ranking.__dataclass_fields__
    return {k: v for k, v in settings.extra.items() if k in known}
