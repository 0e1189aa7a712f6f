"""Hostile and ordinary files for the upload tests, generated small and on the spot."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from pypdf import PdfReader, PdfWriter

REALDOCS = Path(__file__).parent / "data" / "realdocs"
# A real three-page memo with a text layer (SOURCES.md says where it comes from).
MEMO = REALDOCS / "Memo-Governance-Logius-Standaarden.pdf"
MEMO_SENTENCE = "Logius"

NOTA = (
    "Nota over het volwassenenonderwijs\n\n"
    + "De minister wil het volwassenenonderwijs hervormen met modulaire trajecten voor "
    "werkzoekenden en werkenden. Centra krijgen meer ruimte om opleidingen op maat te "
    "organiseren, ook in samenwerking met bedrijven uit de regio. " * 6
)


def write(folder: Path, name: str, data: bytes | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def zip_bomb_docx() -> bytes:
    """A DOCX of a few hundred KB whose document part unpacks to 300 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                part.write(chunk)
    return out.getvalue()


def blank_pages_pdf(pages: int = 1, width: float = 595, height: float = 842) -> bytes:
    """Empty pages (A4 by default): no text, no images, nothing for OCR either."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=width, height=height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def huge_page_pdf() -> bytes:
    """One page of 50 x 50 metres: OCR would render an image of many gigabytes."""
    return blank_pages_pdf(1, 141_732, 141_732)


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(MEMO))
    writer.encrypt(user_password="geheim", owner_password="nog-geheimer")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    data = MEMO.read_bytes()
    return data[: len(data) // 2]


def truncated_docx(docx: bytes) -> bytes:
    return docx[: len(docx) // 2]


def small_docx(text: str = NOTA) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Nota volwassenenonderwijs"
    for para in text.split("\n\n"):
        document.add_paragraph(para)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 400
HTML = b"<!DOCTYPE html><html><head><title>Rapport</title></head><body>Hallo</body></html>"
