"""The document view: the whole cleaned text of one corpus document, by id.

Served by FastAPI next to the Gradio page at `/doc/{doc_id}`. Only ids of
documents in the store are accepted (a fixed-length hex pattern, then a
lookup), so no request can name a path on disk; anything else is a 404.
Every passage is an anchor `#p-{passage_id}`, so a result card can link to
the exact passage, which is marked and scrolled into view.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.render import document_meta, location_label
from ingest.document import Document, Passage

_DOC_ID = re.compile(r"[0-9a-f]{12}")
_PASSAGE_ID = re.compile(r"[0-9a-f]{8,64}")
_STYLE = Path(__file__).with_name("static") / "document.css"
# The arrow is decoration: a screen reader says "Terug naar Advieszoeker".
BACK_LINK = (
    "<a class='az-back' href='../'><span aria-hidden='true'>← </span>Terug naar Advieszoeker</a>"
)
_HEAD = "<meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"


def render_document_page(
    document: Document, passages: Sequence[Passage], target: str | None = None
) -> str:
    """The cleaned text with each passage wrapped in an anchor; `target` is marked."""
    text = document.cleaned
    breaks = _page_breaks(document)

    def piece(a: int, b: int) -> str:
        """Escaped text[a:b], with a page marker where a new page begins."""
        parts, at = [], a
        for offset, page in breaks:
            if a < offset < b or (offset == a and a > 0):
                parts.append(escape(text[at:offset]))
                parts.append(f"<span class='az-page' data-page='{page}'></span>")
                at = offset
        parts.append(escape(text[at:b]))
        return "".join(parts)

    out: list[str] = []
    cursor = 0
    for p in sorted(passages, key=lambda p: (p.char_start, p.char_end)):
        start = max(p.char_start, cursor)
        end = max(min(p.char_end, len(text)), start)
        out.append(piece(cursor, start) if start > cursor else "")
        cls = "az-p az-target" if p.id == target else "az-p"
        where = location_label(p)
        title = f" title='{escape(where)}'" if where else ""
        body = piece(start, end)
        if p.id == target:
            body = f"<mark>{body}</mark>"
        out.append(f"<span class='{cls}' id='p-{escape(p.id)}'{title}>{body}</span>")
        cursor = max(cursor, end)
    out.append(piece(cursor, len(text)))
    ocr_note = (
        "<p class='az-doc-note'>Pagina "
        + ", ".join(str(n) for n in document.ocr_pages)
        + " is gelezen met tekstherkenning (OCR): controleer een citaat aan het origineel.</p>"
        if document.ocr_pages
        else ""
    )
    meta = " · ".join(escape(m) for m in document_meta(document))
    source = (
        f"<a href='{escape(document.url)}' rel='noopener noreferrer'>originele bron</a>"
        if document.url and document.url.startswith(("http://", "https://"))
        else ""
    )
    return (
        f"<!doctype html><html lang='nl'><head>{_HEAD}"
        f"<title>{escape(document.title)} — Advieszoeker</title>"
        f"<style>{_style()}</style></head><body>"
        f"<header class='az-doc-head'>{BACK_LINK}"
        f"<h1>{escape(document.title)}</h1><p class='az-doc-meta'>{meta}"
        f"{' · ' + source if source and meta else source}</p>"
        "<p class='az-doc-note'>Opgeschoonde tekst zoals doorzocht; "
        "de gemarkeerde passage is het zoekresultaat.</p>"
        f"{ocr_note}</header>"
        f"<main class='az-doc-text'>{''.join(out)}</main>"
        # The found passage is shown and takes focus, so reading (and Tab) starts there.
        "<script>const t=document.querySelector('.az-target');"
        "if(t){t.tabIndex=-1;t.focus({preventScroll:true});t.scrollIntoView({block:'center'});}"
        "</script>"
        "</body></html>"
    )


def _page_breaks(document: Document) -> list[tuple[int, int]]:
    """(offset, page) where a new page of the source begins in the cleaned text."""
    out: list[tuple[int, int]] = []
    last: int | None = None
    for offset, page, _line in document.anchors:
        if page is not None and page != last:
            if last is not None:
                out.append((offset, page))
            last = page
    return out


def render_not_found() -> str:
    return (
        f"<!doctype html><html lang='nl'><head>{_HEAD}"
        f"<title>Niet gevonden — Advieszoeker</title><style>{_style()}</style></head><body>"
        f"<header class='az-doc-head'>{BACK_LINK}"
        "<h1>Document niet gevonden</h1><p>Dit document staat niet (meer) in de index. "
        "Zoek opnieuw vanaf de startpagina.</p></header></body></html>"
    )


def document_router(
    find_document: Callable[[str], Document | None],
    find_passages: Callable[[str], list[Passage]],
) -> APIRouter:
    """Routes for `/doc/{doc_id}`; the callables are the Searcher's lookups."""
    router = APIRouter()

    @router.get("/doc/{doc_id}", response_class=HTMLResponse)
    def document_view(doc_id: str, p: str | None = None) -> HTMLResponse:
        if not _DOC_ID.fullmatch(doc_id):
            return HTMLResponse(render_not_found(), status_code=404)
        document = find_document(doc_id)
        if document is None:
            return HTMLResponse(render_not_found(), status_code=404)
        target = p if p and _PASSAGE_ID.fullmatch(p) else None
        page = render_document_page(document, find_passages(document.source), target)
        return HTMLResponse(page, headers={"X-Content-Type-Options": "nosniff"})

    return router


def _style() -> str:
    return _STYLE.read_text(encoding="utf-8") if _STYLE.exists() else ""
