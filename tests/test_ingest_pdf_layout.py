"""The layout reader on small PDFs built here, one layout feature a test.

Each PDF is drawn with fpdf2 at exact positions, so the test knows what is a
running footer, a footnote, a superscript marker, a heading, a column, a table
row, and on which page every sentence is printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from ingest.clean import clean_lines
from ingest.dehyphenate import Vocabulary
from ingest.passages import PassageSizes, build_passages
from ingest.pdf_reader import read_pdf

BODY = [
    "De SERV vraagt dat elke school een plan opmaakt voor de begeleiding van",
    "nieuwe leraren, met een mentor die daarvoor tijd krijgt in het",
    "lesrooster van de school en met een vaste contactpersoon.",
]


def _page(pdf: FPDF, number: int, pages: int) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 12, "Advieszoeker testrapport - versie 1")
    pdf.text(170, 287, f"Pagina {number} van {pages}")


def _line(pdf: FPDF, y: float, text: str, size: float = 11, style: str = "") -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.text(20, y, text)


def _report(path: Path) -> Path:
    """Three pages: running header and footer, a heading, numbered paragraphs, a
    footnote with its superscript marker, and a sentence over a page break."""
    pdf = FPDF(unit="mm", format="A4")
    _page(pdf, 1, 3)
    _line(pdf, 40, "Begeleiding van startende leraren", size=22, style="B")
    _line(pdf, 60, "1. Inleiding", size=15, style="B")
    for i, text in enumerate(BODY):
        _line(pdf, 72 + 6 * i, text)
    # "... de Vlaamse Regering¹" with a raised, smaller 1.
    _line(pdf, 96, "Het advies volgt op een vraag van de Vlaamse Regering")
    pdf.set_font("Helvetica", size=7)
    width = pdf.get_string_width("Het advies volgt op een vraag van de Vlaamse Regering") * 11 / 7
    pdf.text(20 + width + 0.3, 94.5, "1")
    _line(pdf, 102, "in het voorjaar van 2024.")
    _line(pdf, 114, "10. De mentor krijgt minstens twee uur per week voor de begeleiding.")
    _line(pdf, 126, "De school stelt het plan op in overleg met de lerarenopleiding en")
    _line(pdf, 132, "legt het voor aan de")
    pdf.set_font("Helvetica", size=8)
    pdf.text(20, 272, "1 Brief van de minister van Onderwijs van 12 maart 2024.")
    _page(pdf, 2, 3)
    _line(pdf, 30, "schoolraad, die het jaarlijks bespreekt.")
    _line(pdf, 48, "2. Aanbevelingen", size=15, style="B")
    _line(pdf, 60, "Zet in op een sterke aanvangsbegeleiding in alle scholen.")
    _page(pdf, 3, 3)
    _line(pdf, 30, "De SERV herhaalt dat in het advies van F12 en Q24 staat.")
    pdf.output(str(path))
    return path


def _clean(path: Path):
    read = read_pdf(path.read_bytes(), ocr=False)
    cleaned = clean_lines(read.lines, Vocabulary(), structured=True)
    return read, cleaned


def test_running_header_and_footer_never_reach_the_text(tmp_path: Path) -> None:
    _, cleaned = _clean(_report(tmp_path / "r.pdf"))
    assert "Pagina" not in cleaned.text
    assert "testrapport" not in cleaned.text


def test_footnote_is_its_own_block_and_its_marker_leaves_the_sentence(tmp_path: Path) -> None:
    _, cleaned = _clean(_report(tmp_path / "r.pdf"))
    (note,) = cleaned.footnotes
    assert note.footnote == 1 and note.text.startswith("Brief van de minister")
    assert "Vlaamse Regering in het voorjaar van 2024." in cleaned.text
    citing = [b for b in cleaned.blocks if 1 in b.cites]
    assert citing and "Vlaamse Regering" in citing[0].text


def test_numbered_paragraph_stays_text_and_headings_become_sections(tmp_path: Path) -> None:
    _, cleaned = _clean(_report(tmp_path / "r.pdf"))
    paragraph = next(b for b in cleaned.blocks if b.text.startswith("10. De mentor"))
    assert paragraph.kind != "heading"
    assert paragraph.section == ("1. Inleiding",)
    advice = next(b for b in cleaned.blocks if b.text.startswith("Zet in op"))
    assert advice.section == ("2. Aanbevelingen",)


def test_title_from_the_largest_type_and_numbers_of_the_text_kept(tmp_path: Path) -> None:
    read, cleaned = _clean(_report(tmp_path / "r.pdf"))
    assert read.hints.title == "Begeleiding van startende leraren"
    assert read.hints.year == 2024
    assert "F12 en Q24" in cleaned.text and "12 maart 2024" in cleaned.text


def test_sentence_over_a_page_break_is_one_passage_cited_on_both_pages(tmp_path: Path) -> None:
    _, cleaned = _clean(_report(tmp_path / "r.pdf"))
    sentence = "legt het voor aan de schoolraad, die het jaarlijks bespreekt."
    assert sentence in cleaned.text
    passages = build_passages("r.pdf", cleaned, PassageSizes(5, 20, 60))
    (over,) = [p for p in passages if sentence in p.text]
    assert (over.page, over.page_end) == (1, 2)
    assert over.pages_label == "p. 1–2"
    start = cleaned.text.index("schoolraad")
    from ingest.document import locate

    assert locate(cleaned.anchors, start, start + 10).page == 2


def test_two_columns_are_read_one_after_the_other(tmp_path: Path) -> None:
    left = [
        "De linkerkolom begint hier met een zin",
        "die over meerdere regels doorloopt en",
        "hier eindigt met een punt.",
    ]
    right = [
        "De rechterkolom heeft een eigen zin die",
        "ook over een paar regels loopt en pas",
        "hier zijn einde vindt.",
    ]
    pdf = FPDF(unit="mm", format="A4")
    pdf.add_page()
    for i, (a, b) in enumerate(zip(left * 3, right * 3, strict=True)):
        _line(pdf, 30 + 6 * i, a)
        pdf.text(112, 30 + 6 * i, b)
    path = tmp_path / "cols.pdf"
    pdf.output(str(path))
    _, cleaned = _clean(path)
    text = " ".join(cleaned.text.split())
    assert "met een zin die over meerdere regels doorloopt en hier eindigt" in text
    assert text.index("De linkerkolom") < text.index("De rechterkolom")


def test_a_ruled_table_keeps_its_rows_and_cells_in_order(tmp_path: Path) -> None:
    pdf = FPDF(unit="mm", format="A4")
    pdf.add_page()
    _line(pdf, 20, "Reistijd naar de dichtstbijzijnde school per provincie.")
    pdf.set_y(30)
    pdf.set_font("Helvetica", size=11)
    with pdf.table(col_widths=(60, 60)) as table:
        for row in (
            ("Provincie", "Reistijd"),
            ("Limburg", "74 minuten"),
            ("Antwerpen", "41 minuten"),
        ):
            cells = table.row()
            for cell in row:
                cells.cell(cell)
    path = tmp_path / "table.pdf"
    pdf.output(str(path))
    read, cleaned = _clean(path)
    assert [ln.text for ln in read.lines if ln.role == "table"] == [
        "Provincie | Reistijd",
        "Limburg | 74 minuten",
        "Antwerpen | 41 minuten",
    ]
    assert "Limburg | 74 minuten\nAntwerpen | 41 minuten" in cleaned.text


@pytest.mark.parametrize("pages", [1, 3])
def test_page_numbers_alone_are_furniture_on_any_number_of_pages(
    tmp_path: Path, pages: int
) -> None:
    pdf = FPDF(unit="mm", format="A4")
    for n in range(1, pages + 1):
        pdf.add_page()
        _line(pdf, 60, f"Tekst van blad {n} over leren en werken in Vlaanderen.")
        pdf.set_font("Helvetica", size=9)
        pdf.text(105, 288, str(n))
    path = tmp_path / "n.pdf"
    pdf.output(str(path))
    _, cleaned = _clean(path)
    assert cleaned.blocks[0].text.startswith("Tekst van blad 1")
    assert all(not b.text.strip().isdigit() for b in cleaned.blocks)
