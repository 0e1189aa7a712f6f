"""Read corpus files (.txt, .pdf, .docx, .md) into source lines.

Every problem a user can meet with a file becomes an `UnreadableFile` with a
one-line reason that says what to do; the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.document import DocumentHints
from ingest.lines import SourceLine, normalize_line, text_lines

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".pdf", ".docx", ".md")


class UnreadableFile(Exception):
    """A file that cannot be ingested; `str()` is the one-line reason and what to do."""


SkippedFile = UnreadableFile


@dataclass
class RawDocument:
    path: Path
    lines: list[SourceLine]
    content_hash: str  # of the file bytes
    pages: int | None = None
    encoding: str = "utf-8"
    note: str | None = None  # e.g. "decoded as cp1252"
    # True when the reader saw the layout (PDF, DOCX): headings, footnotes,
    # tables and paragraph breaks on the lines are known, not to be guessed.
    structured: bool = False
    hints: DocumentHints = field(default_factory=DocumentHints)


def read_document(path: Path, *, max_file_mb: float = 50.0) -> RawDocument:
    """Read one file; raises UnreadableFile with a one-line reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UnreadableFile(
            f"unsupported file type {suffix or '(none)'}; convert it to {', '.join(SUPPORTED)}"
        )
    try:
        size = path.stat().st_size
        if size > max_file_mb * 1024 * 1024:
            raise UnreadableFile(
                f"file is {size / 1024 / 1024:.1f} MB, over the {max_file_mb:g} MB limit; "
                "split it or raise ADVIESZOEKER_MAX_FILE_MB"
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableFile("file disappeared before it could be read; run ingest again") from exc
    except PermissionError as exc:
        raise UnreadableFile("no permission to read the file; check its permissions") from exc
    except IsADirectoryError as exc:
        raise UnreadableFile("is a folder, not a file") from exc
    if not data.strip():
        raise UnreadableFile("file is empty; remove it or replace it with the full document")
    digest = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        raw = _read_pdf(data)
        raw.path, raw.content_hash = path, digest
        return raw
    if suffix == ".docx":
        lines, hints = _read_docx(data)
        return RawDocument(path, lines, digest, structured=True, hints=hints)
    text, encoding = decode_text(data)
    note = f"decoded as {encoding}" if encoding != "utf-8" else None
    lines = _markdown_lines(text) if suffix == ".md" else text_lines(text)
    if not any(ln.stripped for ln in lines):
        raise UnreadableFile("file has no text; remove it or replace it with the full document")
    return RawDocument(path, lines, digest, encoding=encoding, note=note)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM), else cp1252, else latin-1.

    Refuses binary data saved under a text extension.
    """
    if b"\x00" in data[:8192] or _binary_ratio(data[:8192]) > 0.1:
        raise UnreadableFile(
            "looks like a binary file, not text; export the document as .txt, .pdf or .docx"
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _binary_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    control = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13))
    return control / len(data)


def _read_pdf(data: bytes) -> RawDocument:
    from ingest.pdf_reader import PdfError, read_pdf

    try:
        read = read_pdf(data)
    except PdfError as exc:
        raise UnreadableFile(str(exc)) from exc
    if not any(ln.stripped for ln in read.lines):
        raise UnreadableFile(
            "PDF has no text layer and no text could be read from its page images by OCR; "
            "check that the pages are not blank, or export the document again"
        )
    note = None
    if read.ocr_pages:
        pages = ", ".join(str(p) for p in read.ocr_pages)
        note = f"read by OCR (no text layer): page(s) {pages}"
    return RawDocument(
        Path(),
        read.lines,
        "",
        pages=read.pages,
        note=note,
        structured=True,
        hints=read.hints,
    )


def _read_docx(data: bytes) -> tuple[list[SourceLine], DocumentHints]:
    # Imported here: docx_reader needs this module's UnreadableFile and DocumentHints.
    from ingest.docx_reader import read_docx

    return read_docx(data)


def _markdown_lines(text: str) -> list[SourceLine]:
    lines = []
    for i, raw in enumerate(text.split("\n"), start=1):
        line = normalize_line(raw)
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            lines.append(SourceLine(m.group(2), i, heading=len(m.group(1))))
            lines.append(SourceLine(" ", i))
            continue
        line = re.sub(r"^\s*[*+]\s+", "• ", line)
        line = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), line)
        lines.append(SourceLine(line, i))
    return lines
