"""What the SERV asks: the recommendations of each document, verbatim, with their place.

Advisors and teachers want the asks, not whole passages. An ask is a
sentence of a body passage (or an imperative section title) that

- is in the imperative: "Zet in op …", "Voorzie …", "Maak werk van …";
- says the SERV asks, pleads, recommends or urges: "De SERV vraagt / pleit
  voor / beveelt aan / dringt aan op …", or gives its view with a "must":
  "Voor de SERV moet …", "De SERV meent dat er nood is aan …";
- says what must happen ("… moeten voorzien worden", "Er is … nodig"),
  outside sections that report what is known (figures, findings of others);
- is an item of a section titled as recommendations, proposals, actions,
  lines of force or "hefbomen".

Rules, not a model: every ask can be traced to the words that made it one
(`Ask.rule`), and bench/asks_gold.jsonl measures precision and recall.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.citation import cite
from index.results import Filters
from ingest.document import Document, Passage
from ingest.sentences import split_sentences


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Imperative verb forms that open a recommendation. Words that are also nouns
# ("Zorg", "Werk", "Onderzoek") are in AMBIGUOUS and need a second look.
IMPERATIVES = _wordset(
    """
    zet voorzie maak zorg voer vermijd wees wijs werk benut verlaag evalueer monitor neem ga
    pak vertaal ondersteun versterk investeer stop heb motiveer bouw onderzoek bekijk kader
    koppel breng biedt bied schakel mobiliseer leer put geef treed treedt verminder trek
    moderniseer kwalificeer focus betrek stimuleer help leg houd hou creëer verhoog verbeter
    verduidelijk vereenvoudig verruim erken garandeer waarborg bewaak herbekijk herzie hervorm
    ontwikkel organiseer plan regel schep sluit stel streef verbind verzeker voorkom zoek
    begeleid beperk bevorder breid communiceer deel denk doe durf informeer integreer laat let
    richt speel start steun toets veranker verken verleng verplicht verstevig volg gebruik
    behoud blijf onderneem bundel faciliteer activeer hanteer herwaardeer optimaliseer
    responsabiliseer valoriseer verdubbel verhelder verscherp vervolledig zie
    """
)
AMBIGUOUS = _wordset(
    "zorg werk onderzoek leer start steun plan deel monitor stop put focus test gebruik zet "
    "bouw toets kader"
)
# A word after an ambiguous opener that shows it is a noun: "Onderzoek toont …", "Werk is …".
_NOUN_NEXT = _wordset(
    """
    is zijn was waren toont tonen blijft blijven wordt worden werd kan kunnen moet moeten heeft
    hebben en of van speelt gaat vraagt betekent krijgt ligt staat loont
    """
)

# Words ending in -t that may follow an imperative: "Zorg dat", "Werk gericht".
_PARTICLES = _wordset("gericht actief structureel")

_SERV = r"\b(?:de\s+)?(?:serv|raad|sociale\s+partners)"
# "De SERV vraagt / pleit voor / beveelt aan / dringt aan op / stelt voor …"
_REQUEST = re.compile(
    _SERV + r"\b[^.;:]{0,100}?\b(?:vraagt|vragen|pleit|pleiten|beveelt|bevelen|dringt|dringen|"
    r"adviseert|adviseren|roept|roepen|suggereert|raadt|ondersteunt\s+de\s+vraag|wil(?!\s+met\b)|"
    r"denkt\s+(?:bv\.\s+|bijvoorbeeld\s+)?aan|"
    # Separable: "De SERV stelt maatregelen voor", not "stelt vast dat … voor".
    r"stel(?:t|len)\s+(?!vast\b)[^.;:]{0,60}?\bvoor)\b",
    re.IGNORECASE,
)
# "De SERV meent / vindt / benadrukt …" is an ask when it says something must be.
_OPINION = re.compile(
    _SERV + r"\b[^.;:]{0,30}?\b(?:meent|menen|vindt|vinden|is\s+van\s+oordeel|acht|benadrukt|"
    r"kan\s+niet\s+genoeg\s+benadrukken)\b",
    re.IGNORECASE,
)
_FOR_SERV = re.compile(r"\b(?:voor|volgens)\s+de\s+(?:serv|raad)\b", re.IGNORECASE)
# Something must (be) done.
_MUST = re.compile(
    r"\b(?:moet|moeten|dient|dienen)\b|\bnodig\b|\bnood\s+(?:is\s+)?aan\b|\bvan\s+belang\s+is\b|"
    r"^van\s+belang\b|\bbenadrukken\b|\bopdracht\b",
    re.IGNORECASE,
)
# "Bij … moet er rekening mee gehouden worden dat …" is a reading caveat, and "hebben
# moeten overzitten" a past tense: neither is an ask.
_CAVEAT = re.compile(
    r"rekening\s+(?:mee\s+)?(?:ge)?houden|\b(?:hebben|heeft|had|hadden)\s+moeten\b",
    re.IGNORECASE,
)
# Sections that report what is known: their "must" sentences quote findings.
_DESCRIPTIVE = re.compile(
    r"\b(?:wat\s+we\s+weten|cijfers|vaststellingen|situering|context|inleiding|achtergrond|"
    r"stand\s+van\s+zaken|analyse|omschrijving|indicatoren)\b|^(?:[\d.]+\s+)?over\b",
    re.IGNORECASE,
)
# Sections whose items are recommendations.
_RECOMMENDING = re.compile(
    r"aanbeveling|hefbo(?:om|men)|voorstel|acties|actiepunt|krachtlijn|prioriteit|"
    r"wat\s+vraagt|verzoek",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[•▪◦‣∙·*–-]|\(?\d+[.)]|[a-z][.)])\s+")
_BARE_NUMBER = re.compile(r"^\s*\(?\d+[.)]\s*$")
_LABEL = re.compile(r"^\s*[^\W\d_]+\s*[&:/,]")
_WORD = re.compile(r"[^\W\d_][\w’'-]*")


@dataclass(frozen=True)
class Ask:
    """One recommendation, verbatim from the document's cleaned text."""

    document: Document
    passage: Passage | None  # None for a section title
    start: int  # offsets in document.cleaned (a title: the section's first passage)
    end: int
    text: str
    section: tuple[str, ...]
    rule: str  # imperative, request, opinion, must, item, heading
    citation: str = ""

    def to_json(self) -> dict[str, Any]:
        """What `asks --json` and the API return."""
        where = self.document.locate(self.start, self.end) if self.document.anchors else None
        p = self.passage
        page = where.page if where else (p.page if p else None)
        first = where.line_start if where else (p.line_start if p else None)
        last = where.line_end if where else (p.line_end if p else None)
        return {
            "text": " ".join(self.text.split()),
            "source": self.document.source,
            "title": self.document.title,
            "section": " › ".join(self.section) if self.section else None,
            "page": page,
            "lines": [first, last] if first is not None else None,
            "citation": self.citation,
            "rule": self.rule,
            "passage_id": p.id if p else None,
            "char_start": self.start,
            "char_end": self.end,
            "year": self.document.year,
        }


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def is_imperative(text: str) -> bool:
    """Does the sentence (bullet or number stripped) open with an imperative verb?"""
    body = _BULLET.sub("", text, count=1)
    words = _words(body)
    # "Werk & economie: …" is a label, not an order.
    if not words or words[0] not in IMPERATIVES or _LABEL.match(body):
        return False
    if words[0] in AMBIGUOUS:
        # A noun is followed by its verb: "Onderzoek toont", "Werk is", "Zorg blijft".
        nxt = words[1] if len(words) > 1 else ""
        finite = nxt.endswith("t") and len(nxt) > 4 and nxt not in _PARTICLES
        return bool(nxt) and nxt not in _NOUN_NEXT and not finite
    return True


def classify(sentence: str, section: Sequence[str], after_number: bool) -> str | None:
    """The rule that makes the sentence an ask, or None."""
    body = _BULLET.sub("", sentence, count=1)
    if not _words(body):
        return None
    if is_imperative(body):
        return "imperative"
    if _REQUEST.search(body):
        return "request"
    if (_OPINION.search(body) or _FOR_SERV.search(body)) and _MUST.search(body):
        return "opinion"
    descriptive = any(_DESCRIPTIVE.search(s) for s in section)
    recommending = any(_RECOMMENDING.search(s) for s in section)
    # An item of a list of recommendations; a bare "ouders;" is a list of who, not what.
    if recommending and (after_number or _BULLET.match(sentence)) and len(_words(body)) >= 4:
        return "item"
    if not descriptive and _MUST.search(body) and not _CAVEAT.search(body):
        # Past tense ("moesten") is not matched; a "must" in a question is no ask.
        return None if body.rstrip().endswith("?") else "must"
    return None


def extract_asks(document: Document, passages: Sequence[Passage]) -> list[Ask]:
    """Every ask of one document, in reading order (section titles where they start)."""
    out: list[Ask] = []
    seen_sections: set[tuple[str, ...]] = set()
    for p in passages:
        if p.kind != "body":
            continue
        for depth in range(1, len(p.section) + 1):
            path = p.section[:depth]
            if path in seen_sections:
                continue
            seen_sections.add(path)
            title = re.sub(r"^\s*[\d.]+\s+", "", path[-1])
            if is_imperative(title):
                out.append(_ask(document, p, p.char_start, p.char_start, path[-1], path, "heading"))
        after_number = False
        for a, b in split_sentences(p.text):
            sentence = p.text[a:b]
            rule = classify(sentence, p.section, after_number)
            after_number = bool(_BARE_NUMBER.match(sentence))
            if rule is None:
                continue
            # The verbatim ask starts after its bullet.
            lead = _BULLET.match(sentence)
            a += lead.end() if lead else 0
            start, end = p.char_start + a, p.char_start + b
            out.append(_ask(document, p, start, end, p.text[a:b], p.section, rule))
    return out


def _ask(
    document: Document,
    passage: Passage,
    start: int,
    end: int,
    text: str,
    section: tuple[str, ...],
    rule: str,
) -> Ask:
    heading = rule == "heading"
    where = document.locate(start, max(end, start + 1)) if document.anchors else None
    citation = cite(document, passage, where)
    return Ask(document, None if heading else passage, start, end, text, section, rule, citation)


class AskIndex:
    """The asks of every document, extracted once; filtered and searched per request."""

    def __init__(
        self,
        documents: Sequence[Document],
        passages_of: Mapping[str, Sequence[Passage]],
        terms: Any,  # (text) -> list of search terms, the keyword index's analyzer
    ) -> None:
        self._asks = [a for d in documents for a in extract_asks(d, passages_of.get(d.source, ()))]
        self._terms = terms
        self._ask_terms = [set(terms(" ".join([a.text, *a.section[-1:]]))) for a in self._asks]

    def __len__(self) -> int:
        return len(self._asks)

    def find(self, query: str = "", filters: Filters | None = None) -> list[Ask]:
        """Asks of the documents the filters admit; with a query, those sharing its terms,
        the best first (most query terms), else in document and reading order."""
        chosen = [
            (i, a)
            for i, a in enumerate(self._asks)
            if filters is None or filters.empty or filters.admits(a.document)
        ]
        wanted = set(self._terms(query)) if query.strip() else set()
        if not wanted:
            return [a for _, a in chosen]
        scored = [(len(wanted & self._ask_terms[i]), i, a) for i, a in chosen]
        return [a for n, _, a in sorted(scored, key=lambda t: (-t[0], t[1])) if n]


def group_by_document(asks: Iterable[Ask]) -> dict[str, list[Ask]]:
    out: dict[str, list[Ask]] = {}
    for ask in asks:
        out.setdefault(ask.document.source, []).append(ask)
    return out
