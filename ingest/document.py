"""The two things the whole pipeline passes around: a Document and its Passages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_id(source: str) -> str:
    """A short opaque id for a document, safe to put in URLs instead of a path."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


# The fields of a Document that come from metadata.toml (or are guessed) and can
# change while the file itself does not.
METADATA_FIELDS = ("title", "author", "kind", "year", "addressee", "url")


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

    @property
    def doc_id(self) -> str:
        return document_id(self.source)


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

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)

    @property
    def section_label(self) -> str | None:
        return " › ".join(self.section) if self.section else None


def passage_id(source: str, text: str, occurrence: int = 0) -> str:
    """Stable id from content: re-ingesting unchanged text gives the same ids."""
    key = f"{source}\n{occurrence}\n{text}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
