"""OCR of pages without a text layer: words in order with boxes in PDF points,
the real low-resolution scan read, and a missing engine named, not skipped."""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from ingest import ocr
from ingest.ocr import OcrError, OcrUnavailable, ocr_available, ocr_page, parse_tsv

REALDOCS = Path(__file__).parent / "data" / "realdocs"
RSGB = REALDOCS / "Is-het-RSGB-nog-wel-een-gemeentelijk-referentiemodel.pdf"
WASSENAAR = REALDOCS / "Jaarstukken-2023-Wassenaar.pdf"
PX_PER_PT = 300 / 72  # the images below are drawn at 300 dpi


def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans from fontconfig where it exists, else Pillow's own font."""
    if shutil.which("fc-match"):
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", "DejaVuSans"], capture_output=True, text=True
        ).stdout
        if path and Path(path).exists():
            return ImageFont.truetype(path, size_px)
    return ImageFont.load_default(size=size_px)


def _image_pdf(
    width_pt: float, height_pt: float, texts: list[tuple[float, float, str, int]]
) -> bytes:
    """A one-page PDF whose only content is an image of `texts`: (x, y) in
    points from the top-left, the text, its size in points."""
    image = Image.new("L", (round(width_pt * PX_PER_PT), round(height_pt * PX_PER_PT)), 255)
    draw = ImageDraw.Draw(image)
    for x, y, text, size in texts:
        draw.text((x * PX_PER_PT, y * PX_PER_PT), text, fill=0, font=_font(round(size * PX_PER_PT)))
    pdf = FPDF(unit="pt", format=(width_pt, height_pt))
    pdf.add_page()
    png = io.BytesIO()
    image.save(png, format="PNG")
    pdf.image(png, x=0, y=0, w=width_pt, h=height_pt)
    return bytes(pdf.output())


LINES = [
    (30, 30, "De SERV adviseert over onderwijs", 14),
    (30, 60, "en werk voor jongeren in Vlaanderen.", 14),
    (30, 100, "Kleine letters onderaan de pagina", 8),
]


@pytest.fixture(scope="module")
def synthetic() -> bytes:
    return _image_pdf(340, 130, LINES)


def test_words_come_back_in_order_with_boxes_in_points(synthetic: bytes) -> None:
    page = ocr_page(synthetic, 0)
    assert (page.width, page.height) == pytest.approx((340, 130), abs=0.5)
    assert [line.text for line in page.lines] == [text for _, _, text, _ in LINES]
    for line, (x, y, _, size) in zip(page.lines, LINES, strict=True):
        # The box starts where the text was drawn (glyph side bearings and the
        # gap above capitals are a few points at most).
        assert line.x0 == pytest.approx(x, abs=3)
        assert y <= line.top <= y + size * 0.5
        words = line.words
        assert all(a.x1 < b.x0 for a, b in itertools.pairwise(words))
        assert all(line.x0 <= w.x0 < w.x1 <= line.x1 <= page.width for w in words)
        assert all(w.conf > 50 for w in words)
    # Line height follows the type size, so 14 pt lines stand out from 8 pt ones.
    assert page.lines[0].height > 1.4 * page.lines[2].height
    assert page.lines[0].top < page.lines[1].top < page.lines[2].top


def test_oversized_page_is_rendered_smaller_with_boxes_still_in_points(
    synthetic: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the page were poster-sized: the pixel budget forces about 190 dpi.
    monkeypatch.setattr(ocr, "MAX_PIXELS", 300_000)
    page = ocr_page(synthetic, 0)
    assert [line.text for line in page.lines][:2] == [text for _, _, text, _ in LINES[:2]]
    for line, (x, y, _, size) in zip(page.lines[:2], LINES[:2], strict=True):
        assert line.x0 == pytest.approx(x, abs=3)
        assert y <= line.top <= y + size * 0.5


def test_two_columns_are_read_column_by_column() -> None:
    # Two source pages side by side, as in the Wassenaar screen capture: each
    # column a paragraph of ragged lines with a wide gutter between them.
    left = [
        "Links staat de eerste kolom",
        "met een aantal regels tekst",
        "over de aansluiting van het",
        "onderwijs op de arbeidsmarkt.",
        "Scholen en werkgevers",
        "werken hierin samen.",
    ]
    right = [
        "Rechts staat de tweede kolom",
        "die pas daarna gelezen wordt",
        "omdat zij naast de eerste",
        "staat, zoals twee pagina's",
        "van een jaarverslag in een",
        "schermafdruk.",
    ]
    texts = [(20, 30 + 20 * i, t, 11) for i, t in enumerate(left)]
    texts += [(330, 30 + 20 * i, t, 11) for i, t in enumerate(right)]
    page = ocr_page(_image_pdf(560, 170, texts), 0)
    assert [line.text for line in page.lines] == left + right
    # No line runs across the gutter between the columns.
    assert all(line.x1 < 300 or line.x0 > 300 for line in page.lines)
    assert page.lines[0].block != page.lines[len(left)].block


def test_real_low_resolution_scan_is_read() -> None:
    page = ocr_page(RSGB.read_bytes(), 0)
    text = " ".join(line.text for line in page.lines)
    assert "Is het RSGB nog wel een gemeentelijk referentiemodel?" in text
    assert "Het RSGB is de opvolger van het GFO basisgegevens" in text
    assert "Hein van Schijndel heeft tien jaar ervaring" in text
    # The title is set larger than the body text.
    body = sorted(line.height for line in page.lines)[len(page.lines) // 2]
    assert page.lines[0].text.startswith("Is het RSGB") and page.lines[0].height > 1.5 * body


def test_real_screen_capture_of_two_pages_reads_left_page_first() -> None:
    # A landscape capture of pages 105 and 106 of a budget table, on a rotated A4 page.
    page = ocr_page(WASSENAAR.read_bytes(), 0)
    assert (page.width, page.height) == pytest.approx((841.9, 595.3), abs=0.5)
    middle = page.width / 2
    assert not [line.text for line in page.lines if line.x0 < middle < line.x1]
    sides = [line.x0 < middle for line in page.lines]
    # Every line of the left page comes before every line of the right page.
    assert sides == sorted(sides, reverse=True) and sides[0] and not sides[-1]
    texts = [line.text for line in page.lines]
    assert "Overzicht baten en lasten per taakveld" in texts
    assert any(t.startswith("1.2 Openbare orde en veiligheid") for t in texts)
    assert any(t.startswith("0.2 Burgerzaken 349.518") for t in texts)


def test_missing_tesseract_names_the_packages(
    synthetic: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    message = ocr_available()
    assert message is not None
    assert "apt-get install tesseract-ocr tesseract-ocr-nld" in message
    with pytest.raises(OcrUnavailable, match="apt-get install tesseract-ocr tesseract-ocr-nld"):
        ocr_page(synthetic, 0)


def test_missing_language_names_its_package() -> None:
    message = ocr_available("xqz")
    assert message is not None and "apt-get install tesseract-ocr-xqz" in message
    assert ocr_available("nld") is None


def test_page_out_of_range_and_damaged_pdf_say_so(synthetic: bytes) -> None:
    with pytest.raises(OcrError, match="has 1 pages; there is no page 3"):
        ocr_page(synthetic, 2)
    with pytest.raises(OcrError, match="cannot be opened"):
        ocr_page(b"%PDF-1.4 truncated", 0)


TSV_HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def test_tsv_noise_dropped_and_low_confidence_figures_kept() -> None:
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t1000\t1000\t-1\t",
        "4\t1\t1\t1\t1\t0\t100\t100\t500\t40\t-1\t",
        "5\t1\t1\t1\t1\t1\t80\t100\t10\t40\t29.0\tj",  # speckle beside a photo
        "5\t1\t1\t1\t1\t2\t100\t100\t200\t40\t91.5\tSaldo",
        "5\t1\t1\t1\t1\t3\t320\t100\t280\t40\t0.0\t4.427.241",  # right, but conf 0
        "5\t1\t1\t1\t1\t4\t610\t100\t10\t40\t12.0\t|",  # a table rule
        "5\t1\t1\t1\t1\t5\t630\t100\t10\t40\t95.0\t ",
        "5\t1\t2\t1\t1\t1\t100\t300\t30\t40\t80.0\t0",
        "5\t1\t3\t1\t1\t1\t100\t400\t30\t40\t5.0\t—",  # a line of punctuation only
    ]
    lines = parse_tsv("\n".join([TSV_HEADER, *rows]) + "\n", scale=0.5)
    assert [line.text for line in lines] == ["Saldo 4.427.241", "0"]
    first = lines[0]
    assert (first.x0, first.x1, first.top, first.bottom) == (50.0, 300.0, 50.0, 70.0)
    assert (first.block, first.paragraph) == (1, 1) and lines[1].block == 2
    assert first.words[1].conf == 0.0
