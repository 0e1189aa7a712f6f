"""Read a PDF page that has no text layer with Tesseract OCR.

The layout reader calls `ocr_page` for a scanned or screen-captured page and
gets words and lines with boxes in PDF points (origin top-left, as pdfplumber
gives characters), so the same layout rules (columns, headings by size,
footers by position) apply to OCR'd text. Line height stands in for font size.

The page is rendered with pypdfium2 and read by the `tesseract` command-line
program (Debian: `tesseract-ocr`, `tesseract-ocr-nld`) with TSV output; the
CLI is used rather than a Python binding so nothing but the Debian packages is
needed. A missing engine or language is an `OcrUnavailable` whose message
names the packages to install, never a silent skip.

This module does not import `ingest.readers`: the reader imports this one, and
`OcrError` stays its own exception for the reader to turn into an
`UnreadableFile` (an import the other way would be a cycle).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess
from dataclasses import dataclass

from ingest.errors import AdvieszoekerError

TESSERACT = "tesseract"
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-nld (or run `make ocr`)"
# Tesseract takes 5-25 s for a dense A4 page at 300 dpi on this machine; a page
# that takes ten times that is a broken page, not a slow one.
TIMEOUT_S = 300.0
# A word is noise when Tesseract is this unsure AND it is punctuation only or a
# single character: speckle from photos, logos and table rules ("|", "®", a
# stray "j" beside the author photo in the RSGB scan, conf 29-33). Real single
# characters score higher (the 174 "0" cells of the Wassenaar table: conf 66 and
# up). Longer words are kept at any confidence because Tesseract gives conf 0 to
# correctly read table figures ("4.427.241" in the Wassenaar table): dropping
# them would lose content, and a misread word costs search little.
NOISE_CONF = 50.0
# An A4 page at 300 dpi is 8.7 million pixels; a poster-sized page is rendered
# at a lower resolution rather than at a size that Tesseract chews on for minutes.
MAX_PIXELS = 40_000_000


class OcrError(AdvieszoekerError):
    """OCR could not read a page; `str()` says why and what to do."""


class OcrUnavailable(OcrError):
    """The OCR engine or its language data is not installed."""


@dataclass(frozen=True)
class OcrWord:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    conf: float  # Tesseract's confidence, 0-100


@dataclass(frozen=True)
class OcrLine:
    """One line as Tesseract segmented it; `block` and `paragraph` number the
    text blocks (columns, cells) and paragraphs within them on the page."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    block: int
    paragraph: int
    words: tuple[OcrWord, ...]

    @property
    def height(self) -> float:
        """Stands in for the font size a text layer would give."""
        return self.bottom - self.top


@dataclass(frozen=True)
class OcrPage:
    """A page's OCR'd lines in Tesseract's reading order, in PDF points."""

    width: float
    height: float
    lines: list[OcrLine]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def ocr_available(language: str = "nld") -> str | None:
    """None when `tesseract` and the language data are installed, else the
    message to show (it names the packages to install)."""
    binary = shutil.which(TESSERACT)
    if binary is None:
        return (
            f"OCR engine Tesseract is not installed (no `{TESSERACT}` program found); "
            f"install it with {INSTALL_HINT}"
        )
    installed = _languages(binary)
    missing = [lang for lang in language.split("+") if lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        return (
            f"Tesseract has no language data for {', '.join(missing)}; "
            f"install it with apt-get install {packages}"
        )
    return None


@functools.lru_cache(maxsize=8)
def _languages(binary: str) -> frozenset[str]:
    try:
        out = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    # The first line is a header ("List of available languages in ...").
    return frozenset(line.strip() for line in out.stdout.splitlines()[1:] if line.strip())


def ocr_page(pdf: bytes, page_index: int, *, dpi: int = 300, language: str = "nld") -> OcrPage:
    """OCR page `page_index` (0-based) of the PDF in `pdf`.

    300 dpi is Tesseract's sweet spot for body text; rendering a low-resolution
    screenshot (the RSGB scan is ~106 ppi) at 300 dpi upsamples it, which reads
    better than its native resolution (see `bench/pdf_readers.py`).
    """
    problem = ocr_available(language)
    if problem:
        raise OcrUnavailable(problem)
    image, width, height, dpi = _render(pdf, page_index, dpi)
    tsv = _tesseract(image, dpi=dpi, language=language)
    return OcrPage(width=width, height=height, lines=parse_tsv(tsv, scale=72.0 / dpi))


def _render(pdf: bytes, page_index: int, dpi: int) -> tuple[bytes, float, float, int]:
    """The page as a grayscale PNM image, its size in points (after the page's
    /Rotate, as pdfplumber reports it) and the dpi it was rendered at: `dpi`,
    or less for a page so large that it would pass `MAX_PIXELS`."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise OcrError(
            f"PDF cannot be opened for OCR ({exc}); download or export it again"
        ) from exc
    try:
        if not 0 <= page_index < len(doc):
            raise OcrError(f"PDF has {len(doc)} pages; there is no page {page_index + 1} to OCR")
        page = doc[page_index]
        width, height = page.get_size()
        dpi = min(dpi, int(72 * (MAX_PIXELS / max(1.0, width * height)) ** 0.5))
        bitmap = page.render(scale=dpi / 72.0, grayscale=True)
        buffer = io.BytesIO()
        bitmap.to_pil().save(buffer, format="PPM")
        return buffer.getvalue(), float(width), float(height), dpi
    finally:
        doc.close()


def _tesseract(image: bytes, *, dpi: int, language: str) -> str:
    # One thread per Tesseract: the machine's cores are better spent on pages in
    # parallel, and OpenMP threads oversubscribe a shared 2-core machine.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    command = [TESSERACT, "stdin", "stdout", "-l", language, "--dpi", str(dpi), "tsv"]
    try:
        done = subprocess.run(
            command, input=image, capture_output=True, env=env, timeout=TIMEOUT_S, check=False
        )
    except FileNotFoundError as exc:
        raise OcrUnavailable(
            f"OCR engine Tesseract is not installed; install it with {INSTALL_HINT}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise OcrError(
            f"Tesseract took over {TIMEOUT_S:.0f} s on one page; check the page or OCR it apart"
        ) from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"Tesseract failed on the page ({reason[-1] if reason else 'no message'})")
    return done.stdout.decode("utf-8", "replace")


def parse_tsv(tsv: str, *, scale: float) -> list[OcrLine]:
    """Lines from Tesseract's TSV in its reading order, pixel boxes times
    `scale` (points per pixel), noise words dropped, empty lines left out."""
    grouped: dict[tuple[int, int, int], list[OcrWord]] = {}
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        # Level 5 rows are words; the others are page, block, paragraph, line boxes.
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        conf = float(row["conf"])
        if not text or _is_noise(text, conf):
            continue
        left, top = int(row["left"]) * scale, int(row["top"]) * scale
        word = OcrWord(
            text=text,
            x0=left,
            x1=left + int(row["width"]) * scale,
            top=top,
            bottom=top + int(row["height"]) * scale,
            conf=conf,
        )
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        # dicts keep insertion order, which is Tesseract's reading order.
        grouped.setdefault(key, []).append(word)
    return [
        OcrLine(
            text=" ".join(w.text for w in words),
            x0=min(w.x0 for w in words),
            x1=max(w.x1 for w in words),
            top=min(w.top for w in words),
            bottom=max(w.bottom for w in words),
            block=block,
            paragraph=paragraph,
            words=tuple(words),
        )
        for (block, paragraph, _), words in grouped.items()
    ]


def _is_noise(text: str, conf: float) -> bool:
    if conf >= NOISE_CONF:
        return False
    return len(text) == 1 or not any(ch.isalnum() for ch in text)
