"""Ready-to-paste citations, in Dutch, from what the document really says about itself.

    SERV (2025). Ambitieus beleid voor excellent praktijkgericht onderwijs.
    Advies, § 3.2 Sterk starten, p. 12 / r. 120–134.

A field that is unknown is left out, never guessed: no year means no "(2025)".
"""

from __future__ import annotations

from ingest.document import Document, Passage


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "?", "!")) else text + "."


def locator(passage: Passage) -> str | None:
    """Where in the document: "p. 12 / r. 120–134", "r. 4–9", "p. 3" or None."""
    parts: list[str] = []
    if passage.pages_label is not None:
        parts.append(passage.pages_label)
    if passage.line_start is not None:
        end = passage.line_end if passage.line_end is not None else passage.line_start
        parts.append(
            f"r. {passage.line_start}"
            if end == passage.line_start
            else f"r. {passage.line_start}–{end}"
        )
    return " / ".join(parts) or None


def cite(document: Document, passage: Passage) -> str:
    head = document.author or ""
    if document.year is not None:
        head = f"{head} ({document.year})" if head else f"({document.year})"
    pieces = [_sentence(head)] if head else []
    pieces.append(_sentence(document.title or document.source))
    where: list[str] = []
    if document.kind:
        where.append(document.kind[:1].upper() + document.kind[1:])
    if passage.kind == "footnote" and passage.footnote is not None:
        where.append(f"{'voetnoot' if where else 'Voetnoot'} {passage.footnote}")
    elif passage.section:
        where.append(f"§ {passage.section[-1]}")
    spot = locator(passage)
    if spot:
        where.append(spot)
    if where:
        pieces.append(_sentence(", ".join(where)))
    if document.url:
        pieces.append(document.url)
    return " ".join(pieces)


def cite_quote(document: Document, passage: Passage, sentence: str) -> str:
    """A quoted sentence followed by its source: “…” (SERV (2025). … p. 12.)"""
    return f"“{' '.join(sentence.split())}” ({cite(document, passage)})"
