"""Exact quotes over whole documents, mapped back to the passages that show them.

The quote index (quotes.py) searches each document's cleaned text, so a quote
that runs over a passage boundary is found; this module says which passages
hold which part of it, as highlights in passage coordinates.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping, Sequence

import numpy as np

from index.answers import highlight
from index.quotes import QuoteIndex
from index.results import Highlight
from ingest.document import Document, Passage


class ExactQuotes:
    def __init__(
        self,
        documents: Mapping[str, Document],
        sources: Sequence[str],
        passages: Sequence[Passage],
        by_source: Mapping[str, Sequence[int]],
    ) -> None:
        self._documents = documents
        self._sources = sources
        self._passages = passages
        self._by_source = by_source
        self._index: QuoteIndex | None = None
        # Per document: passage start offsets and rows, in text order.
        self._spans: dict[str, tuple[list[int], list[int]]] = {}
        self._lock = threading.Lock()

    def quote_index(self) -> QuoteIndex:
        """Built on first use: most searches never quote."""
        with self._lock:
            if self._index is None:
                self._index = QuoteIndex([self._documents[s].cleaned for s in self._sources])
                for source, rows in self._by_source.items():
                    in_text_order = sorted(rows, key=lambda r: self._passages[r].char_start)
                    starts = [self._passages[r].char_start for r in in_text_order]
                    self._spans[source] = (starts, in_text_order)
            return self._index

    def find(
        self, phrases: Sequence[str], mask: np.ndarray | None
    ) -> tuple[dict[int, list[Highlight]], bool]:
        """Rows quoting every phrase, with their highlights; and whether a quote was split."""
        quotes = self.quote_index()
        found: dict[int, list[Highlight]] | None = None
        split = False
        for phrase in phrases:
            per_row: dict[int, list[Highlight]] = {}
            for m in quotes.find(phrase):
                parts = self._passages_quoting(self._sources[m.row], m.start, m.end)
                split = split or len(parts) > 1
                for row, part in parts:
                    if mask is None or mask[row]:
                        per_row.setdefault(row, []).append(part)
            if found is None:
                found = per_row
            else:
                found = {r: found[r] + per_row[r] for r in found.keys() & per_row.keys()}
        return found or {}, split

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
                parts.append((rows[i], highlight(passage.text, a, b)))
        return parts[::-1]

    def doc_order(self, row: int) -> tuple[str, int]:
        p = self._passages[row]
        return (p.source, p.ordinal)
