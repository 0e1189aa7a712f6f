"""Exact-quote search: find a phrase whatever the case, accents, spacing or PDF hyphens.

A journalist types "elke geïnvesteerde euro"; the PDF says "elke geïnves-
teerde euro". Both are reduced to their letters and digits ("elkegeinvesteerde
euro" without spaces), compared, and the match is mapped back to offsets in
the original passage text so it can be highlighted. A match must start and end
at word boundaries, so "een" does not match inside "geen".

The Searcher indexes whole documents, not passages: a quote that runs over a
passage boundary is still found, and then shown in every passage it touches.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

# Opening quote -> the closing quotes it accepts (Dutch „…”, English “…”, «…»).
_QUOTES = {
    '"': ('"', "”", "“"),
    "“": ("”", '"', "“"),
    "„": ("”", "“", '"'),
    "«": ("»",),
    "”": ("”", '"'),
}


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into quoted phrases and the plain words around them."""

    phrases: tuple[str, ...]
    words: str
    notices: tuple[str, ...] = field(default=())


def parse_query(query: str) -> ParsedQuery:
    """Split out quoted phrases; an unclosed quote runs to the end, with a notice."""
    phrases: list[str] = []
    plain: list[str] = []
    notices: list[str] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch in _QUOTES:
            close = min(
                (j for j in (query.find(c, i + 1) for c in _QUOTES[ch]) if j >= 0), default=-1
            )
            if close < 0:
                phrase = query[i + 1 :].strip()
                if phrase:
                    phrases.append(phrase)
                    notices.append(
                        f"Het aanhalingsteken voor “{phrase}” werd niet gesloten; "
                        "er is gezocht op de zin tot het einde van de vraag."
                    )
                break
            phrase = query[i + 1 : close].strip()
            if normalise(phrase)[0]:
                phrases.append(phrase)
            i = close + 1
            continue
        plain.append(ch)
        i += 1
    return ParsedQuery(tuple(phrases), " ".join("".join(plain).split()), tuple(notices))


def normalise(text: str) -> tuple[str, list[int]]:
    """Letters and digits only, folded; plus, per kept char, its offset in `text`."""
    chars: list[str] = []
    where: list[int] = []
    for offset, ch in enumerate(text):
        if ch.isascii():
            if ch.isalnum():
                chars.append(ch.lower())
                where.append(offset)
            continue
        for part in unicodedata.normalize("NFKD", ch.lower()):
            if part.isalnum() and not unicodedata.combining(part):
                chars.append(part)
                where.append(offset)
    return "".join(chars), where


@dataclass(frozen=True)
class QuoteMatch:
    row: int  # which of the indexed texts
    start: int  # offsets in that text
    end: int


class QuoteIndex:
    """All texts normalised into one string, searched with str.find."""

    _SEP = "|"  # never produced by normalise(), so no match crosses texts

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        parts: list[str] = []
        self._maps: list[list[int]] = []
        self._starts: list[int] = []
        pos = 0
        for text in self.texts:
            norm, where = normalise(text)
            self._starts.append(pos)
            self._maps.append(where)
            parts.append(norm)
            pos += len(norm) + 1
        self._all = self._SEP.join(parts)

    def find(self, phrase: str) -> list[QuoteMatch]:
        """Every word-aligned occurrence of `phrase`, in passage order."""
        needle, _ = normalise(phrase)
        if not needle:
            return []
        matches: list[QuoteMatch] = []
        at = self._all.find(needle)
        while at >= 0:
            row = bisect.bisect_right(self._starts, at) - 1
            local = at - self._starts[row]
            where = self._maps[row]
            start = where[local]
            end = where[local + len(needle) - 1] + 1
            if self._word_aligned(self.texts[row], start, end):
                matches.append(QuoteMatch(row, start, end))
            at = self._all.find(needle, at + 1)
        return matches

    @staticmethod
    def _word_aligned(text: str, start: int, end: int) -> bool:
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        return not before.isalnum() and not after.isalnum()
