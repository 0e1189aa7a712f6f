"""What a search returns: hits with their citation and answer highlights.

`SearchResponse.to_json()` (with `Hit.to_json()` per result) is the one schema
shared by `advieszoeker search --json`, the Gradio API endpoint and the tests;
it only grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.document import Document, Location, Passage
from ingest.errors import AdvieszoekerError


class QueryError(AdvieszoekerError, ValueError):
    """The query cannot be searched; the message tells the user what to try."""


class IndexNotReady(AdvieszoekerError, RuntimeError):
    """No usable index; the message says how to build or rebuild it."""


@dataclass(frozen=True)
class Filters:
    """Restrict results; an empty tuple means no restriction on that field."""

    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def admits(self, document: Document) -> bool:
        return (
            (not self.sources or document.source in self.sources)
            and (not self.authors or (document.author or "") in self.authors)
            and (not self.kinds or (document.kind or "") in self.kinds)
            and (not self.years or document.year in self.years)
        )

    @property
    def empty(self) -> bool:
        return not (self.sources or self.authors or self.kinds or self.years)


@dataclass(frozen=True)
class Highlight:
    """A span of the passage text (offsets relative to the passage)."""

    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    passage: Passage
    document: Document
    highlights: tuple[Highlight, ...] = ()
    citation: str = ""

    def to_json(self) -> dict[str, Any]:
        p = self.passage
        lines = [p.line_start, p.line_end] if p.line_start is not None else None
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "source": p.source,
            "title": self.document.title,
            "section": p.section_label,
            "page": p.page,
            "lines": lines,
            "char_start": p.char_start,
            "char_end": p.char_end,
            "text": p.text,
            "highlights": [self._highlight_json(h) for h in self.highlights],
            "citation": self.citation,
            "page_end": p.page_end,
            "ocr": self.document.locate(p.char_start, p.char_end).ocr,
            # For `advieszoeker similar` and links: stable while the passage text is.
            "passage_id": p.id,
            "author": self.document.author,
            "year": self.document.year,
        }

    def locate(self, highlight: Highlight) -> Location:
        """Where a highlighted sentence or quote is printed: its own page and lines.

        A document stored before pages were mapped knows only its passages' places.
        """
        p = self.passage
        if not self.document.anchors:
            return Location(p.page, p.page_end, p.line_start, p.line_end)
        start = self.passage.char_start + highlight.start
        return self.document.locate(start, self.passage.char_start + highlight.end)

    def _highlight_json(self, highlight: Highlight) -> dict[str, Any]:
        where = self.locate(highlight)
        lines = [where.line_start, where.line_end] if where.line_start is not None else None
        return {
            **highlight.to_json(),
            "page": where.page,
            "page_end": where.page_end,
            "lines": lines,
        }


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the short answer: quoted from hit number `rank`, never generated."""

    rank: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "text": self.text}


@dataclass(frozen=True)
class SearchResponse:
    query: str
    hits: tuple[Hit, ...]
    mode: str = "hybrid"  # hybrid, keyword, dense, exact
    notices: tuple[str, ...] = field(default=())  # e.g. "query truncated to 1000 characters"
    # The two or three best answer sentences across the hits.
    answer: tuple[AnswerSentence, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """What programs read: the hits, and what the page shows above them (the short
        answer, each sentence with its result number, and the notices)."""
        return {
            "query": self.query,
            "results": [h.to_json() for h in self.hits],
            "answer": [a.to_json() for a in self.answer],
            "notices": list(self.notices),
        }
