"""The DOCX reader: document order, tables, lists, headings, notes, properties, bad zips."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from ingest.docx_reader import read_docx
from ingest.lines import SourceLine
from ingest.pipeline import ingest_paths
from ingest.readers import UnreadableFile, read_document
from ingest.settings import Settings
from ingest.store import Store

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}s"
_NOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}s+xml"


def _bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _content(lines: list[SourceLine]) -> list[str]:
    return [ln.text for ln in lines if not ln.is_blank]


def _line(lines: list[SourceLine], start: str) -> SourceLine:
    return next(ln for ln in lines if ln.text.startswith(start))


def _with_notes(data: bytes, notes: dict[str, dict[str, str]]) -> bytes:
    """Add footnotes.xml / endnotes.xml to a DOCX, and turn "[[FN:2]]" runs into references.

    python-docx cannot write notes, so the test writes the parts Word would.
    `notes` maps "footnote"/"endnote" to {id: text}; the separator notes Word
    always writes (ids -1 and 0) are included so the reader must skip them.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {name: source.read(name) for name in source.namelist()}
    body = parts["word/document.xml"].decode()
    for tag, kind in (("FN", "footnote"), ("EN", "endnote")):
        body = re.sub(
            rf"<w:t>\[\[{tag}:(\d+)\]\]</w:t>",
            rf'<w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Reference w:id="\1"/>',
            body,
        )
    parts["word/document.xml"] = body.encode()
    rels = parts["word/_rels/document.xml.rels"].decode()
    types = parts["[Content_Types].xml"].decode()
    for kind, texts in notes.items():
        items = [
            f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r>'
            f"<w:separator/></w:r></w:p></w:{kind}>",
            f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r>'
            f"<w:continuationSeparator/></w:r></w:p></w:{kind}>",
        ]
        for note_id, text in texts.items():
            paragraphs = "".join(
                f"<w:p><w:r><w:{kind}Ref/></w:r>"
                f"<w:r><w:t xml:space='preserve'> {t}</w:t></w:r></w:p>"
                if i == 0
                else f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>"
                for i, t in enumerate(text.split("\n"))
            )
            items.append(f'<w:{kind} w:id="{note_id}">{paragraphs}</w:{kind}>')
        parts[f"word/{kind}s.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:{kind}s xmlns:w="{W}">{"".join(items)}</w:{kind}s>'
        ).encode()
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Id="rIdNotes{kind}" Type="{_NOTES_REL.format(kind=kind)}" '
            f'Target="{kind}s.xml"/></Relationships>',
        )
        types = types.replace(
            "</Types>",
            f'<Override PartName="/word/{kind}s.xml" '
            f'ContentType="{_NOTES_TYPE.format(kind=kind)}"/></Types>',
        )
    parts["word/_rels/document.xml.rels"] = rels.encode()
    parts["[Content_Types].xml"] = types.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, blob in parts.items():
            target.writestr(name, blob)
    return out.getvalue()


def _travel_table(document: docx.document.Document) -> None:
    """Province | time | note, with a cell merged across two rows and one across two columns."""
    table = document.add_table(rows=4, cols=3)
    for row, values in enumerate(
        [
            ("Provincie", "Reistijd", "Bron"),
            ("Limburg", "74 minuten", ""),
            ("Antwerpen", "41 minuten", ""),
            ("", "", ""),
        ]
    ):
        for col, value in enumerate(values):
            table.cell(row, col).text = value
    table.cell(1, 2).merge(table.cell(2, 2)).text = "De Lijn"
    table.cell(3, 0).merge(table.cell(3, 1)).text = "Gemiddeld Vlaanderen"
    table.cell(3, 2).text = "52 minuten"


def test_paragraphs_and_tables_keep_document_order() -> None:
    d = docx.Document()
    d.add_paragraph("De reistijd naar een school verschilt per provincie.")
    _travel_table(d)
    d.add_paragraph("Limburg springt eruit.")
    lines, _ = read_docx(_bytes(d))

    assert _content(lines) == [
        "De reistijd naar een school verschilt per provincie.",
        "Provincie | Reistijd | Bron",
        # The vertically merged "De Lijn" is given once, in the row where it starts.
        "Limburg | 74 minuten | De Lijn",
        "Antwerpen | 41 minuten",
        # The horizontally merged cell is not repeated.
        "Gemiddeld Vlaanderen | 52 minuten",
        "Limburg springt eruit.",
    ]
    rows = [ln for ln in lines if ln.role == "table"]
    assert len(rows) == 4
    first, last = lines.index(rows[0]), lines.index(rows[-1])
    # A block break on each side keeps the rows apart from the paragraphs.
    assert lines[first - 1].text == " " and lines[last + 1].text == " "
    assert all(ln.role == "body" for ln in lines if ln.text.startswith(("De ", "Limburg spr")))


def test_nested_table_rows_follow_and_one_cell_frame_is_body() -> None:
    d = docx.Document()
    outer = d.add_table(rows=2, cols=2)
    outer.cell(0, 0).text = "Sector"
    outer.cell(0, 1).text = "Vacatures"
    outer.cell(1, 0).text = "Zorg"
    inner = outer.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "2023"
    inner.cell(0, 1).text = "12.400"
    frame = d.add_table(rows=1, cols=1)
    frame.cell(0, 0).text = "Kader: een tekst in een omlijning."
    frame.cell(0, 0).add_paragraph("Tweede alinea van het kader.")
    lines, _ = read_docx(_bytes(d))

    assert _content(lines) == [
        "Sector | Vacatures",
        "Zorg",
        "2023 | 12.400",
        "Kader: een tekst in een omlijning.",
        "Tweede alinea van het kader.",
    ]
    assert _line(lines, "2023").role == "table"
    assert _line(lines, "Kader").role == "body"


_TEXT_BOX = """<w:r {ns} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
  xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
  xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>
  <mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>
    <w:p><w:r><w:t>In een kader: 3 op 10 leerlingen.</w:t></w:r></w:p>
  </w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>
  <mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>
    <w:p><w:r><w:t>In een kader: 3 op 10 leerlingen.</w:t></w:r></w:p>
  </w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>
</mc:AlternateContent></w:r>"""


def test_text_box_is_read_once_after_its_paragraph() -> None:
    d = docx.Document()
    p = d.add_paragraph("De tekst rond het kader.")
    # Word writes a text box twice: as a drawing and as an old VML fallback.
    p._p.append(parse_xml(_TEXT_BOX.format(ns=nsdecls("w"))))
    d.add_paragraph("Daarna gaat de tekst verder.")
    lines, _ = read_docx(_bytes(d))
    assert _content(lines) == [
        "De tekst rond het kader.",
        "In een kader: 3 op 10 leerlingen.",
        "Daarna gaat de tekst verder.",
    ]


def test_headings_by_style_and_outline_level() -> None:
    d = docx.Document()
    d.add_paragraph("Advies over de reistijd", style="Title")
    d.add_heading("Aanbevelingen", level=2)
    kop = d.styles.add_style("Kop 3", docx.enum.style.WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Een Nederlandse kop", style=kop)
    outlined = d.add_paragraph("Kop via overzichtsniveau")
    outlined._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="3"/>'))
    d.add_paragraph("Gewone tekst.")
    lines, _ = read_docx(_bytes(d))

    levels = {ln.text: ln.heading for ln in lines if not ln.is_blank}
    assert levels == {
        "Advies over de reistijd": 1,
        "Aanbevelingen": 2,
        "Een Nederlandse kop": 3,
        "Kop via overzichtsniveau": 4,
        "Gewone tekst.": None,
    }


def _lettered_list(d: docx.document.Document) -> str:
    """Add a list "a)", "b)" to the numbering part; return its numId."""
    numbering = d.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90"><w:lvl w:ilvl="0">'
            '<w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1)"/>'
            "</w:lvl></w:abstractNum>"
        ),
    )
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    )
    return "90"


def _outline_list(d: docx.document.Document) -> str:
    """Add a two-level list "1.", "1.1" (as for numbered headings); return its numId."""
    numbering = d.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="91">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
            '<w:lvlText w:val="%1."/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
            '<w:lvlText w:val="%1.%2"/></w:lvl></w:abstractNum>'
        ),
    )
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="91"><w:abstractNumId w:val="91"/></w:num>')
    )
    return "91"


def _numbered(d: docx.document.Document, text: str, num_id: str, ilvl: int = 0) -> None:
    p = d.add_paragraph(text)
    p._p.get_or_add_pPr().append(
        parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'
        )
    )


def test_list_items_get_the_label_word_shows() -> None:
    d = docx.Document()
    d.add_paragraph("Eerste aanbeveling", style="List Number")
    d.add_paragraph("Tweede aanbeveling", style="List Number")
    d.add_paragraph("Een opsomming", style="List Bullet")
    letters = _lettered_list(d)
    _numbered(d, "meer stageplaatsen", letters)
    _numbered(d, "betere begeleiding", letters)
    # numId 0 switches the style's numbering off: no label.
    _numbered(d, "Geen nummer meer", "0")
    d.add_paragraph("Derde aanbeveling", style="List Number")
    outline = _outline_list(d)
    for text, ilvl in [("Inleiding", 0), ("Context", 1), ("Vraag", 1), ("Advies", 0), ("Kern", 1)]:
        _numbered(d, text, outline, ilvl)
    lines, _ = read_docx(_bytes(d))

    assert _content(lines) == [
        "1. Eerste aanbeveling",
        "2. Tweede aanbeveling",
        "• Een opsomming",
        "a) meer stageplaatsen",
        "b) betere begeleiding",
        "Geen nummer meer",
        "3. Derde aanbeveling",
        # A deeper level restarts under each new item above it.
        "1. Inleiding",
        "1.1 Context",
        "1.2 Vraag",
        "2. Advies",
        "2.1 Kern",
    ]


def test_footnote_and_endnote_markers_become_cites() -> None:
    d = docx.Document()
    p = d.add_paragraph("Het aantal leerlingen stijgt")
    # Referenced in the order id 3, then id 2: Word shows them as 1 and 2.
    p.add_run("[[FN:3]]")
    p.add_run(" en de middelen dalen")
    p.add_run("[[FN:2]]")
    p.add_run(".")
    _travel_table(d)
    d.tables[0].cell(1, 0).paragraphs[0].add_run("[[EN:1]]")
    d.add_paragraph("Zonder voetnoot.")
    data = _with_notes(
        _bytes(d),
        {
            "footnote": {
                "2": "Begroting 2024, p. 12.",
                "3": "Onderwijsstatistieken.\nTweede regel.",
            },
            "endnote": {"1": "Bron: De Lijn."},
        },
    )
    lines, _ = read_docx(data)

    body = _line(lines, "Het aantal")
    assert body.text == "Het aantal leerlingen stijgt en de middelen dalen."
    assert body.cites == [1, 2]
    # The endnote continues the numbering after the footnotes.
    assert _line(lines, "Limburg").cites == [3]
    assert _line(lines, "Limburg").text == "Limburg | 74 minuten | De Lijn"
    notes = [ln for ln in lines if ln.role == "footnote"]
    assert [(ln.text, ln.footnote) for ln in notes] == [
        ("Onderwijsstatistieken.", 1),
        ("Tweede regel.", None),
        ("Begroting 2024, p. 12.", 2),
        ("Bron: De Lijn.", 3),
    ]
    # The notes follow the whole body, each as a block of its own.
    assert lines.index(notes[0]) > lines.index(_line(lines, "Zonder voetnoot."))
    assert lines[lines.index(notes[2]) - 1].is_blank


def test_soft_hyphens_tabs_breaks_hidden_text_and_empty_paragraphs() -> None:
    d = docx.Document()
    p = d.add_paragraph("onder\u00adwijs\tbeleid")
    p.add_run().add_break()
    p.add_run("op een nieuwe regel")
    hidden = p.add_run(" verborgen")
    hidden.font.hidden = True
    # Word's own optional and non-breaking hyphens are elements, not characters.
    p.add_run(" ")._r.extend(
        parse_xml(
            f"<w:r {nsdecls('w')}><w:t>leer</w:t><w:softHyphen/><w:t>lingen</w:t>"
            "<w:t xml:space='preserve'> SERV</w:t><w:noBreakHyphen/><w:t>advies</w:t></w:r>"
        )
    )
    d.add_paragraph("")
    d.add_paragraph("")
    d.add_paragraph("Na twee lege alinea's.")
    lines, _ = read_docx(_bytes(d))

    # Empty paragraphs make one block break, not a run of them.
    assert [ln.text for ln in lines] == [
        "onderwijs beleid op een nieuwe regel leerlingen SERV-advies",
        " ",
        "Na twee lege alinea's.",
    ]


def test_hints_from_properties_and_title_page() -> None:
    d = docx.Document()
    d.core_properties.title = "Advies reistijd leerlingen"
    d.core_properties.author = "SERV"
    d.core_properties.last_modified_by = "Jan Janssens"
    d.core_properties.created = dt.datetime(2021, 5, 1)
    d.add_paragraph("Brussel, 12 maart 2024")
    d.add_paragraph("Tekst.")
    _, hints = read_docx(_bytes(d))
    assert (hints.title, hints.author, hints.year) == ("Advies reistijd leerlingen", "SERV", 2024)

    # No date line: the year the file was created. No creator: no author, never
    # the last person who saved it.
    d = docx.Document()
    d.core_properties.author = ""
    d.core_properties.last_modified_by = "Jan Janssens"
    d.core_properties.created = dt.datetime(2021, 5, 1)
    d.add_paragraph("Advies over duaal leren", style="Title")
    _, hints = read_docx(_bytes(d))
    assert (hints.title, hints.author, hints.year) == ("Advies over duaal leren", None, 2021)

    # python-docx's own template values are no properties of the document.
    _, hints = read_docx(_bytes(_plain("Tekst.")))
    assert (hints.title, hints.author, hints.year) == (None, None, None)


def _plain(text: str) -> docx.document.Document:
    d = docx.Document()
    d.add_paragraph(text)
    return d


def _bomb_by_ratio() -> bytes:
    """A real zip whose document part inflates 1000 times (20 MB of zeros)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    return out.getvalue()


def _bomb_by_size() -> bytes:
    """A small DOCX whose directory declares a 3 GB part, as a crafted bomb does."""
    data = bytearray(_bytes(_plain("Tekst.")))
    start = data.rfind(b"PK\x01\x02")  # the last central directory entry
    # Uncompressed size sits 24 bytes into a central directory entry.
    data[start + 24 : start + 28] = struct.pack("<I", 3_000_000_000)
    return bytes(data)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_bomb_by_ratio, r"would expand 1,\d{3} times \(a zip bomb\?\)"),
        (_bomb_by_size, r"would unpack to 2,8\d\d MB .* over the 200 MB limit"),
        (lambda: _bytes(_plain("Tekst."))[:2000], "damaged or not a Word document"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old .doc file"),
        (lambda: _bytes(_plain("")), "has no text"),
    ],
)
def test_bad_docx_is_unreadable_with_reason(make, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason) as info:
        read_docx(make())
    assert "\n" not in str(info.value)


def test_read_document_marks_docx_structured(tmp_path: Path) -> None:
    d = _plain("Tekst.")
    d.core_properties.author = "SERV"
    path = tmp_path / "advies.docx"
    d.save(str(path))
    raw = read_document(path)
    assert raw.structured and raw.hints.author == "SERV"


def test_table_row_reaches_a_stored_passage(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    d = docx.Document()
    d.add_heading("Reistijd naar school", level=1)
    d.add_paragraph("De gemiddelde reistijd met het openbaar vervoer per provincie.")
    _travel_table(d)
    d.add_paragraph("Leerlingen in Limburg reizen het langst naar hun school.")
    d.save(str(folder / "reistijd.docx"))
    summary = ingest_paths(settings, [folder], progress=False)
    assert summary.added == ["reistijd.docx"]
    with Store.open(settings.db_path) as store:
        passages = store.passages("reistijd.docx")
    assert any("Limburg | 74 minuten" in p.text for p in passages)
