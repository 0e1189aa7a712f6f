"""What a file sent from the browser must pass before it is stored or read.

The type is decided by the bytes, never by the name: a program or a web page
named `rapport.pdf` is refused, and so is a name whose extension contradicts
the content. The cheap structural checks come first (size, empty, truncated,
encrypted, page count, page size, a DOCX's unpacked size), so a hostile file
is refused before the layout reader or OCR spends memory on it. Every refusal
is an `UploadRejected` whose text is the Dutch sentence the user reads.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath

from ingest.document import DocumentHints
from ingest.errors import AdvieszoekerError
from ingest.settings import Settings

log = logging.getLogger(__name__)

TYPE_NAMES = {
    ".pdf": "een PDF",
    ".docx": "een Word-document (DOCX)",
    ".txt": "een tekstbestand",
    ".md": "een Markdown-bestand",
}
# Larger than any paper format in use (A0 is 2384 x 3370 points); a bigger
# page would make OCR render an image of gigabytes.
MAX_PAGE_POINTS = 7200.0
_EOF_WINDOW = 2048
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PROGRAMS = (
    (b"MZ", "een Windows-programma"),
    (b"\x7fELF", "een Linux-programma"),
    (b"\xcf\xfa\xed\xfe", "een macOS-programma"),
    (b"\xca\xfe\xba\xbe", "een macOS- of Java-programma"),
    (b"#!", "een script"),
)
_HTML = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|script|svg)\b", re.I | re.S
)


class UploadRejected(AdvieszoekerError, ValueError):
    """One file cannot be added; the text says why and what to do, in Dutch."""


@dataclass(frozen=True)
class Inspected:
    """A file that passed the checks, with what it says about itself."""

    suffix: str  # by content: .pdf, .docx, .txt or .md
    sha256: str
    size: int
    pages: int | None
    hints: DocumentHints


def allowed_types(settings: Settings) -> tuple[str, ...]:
    """The types `settings.upload_types` allows, as suffixes (".pdf", ...)."""
    out = []
    for item in settings.upload_types.split(","):
        suffix = "." + item.strip().lower().lstrip(".")
        if suffix in TYPE_NAMES and suffix not in out:
            out.append(suffix)
    return tuple(out)


def inspect_upload(path: Path, name: str, settings: Settings) -> Inspected:
    """Check one uploaded file (at `path`; `name` is what the browser called it)."""
    size = path.stat().st_size
    limit = settings.upload_max_mb
    if size > limit * 1024 * 1024:
        raise UploadRejected(
            f"Het bestand is {size / 1024 / 1024:.1f} MB; de grens is {limit:g} MB. "
            "Splits het document of verklein het (bijvoorbeeld de afbeeldingen)."
        )
    data = path.read_bytes()
    if not data.strip():
        raise UploadRejected("Het bestand is leeg. Kies het volledige document.")
    suffix = detect_type(data, PurePath(name).suffix.lower())
    claimed = PurePath(name).suffix.lower()
    if claimed in TYPE_NAMES and not _same_type(claimed, suffix):
        raise UploadRejected(
            f"De naam eindigt op {claimed}, maar het bestand is {TYPE_NAMES[suffix]}. "
            "Kies het juiste bestand of geef het de juiste naam."
        )
    allowed = allowed_types(settings)
    if suffix not in allowed:
        raise UploadRejected(
            f"Dit bestand is {TYPE_NAMES[suffix]}; toegestaan zijn {', '.join(allowed)}."
        )
    pages, hints = None, DocumentHints()
    if suffix == ".pdf":
        pages, hints = _check_pdf(data, settings.upload_max_pages)
    elif suffix == ".docx":
        hints = _check_docx(data)
    else:
        hints = _check_text(data)
    return Inspected(suffix, hashlib.sha256(data).hexdigest(), size, pages, hints)


def detect_type(data: bytes, claimed: str = "") -> str:
    """The file type by its first bytes (UploadRejected for anything not a document)."""
    head = data[:1024]
    if b"%PDF-" in head:
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        return ".docx" if _zip_has(data, "word/document.xml") else _refuse("een zip-archief")
    if head.startswith(_OLE_MAGIC):
        raise UploadRejected(
            "Dit is een beveiligd Word-document of een oud .doc-bestand. Sla het in Word op "
            "als .docx zonder wachtwoord en probeer het opnieuw."
        )
    for magic, what in _PROGRAMS:
        if head.startswith(magic):
            _refuse(what)
    if _HTML.match(head):
        _refuse("een webpagina (HTML)")
    from ingest.readers import UnreadableFile, decode_text

    try:
        decode_text(data)
    except UnreadableFile:
        _refuse("een onbekend binair bestand")
    return ".md" if claimed in (".md", ".markdown") else ".txt"


def _refuse(what: str) -> str:
    raise UploadRejected(
        f"Dit bestand is {what}, geen document. Voeg een PDF, Word-document (DOCX), "
        "tekst- of Markdown-bestand toe."
    )


def _same_type(claimed: str, detected: str) -> bool:
    text = (".txt", ".md")
    return claimed == detected or (claimed in text and detected in text)


def _zip_has(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UploadRejected(
            "Het Word-document is beschadigd of afgebroken. Open het in Word, sla het opnieuw "
            "op en probeer het nog eens."
        ) from None


def _check_pdf(data: bytes, max_pages: int) -> tuple[int, DocumentHints]:
    from pypdf import PdfReader

    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise UploadRejected(
            "De PDF is afgebroken: het einde van het bestand ontbreekt. Download of "
            "exporteer het document opnieuw."
        )
    # pypdf reports every oddity of a damaged file on its logger: keep them out of the log.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadRejected(
                "De PDF is beveiligd met een wachtwoord. Sla een kopie zonder beveiliging op "
                "en voeg die toe."
            )
        pages = len(reader.pages)
        if pages > max_pages:
            raise UploadRejected(
                f"De PDF heeft {pages:,} pagina's; de grens is {max_pages:,}. Splits het "
                "document in delen.".replace(",", ".")
            )
        for number, page in enumerate(reader.pages, start=1):
            box = page.mediabox
            width, height = float(box.width), float(box.height)
            if not (0 < width <= MAX_PAGE_POINTS and 0 < height <= MAX_PAGE_POINTS):
                raise UploadRejected(
                    f"Pagina {number} van de PDF is {width / 72 * 2.54:.0f} × "
                    f"{height / 72 * 2.54:.0f} cm groot; dat is geen leesbaar document. "
                    "Exporteer het opnieuw op een gewoon papierformaat."
                )
    except UploadRejected:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        log.info("PDF refused: %s: %s", type(exc).__name__, exc)
        raise UploadRejected(
            "De PDF is beschadigd en kan niet gelezen worden. Download of exporteer het "
            "document opnieuw."
        ) from None
    if pages == 0:
        raise UploadRejected("De PDF heeft geen pagina's. Kies het volledige document.")
    return pages, _pdf_hints(data)


def _pdf_hints(data: bytes) -> DocumentHints:
    """Title, issuer and year as ingest reads them, from the first two pages only."""
    from ingest.pdf_reader import read_pdf

    try:
        return read_pdf(data, ocr=False, first_pages=2).hints
    except Exception as exc:  # the full read during ingest says what is wrong
        log.info("no hints from the PDF: %s: %s", type(exc).__name__, exc)
        return DocumentHints()


def _check_docx(data: bytes) -> DocumentHints:
    """A DOCX's zip limits (a zip bomb is refused unread), then its hints."""
    from ingest.docx_package import MAX_UNPACKED_MB, check_zip
    from ingest.docx_reader import read_docx
    from ingest.readers import UnreadableFile

    try:
        check_zip(data)
    except UnreadableFile as exc:
        if "unpack" in str(exc) or "expand" in str(exc):
            raise UploadRejected(
                f"Het Word-document zou uitpakken tot meer dan {MAX_UNPACKED_MB} MB: een "
                "zip-bom of een beschadigd bestand. Open het in Word en sla het opnieuw op."
            ) from None
        raise UploadRejected(
            "Het Word-document is beschadigd. Open het in Word, sla het opnieuw op en "
            "probeer het nog eens."
        ) from None
    try:
        _, hints = read_docx(data)
    except UnreadableFile as exc:
        raise UploadRejected(dutch_reason(str(exc))) from None
    return hints


def _check_text(data: bytes) -> DocumentHints:
    from ingest.readers import decode_text

    text, _ = decode_text(data)
    first = next((ln.strip(" #\t") for ln in text.splitlines() if ln.strip()), "")
    return DocumentHints(title=first[:150] or None)


# Ingest's reasons (English, for the CLI) as the Dutch sentence the upload panel shows.
_REASONS = (
    ("encrypted", "Het bestand is beveiligd met een wachtwoord. Sla een kopie zonder "
     "beveiliging op en voeg die toe."),
    ("no text layer", "De PDF bevat geen tekst en ook OCR kon er geen tekst in lezen. "
     "Controleer dat de pagina's niet leeg zijn, of exporteer het document opnieuw."),
    ("cannot be read by OCR", "De PDF bevat gescande pagina's die OCR niet kon lezen. "
     "Exporteer het document met een tekstlaag."),
    ("no text", "Het bestand bevat geen leesbare tekst. Kies het volledige document."),
    ("damaged", "Het bestand is beschadigd of afgebroken. Download of exporteer het opnieuw."),
    ("binary", "Het bestand is geen tekst. Voeg een PDF, DOCX, TXT of MD toe."),
    ("MB", "Het bestand is te groot. Splits het document."),
)  # fmt: skip


def dutch_reason(reason: str) -> str:
    """Ingest's one-line reason for skipping a file, said in Dutch."""
    for key, dutch in _REASONS:
        if key in reason:
            return dutch
    return f"Het bestand kon niet gelezen worden ({reason})."
