"""Document metadata: from a `metadata.toml` next to the files, else guessed from the text.

Only the title is ever guessed (from the letter's title line or the first
heading); year, author, URL stay empty unless the metadata file gives them.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ingest.clean import CleanedDocument
from ingest.errors import AdvieszoekerError

log = logging.getLogger(__name__)

METADATA_FILE = "metadata.toml"
FIELDS = ("title", "author", "kind", "addressee", "year", "url")


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    author: str | None = None
    kind: str | None = None
    addressee: str | None = None
    year: int | None = None
    url: str | None = None


class MetadataError(AdvieszoekerError, ValueError):
    """The metadata file cannot be read; the message says where and what to fix."""


def load_metadata(folder: Path) -> dict[str, Metadata]:
    """The entries of `folder/metadata.toml` by file name ({} if there is none)."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{path}: not valid TOML ({exc}); fix the file") from exc
    out = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise MetadataError(f"{path}: [{name}] must be a table of fields")
        unknown = set(entry) - set(FIELDS)
        if unknown:
            raise MetadataError(
                f"{path}: [{name}] has unknown field(s) {', '.join(sorted(unknown))}; "
                f"valid fields: {', '.join(FIELDS)}"
            )
        year = entry.get("year")
        if year is not None and not isinstance(year, int):
            raise MetadataError(f"{path}: [{name}] year must be a number like 2025")
        out[name] = Metadata(**{k: entry.get(k) for k in FIELDS})
    return out


def guess_title(doc: CleanedDocument, fallback: str) -> str:
    """A title from the text: the letter's title line, else the first heading or line."""
    if doc.title:
        return doc.title
    for block in doc.blocks:
        if block.kind == "heading" and len(block.text) > 3:
            return block.text[:150]
    for block in doc.blocks:
        if block.text.strip():
            first = block.text.strip().split(". ")[0]
            return first[:120]
    return fallback
