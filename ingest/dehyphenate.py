"""Repair words that PDF extraction split across lines with a hyphen.

A hyphen at the end of a line is ambiguous: "Regeerak-" + "koord" is one word
broken by the typesetter, "SERV-" + "partners" is a real compound, and
"beroeps-" + "en technisch" is a suspended hyphen that must keep its space.
The corpus itself is the best judge: a `Vocabulary` counts the words that occur
unbroken (mid-line) in every document of the batch and of the store, and
`join_hyphenated` picks the spelling that the corpus uses.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# A word, possibly with inner hyphens or apostrophes ("SERV-partners", "auto's").
_WORD = re.compile(r"[^\W_](?:[\w’']*[^\W_])?(?:-[^\W_](?:[\w’']*[^\W_])?)*")
# Words after which a line-final hyphen is a suspended hyphen: "beroeps- en technisch".
SUSPENSION_WORDS = frozenset({"en", "of", "tot", "noch", "als", "and", "or", "et", "ou"})
_URL_START = re.compile(r"(?:https?://|www\.)\S*$", re.IGNORECASE)


def words(text: str) -> list[str]:
    """The word tokens of `text` (keeping inner hyphens), lowercased."""
    return [m.group(0).lower() for m in _WORD.finditer(text)]


@dataclass
class Vocabulary:
    """Word counts used as evidence for dehyphenation.

    Only mid-line words count: the fragments around a line-final hyphen are
    left out, so a broken word never votes for itself. Build it from every
    document being ingested plus the cleaned text of the documents already in
    the store, so that re-ingesting the same corpus gives the same result.
    """

    counts: Counter[str] = field(default_factory=Counter)

    def add_lines(self, lines: Iterable[str]) -> None:
        previous_broken = False
        for line in lines:
            tokens = words(line)
            stripped = line.rstrip()
            broken = stripped.endswith("-") and not stripped.endswith(" -")
            if previous_broken and tokens:
                tokens = tokens[1:]
            if broken and tokens:
                tokens = tokens[:-1]
            self.counts.update(tokens)
            previous_broken = broken

    def add_text(self, text: str) -> None:
        self.add_lines(text.splitlines())

    def count(self, word: str) -> int:
        return self.counts.get(word.lower(), 0)

    def __contains__(self, word: str) -> bool:
        return self.count(word) > 0

    def __len__(self) -> int:
        return len(self.counts)


def _last_segment(token: str) -> str:
    return token.rsplit("-", 1)[-1]


def join_hyphenated(left: str, right: str, vocabulary: Vocabulary) -> str:
    """How to join a line ending in `left` (ending with "-") to a line starting with `right`.

    Returns the separator to put between `left[:-1]` and `right`: "" (a broken
    word: "Regeerak" + "koord"), "-" (a real hyphen: "SERV-partners",
    "2022-2023") or "- " (a suspended hyphen: "beroeps- en").
    """
    stem_match = re.search(r"[\w’']+(?:-[\w’']+)*$", left[:-1])
    first_match = re.match(r"[\w’']+", right)
    if not stem_match or not first_match:
        # "… - " dashes, punctuation: keep what was there, with a space.
        return "- "
    stem = stem_match.group(0)
    first = first_match.group(0)
    piece = _last_segment(stem)
    # A suspended hyphen: "arbeidsmarkt- en dubbele finaliteit".
    if first.lower() in SUSPENSION_WORDS and vocabulary.count(piece + first) < 2:
        return "- "
    # Numbers and ranges keep their hyphen: "2022-2023", "’21-’22".
    if piece[-1:].isdigit() or first[:1].isdigit():
        return "-"
    # Acronyms and proper names: "SERV-partners", "STEM-gangmakers", "Sint-Joost".
    if _is_acronym(piece) or first[:1].isupper():
        return "-"
    joined = stem + first
    hyphened = stem + "-" + first
    n_joined = vocabulary.count(joined) + vocabulary.count(piece + first)
    n_hyphened = vocabulary.count(hyphened) + vocabulary.count(piece + "-" + first)
    if n_hyphened > n_joined:
        return "-"
    # Coordinated adjectives keep their hyphen: "praktisch-organisatorische".
    if n_joined == 0 and re.search(r"isch$", piece) and vocabulary.count(first) > 0:
        return "-"
    # No evidence either way: typesetters break words far more often than
    # they break at a real hyphen, so join.
    return ""


def _is_acronym(piece: str) -> bool:
    letters = [c for c in piece if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 2


def join_url(left: str, right: str, known_urls: Iterable[str]) -> str:
    """Separator between a URL broken at a line end and its continuation.

    Link annotations that PDF extraction repeats as bare lines give the full
    URL; without such evidence a line-final hyphen in a URL is taken as the
    typesetter's.
    """
    head = _URL_START.search(left)
    tail = right.split()[0] if right.split() else ""
    if head is None:
        return ""
    url_head = head.group(0)
    if url_head.endswith("-"):
        with_hyphen = url_head + tail
        without = url_head[:-1] + tail
        decoded = [_decode(u) for u in known_urls]
        if any(with_hyphen in u for u in decoded) and not any(without in u for u in decoded):
            return "-"
        return ""
    return ""


def _decode(url: str) -> str:
    from urllib.parse import unquote

    return unicodedata.normalize("NFC", unquote(url))


def is_url_fragment_line(left: str) -> bool:
    """True if `left` ends inside a URL (so the next line may continue it)."""
    return _URL_START.search(left.rstrip()) is not None
