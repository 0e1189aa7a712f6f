"""A small deterministic stand-in for `index.Searcher`, for app tests.

It implements the Searcher contract over three tiny Dutch documents (one of
them full of HTML and script payloads) with plain word overlap, so the app
and its rendering can be tested fast and without the model. It is not a
search engine and is never used outside tests.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from index.asks import Ask, AskIndex
from index.keyword import dutch_stopwords
from index.quote_check import QuoteCheck, QuoteChecker
from index.results import (
    AnswerSentence,
    Filters,
    Highlight,
    Hit,
    QueryError,
    SearchResponse,
)
from index.similar import Related
from ingest.document import Document, Passage, content_hash, passage_id

TEXTS = {
    "duaal.txt": (
        "Duaal Leren voor de toekomst",
        "SERV",
        "briefadvies",
        2019,
        [
            "Het is de gemeenschappelijke wens van de minister en de sociale partners om "
            "Duaal Leren verder uit te bouwen tot een sterke leerweg. Dat komt tot uiting in "
            "het Vlaams Regeerakkoord en in de beleidsbrieven voor onderwijs en werk.",
            "De SERV vraagt meer werkplekken voor duaal leren. Sectoren en bedrijven moeten "
            "voldoende leerplaatsen aanbieden. Scholen begeleiden de leerlingen op de werkplek.",
            "Duaal leren vraagt een goede samenwerking tussen scholen en bedrijven. "
            "De mentor op de werkvloer speelt een sleutelrol.",
        ],
    ),
    "uitval.txt": (
        "Advies over schooluitval",
        "SERV",
        "advies",
        2021,
        [
            "Het aantal vroegtijdige schoolverlaters blijft te hoog. Jongeren zonder "
            "kwalificatie hebben een zwakkere positie op de arbeidsmarkt.",
            "De SERV stelt maatregelen voor tegen schooluitval: vroege signalering, "
            "begeleiding op maat en samenwerking met welzijnswerk.",
        ],
    ),
    "payload.txt": (
        'Studie <script>alert("titel")</script> & co',
        "Onderzoeker <i>X</i>",
        "studie",
        2020,
        [
            'Deze passage bevat <script>alert("xss")</script> en <img src=x onerror=alert(1)> '
            "als tekst, over duaal leren en schooluitval.",
            "Een tweede passage zonder bijzonderheden over onderwijs.",
        ],
    ),
}

_WORD = re.compile(r"\w{3,}")
_SENTENCE = re.compile(r"[^.!?]+[.!?]?")


def _build() -> tuple[list[Document], dict[str, list[Passage]]]:
    documents: list[Document] = []
    passages: dict[str, list[Passage]] = {}
    for source, (title, author, kind, year, paragraphs) in TEXTS.items():
        cleaned = "\n\n".join(paragraphs)
        documents.append(
            Document(
                source=source,
                title=title,
                cleaned=cleaned,
                content_hash=content_hash(cleaned),
                author=author,
                kind=kind,
                year=year,
                pages=len(paragraphs),
            )
        )
        out = []
        cursor = 0
        for i, text in enumerate(paragraphs):
            start = cleaned.index(text, cursor)
            cursor = start + len(text)
            out.append(
                Passage(
                    id=passage_id(source, text),
                    source=source,
                    ordinal=i,
                    text=text,
                    char_start=start,
                    char_end=cursor,
                    section=("Inleiding",) if i == 0 else ("Inleiding", "Voorstellen"),
                    page=i + 1,
                    line_start=1 + 3 * i,
                    line_end=3 + 3 * i,
                )
            )
        passages[source] = out
    return documents, passages


class FakeSearcher:
    """Word-overlap search over `TEXTS` with the Searcher's interface."""

    def __init__(self, max_query_chars: int = 1000) -> None:
        self._documents, self._passages = _build()
        self.max_query_chars = max_query_chars
        self.calls: list[tuple[str, int, Filters | None, str]] = []
        self._checker = QuoteChecker(self._documents, self._passages, dutch_stopwords())
        self._asks = AskIndex(
            self._documents, self._passages, lambda t: [w.lower() for w in _WORD.findall(t)]
        )

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "auto"
    ) -> SearchResponse:
        self.calls.append((query, k, filters, mode))
        if mode not in ("auto", "exact", "hybrid", "keyword", "dense"):
            raise ValueError(f"unknown mode {mode!r}; choose auto, exact, hybrid, keyword, dense")
        if not query.strip():
            raise QueryError("Typ een vraag of een citaat; een lege vraag kan niet gezocht worden.")
        notices: tuple[str, ...] = ()
        if len(query) > self.max_query_chars:
            query = query[: self.max_query_chars]
            notices = (f"De vraag is ingekort tot {self.max_query_chars} tekens.",)
        phrases = re.findall(r'"([^"]+)"', query)
        exact = mode == "exact" or (mode == "auto" and bool(phrases))
        if exact and not phrases:
            phrases = [query.strip()]
        scored: list[tuple[float, Passage, tuple[Highlight, ...]]] = []
        words = {w.lower() for w in _WORD.findall(query)}
        for doc in self._documents:
            if filters and not filters.admits(doc):
                continue
            for p in self._passages[doc.source]:
                if exact:
                    spans = [
                        Highlight(m.start(), m.end(), m.group())
                        for ph in phrases
                        for m in re.finditer(re.escape(ph), p.text, re.IGNORECASE)
                    ]
                    if spans:
                        scored.append((float(len(spans)), p, tuple(spans)))
                    continue
                sentences = [
                    Highlight(m.start(), m.end(), m.group().strip())
                    for m in _SENTENCE.finditer(p.text)
                    if words & {w.lower() for w in _WORD.findall(m.group())}
                ]
                overlap = len(words & {w.lower() for w in _WORD.findall(p.text)})
                if overlap:
                    scored.append((overlap / (1 + len(words)), p, tuple(sentences[:2])))
        scored.sort(key=lambda t: (-t[0], t[1].source, t[1].ordinal))
        by_source = {d.source: d for d in self._documents}
        hits = []
        for rank, (score, p, spans) in enumerate(scored[:k], start=1):
            doc = by_source[p.source]
            hit = Hit(rank=rank, score=score, passage=p, document=doc, highlights=spans)
            hits.append(Hit(rank, score, p, doc, spans, citation=self.cite(hit)))
        answer = tuple(
            AnswerSentence(rank=h.rank, text=h.highlights[0].text) for h in hits[:3] if h.highlights
        )
        return SearchResponse(
            query=query,
            hits=tuple(hits),
            mode="exact" if exact else "hybrid",
            notices=notices,
            answer=answer,
        )

    def documents(self) -> list[Document]:
        return list(self._documents)

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self._documents if d.doc_id == doc_id), None)

    def passages(self, source: str) -> list[Passage]:
        return list(self._passages.get(source, []))

    def context(self, passage_id: str, radius: int = 1) -> list[Passage]:
        for ps in self._passages.values():
            for i, p in enumerate(ps):
                if p.id == passage_id:
                    return ps[max(0, i - radius) : i + radius + 1]
        return []

    def facets(self) -> dict[str, list]:
        docs = self._documents
        return {
            "sources": sorted(d.source for d in docs),
            "authors": sorted({d.author for d in docs if d.author}),
            "kinds": sorted({d.kind for d in docs if d.kind}),
            "years": sorted({d.year for d in docs if d.year is not None}),
        }

    def check_quote(self, quote: str, filters: Filters | None = None) -> QuoteCheck:
        """The real quote checker over the fake corpus (it needs no model)."""
        allowed = None
        if filters is not None and not filters.empty:
            allowed = {d.source for d in self._documents if filters.admits(d)}
        return self._checker.check(quote, allowed=allowed)

    def asks(self, query: str = "", filters: Filters | None = None) -> list[Ask]:
        """The real asks extractor over the fake corpus, searched by plain words."""
        return self._asks.find(query, filters)

    def similar(self, passage_id: str, k: int = 5) -> list[Related]:
        """Passages of other documents sharing most words with this one, oldest first."""
        target = next((p for ps in self._passages.values() for p in ps if p.id == passage_id), None)
        if target is None:
            raise QueryError(f"Onbekende passage {passage_id!r}.")
        words = {w.lower() for w in _WORD.findall(target.text)}
        by_source = {d.source: d for d in self._documents}
        best: dict[str, Related] = {}
        for source, ps in self._passages.items():
            if source == target.source:
                continue
            for p in ps:
                other = {w.lower() for w in _WORD.findall(p.text)}
                score = len(words & other) / len(words | other)
                if score > 0.05 and score > getattr(best.get(source), "score", 0):
                    best[source] = Related(p, by_source[source], score)
        chosen = sorted(best.values(), key=lambda r: -r.score)[:k]
        return sorted(chosen, key=lambda r: (r.document.year or 0, -r.score))

    def cite(self, hit: Hit, sentence: str | None = None) -> str:
        d, p = hit.document, hit.passage
        base = f"{d.author}, {d.title} ({d.year}), {p.section_label}, p. {p.page}"
        return f"{base}: “{sentence}”" if sentence else base


@contextmanager
def running_app(app: object) -> Iterator[str]:
    """Serve an ASGI app on a free 127.0.0.1 port in a thread; yield its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
