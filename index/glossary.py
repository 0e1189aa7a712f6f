"""Bridge short forms and synonyms for the keyword side: VSV and vroegtijdig schoolverlaten.

Two sources, both small enough to read:
- the corpus's own definitions, "vroegtijdig schoolverlaten (VSV)": a
  parenthesised short form after the words it abbreviates (its letters occur,
  in order, in those words, starting with their first letter), so a new
  corpus brings its own abbreviations;
- a curated list of Dutch (Flemish) education and labour terms that mean the
  same thing, mostly official names and their abbreviations.

A query that contains one member of a group also searches the others, at a
lower weight than its own words (see `Ranking.expansion_weight`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Each group: words or phrases that name the same thing.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("leraar", "leerkracht", "docent", "lesgever", "onderwijzer"),
    ("leerling", "scholier"),
    ("vroegtijdig schoolverlaten", "vsv", "schooluitval", "vroegtijdige schoolverlaters"),
    ("buso", "buitengewoon secundair onderwijs"),
    ("okan", "onthaalonderwijs voor anderstalige nieuwkomers"),
    ("dbso", "deeltijds beroepssecundair onderwijs"),
    ("se-n-se", "secundair-na-secundair"),
    ("bso", "beroepssecundair onderwijs", "beroepsonderwijs", "arbeidsmarktfinaliteit"),
    ("tso", "technisch secundair onderwijs", "technisch onderwijs", "dubbele finaliteit"),
    ("aso", "algemeen secundair onderwijs", "doorstroomfinaliteit"),
    ("kso", "kunstsecundair onderwijs"),
    ("clb", "centrum voor leerlingenbegeleiding"),
    ("naft", "naadloos flexibele trajecten"),
    ("hbo5", "graduaatsopleiding"),
    ("duaal leren", "alternerend leren", "werkplekleren"),
    ("stage", "stageplaats", "werkplekleren"),
    ("kmo", "kleine en middelgrote ondernemingen"),
)

# "lange vorm (AFK)": up to six words before a parenthesised short form of at
# least three letters (two-letter ones such as "AF" are also Dutch words: "af").
_DEFINITION = re.compile(r"((?:[^\W\d_][\w-]*\s+){0,5}[^\W\d_][\w-]*)\s*\(([A-Z][A-Za-z&]{2,7})\)")
_WORD = re.compile(r"[^\W\d_][\w-]*")


def _abbreviates(short: str, words: list[str]) -> bool:
    """The short form's letters occur in order in the words, from their first letter on."""
    text = "".join(words).lower()
    letters = [ch for ch in short.lower() if ch.isalpha()]
    if not letters or not text.startswith(letters[0]):
        return False
    at = 0
    for ch in letters:
        at = text.find(ch, at)
        if at < 0:
            return False
        at += 1
    return True


def definitions(texts: Iterable[str], stopwords: frozenset[str]) -> list[tuple[str, str]]:
    """(short, long) pairs the texts define, e.g. ("vsv", "vroegtijdig schoolverlaten")."""
    found: dict[str, str] = {}
    for text in texts:
        flat = " ".join(text.split())
        for match in _DEFINITION.finditer(flat):
            words, short = _WORD.findall(match.group(1)), match.group(2)
            # The shortest run of words ending at the parenthesis that the short form
            # abbreviates, not starting with a stopword ("van schooluitval" is not VSV).
            for start in range(len(words) - 1, -1, -1):
                tail = words[start:]
                if tail[0].lower() in stopwords or len("".join(tail)) < len(short) + 2:
                    continue
                if _abbreviates(short, tail):
                    found.setdefault(short.lower(), " ".join(tail).lower())
                    break
    return sorted(found.items())


class Glossary:
    """Groups of analysed term sequences that name the same thing."""

    def __init__(self, groups: Iterable[Iterable[str]], analyse: Callable[[str], list[str]]):
        self.groups: list[list[tuple[str, ...]]] = []
        for group in groups:
            forms = [tuple(analyse(form)) for form in group]
            forms = [f for f in dict.fromkeys(forms) if f]
            if len(forms) > 1:
                self.groups.append(forms)

    @classmethod
    def for_corpus(
        cls, texts: Iterable[str], analyse: Callable[[str], list[str]], stopwords: frozenset[str]
    ) -> Glossary:
        """The curated synonyms plus the corpus's own definitions."""
        defined = [(short, long) for short, long in definitions(texts, stopwords)]
        return cls([*SYNONYMS, *defined], analyse)

    def expand(self, terms: list[str]) -> list[str]:
        """Terms of the other members of every group the query's terms name."""
        present = set(terms)
        extra: list[str] = []
        for forms in self.groups:
            if any(all(t in present for t in form) for form in forms):
                for form in forms:
                    extra.extend(t for t in form if t not in present and t not in extra)
        return extra
