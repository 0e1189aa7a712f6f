"""Read a DOCX into source lines that keep its structure, and its properties.

python-docx's `document.paragraphs` skips tables and so loses their rows and
the order of the text; this reader walks the body XML itself, in document
order, and says what each line is (see `SourceLine`):

* a paragraph is one line followed by a block break; headings come from the
  style (Heading/Kop 1-9, Title) or an outline level; list items get the
  label Word shows ("1.", "a)") or "•" (see `docx_numbering`);
* a table row is one line with `role="table"`, its cells joined by " | ";
  a one-cell table is a frame around text and is read as body;
* footnote and endnote markers leave the text and go into the line's
  `cites`; the notes follow the body as `role="footnote"` lines;
* title, author and year come from the core properties (the year from a
  date line on the title page when there is one; see `docx_package`).

The zip is checked before python-docx unpacks it (`docx_package.check_zip`),
so a zip bomb or a damaged file is an `UnreadableFile`, never a memory
blow-up or a traceback.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from docx.oxml.ns import qn

from ingest.docx_numbering import BULLET, ListNumbering
from ingest.docx_package import check_zip, document_hints
from ingest.docx_xml import W_VAL, find, on, to_int, val
from ingest.lines import SourceLine, normalize_line, squeeze
from ingest.readers import DocumentHints, UnreadableFile

_HEADING_STYLE = re.compile(r"^(?:heading|kop)\s*([1-9])$")
_TITLE_STYLES = {"title", "titel"}
_TOC_STYLE = re.compile(r"^(?:toc|inhopg)\s*([1-9]|heading)$|^kop van inhoudsopgave$")
_LIST_STYLE = re.compile(r"^(?:list (?:bullet|number)|lijstopsommingsteken|lijstnummering)\b")


def read_docx(data: bytes) -> tuple[list[SourceLine], DocumentHints]:
    """The lines and hints of a DOCX; raises UnreadableFile with a one-line reason."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        reader = _BodyReader(document)
        lines = reader.read()
        hints = document_hints(document.core_properties, reader.title_text, lines)
    except (PackageNotFoundError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise UnreadableFile(
            "DOCX is damaged or not a Word document; open and save it again in Word"
        ) from exc
    except (KeyError, ValueError, TypeError, AttributeError, EOFError) as exc:
        raise UnreadableFile(
            f"DOCX is damaged ({type(exc).__name__}); open and save it again in Word"
        ) from exc
    if not any(ln.stripped for ln in lines):
        raise UnreadableFile("DOCX has no text; remove it or replace it with the full document")
    return lines, hints


W_P, W_TBL, W_TR, W_TC, W_R = (qn(t) for t in ("w:p", "w:tbl", "w:tr", "w:tc", "w:r"))
W_T = qn("w:t")
W_TXBX = qn("w:txbxContent")
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_ALTERNATE, _CHOICE, _FALLBACK = (
    f"{{{MC}}}{t}" for t in ("AlternateContent", "Choice", "Fallback")
)
# Elements whose children are the real content (content controls, custom XML, tracked inserts).
_WRAPPERS = {
    qn(t)
    for t in (
        *("w:sdt", "w:sdtContent", "w:customXml", "w:hyperlink", "w:smartTag", "w:ins"),
        *("w:fldSimple", "w:moveTo", "w:dir", "w:bdo"),
    )
}
_BREAKS = {qn("w:br"), qn("w:cr"), qn("w:tab"), qn("w:ptab")}
_NOTE_REFS = {qn("w:footnoteReference"): "footnote", qn("w:endnoteReference"): "endnote"}
_MATH = qn("m:oMath"), qn("m:oMathPara")
_MATH_T = qn("m:t")
_PICTURES = {qn("w:drawing"), qn("w:pict"), _ALTERNATE}


def _children(element: Any, wanted: str) -> Iterator[Any]:
    """Children with tag `wanted`, looking through content controls and custom XML."""
    for child in element:
        if child.tag == wanted:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, wanted)


def _blocks(element: Any) -> Iterator[Any]:
    """The paragraphs and tables of a body, cell, text box or note, in order."""
    for child in element:
        if child.tag in (W_P, W_TBL):
            yield child
        elif child.tag in _WRAPPERS:
            yield from _blocks(child)


class _Styles:
    """Paragraph styles by id, following `w:basedOn` for inherited properties."""

    def __init__(self, root: Any | None) -> None:
        self._by_id: dict[str, Any] = {}
        self.default: str | None = None
        if root is None:
            return
        for style in root.iterfind(qn("w:style")):
            style_id = style.get(qn("w:styleId")) or ""
            self._by_id[style_id] = style
            is_default = style.get(qn("w:default")) in ("1", "true")
            if is_default and style.get(qn("w:type")) == "paragraph":
                self.default = style_id

    def chain(self, style_id: str | None) -> list[Any]:
        out: list[Any] = []
        while style_id and style_id in self._by_id and len(out) < 20:
            style = self._by_id[style_id]
            if any(s is style for s in out):
                break
            out.append(style)
            style_id = val(style, "w:basedOn")
        return out

    def name(self, style_id: str | None) -> str:
        style = self._by_id.get(style_id or "")
        if style is None:
            return ""
        return squeeze((val(style, "w:name") or style_id or "").lower())

    def outline_level(self, style_id: str | None) -> int | None:
        for style in self.chain(style_id):
            level = val(style, "w:pPr/w:outlineLvl")
            if level is not None:
                return _level(level)
        return None

    def num_pr(self, style_id: str | None) -> tuple[str, int] | None:
        for style in self.chain(style_id):
            num_pr = find(style, "w:pPr/w:numPr")
            if num_pr is not None:
                return val(num_pr, "w:numId") or "0", to_int(val(num_pr, "w:ilvl"), 0)
        return None

    def num_id(self, style_id: str) -> str | None:
        found = self.num_pr(style_id)
        return found[0] if found else None


def _level(value: str) -> int | None:
    """Word's outline level 0-8 as heading level 1-9 (9 is body text)."""
    try:
        level = int(value)
    except ValueError:
        return None
    return level + 1 if 0 <= level <= 8 else None


class _BodyReader:
    """Walks one document's body and notes, emitting `SourceLine`s in order."""

    def __init__(self, document: Any) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        self.document = document
        self.styles = _Styles(_part_element(document.part, RT.STYLES))
        self.numbering = ListNumbering(
            _part_element(document.part, RT.NUMBERING), self.styles.num_id
        )
        self.notes = {
            "footnote": _notes(_part_element(document.part, RT.FOOTNOTES), "w:footnote"),
            "endnote": _notes(_part_element(document.part, RT.ENDNOTES), "w:endnote"),
        }
        self.lines: list[SourceLine] = []
        self.lineno = 0
        self.refs: list[tuple[SourceLine, list[tuple[str, str]]]] = []
        self.title_text: str | None = None  # the first paragraph in the Title style
        # A note reference with its own mark: the text after it is that mark.
        self.custom_mark = False

    def read(self) -> list[SourceLine]:
        self.body(self.document.element.body)
        self._notes_after_body()
        while self.lines and self.lines[-1].is_blank:
            self.lines.pop()
        return self.lines

    # --- Body ---------------------------------------------------------------

    def body(self, container: Any) -> None:
        for block in _blocks(container):
            if block.tag == W_P:
                self.paragraph(block)
            else:
                self.table(block)

    def paragraph(self, p: Any) -> None:
        self.lineno += 1
        style_id = val(p, "w:pPr/w:pStyle") or self.styles.default
        name = self.styles.name(style_id)
        if _TOC_STYLE.match(name):
            # Table-of-contents entries repeat the headings with page numbers.
            return
        text, refs, boxes = self.inline(p)
        label = self.label(p, style_id, name)
        level = self.heading_level(p, style_id, name)
        # A bullet before a heading is decoration; a number before it is part of it.
        if text and label and not (label == BULLET and (level or text.startswith(BULLET))):
            text = f"{label} {text}"
        if text:
            if level and name in _TITLE_STYLES and self.title_text is None:
                self.title_text = text
            self.emit(SourceLine(text, self.lineno, heading=level), refs)
        self.block_break()
        for box in boxes:
            self.body(box)

    def heading_level(self, p: Any, style_id: str | None, name: str) -> int | None:
        m = _HEADING_STYLE.match(name)
        if m:
            return int(m.group(1))
        if name in _TITLE_STYLES:
            return 1
        own = val(p, "w:pPr/w:outlineLvl")
        if own is not None:
            return _level(own)
        return self.styles.outline_level(style_id)

    def label(self, p: Any, style_id: str | None, name: str) -> str | None:
        """The list label Word shows before this paragraph, if it is a list item."""
        num_pr = find(p, "w:pPr/w:numPr")
        if num_pr is not None and val(num_pr, "w:numId") is not None:
            style = self.styles.num_pr(style_id)
            ilvl = val(num_pr, "w:ilvl")
            level = to_int(ilvl, 0) if ilvl is not None else (style[1] if style else 0)
            return self.numbering.label(val(num_pr, "w:numId") or "0", level)
        from_style = self.styles.num_pr(style_id)
        if from_style is not None:
            return self.numbering.label(*from_style)
        return BULLET if _LIST_STYLE.match(name) else None

    def inline(self, element: Any) -> tuple[str, list[tuple[str, str]], list[Any]]:
        """The text of a paragraph, the notes it cites, and its text boxes."""
        parts: list[str] = []
        refs: list[tuple[str, str]] = []
        boxes: list[Any] = []
        self.custom_mark = False
        self._inline(element, parts, refs, boxes)
        return squeeze(normalize_line("".join(parts))), refs, boxes

    def _inline(self, element: Any, parts: list[str], refs: list[Any], boxes: list[Any]) -> None:
        for child in element:
            if child.tag == W_R:
                self._run(child, parts, refs, boxes)
            elif child.tag in _WRAPPERS:
                self._inline(child, parts, refs, boxes)
            elif child.tag in _MATH:
                parts.append("".join(t.text or "" for t in child.iter(_MATH_T)))

    def _run(self, run: Any, parts: list[str], refs: list[Any], boxes: list[Any]) -> None:
        if on(run, "w:rPr/w:vanish"):
            return
        for child in run:
            tag = child.tag
            if tag == W_T:
                if self.custom_mark:
                    # The note's own mark ("*") typed after its reference.
                    self.custom_mark = False
                    continue
                parts.append(child.text or "")
            elif tag in _BREAKS:
                parts.append(" ")
            elif tag == qn("w:noBreakHyphen"):
                parts.append("-")
            elif tag in _NOTE_REFS:
                refs.append((_NOTE_REFS[tag], child.get(qn("w:id")) or ""))
                self.custom_mark = child.get(qn("w:customMarkFollows")) in ("1", "true", "on")
            elif tag in _PICTURES:
                boxes.extend(_text_boxes(child))

    def table(self, tbl: Any) -> None:
        rows = list(_children(tbl, W_TR))
        cells = [list(_children(tr, W_TC)) for tr in rows]
        self.block_break()
        if len(rows) == 1 and len(cells[0]) == 1:
            # A one-cell table frames text (a box, a layout grid): read it as body.
            self.body(cells[0][0])
        else:
            self.rows(tbl)
        self.block_break()

    def rows(self, tbl: Any) -> None:
        for tr in _children(tbl, W_TR):
            self.lineno += 1
            texts: list[str] = []
            refs: list[tuple[str, str]] = []
            nested: list[Any] = []
            for tc in _children(tr, W_TC):
                merge = find(tc, "w:tcPr/w:vMerge")
                if merge is not None and merge.get(W_VAL) != "restart":
                    # Continues the cell above: its text is already in that row.
                    continue
                words = []
                for block in _blocks(tc):
                    if block.tag == W_TBL:
                        nested.append(block)
                        continue
                    text, cell_refs, _ = self.inline(block)
                    label = self.label(block, val(block, "w:pPr/w:pStyle"), "")
                    words.append(f"{label} {text}" if text and label else text)
                    refs.extend(cell_refs)
                cell = " ".join(w for w in words if w)
                if cell:
                    texts.append(cell)
            if texts:
                self.emit(SourceLine(" | ".join(texts), self.lineno, role="table"), refs)
            for inner in nested:
                # A table in a cell: its rows follow the row that holds it.
                self.rows(inner)

    # --- Lines and notes ----------------------------------------------------

    def emit(self, line: SourceLine, refs: list[tuple[str, str]]) -> None:
        self.lines.append(line)
        if refs:
            self.refs.append((line, refs))

    def block_break(self) -> None:
        if self.lines and not self.lines[-1].is_blank:
            self.lines.append(SourceLine(" ", self.lineno))

    def _notes_after_body(self) -> None:
        """Number the notes in order of reference and put them after the body.

        Footnotes are numbered 1, 2, 3 as Word shows them; endnotes (a
        separate series in Word) continue after the last footnote, so a number
        names one note.
        """
        numbers: dict[tuple[str, str], int] = {}
        for kind in ("footnote", "endnote"):
            for _, refs in self.refs:
                for ref in refs:
                    if ref[0] == kind and ref[1] in self.notes[kind] and ref not in numbers:
                        numbers[ref] = len(numbers) + 1
        for line, refs in self.refs:
            line.cites = list(dict.fromkeys(numbers[r] for r in refs if r in numbers))
        for (kind, note_id), number in numbers.items():
            start = len(self.lines)
            self.body(self.notes[kind][note_id])
            note_lines = [ln for ln in self.lines[start:] if not ln.is_blank]
            del self.lines[start:]
            if not note_lines:
                continue
            self.block_break()
            for ln in note_lines:
                ln.role, ln.heading, ln.cites = "footnote", None, []
            note_lines[0].footnote = number
            self.lines.extend(note_lines)
            self.block_break()


def _text_boxes(picture: Any) -> list[Any]:
    """The outermost text boxes in a drawing; of an mc:AlternateContent only one choice."""
    if picture.tag == _ALTERNATE:
        for branch in (_CHOICE, _FALLBACK):
            for option in picture.iterfind(branch):
                found = [b for c in option for b in _text_boxes_in(c)]
                if found:
                    return found
        return []
    return _text_boxes_in(picture)


def _text_boxes_in(element: Any) -> list[Any]:
    out = []
    for box in element.iter(W_TXBX):
        ancestor = box.getparent()
        while ancestor is not None and ancestor is not element and ancestor.tag != W_TXBX:
            ancestor = ancestor.getparent()
        if ancestor is None or ancestor is element:
            out.append(box)
    return out


def _part_element(part: Any, reltype: str) -> Any | None:
    """The XML root of the part related to `part` by `reltype`, if there is one."""
    from docx.oxml.parser import parse_xml

    try:
        related = part.part_related_by(reltype)
    except KeyError:
        return None
    element = getattr(related, "element", None)
    return element if element is not None else parse_xml(related.blob)


def _notes(root: Any | None, tag: str) -> dict[str, Any]:
    """Footnotes or endnotes by id, without Word's separator pseudo-notes."""
    if root is None:
        return {}
    return {
        note.get(qn("w:id")) or "": note
        for note in root.iterfind(qn(tag))
        if note.get(qn("w:type")) in (None, "normal")
    }
