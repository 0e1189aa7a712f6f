"""The two things the whole pipeline passes around: a Document and its Passages."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_id(source: str) -> str:
    """A short opaque id for a document, safe to put in URLs instead of a path."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


# The fields of a Document that come from metadata.toml (or are guessed) and can
# change while the file itself does not.
METADATA_FIELDS = ("title", "author", "kind", "year", "addressee", "url")


@dataclass(frozen=True)
class DocumentHints:
    """What a reader learns about a document from the file itself: the title
    set in the largest type on the first page, a DOCX's core properties, a
    letter's date. `metadata.toml` overrides every field."""

    title: str | None = None
    author: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Document:
    """A document of the corpus, with its metadata and its cleaned text.

    `source` is the file name in the corpus (e.g. "000_dd143e5a53544ef1.txt");
    every passage span points into `cleaned`.
    """

    source: str
    title: str
    cleaned: str
    content_hash: str  # of the file bytes + cleaning version (pipeline.ingest_key): same, no work
    author: str | None = None
    kind: str | None = None  # advies, briefadvies, studie, ...
    year: int | None = None
    addressee: str | None = None
    url: str | None = None
    pages: int | None = None
    # Where each piece of `cleaned` comes from: (offset, page, line), sorted
    # by offset; see `locate`.
    anchors: tuple[Anchor, ...] = ()
    ocr_pages: tuple[int, ...] = ()  # pages read by OCR

    @property
    def doc_id(self) -> str:
        return document_id(self.source)

    def locate(self, start: int, end: int) -> Location:
        """The pages and source lines of `cleaned[start:end]`."""
        return locate(self.anchors, start, end, self.ocr_pages, self._anchor_offsets)

    @cached_property
    def _anchor_offsets(self) -> list[int]:
        # Searched for every highlight of every hit: computed once a document.
        return [a[0] for a in self.anchors]


# (offset in the cleaned text, page or None, source line number)
Anchor = tuple[int, int | None, int]


@dataclass(frozen=True)
class Location:
    """Where a span of the cleaned text is printed: pages (PDF) and lines (text files)."""

    page: int | None = None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    ocr: bool = False

    @property
    def pages_label(self) -> str | None:
        """ "p. 6", "p. 6–7" or None."""
        if self.page is None:
            return None
        if self.page_end is None or self.page_end == self.page:
            return f"p. {self.page}"
        return f"p. {self.page}–{self.page_end}"


def locate(
    anchors: tuple[Anchor, ...] | list[Anchor],
    start: int,
    end: int,
    ocr_pages: tuple[int, ...] = (),
    offsets: list[int] | None = None,
) -> Location:
    """The location of the span [start, end) given a document's anchors
    (`offsets`: their offsets, when the caller keeps them)."""
    if not anchors:
        return Location()
    if offsets is None:
        offsets = [a[0] for a in anchors]
    first = anchors[max(0, bisect_right(offsets, start) - 1)]
    last = anchors[max(0, bisect_right(offsets, max(start, end - 1)) - 1)]
    pages = [a[1] for a in (first, last) if a[1] is not None]
    ocr = any(p in ocr_pages for p in range(min(pages), max(pages) + 1)) if pages else False
    return Location(first[1], last[1], first[2], last[2], ocr)


@dataclass(frozen=True)
class Passage:
    """A quotable piece of a document: `text == document.cleaned[char_start:char_end]`.

    `kind` is "body" or "footnote". A footnote passage carries its number in
    `footnote`; a body passage lists the footnote numbers it cites in `cites`.
    """

    id: str
    source: str
    ordinal: int
    text: str
    char_start: int
    char_end: int
    section: tuple[str, ...] = ()
    kind: str = "body"
    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    footnote: int | None = None
    cites: tuple[int, ...] = field(default=())
    page_end: int | None = None  # the page the passage ends on, when it has pages

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)

    @property
    def pages_label(self) -> str | None:
        """ "p. 6", or "p. 6–7" for a passage over a page break."""
        return Location(self.page, self.page_end).pages_label

    @property
    def section_label(self) -> str | None:
        return " › ".join(self.section) if self.section else None


def passage_id(source: str, text: str, occurrence: int = 0) -> str:
    """Stable id from content: re-ingesting unchanged text gives the same ids."""
    key = f"{source}\n{occurrence}\n{text}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
