"""Query analysis: clean the text, and say what the keyword side should match.

Users frame their questions in their own situation ("ik ben leerkracht en …",
"onze school overweegt …", "volgens de SERV …"). Those frame words say who
asks, not what about, yet BM25 matches them like topic words: "school" and
"leerkracht" occur in half the corpus. `keyword_text` strips them before the
keyword ranking; the dense query keeps the full question (measured: see
BENCHMARKS.md's experiments).

`intent` reads what kind of answer a question wants: "hoeveel" asks for a
figure, "wanneer" for a date; the ranking then favours sentences that hold
one.
"""

from __future__ import annotations

import re
import unicodedata

from index.results import QueryError

# Frame phrases, matched case-insensitively as whole words and removed from the
# keyword query. Each says who asks or how, never what the question is about.
FRAME_PATTERNS = (
    r"volgens (?:de |het )?(?:serv|raad|advies|studie|onderzoek|sociale partners)",
    r"(?:wat|hoe) (?:vindt|ziet|denkt|zegt|vraagt|stelt) (?:de |het )?"
    r"(?:serv|raad|advies|studie|onderzoek)",
    r"(?:in|op) (?:mijn|onze) (?:klas|school|les)",
    r"(?:mijn|onze) (?:klas|school|leerlingen|collega|team|directie)",
    r"ik (?:ben|werk als|sta als) (?:een )?(?:leerkracht|leraar|lerares|juf|meester|docent|"
    r"directeur|mentor|trajectbegeleider)",
    r"(?:als|ik ben) (?:leerkracht|leraar|lerares|juf|meester|docent|directeur)",
    r"ik (?:geef|gaf) les(?: aan| in)?",
    r"ik (?:sta|zit) (?:in|voor)",
    r"ik heb (?:een|twee|drie) (?:leerling|leerlingen|klas)",
    r"(?:een|de) leerling van (?:mij|me)",
    r"(?:ik )?(?:wil|zou) (?:graag )?(?:weten|vragen)",
    r"klopt (?:het|dat)",
    r"is (?:daar|dat) (?:onderzoek|iets) over",
    r"wat (?:zegt|staat) (?:er|daarover)",
)
_FRAMES = re.compile(r"\b(?:" + "|".join(FRAME_PATTERNS) + r")\b", re.IGNORECASE)

# What a question asks for, from its question words (Dutch, English, French).
_INTENTS = {
    "number": re.compile(
        r"\b(?:hoeveel|hoe(?:veel)? (?:groot|hoog|vaak|sterk)|welk(?:e)? (?:percentage|aandeel|"
        r"deel)|how (?:many|much)|what (?:share|percentage|proportion)|combien|quel(?:le)? "
        r"(?:pourcentage|part|proportion))\b",
        re.IGNORECASE,
    ),
    "date": re.compile(r"\b(?:wanneer|vanaf wanneer|tegen wanneer|when|quand)\b", re.IGNORECASE),
}
# A sentence that states a figure or a year.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?\s?(?:%|procent|euro|€)|\b\d{1,3}(?:\.\d{3})+\b")
_YEAR = re.compile(r"\b(?:19|20)\d{2}(?:-(?:19|20)?\d{2})?\b")


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


def strip_frames(text: str) -> str:
    """The question without its frame phrases; the question itself if nothing else is left."""
    stripped = " ".join(_FRAMES.sub(" ", text).split())
    return stripped if any(ch.isalnum() for ch in stripped) else text


def intent(text: str) -> str | None:
    """ "number", "date" or None: what kind of fact the question asks for."""
    for name, pattern in _INTENTS.items():
        if pattern.search(text):
            return name
    return None


def states(kind: str, sentence: str) -> bool:
    """Whether a sentence states the kind of fact an intent asks for."""
    if kind == "number":
        return bool(_FIGURE.search(sentence))
    if kind == "date":
        return bool(_YEAR.search(sentence))
    return False
