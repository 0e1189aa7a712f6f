"""Ready-to-paste citations, in Dutch, from what the document really says about itself.

    SERV (2025). Ambitieus beleid voor excellent praktijkgericht onderwijs.
    Advies, § 3.2 Sterk starten, p. 12 / r. 120–134.

A field that is unknown is left out, never guessed: no year means no "(2025)".
"""

from __future__ import annotations

from ingest.document import Document, Location, Passage


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "?", "!")) else text + "."


def locator(passage: Passage, where: Location | None = None) -> str | None:
    """Where in the document: "p. 12 / r. 120–134", "p. 6–7", "r. 4–9" or None.

    `where`, when given, is the place of a quoted sentence inside the passage:
    a quote cites the page it is printed on, not the passage's first page.
    """
    where = where or Location(passage.page, passage.page_end, passage.line_start, passage.line_end)
    parts: list[str] = []
    if where.pages_label is not None:
        parts.append(where.pages_label)
    if where.line_start is not None:
        end = where.line_end if where.line_end is not None else where.line_start
        parts.append(
            f"r. {where.line_start}" if end == where.line_start else f"r. {where.line_start}–{end}"
        )
    return " / ".join(parts) or None


def cite(document: Document, passage: Passage, where: Location | None = None) -> str:
    head = document.author or ""
    if document.year is not None:
        head = f"{head} ({document.year})" if head else f"({document.year})"
    pieces = [_sentence(head)] if head else []
    pieces.append(_sentence(document.title or document.source))
    parts: list[str] = []
    if document.kind:
        parts.append(document.kind[:1].upper() + document.kind[1:])
    if passage.kind == "footnote" and passage.footnote is not None:
        parts.append(f"{'voetnoot' if parts else 'Voetnoot'} {passage.footnote}")
    elif passage.section:
        parts.append(f"§ {passage.section[-1]}")
    spot = locator(passage, where)
    if spot:
        parts.append(spot)
    span = where or document.locate(passage.char_start, passage.char_end)
    if span.ocr:
        # A reader must know the words were read from an image, not the text layer.
        parts.append("tekst gelezen met OCR")
    if parts:
        pieces.append(_sentence(", ".join(parts)))
    if document.url:
        pieces.append(document.url)
    return " ".join(pieces)


def cite_quote(
    document: Document, passage: Passage, sentence: str, where: Location | None = None
) -> str:
    """A quoted sentence followed by its source: “…” (SERV (2025). … p. 12.)"""
    return f"“{' '.join(sentence.split())}” ({cite(document, passage, where)})"
