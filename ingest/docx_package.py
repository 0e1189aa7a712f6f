"""The package around a DOCX's text: the zip's limits and the core properties.

A DOCX is a zip; python-docx unpacks every part into memory, so the sizes the
zip declares are checked first. The core properties (title, creator,
created) give a document's hints, after dropping the values templates and
tools stamp on every file ("python-docx", "Word Document").
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any

from ingest.lines import SourceLine, squeeze
from ingest.readers import DocumentHints, UnreadableFile

MAX_UNPACKED_MB = 200
MAX_RATIO = 500  # unpacked / packed size of one part: even very repetitive XML stays near 100
_RATIO_FLOOR = 1024 * 1024  # small parts may compress as well as they like
MAX_PARTS = 10_000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PLACEHOLDER_TITLES = {"word document", "document", "titel", "title", "documenttitel"}
_PLACEHOLDER_AUTHORS = {
    "python-docx", "microsoft office user", "microsoft office-gebruiker", "windows user",
    "windows-gebruiker", "gebruiker", "user", "admin", "administrator", "auteur", "author",
}  # fmt: skip
# python-docx's template stamps this creation time on every document it makes.
_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15)
_MONTHS = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
_DATE_LINE = re.compile(rf"\b\d{{1,2}}\s+(?:{_MONTHS})\s+((?:19|20)\d\d)\b", re.IGNORECASE)


def check_zip(data: bytes) -> None:
    """Refuse what is no zip, and a zip whose parts would unpack to too much.

    Python's zipfile never inflates a part beyond the size its directory
    declares (and fails on a mismatch), so the declared sizes are a safe bound.
    """
    if data[:8] == _OLE_MAGIC:
        raise UnreadableFile(
            "DOCX is password-protected or an old .doc file; save it in Word as an "
            "unprotected .docx"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableFile(
            "DOCX is damaged or not a Word document; open and save it again in Word"
        ) from exc
    total = sum(info.file_size for info in infos)
    if len(infos) > MAX_PARTS or total > MAX_UNPACKED_MB * 1024 * 1024:
        raise UnreadableFile(
            f"DOCX would unpack to {total / 1024 / 1024:,.0f} MB in {len(infos)} parts, over the "
            f"{MAX_UNPACKED_MB} MB limit (a zip bomb or a damaged file); open and save it "
            "again in Word"
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > MAX_RATIO:
            raise UnreadableFile(
                f"DOCX part {info.filename} would expand {ratio:,.0f} times (a zip bomb?); "
                "open and save the document again in Word"
            )


def document_hints(props: Any, title_text: str | None, lines: list[SourceLine]) -> DocumentHints:
    """Title, author and year from the core properties and the title page.

    `title_text` is the first paragraph in the Title style, the title when the
    properties have none; `lines` are the document's lines, for a date line.
    """
    title = squeeze(props.title or "")
    if title.lower() in _PLACEHOLDER_TITLES or title.lower().startswith("microsoft word - "):
        title = ""
    author = squeeze(props.author or "")
    if author.lower() in _PLACEHOLDER_AUTHORS:
        author = ""
    return DocumentHints(
        title=title or title_text or None,
        author=author or None,
        year=_title_page_year(lines) or _created_year(props),
    )


def _title_page_year(lines: list[SourceLine]) -> int | None:
    """The year of a short date line ("Brussel, 12 maart 2024") among the first lines."""
    content = [ln for ln in lines if ln.stripped and ln.role == "body"][:15]
    for ln in content:
        m = _DATE_LINE.search(ln.text)
        if m and len(ln.text.split()) <= 8:
            return int(m.group(1))
    return None


def _created_year(props: Any) -> int | None:
    try:
        created = props.created
    except (ValueError, TypeError):
        return None
    if created is None or created.replace(tzinfo=None) == _TEMPLATE_CREATED:
        return None
    return created.year if 1990 <= created.year <= datetime.now().year + 1 else None
