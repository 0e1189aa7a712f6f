"""Check a quote: find where in the corpus it comes from and say exactly how it differs.

A journalist pastes a quote as remembered or as printed. Exact-quote search
(quotes.py) answers only when every word is right; this module also finds a
quote with words changed, dropped, added or reordered, and names each
difference. It works on each document's cleaned text, not on passages, so a
quote that runs over two passages is checked as one.

Both sides are cut into words and each word is folded with `quotes.normalise`
(case, accents, quotation marks and punctuation do not count; a word broken
by a PDF line-end hyphen is joined). Candidate places are found by voting:
every distinctive quote word that occurs in a document votes for the place
where the quote would then start. The best places, plus any the caller adds
(the Searcher adds its keyword hits), are aligned word by word with difflib;
the closest one wins if enough of the quote is there, else the verdict is
`not_found`: a match is never forced.
"""

from __future__ import annotations

import bisect
import difflib
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from index.citation import cite
from index.quotes import QuoteIndex, normalise
from ingest.document import Document, Location, Passage

VERDICTS = ("exact", "shortened", "altered", "not_found")

# A word: letters and digits, joined over a hyphen at a line end ("geïnves-\nteerde"),
# a soft hyphen, or a hyphen inside a compound ("sociaal-economisch").
_WORD = re.compile(r"[^\W_]+(?:(?:\u00ad\s*|[-\u2010\u2011](?:[ \t]*\n\s*)?)[^\W_]+)*", re.UNICODE)
# Marks of left-out words: "…", "...", "[…]", "(...)".
_ELLIPSIS = re.compile(r"[\[(]?\s*(?:…|\.\.\.)\s*[\])]?")

# At least this share of the quote's words must be found, in order, near each other.
MIN_COVERAGE = 0.6
# Quotes shorter than this many words must be exact: two words match anywhere.
MIN_FUZZY_WORDS = 4
# How far apart two found pieces may lie in the source, beyond what the quote
# skips itself: a few words without an ellipsis, a few sentences with one.
GAP_PLAIN = 6
GAP_ELLIPSIS = 120
# Candidate places aligned per quote.
CANDIDATES = 6


@dataclass(frozen=True)
class Change:
    """One difference: `op` replace (quote says `quote` where the source says
    `source`), delete (the quote leaves out `source`) or insert (the quote adds `quote`)."""

    op: str
    quote: str
    source: str
    # Where in the document's cleaned text (for an insert: the point it goes in).
    start: int = 0
    end: int = 0

    def to_json(self) -> dict[str, str]:
        return {"op": self.op, "quote": self.quote, "source": self.source}


@dataclass(frozen=True)
class QuoteCheck:
    """The verdict on one quote, with where it comes from and what differs."""

    quote: str
    verdict: str
    document: Document | None = None
    passage: Passage | None = None  # the passage the matching span starts in
    start: int = 0  # the span in document.cleaned
    end: int = 0
    changes: tuple[Change, ...] = ()
    coverage: float = 0.0  # share of the quote's words found in the source span
    citation: str = ""
    where: Location | None = None  # pages and lines of the span
    notices: tuple[str, ...] = field(default=())

    @property
    def source_text(self) -> str:
        return self.document.cleaned[self.start : self.end] if self.document else ""

    def to_json(self) -> dict[str, Any]:
        """What `check-quote --json` and the API return, one object per quote."""
        found = self.document is not None and self.verdict != "not_found"
        where = self.where if found else None
        lines = (
            [where.line_start, where.line_end] if where and where.line_start is not None else None
        )
        return {
            "quote": self.quote,
            "verdict": self.verdict,
            "source": self.document.source if found else None,
            "title": self.document.title if found else None,
            "page": where.page if where else None,
            "page_end": where.page_end if where else None,
            "lines": lines,
            "citation": self.citation if found else None,
            "source_text": self.source_text if found else None,
            "char_start": self.start if found else None,
            "char_end": self.end if found else None,
            "passage_id": self.passage.id if found and self.passage else None,
            "coverage": round(self.coverage, 3),
            "changes": [c.to_json() for c in self.changes],
            "notices": list(self.notices),
        }


@dataclass(frozen=True)
class _Words:
    """A text cut into words: folded forms and their (start, end) offsets."""

    folded: list[str]
    spans: list[tuple[int, int]]
    # For a quote: the word indexes an ellipsis stands before.
    ellipses: frozenset[int] = frozenset()


def words_of(text: str, *, quote: bool = False) -> _Words:
    folded: list[str] = []
    spans: list[tuple[int, int]] = []
    ellipses: set[int] = set()
    marks = [m.start() for m in _ELLIPSIS.finditer(text)] if quote else []
    mark = 0
    for m in _WORD.finditer(text):
        while mark < len(marks) and marks[mark] < m.start():
            ellipses.add(len(folded))
            mark += 1
        word = normalise(m.group())[0]
        if word:
            folded.append(word)
            spans.append((m.start(), m.end()))
    return _Words(folded, spans, frozenset(ellipses))


def strip_quote(text: str) -> str:
    """The quote without surrounding quotation marks and spaces."""
    return text.strip().strip("\"'“”„«»‘’‚").strip()


@dataclass(frozen=True)
class _Alignment:
    doc: int
    first: int  # source word range [first, last)
    last: int
    matched: int
    changes: tuple[Change, ...]
    coverage: float


class QuoteChecker:
    """Checks quotes against the cleaned text of every document."""

    def __init__(
        self,
        documents: Sequence[Document],
        passages_of: Mapping[str, Sequence[Passage]],
        stopwords: Iterable[str] = (),
        quote_index: Callable[[], QuoteIndex] | None = None,
    ) -> None:
        """`quote_index`: the exact-quote index of the same documents in the same
        order, shared with exact-quote search (`ExactQuotes.quote_index`) so it is
        built once; without it the checker builds its own on first use."""
        self._documents = list(documents)
        self._quote_index = quote_index or self._own_quote_index
        self._passages_of = passages_of
        self._stop = {normalise(w)[0] for w in stopwords}
        self._lock = threading.Lock()
        self._words: list[_Words] | None = None
        self._postings: dict[str, list[tuple[int, int]]] = {}
        self._exact: QuoteIndex | None = None

    def _own_quote_index(self) -> QuoteIndex:
        with self._lock:
            if self._exact is None:
                self._exact = QuoteIndex([d.cleaned for d in self._documents])
            return self._exact

    def _prepare(self) -> list[_Words]:
        """Cut every document into words once, on first use (most searches never check)."""
        with self._lock:
            if self._words is None:
                words = [words_of(d.cleaned) for d in self._documents]
                postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
                for doc, w in enumerate(words):
                    for pos, word in enumerate(w.folded):
                        if word not in self._stop:
                            postings[word].append((doc, pos))
                self._postings = dict(postings)
                self._words = words
            return self._words

    def check(
        self,
        quote: str,
        hints: Iterable[tuple[str, int, int]] = (),
        allowed: set[str] | None = None,
    ) -> QuoteCheck:
        """The verdict on `quote`. `hints`: extra (source, char_start, char_end) places
        to try; `allowed`: only these documents (None: all)."""
        text = strip_quote(quote)
        words = self._prepare()
        q = words_of(text, quote=True)
        if not q.folded:
            return QuoteCheck(quote, "not_found", notices=("Het citaat bevat geen woorden.",))
        exact = self._exact_match(text, allowed)
        if exact is not None:
            doc, start, end = exact
            return self._result(quote, "exact", self._documents[doc], start, end, (), 1.0)
        if len(q.folded) < MIN_FUZZY_WORDS:
            return QuoteCheck(
                quote,
                "not_found",
                notices=(
                    f"Een citaat van minder dan {MIN_FUZZY_WORDS} woorden wordt alleen letterlijk "
                    "gezocht, en zo staat het nergens.",
                ),
            )
        best: _Alignment | None = None
        for doc, lo, hi in self._candidates(q, words, hints, allowed):
            found = self._align(text, q, doc, lo, hi, words[doc])
            if found is not None and (best is None or _better(found, best)):
                best = found
        if best is None or best.coverage < MIN_COVERAGE:
            return QuoteCheck(quote, "not_found", coverage=best.coverage if best else 0.0)
        document = self._documents[best.doc]
        spans = words[best.doc].spans
        start, end = spans[best.first][0], spans[best.last - 1][1]
        ops = {c.op for c in best.changes}
        verdict = "exact" if not ops else ("shortened" if ops == {"delete"} else "altered")
        return self._result(quote, verdict, document, start, end, best.changes, best.coverage)

    def _exact_match(self, text: str, allowed: set[str] | None) -> tuple[int, int, int] | None:
        for m in self._quote_index().find(text):
            if allowed is None or self._documents[m.row].source in allowed:
                return m.row, m.start, m.end
        return None

    def _candidates(
        self,
        q: _Words,
        words: list[_Words],
        hints: Iterable[tuple[str, int, int]],
        allowed: set[str] | None,
    ) -> list[tuple[int, int, int]]:
        """Source word windows [lo, hi) per document worth aligning, best first."""
        n = len(q.folded)
        bucket = max(8, n // 2)
        votes: dict[tuple[int, int], set[int]] = defaultdict(set)
        for j, word in enumerate(q.folded):
            postings = self._postings.get(word, ())
            # A word found everywhere says nothing about where the quote is.
            if not postings or len(postings) > 2000:
                continue
            for doc, pos in postings:
                votes[(doc, (pos - j) // bucket)].add(j)
        allowed_docs = (
            None
            if allowed is None
            else {i for i, d in enumerate(self._documents) if d.source in allowed}
        )
        ranked = sorted(votes.items(), key=lambda kv: -len(kv[1]))
        slack = n + (GAP_ELLIPSIS if q.ellipses else GAP_PLAIN) + bucket
        out: list[tuple[int, int, int]] = []
        for (doc, b), voters in ranked:
            if len(out) >= CANDIDATES or len(voters) < 2:
                break
            if allowed_docs is not None and doc not in allowed_docs:
                continue
            lo = max(0, b * bucket - bucket)
            out.append((doc, lo, min(len(words[doc].folded), b * bucket + slack)))
        index = {d.source: i for i, d in enumerate(self._documents)}
        for source, start, end in hints:
            doc = index.get(source)
            if doc is None or (allowed_docs is not None and doc not in allowed_docs):
                continue
            spans = words[doc].spans
            lo = _word_at(spans, start)
            hi = _word_at(spans, end) + 1
            out.append((doc, max(0, lo - n), min(len(spans), hi + n)))
        return out

    def _align(
        self, text: str, q: _Words, doc: int, lo: int, hi: int, w: _Words
    ) -> _Alignment | None:
        """Align the quote's words with the source words [lo, hi) of one document."""
        window = w.folded[lo:hi]
        matcher = difflib.SequenceMatcher(None, q.folded, window, autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        blocks = _cluster(blocks, q.ellipses)
        if not blocks:
            return None
        first = lo + blocks[0].b
        last = lo + blocks[-1].b + blocks[-1].size
        span = w.folded[first:last]
        matcher = difflib.SequenceMatcher(None, q.folded, span, autojunk=False)
        changes: list[Change] = []
        matched = 0
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                matched += i2 - i1
                continue
            quoted = _words_text(text, q.spans, i1, i2)
            source = _words_text(self._documents[doc].cleaned, w.spans, first + j1, first + j2)
            op = {"replace": "replace", "delete": "insert", "insert": "delete"}[tag]
            if j1 < j2:
                at, to = w.spans[first + j1][0], w.spans[first + j2 - 1][1]
            else:
                at = to = w.spans[first + j1 - 1][1] if first + j1 > 0 else w.spans[first][0]
            changes.append(Change(op, quoted if op != "delete" else "", source, at, to))
        coverage = matched / len(q.folded)
        return _Alignment(doc, first, last, matched, tuple(changes), coverage)

    def _result(
        self,
        quote: str,
        verdict: str,
        document: Document,
        start: int,
        end: int,
        changes: tuple[Change, ...],
        coverage: float,
    ) -> QuoteCheck:
        # The quote's closing full stop (or comma, ...) is part of the span when the source has it.
        tail = strip_quote(quote)[-1:]
        if tail and not tail.isalnum() and document.cleaned[end : end + 1] == tail:
            end += 1
        passage = self.passage_at(document, start)
        where = document.locate(start, end) if document.anchors else None
        citation = ""
        if passage is not None:
            if where is None:
                # No page map: the passages' own places, first to last.
                tail = self.passage_at(document, max(start, end - 1)) or passage
                where = _span_location(passage, tail)
            citation = cite(document, passage, where)
        return QuoteCheck(
            quote, verdict, document, passage, start, end, changes, coverage, citation, where
        )

    def passage_at(self, document: Document, offset: int) -> Passage | None:
        """The body passage holding `offset` of the document's cleaned text (or the nearest)."""
        best: Passage | None = None
        for p in self._passages_of.get(document.source, ()):
            if p.char_start <= offset < p.char_end:
                return p
            if p.char_start <= offset and (best is None or p.char_start > best.char_start):
                best = p
        return best


def _better(a: _Alignment, b: _Alignment) -> bool:
    """More quote words found wins; then fewer differences; then a shorter span."""
    return (a.matched, -len(a.changes), -(a.last - a.first)) > (
        b.matched,
        -len(b.changes),
        -(b.last - b.first),
    )


def _cluster(blocks: list[difflib.Match], ellipses: frozenset[int]) -> list[difflib.Match]:
    """The run of matching pieces around the largest one, dropping far-off stray matches.

    Two neighbouring pieces belong together when the source words between them
    are few: about as many as the quote has there, plus a few left out (many
    where the quote marks an omission with an ellipsis).
    """
    if not blocks:
        return []
    seed = max(range(len(blocks)), key=lambda i: blocks[i].size)
    lo = hi = seed

    def close(a: difflib.Match, b: difflib.Match) -> bool:
        quote_gap = b.a - (a.a + a.size)
        source_gap = b.b - (a.b + a.size)
        if quote_gap < 0 or source_gap < 0:
            return False
        marked = any(a.a + a.size <= e <= b.a for e in ellipses)
        return source_gap <= quote_gap + (GAP_ELLIPSIS if marked else GAP_PLAIN)

    while lo > 0 and close(blocks[lo - 1], blocks[lo]):
        lo -= 1
    while hi < len(blocks) - 1 and close(blocks[hi], blocks[hi + 1]):
        hi += 1
    return blocks[lo : hi + 1]


def _words_text(text: str, spans: list[tuple[int, int]], j1: int, j2: int) -> str:
    """Words j1..j2 as written (spacing tidied), or "" for none."""
    if j1 >= j2:
        return ""
    return " ".join(text[spans[j1][0] : spans[j2 - 1][1]].split())


def _word_at(spans: list[tuple[int, int]], offset: int) -> int:
    return max(0, min(len(spans) - 1, bisect.bisect_right([s for s, _ in spans], offset) - 1))


def _span_location(first: Passage, last: Passage) -> Location:
    return Location(first.page, last.page_end or last.page, first.line_start, last.line_end)
