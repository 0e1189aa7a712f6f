"""Query cleaning: what every search mode gets as its text.

Control and format characters go, spacing collapses, an overlong query is
cut at a word boundary with a notice; a query with nothing searchable left is
a QueryError whose message says what to type instead.
"""

from __future__ import annotations

import unicodedata

from index.results import QueryError


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
