"""Read a PDF by its layout: positioned words (pdfplumber), tables, OCR for scans.

pdfplumber is chosen over pypdf and pypdfium2 (see README, "PDF reading",
and `bench/pdf_readers.py`): it gives every character's box, size and font,
which is what running headers, footnotes, superscript markers and headings
are recognised by, and it finds ruled tables with their cells.

A page without a text layer is read by OCR (`ingest.ocr`, Tesseract with its
Dutch data); its lines are marked `ocr`.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass

from ingest.document import DocumentHints
from ingest.errors import AdvieszoekerError
from ingest.first_page import document_hints
from ingest.layout import Layout, TextLine, Word, page_lines, table_rows
from ingest.lines import SourceLine
from ingest.page_furniture import furniture_lines
from ingest.page_roles import assign_roles

log = logging.getLogger(__name__)

# Fewer characters than this on a page that shows an image: read it by OCR.
_MIN_TEXT_CHARS = 20


@dataclass
class PdfRead:
    lines: list[SourceLine]
    pages: int
    ocr_pages: list[int]
    hints: DocumentHints


class PdfError(AdvieszoekerError):
    """The PDF cannot be read; `str()` says why and what to do."""


def read_pdf(
    data: bytes, *, ocr: bool = True, max_pages: int | None = None, first_pages: int | None = None
) -> PdfRead:
    """Read a PDF; with `first_pages`, only that many (for a document's hints, quickly)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:
        # pdfplumber wraps pdfminer's errors: look at what it wraps.
        causes = [exc, *getattr(exc, "args", ())]
        if any(isinstance(c, PDFPasswordIncorrect | PDFEncryptionError) for c in causes):
            raise PdfError(
                "PDF is encrypted with a password; save an unprotected copy and ingest that"
            ) from exc
        if any(isinstance(c, PDFSyntaxError) for c in causes):
            raise PdfError("PDF is damaged or truncated; download or export it again") from exc
        raise PdfError(
            f"PDF is damaged or truncated ({type(exc).__name__}); download or export it again"
        ) from exc
    with pdf:
        try:
            n_pages = len(pdf.pages)
        except Exception as exc:
            raise PdfError(
                f"PDF is damaged or truncated ({type(exc).__name__}); download or export it again"
            ) from exc
        if max_pages is not None and n_pages > max_pages:
            raise PdfError(
                f"PDF has {n_pages} pages, over the limit of {max_pages}; split it first"
            )
        pages: list[list[TextLine]] = []
        heights: list[float] = []
        ocr_pages: list[int] = []
        for index, page in enumerate(pdf.pages[:first_pages]):
            number = index + 1
            try:
                lines, used_ocr = _page(page, number, data, ocr)
            except PdfError:
                raise
            except Exception as exc:
                raise PdfError(
                    f"PDF page {number} cannot be read ({type(exc).__name__}); "
                    "download or export it again"
                ) from exc
            if used_ocr:
                ocr_pages.append(number)
            pages.append(lines)
            heights.append(float(page.height))
        metadata = dict(pdf.metadata or {})
    layout = Layout(pages, heights)
    # Running texts by how often they repeat, page numbers and dates blanked out.
    furniture = furniture_lines(layout)
    running = Counter(re.sub(r"\d+", "", ln.text).strip() for ln in furniture)
    hints = document_hints(layout, metadata, [text for text, _ in running.most_common()])
    lines = assign_roles(layout, title=hints.title_lines, furniture=furniture)
    return PdfRead(lines, n_pages, ocr_pages, hints.hints)


def _page(page: object, number: int, data: bytes, ocr: bool) -> tuple[list[TextLine], bool]:
    """The lines of one page, from its text layer or, for an image-only page, by OCR."""
    words = [
        Word.from_pdfplumber(w)
        for w in page.extract_words(  # type: ignore[attr-defined]
            extra_attrs=["size", "fontname"], keep_blank_chars=False, use_text_flow=False
        )
        if w.get("upright", True)
    ]
    chars = sum(len(w.text) for w in words)
    if chars < _MIN_TEXT_CHARS and page.images:  # type: ignore[attr-defined]
        if not ocr:
            return [], False
        return _ocr_lines(data, number), True
    tables = []
    for table in page.find_tables():  # type: ignore[attr-defined]
        # A box around a paragraph is no table: at least two rows and two columns.
        rows = table_rows(table.cells)
        if len(rows) >= 2 and max((sum(c is not None for c in r) for r in rows), default=0) >= 2:
            tables.append((table.bbox, rows))
    return page_lines(words, number, float(page.width), tables), False  # type: ignore[attr-defined]


def _ocr_lines(data: bytes, number: int) -> list[TextLine]:
    from ingest.ocr import OcrError, ocr_page

    try:
        result = ocr_page(data, number - 1)
    except OcrError as exc:
        raise PdfError(f"page {number} has no text layer and cannot be read by OCR: {exc}") from exc
    out = []
    for line in result.lines:
        words = [
            Word(w.text, w.x0, w.x1, w.top, w.bottom, size=round(0.8 * (w.bottom - w.top), 0))
            for w in line.words
        ]
        if not words:
            continue
        # OCR boxes vary a little: one size for the whole line.
        size = max(1.0, round(sorted(w.size for w in words)[len(words) // 2], 0))
        words = [Word(w.text, w.x0, w.x1, w.top, w.bottom, size=size) for w in words]
        out.append(TextLine(words, number, ocr=True, paragraph=line.block * 1000 + line.paragraph))
    return out
