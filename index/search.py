"""The Searcher: one object per process that answers questions about the corpus.

It loads the store, the model and the indexes once (`Searcher.open`) and then
serves `search` calls from the CLI, the web app and the tests alike. Modes:

- "auto": exact-quote search when the query holds quoted phrases, else hybrid;
- "exact": quoted phrases (or the whole query) must occur, in document order;
- "hybrid": dense and BM25 rankings fused (see fusion.py);
- "keyword", "dense": one ranking alone (the baselines of the evaluation).
"""

from __future__ import annotations

import bisect
import json
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from zipfile import BadZipFile

import numpy as np

from index.answers import ScoredSentence, pick, score_sentences, similarities
from index.build import ROWS_FILE, SENTENCES_FILE, EmbedderLike, index_settings
from index.citation import cite, cite_quote
from index.dense import DenseIndex
from index.fusion import fuse
from index.keyword import BM25Index
from index.manifest import REBUILD, SNAPSHOT, Manifest, read_manifest
from index.quotes import QuoteIndex, parse_query
from index.results import (
    AnswerSentence,
    Filters,
    Highlight,
    Hit,
    IndexNotReady,
    QueryError,
    SearchResponse,
)
from ingest.document import Document, Passage
from ingest.settings import Settings
from ingest.store import Store, StoreError

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_]{2,}")
_NOTHING = "\x00"  # a filter value no document has

MODES = ("auto", "hybrid", "keyword", "dense", "exact")
MAX_K = 100
# Up to this many passages the hybrid rescores every passage with its sentences.
SENTENCE_SCAN_LIMIT = 20_000
# Hits whose sentences may enter the response-level answer.
ANSWER_FROM_HITS = 5
ANSWER_SENTENCES = 3
# How much a sentence from a lower-ranked hit gives up in the short answer.
ANSWER_RANK_PENALTY = 0.01


@dataclass(frozen=True)
class Ranking:
    """How the hybrid ranking is made; defaults chosen on the tune split of
    bench/questions.jsonl (96 questions), MRR@10:

    - RRF (k 10–60, dense weight 0.5–2): 0.62–0.65; weighted score fusion
      (dense 0.5–0.8): 0.64–0.67 -> weighted;
    - the best sentence counting in the dense score (sentence_weight 0.4–0.6):
      0.67 -> 0.73–0.74; chosen 0.4 with dense weight 0.8 (tune 0.742);
    - link-only passages out of the dense ranking: tune unchanged, held-out
      0.749 -> 0.764.

    Each knob can be overridden through `settings.extra` for experiments.
    """

    fusion: str = "weighted"
    dense_weight: float = 0.8
    keyword_weight: float = 0.2
    rrf_k: int = 60
    depth: int = 100  # candidates taken from each ranking before fusion
    # In the hybrid's dense ranking, a passage scores (1 - w) × its own similarity
    # + w × its best sentence's: a passage that answers in one sentence among
    # others is no longer diluted by them.
    sentence_weight: float = 0.4
    # Passages with fewer words than this outside URLs (a footnote that is only
    # a link) take no part in the dense ranking, where such texts sit close to
    # every question; keyword search and exact quotes still find them.
    min_prose_words: int = 1


def clean_query(query: str, max_chars: int) -> tuple[str, tuple[str, ...]]:
    """Drop control characters, collapse spacing, truncate; QueryError when nothing is left."""
    if not isinstance(query, str):
        raise QueryError("De zoekvraag moet tekst zijn.")
    kept = [
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in query
        if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn")
    ]
    text = " ".join("".join(kept).split())
    if not text:
        if query.strip():
            raise QueryError(
                "De zoekvraag bevat alleen stuurtekens. Typ een vraag in gewone tekst."
            )
        raise QueryError("De zoekvraag is leeg. Typ een vraag, of een zin tussen aanhalingstekens.")
    if not any(ch.isalnum() for ch in text):
        raise QueryError("De zoekvraag bevat geen woorden. Typ een vraag in gewone tekst.")
    notices: tuple[str, ...] = ()
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars + 1)
        text = text[: cut if cut > max_chars // 2 else max_chars].rstrip()
        notices = (
            f"De zoekvraag is ingekort tot de eerste {len(text)} tekens (maximum {max_chars}).",
        )
    return text, notices


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
        self.embedder = embedder
        self.manifest = manifest
        self.ranking = Ranking(**_ranking_overrides(settings))
        self._documents = {d.source: d for d in store.documents()}
        self._passages = store.passages()
        ids = json.loads((folder / ROWS_FILE).read_text("utf-8"))
        if ids != [p.id for p in self._passages]:
            raise IndexNotReady(f"The search index does not match the documents. {REBUILD}")
        self._row_of = {p.id: row for row, p in enumerate(self._passages)}
        self._sources = sorted(self._documents)
        doc_index = {s: i for i, s in enumerate(self._sources)}
        self._row_doc = np.array([doc_index[p.source] for p in self._passages], dtype=np.int64)
        self._by_source: dict[str, list[int]] = {}
        for row, p in enumerate(self._passages):
            self._by_source.setdefault(p.source, []).append(row)
        self.dense = DenseIndex.load(folder, manifest.dense_kind)
        self.keyword = BM25Index.load(folder)
        with np.load(folder / SENTENCES_FILE) as data:
            self._sent_offsets = data["offsets"]
            self._sent_spans = data["spans"]
            self._sent_vectors = data["vectors"].astype(np.float32)
        self._sent_eligible = np.any(self._sent_vectors != 0, axis=1)
        self._dense_eligible: np.ndarray | None = None
        if self.ranking.min_prose_words > 0:
            self._dense_eligible = np.array(
                [prose_words(p.text) >= self.ranking.min_prose_words for p in self._passages]
            )
        self._passage_vectors = (
            self.dense.index.reconstruct_n(0, self.dense.size)
            if 0 < self.dense.size <= SENTENCE_SCAN_LIMIT
            else None
        )
        self._quotes: QuoteIndex | None = None
        # Per document: passage start offsets and rows, in text order (for quotes).
        self._spans: dict[str, tuple[list[int], list[int]]] = {}
        self._lock = threading.Lock()
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    # Opening

    @classmethod
    def open(cls, settings: Settings, embedder: EmbedderLike | None = None) -> Searcher:
        """Load store, model and index; IndexNotReady (saying how to fix it) if any is stale."""
        if not settings.db_path.exists():
            raise IndexNotReady(
                f"No documents have been indexed yet in {settings.data_dir}. {REBUILD}"
            )
        folder, manifest = read_manifest(settings.index_dir)
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
        except IndexNotReady:
            store.close()
            raise
        except (OSError, ValueError, RuntimeError, KeyError, EOFError, BadZipFile) as exc:
            # A truncated or missing index file: say so, never serve half an index.
            store.close()
            raise IndexNotReady(
                f"The search index in {folder} is damaged ({type(exc).__name__}). {REBUILD}"
            ) from exc
        if searcher.dense.size != len(searcher._passages):
            searcher.close()
            raise IndexNotReady(f"The search index in {folder} is incomplete. {REBUILD}")
        return searcher

    def close(self) -> None:
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
        filters, filter_notices = self._resolve(filters)
        notices += filter_notices
        mask = self._mask(filters)
        parsed = parse_query(text)
        if mode == "auto":
            mode = "exact" if parsed.phrases else "hybrid"
        if mode == "exact":
            phrases = parsed.phrases or (text,)
            words = parsed.words if parsed.phrases else ""
            notices += parsed.notices
            response = self._exact(text, phrases, words, k, mask, notices)
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
        ranked, qvec = self._rank(wanted, mode, k, mask)
        hits = [
            self._hit(i + 1, row, score, wanted, qvec) for i, (row, score) in enumerate(ranked[:k])
        ]
        return SearchResponse(
            query=text,
            hits=tuple(h for h, _ in hits),
            mode=mode,
            notices=notices,
            answer=self._answer([(h, s) for h, s in hits]),
        )

    def _rank(
        self, text: str, mode: str, k: int, mask: np.ndarray | None
    ) -> tuple[list[tuple[int, float]], np.ndarray | None]:
        depth = max(k, self.ranking.depth)
        keyword = self.keyword.search(text, depth, mask) if mode in ("keyword", "hybrid") else []
        if mode == "keyword":
            return keyword, None
        qvec = self.query_vector(text)
        if mode == "dense":
            return self.dense.search(qvec, depth, mask), qvec
        r = self.ranking
        dense = self._dense_with_sentences(qvec, depth, mask)
        fused = fuse([dense, keyword], [r.dense_weight, r.keyword_weight], r.fusion, r.rrf_k)
        return fused, qvec

    def _dense_with_sentences(
        self, qvec: np.ndarray, depth: int, mask: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Dense ranking where a passage's best sentence counts too (see Ranking).

        Up to SENTENCE_SCAN_LIMIT passages every passage is scored (a few
        thousand dot products); above it only the passage index's top
        candidates are rescored, so large corpora stay fast.
        """
        w = self.ranking.sentence_weight
        if self._dense_eligible is not None:
            mask = self._dense_eligible if mask is None else mask & self._dense_eligible
        if w <= 0:
            return self.dense.search(qvec, depth, mask)
        if self._passage_vectors is not None:
            rows = np.arange(len(self._passages)) if mask is None else np.flatnonzero(mask)
            own = similarities(self._passage_vectors[rows], qvec)
        else:
            found = self.dense.search(qvec, depth * 3, mask)
            rows = np.array([r for r, _ in found], dtype=np.int64)
            own = np.array([s for _, s in found], dtype=np.float32)
        if rows.size == 0:
            return []
        best = self._best_sentence(rows, qvec)
        score = np.where(np.isfinite(best), (1 - w) * own + w * best, own)
        top = np.argsort(-score, kind="stable")[:depth]
        return [(int(rows[i]), float(score[i])) for i in top]

    def _best_sentence(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """Per row, the highest similarity of one of its answer sentences (-inf if none)."""
        starts = self._sent_offsets[rows]
        counts = self._sent_offsets[rows + 1] - starts
        index = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        owner = np.repeat(np.arange(len(rows)), counts)
        sims = np.where(
            self._sent_eligible[index], similarities(self._sent_vectors[index], qvec), -np.inf
        )
        best = np.full(len(rows), -np.inf, dtype=np.float32)
        np.maximum.at(best, owner, sims.astype(np.float32))
        return best

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding, with a small cache (repeated and paged queries are common)."""
        with self._lock:
            cached = self._query_vectors.get(text)
            if cached is not None:
                self._query_vectors.move_to_end(text)
                return cached
        vector = np.asarray(self.embedder.encode_queries([text]), dtype=np.float32)[0]
        with self._lock:
            self._query_vectors[text] = vector
            if len(self._query_vectors) > 512:
                self._query_vectors.popitem(last=False)
        return vector

    def clear_cache(self) -> None:
        """Forget cached query vectors (so timings measure the model, not the cache)."""
        with self._lock:
            self._query_vectors.clear()

    def _exact(
        self,
        text: str,
        phrases: tuple[str, ...],
        words: str,
        k: int,
        mask: np.ndarray | None,
        notices: tuple[str, ...],
    ) -> SearchResponse:
        quotes = self._quote_index()
        found: dict[int, list[Highlight]] | None = None
        split = False
        for phrase in phrases:
            per_row: dict[int, list[Highlight]] = {}
            for m in quotes.find(phrase):
                parts = self._passages_quoting(self._sources[m.row], m.start, m.end)
                split = split or len(parts) > 1
                for row, highlight in parts:
                    if mask is None or mask[row]:
                        per_row.setdefault(row, []).append(highlight)
            if found is None:
                found = per_row
            else:
                found = {r: found[r] + per_row[r] for r in found.keys() & per_row.keys()}
        found = found or {}
        if words and found:
            # Plain words next to the quotes decide the order among the passages that quote.
            allowed = np.zeros(len(self._passages), dtype=bool)
            allowed[list(found)] = True
            ranked = [row for row, _ in self._rank(words, "hybrid", len(found), allowed)[0]]
            ranked += sorted(set(found) - set(ranked), key=self._doc_order)
        else:
            ranked = sorted(found, key=self._doc_order)
        hits: list[tuple[Hit, list[ScoredSentence]]] = []
        for rank, row in enumerate(ranked[:k], start=1):
            highlights = tuple(sorted(found[row], key=lambda h: h.start))
            passage = self._passages[row]
            document = self._documents[passage.source]
            hit = Hit(rank, 1.0, passage, document, highlights)
            # An exact quote is cited with the page it is printed on.
            hit = replace(hit, citation=cite(document, passage, hit.locate(highlights[0])))
            hits.append((hit, self._enclosing_sentences(row, highlights)))
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
            answer=self._answer(hits),
        )

    def _quote_index(self) -> QuoteIndex:
        """Whole documents, so that a quote running over a passage boundary is found."""
        with self._lock:
            if self._quotes is None:
                self._quotes = QuoteIndex([self._documents[s].cleaned for s in self._sources])
                for source, rows in self._by_source.items():
                    in_text_order = sorted(rows, key=lambda r: self._passages[r].char_start)
                    starts = [self._passages[r].char_start for r in in_text_order]
                    self._spans[source] = (starts, in_text_order)
            return self._quotes

    def _passages_quoting(self, source: str, start: int, end: int) -> list[tuple[int, Highlight]]:
        """The passages that hold part of the document span [start, end), with that part."""
        starts, rows = self._spans.get(source, ([], []))
        parts = []
        # Passages of a document do not overlap; walk back from the last one that starts
        # before the end of the span.
        for i in range(bisect.bisect_right(starts, end - 1) - 1, -1, -1):
            passage = self._passages[rows[i]]
            if passage.char_end <= start:
                break
            a = max(start, passage.char_start) - passage.char_start
            b = min(end, passage.char_end) - passage.char_start
            if any(ch.isalnum() for ch in passage.text[a:b]):
                parts.append((rows[i], Highlight(a, b, passage.text[a:b])))
        return parts[::-1]

    def _doc_order(self, row: int) -> tuple[str, int]:
        p = self._passages[row]
        return (p.source, p.ordinal)

    def _sentences(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self._sent_offsets[row]), int(self._sent_offsets[row + 1])
        return self._sent_spans[a:b], self._sent_vectors[a:b]

    def _enclosing_sentences(
        self, row: int, highlights: tuple[Highlight, ...]
    ) -> list[ScoredSentence]:
        spans, _ = self._sentences(row)
        out = []
        for a, b in spans.tolist():
            if any(a <= h.start < b for h in highlights):
                out.append(ScoredSentence(a, b, 1.0))
        return out[:1]

    def _hit(
        self, rank: int, row: int, score: float, query: str, qvec: np.ndarray | None
    ) -> tuple[Hit, list[ScoredSentence]]:
        passage = self._passages[row]
        document = self._documents[passage.source]
        spans, vectors = self._sentences(row)
        terms = set(self.keyword.analyzer.terms(query))
        chosen = pick(
            score_sentences(passage.text, spans, vectors, qvec, terms, self.keyword.analyzer.terms)
        )
        highlights = tuple(Highlight(s.start, s.end, passage.text[s.start : s.end]) for s in chosen)
        return Hit(rank, score, passage, document, highlights, cite(document, passage)), chosen

    def _answer(self, hits: list[tuple[Hit, list[ScoredSentence]]]) -> tuple[AnswerSentence, ...]:
        pool: list[tuple[float, int, str]] = []
        for hit, sentences in hits[:ANSWER_FROM_HITS]:
            for s in sentences:
                # Earlier hits are trusted a little more: the fused ranking saw the whole passage.
                pool.append(
                    (
                        s.score - ANSWER_RANK_PENALTY * hit.rank,
                        hit.rank,
                        hit.passage.text[s.start : s.end],
                    )
                )
        pool.sort(key=lambda item: -item[0])
        seen: set[str] = set()
        answer: list[AnswerSentence] = []
        for _, rank, sentence in pool:
            key = " ".join(sentence.split()).lower()
            if key in seen:
                continue
            seen.add(key)
            answer.append(AnswerSentence(rank, sentence))
            if len(answer) == ANSWER_SENTENCES:
                break
        return tuple(answer)

    # Filters

    def _resolve(self, filters: Filters | None) -> tuple[Filters | None, tuple[str, ...]]:
        """Match filter values to the corpus's own spelling (case-insensitive, paths allowed).

        An unknown value gets a notice listing the valid ones; a field whose
        values are all unknown matches nothing (never silently everything).
        """
        if filters is None or filters.empty:
            return None, ()
        facets = self.facets()
        notices: list[str] = []

        def known(values: tuple, choices: list, label: str, key: Callable[[object], str]) -> tuple:
            by_key = {key(c): c for c in choices}
            out = []
            for value in values:
                if key(value) in by_key:
                    out.append(by_key[key(value)])
                else:
                    listed = ", ".join(str(c) for c in choices) or "geen"
                    notices.append(f"{label} “{value}” in de filter; kies uit: {listed}.")
            return tuple(out) if out or not values else (_NOTHING,)

        def lower(value: object) -> str:
            return str(value).strip().lower()

        resolved = Filters(
            sources=known(
                filters.sources,
                facets["sources"],
                "Onbekend document",
                lambda v: Path(str(v).strip()).name.lower(),
            ),
            authors=known(filters.authors, facets["authors"], "Onbekende auteur", lower),
            kinds=known(filters.kinds, facets["kinds"], "Onbekende soort", lower),
            years=known(filters.years, facets["years"], "Onbekend jaar", lower),
        )
        return resolved, tuple(notices)

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None:
            return None
        admitted = np.array([filters.admits(self._documents[s]) for s in self._sources], dtype=bool)
        return admitted[self._row_doc]

    # Browsing

    def documents(self) -> list[Document]:
        return [self._documents[s] for s in self._sources]

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self._documents.values() if d.doc_id == doc_id), None)

    def passages(self, source: str) -> list[Passage]:
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
        docs = self.documents()
        return {
            "sources": [d.source for d in docs],
            "authors": sorted({d.author for d in docs if d.author}),
            "kinds": sorted({d.kind for d in docs if d.kind}),
            "years": sorted({d.year for d in docs if d.year is not None}),
        }

    def cite(self, hit: Hit, sentence: str | None = None) -> str:
        """The hit's citation; with a sentence of it, that sentence quoted with
        the page it is printed on."""
        if sentence:
            at = hit.passage.text.find(sentence)
            where = hit.locate(Highlight(at, at + len(sentence), sentence)) if at >= 0 else None
            return cite_quote(hit.document, hit.passage, sentence, where)
        return cite(hit.document, hit.passage)


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def prose_words(text: str) -> int:
    """How many words a text has outside its URLs."""
    return len(_WORD.findall(_URL.sub(" ", text)))


def _ranking_overrides(settings: Settings) -> dict[str, object]:
    """Ranking knobs from settings.extra (used by experiments), validated by Ranking."""
    known = Ranking.__dataclass_fields__
    return {k: v for k, v in settings.extra.items() if k in known}
