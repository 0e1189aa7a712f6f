"""Search results as files: CSV for a spreadsheet, RIS for a reference manager, and a
plain-text list of citations ready to paste.

- CSV: one row per hit (query, rank, title, author, year, section, page,
  lines, citation, text), UTF-8 with a byte-order mark so Excel reads the
  accents right.
- RIS: one record per cited document (Zotero, EndNote, Mendeley import it),
  the quoted passages in its notes (N1), each with its page or lines.
- Text: the numbered citations, each followed by the quoted passage.

The same functions serve `advieszoeker search --format` and the page's
"Exporteer" links (`/export`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from app.state import SearchState
from index.results import Hit, SearchResponse
from ingest.document import Document

FORMATS = ("text", "json", "csv", "ris")
CSV_FIELDS = (
    "query", "rank", "title", "author", "year", "section", "page", "lines", "citation", "text",
)  # fmt: skip
# RIS reference types: a study is a report, an advice too (grey literature).
RIS_TYPES = {"studie": "RPRT", "advies": "RPRT", "briefadvies": "RPRT"}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _span(first: int | None, last: int | None) -> str:
    """ "12", "12-13" or "" (a page or line range)."""
    if first is None:
        return ""
    return str(first) if last in (None, first) else f"{first}-{last}"


def to_csv(responses: Sequence[SearchResponse]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for response in responses:
        for hit in response.hits:
            d, p = hit.document, hit.passage
            writer.writerow(
                [
                    response.query, hit.rank, d.title, d.author or "", d.year or "",
                    p.section_label or "", _span(p.page, p.page_end),
                    _span(p.line_start, p.line_end), hit.citation, _flat(p.text),
                ]
            )  # fmt: skip
    return "\ufeff" + out.getvalue()


def _ris_record(document: Document, hits: Sequence[Hit]) -> list[str]:
    tags = [("TY", RIS_TYPES.get(document.kind or "", "GEN")), ("TI", _flat(document.title))]
    if document.author:
        tags.append(("AU", _flat(document.author)))
    if document.year is not None:
        tags.append(("PY", str(document.year)))
    if document.kind:
        tags.append(("M3", document.kind))
    if document.addressee:
        tags.append(("A2", _flat(document.addressee)))
    if document.url:
        tags.append(("UR", document.url))
    tags.append(("ID", document.doc_id))
    for hit in hits:
        place = ", ".join(x for x in (hit.passage.section_label, hit.passage.pages_label) if x)
        quoted = _flat(hit.highlights[0].text if hit.highlights else hit.passage.text)
        tags.append(("N1", f"“{quoted}”" + (f" ({place})" if place else "")))
    tags.append(("ER", ""))
    # "ER  - " ends a record, with its trailing space as the format has it.
    return [f"{tag}  - {value}" for tag, value in tags]


def to_ris(responses: Sequence[SearchResponse]) -> str:
    """One record per cited document, over all the responses, in order of first citation."""
    by_document: dict[str, tuple[Document, list[Hit]]] = {}
    for response in responses:
        for hit in response.hits:
            by_document.setdefault(hit.document.source, (hit.document, []))[1].append(hit)
    records = ["\n".join(_ris_record(d, hits)) for d, hits in by_document.values()]
    return "\n\n".join(records) + ("\n" if records else "")


def to_citations(responses: Sequence[SearchResponse]) -> str:
    """Numbered citations, each with the quoted words, ready to paste into a text."""
    out: list[str] = []
    for response in responses:
        out.append(f"Vraag: {response.query}")
        if not response.hits:
            out.append("Geen resultaten.")
        for hit in response.hits:
            quoted = _flat(hit.highlights[0].text if hit.highlights else hit.passage.text)
            out.append(f"[{hit.rank}] {hit.citation}")
            out.append(f"    “{quoted}”")
        out.append("")
    return "\n".join(out)


# format -> (label on the page, media type, file extension, writer)
DOWNLOADS = {
    "csv": ("CSV (spreadsheet)", "text/csv; charset=utf-8", "csv", to_csv),
    "ris": ("RIS (Zotero, EndNote)", "application/x-research-info-systems", "ris", to_ris),
    "txt": ("Citaten (tekst)", "text/plain; charset=utf-8", "txt", to_citations),
}


def state_params(state: SearchState) -> list[tuple[str, str]]:
    """The search as URL parameters, as the page puts it in its own URL."""
    params = [("q", state.query), ("k", str(state.k))]
    if state.exact:
        params.append(("exact", "1"))
    for key, values in (
        ("doc", state.doc_ids),
        ("author", state.authors),
        ("kind", state.kinds),
        ("year", state.years),
    ):
        params += [(key, v) for v in values]
    return params


def render_export_links(state: SearchState) -> str:
    """ "Exporteer deze resultaten: CSV · RIS · Citaten" as download links."""
    links = " · ".join(
        f"<a class='az-export-link' data-format='{fmt}' download "
        f"href='{escape('export?' + urlencode([*state_params(state), ('format', fmt)]))}'>"
        f"{escape(label)}</a>"
        for fmt, (label, *_rest) in DOWNLOADS.items()
    )
    return f"<p class='az-export'><span>Exporteer deze resultaten:</span> {links}</p>"
