"""Source lines: what every reader hands to the cleaner.

A reader turns a file into `SourceLine`s that remember where they came from
(line number in a text file, page in a PDF), so every cleaned block and every
passage can point back to its place in the source.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Private-use and odd bullet glyphs that PDF fonts map to.
_BULLETS = {"\uf0b7": "•", "\uf0a7": "•", "\uf0d8": "•", "\u25cf": "•", "\u25aa": "•"}
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")


@dataclass
class SourceLine:
    """One line of a source file.

    `new_page` marks the first line of a page (a leading space in the
    PDF-extracted seeds, a page break in a PDF); `heading` is a heading level
    known from the file format itself (DOCX styles, Markdown "#", type size in
    a PDF).

    Readers that see the layout (PDF, DOCX) also say what a line is, so the
    cleaner need not guess it from the words: `role` is "body", "footnote"
    (its first line carries the number in `footnote`) or "table" (one table
    row, cells joined by " | "); `cites` lists the footnote numbers whose
    markers the reader took out of the line; `ocr` marks text read by OCR.
    """

    text: str
    lineno: int
    page: int | None = None
    new_page: bool = False
    heading: int | None = None
    cites: list[int] = field(default_factory=list)
    role: str = "body"
    footnote: int | None = None
    ocr: bool = False

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


def normalize_line(text: str) -> str:
    """Unicode NFC, bullet glyphs, no soft hyphens; spacing is kept as is."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "")
    for glyph, bullet in _BULLETS.items():
        text = text.replace(glyph, bullet)
    return text.replace("\r", "")


def squeeze(text: str) -> str:
    """Collapse runs of spaces and tabs into one space and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def text_lines(text: str) -> list[SourceLine]:
    """Lines of a PDF-extracted text file; a leading space marks a new page."""
    out = []
    for i, raw in enumerate(text.split("\n"), start=1):
        line = normalize_line(raw)
        new_page = i == 1 or (line.startswith(" ") and bool(line.strip()))
        out.append(SourceLine(text=line, lineno=i, new_page=new_page))
    return out
