"""Citations name only what the document says about itself."""

from __future__ import annotations

from index.citation import cite, cite_quote
from ingest.document import Document, Passage


def _doc(**kw) -> Document:
    base = dict(source="a.txt", title="Ambitieus beleid", cleaned="x", content_hash="h")
    return Document(**{**base, **kw})


def _passage(**kw) -> Passage:
    base = dict(id="p", source="a.txt", ordinal=0, text="x", char_start=0, char_end=1)
    return Passage(**{**base, **kw})


def test_full_citation() -> None:
    doc = _doc(author="SERV", year=2025, kind="advies")
    p = _passage(section=("3 Sterk starten", "3.2 Begeleiding"), page=12, line_start=120,
                 line_end=134)  # fmt: skip
    assert cite(doc, p) == (
        "SERV (2025). Ambitieus beleid. Advies, § 3.2 Begeleiding, p. 12 / r. 120–134."
    )


def test_unknown_fields_are_left_out() -> None:
    assert cite(_doc(), _passage()) == "Ambitieus beleid."
    assert cite(_doc(author="SERV"), _passage(line_start=4, line_end=9)) == (
        "SERV. Ambitieus beleid. r. 4–9."
    )
    assert "(" not in cite(_doc(author="SERV"), _passage())


def test_footnote_and_quote() -> None:
    doc = _doc(author="SERV", year=2024)
    p = _passage(kind="footnote", footnote=7, page=3)
    assert cite(doc, p) == "SERV (2024). Ambitieus beleid. Voetnoot 7, p. 3."
    assert cite_quote(doc, p, "Elke  euro\ntelt.").startswith("“Elke euro telt.” (SERV (2024).")
