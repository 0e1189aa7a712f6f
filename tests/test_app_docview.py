"""The document view marks where each source page begins and says which pages were OCR'd."""

from __future__ import annotations

import re
from html import unescape

from app.docview import render_document_page
from ingest.document import Document, Passage

TEXT = "Eerste blad over duaal leren.\n\nTweede blad: de arbeidsmarkt.\n"


def _doc(**kw: object) -> Document:
    base = dict(
        source="a.pdf",
        title="Advies",
        cleaned=TEXT,
        content_hash="h",
        anchors=((0, 1, 1), (31, 2, 2)),
    )
    return Document(**{**base, **kw})  # type: ignore[arg-type]


def _passage() -> Passage:
    return Passage("p1", "a.pdf", 0, TEXT[31:59], 31, 59, page=2, page_end=2)


def test_page_markers_stand_where_pages_begin_and_leave_the_text_as_it_is() -> None:
    html = render_document_page(_doc(), [_passage()], target="p1")
    assert html.count("class='az-page'") == 1
    assert "data-page='2'" in html
    marker = html.index("data-page='2'")
    assert html.index("Eerste blad") < marker < html.index("Tweede blad")
    main = html[html.index("<main") : html.index("</main>")]
    assert unescape(re.sub(r"<[^>]+>", "", main)) == TEXT


def test_ocr_pages_are_named_and_text_layer_documents_are_not() -> None:
    assert "tekstherkenning (OCR)" in render_document_page(_doc(ocr_pages=(2,)), [])
    assert "OCR" not in render_document_page(_doc(), [])
