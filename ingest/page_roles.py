"""What each line of a laid-out document is: body, heading, footnote, furniture.

Decided across all pages at once, from the type and the place of a line,
never from its words alone:

* running headers and footers are lines repeated at the same place on
  several pages (numbers aside), and page numbers in the top or bottom band;
* footnotes are lines in smaller type at the bottom of a page, the first
  starting with its number; a marker in the body is a number set smaller
  (superscript) for which such a footnote exists — any other number is text;
* headings are short lines set larger or bold and set apart from the text
  around them; a numbered paragraph in body type is body text;
* a paragraph ends where the gap to the next line is wider than the
  document's line spacing, or where the type changes.

Furniture is found in `page_furniture`, footnotes and their markers in
`page_footnotes`; this module decides headings and paragraphs and puts it
all together. The result is the reader's `SourceLine`s, with `role`,
`heading`, `cites` and `footnote` filled in, so the cleaner never has to
guess them.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import defaultdict

from ingest.layout import Layout, TextLine, measure_body_size
from ingest.lines import SourceLine, normalize_line
from ingest.page_footnotes import footnotes, note_text, take_markers
from ingest.page_furniture import furniture_lines, is_page_number, starts_toc, toc_entry

_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+\S")
_SENTENCE_END = re.compile(r"[.!?;:][’”\"')\]]*$")
# A list item's marker: "•", "-", "1.", "1)", "a.", "b)", "(iii)", "iv.".
_LIST_MARKER = re.compile(
    r"^(?:[•◦▪■\-–*]|o(?=\s+[A-ZÀ-Ý0-9])|\(?\d{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,5}[.)])\s+\S"
)


def assign_roles(
    layout: Layout,
    title: set[int] | frozenset[int] = frozenset(),
    furniture: list[TextLine] | None = None,
) -> list[SourceLine]:
    """The document's `SourceLine`s, body in reading order, then its footnotes.

    `title` holds the ids of the lines that are the document's title: they
    become one line of role "title". `furniture` is `furniture_lines(layout)`
    when the caller has it already.
    """
    body_size = measure_body_size(layout)
    if furniture is None:
        furniture = furniture_lines(layout)
    furniture_ids = {id(ln) for ln in furniture}
    pages: list[list[TextLine]] = []
    asides: list[TextLine] = []
    in_toc = False
    for index, lines in enumerate(layout.pages):
        kept = []
        for k, ln in enumerate(lines):
            text = ln.text.strip()
            # The first page keeps the values (date, reference) of a letter's
            # side column that repeats on every page; labels and page numbers go.
            if id(ln) in furniture_ids and not (
                ln.aside
                and index == 0
                and any(c.isdigit() for c in text)
                and not is_page_number(text)
            ):
                continue
            if ln.aside:
                # Sender, date and reference beside a letter: kept, but after
                # the text, so that they never split a sentence.
                asides.append(ln)
                continue
            if starts_toc(text):
                in_toc = True
                continue
            if in_toc and toc_entry(text, lines[k + 1 : k + 2]):
                continue
            in_toc = False
            kept.append(ln)
        pages.append(kept)
    notes, note_ids = footnotes(pages, layout.heights, body_size)
    numbers = {n.number for n in notes}
    leading = _leading(pages, body_size)
    styles = _heading_styles(pages, body_size, note_ids)
    # A cover page: the title and a few lines (version, date, issuer) in large
    # type, none of them a heading.
    cover = (
        len(pages) > 2
        and bool(title)
        and len(pages[0]) <= 12
        and not any(len(ln.text.split()) >= 9 for ln in pages[0])
    )
    out: list[SourceLine] = []
    lineno = 0

    def emit(text: str, page: int, **kw: object) -> SourceLine:
        nonlocal lineno
        lineno += 1
        line = SourceLine(normalize_line(text), lineno, page=page, **kw)  # type: ignore[arg-type]
        out.append(line)
        return line

    def gap(page: int) -> None:
        if out and not out[-1].is_blank:
            emit(" ", page)

    edges = _right_edges(pages, body_size)
    last_body: TextLine | None = None  # the last body line of the page before
    previous: TextLine | None = None
    for index, lines in enumerate(pages):
        page = index + 1
        if previous is not None:
            last_body = previous
        first = True
        previous = None
        pending_heading: tuple[TextLine, SourceLine] | None = None
        body = [ln for ln in lines if id(ln) not in note_ids]
        for ln in body:
            if id(ln) in title:
                if out and out[-1].role == "title":
                    out[-1].text = out[-1].text + " " + normalize_line(ln.text.strip())
                else:
                    gap(page)
                    emit(ln.text.strip(), page, new_page=first).role = "title"
                first = False
                previous = ln
                continue
            if pending_heading is not None and _same_heading(pending_heading[0], ln):
                # A heading set over two lines: one heading.
                head = pending_heading[1]
                head.text = _join_heading(head.text, normalize_line(ln.text.strip()))
                if len(head.text.split()) > 24:
                    # Grew into a paragraph set large (an intro, a box): text.
                    head.heading = None
                pending_heading = (ln, head)
                previous = ln
                continue
            level = (
                0
                if cover and index == 0
                else _heading_level(ln, previous, body_size, leading, styles)
            )
            before = previous or last_body
            breaks = before is None or _paragraph_break(
                before, ln, leading, body_size, edges.get(before.column, 0.0)
            )
            after_title = bool(out) and out[-1].role == "title"
            if (
                ln.table
                or (previous is not None and previous.table)
                or level
                or breaks
                or after_title
            ):
                gap(page)
            text, cites = take_markers(ln, numbers)
            line = emit(text, page, new_page=first, heading=level or None, cites=cites)
            line.role = "table" if ln.table else "body"
            line.ocr = ln.ocr
            pending_heading = (ln, line) if level else None
            if level:
                gap(page)
            first = False
            previous = ln
    # Side columns after the body, a block a page.
    for page in sorted({ln.page for ln in asides}):
        gap(page)
        for ln in (a for a in asides if a.page == page):
            emit(ln.text, page)
    # Footnotes after the body, in order, each its own block.
    for note in notes:
        gap(note.lines[0].page)
        for k, ln in enumerate(note.lines):
            text = note_text(ln) if k == 0 else ln.text
            line = emit(text, ln.page)
            line.role = "footnote"
            line.ocr = ln.ocr
            if k == 0:
                line.footnote = note.number
    return out


def _leading(pages: list[list[TextLine]], body_size: float) -> float:
    """The usual gap between two lines of one paragraph of body text."""
    gaps = []
    for lines in pages:
        for a, b in itertools.pairwise(lines):
            if (
                a.column == b.column
                and abs(a.size - body_size) < 0.6
                and abs(b.size - body_size) < 0.6
                and 0 <= b.top - a.bottom < 2 * body_size
            ):
                gaps.append(b.top - a.bottom)
    return statistics.median(gaps) if gaps else 0.3 * body_size


def _paragraph_break(
    a: TextLine, b: TextLine, leading: float, body_size: float, right: float
) -> bool:
    """Does a paragraph end between lines `a` and `b`? `right` is where the
    full lines of `a`'s column end."""
    ended = bool(_SENTENCE_END.search(a.text.strip()))
    short = a.x1 < right - 3 * a.size
    if a.page != b.page or a.column != b.column:
        # The next page or column continues the text, unless a short line
        # ended a sentence before the break.
        return ended and short
    gap = b.top - a.bottom
    if gap < -0.5 * body_size or gap > leading + 0.45 * max(a.size, b.size):
        return True
    if a.ocr and b.ocr:
        # OCR gives no fonts and ragged sizes; its own paragraphs say more,
        # except where a sentence plainly runs on (a photo beside it splits them).
        if not ended and b.text.strip()[:1].islower():
            return False
        if a.paragraph != b.paragraph or abs(a.size - b.size) > 0.25 * max(a.size, b.size):
            return True
    elif abs(a.size - b.size) > 0.6 or a.bold != b.bold:
        return True
    if _LIST_MARKER.match(b.text.strip()):
        return True
    # A first-line indent, or a short line, after a sentence end.
    return ended and (short or b.x0 > a.x0 + 1.5 * body_size)


def _right_edges(pages: list[list[TextLine]], body_size: float) -> dict[int, float]:
    """Where the full lines of body text end, per column (most pages share a layout)."""
    ends: defaultdict[int, list[float]] = defaultdict(list)
    for lines in pages:
        for ln in lines:
            if abs(ln.size - body_size) < 0.6 and not ln.table:
                ends[ln.column].append(ln.x1)
    # Not the very widest line: a URL or a table may stick out into the margin.
    return {c: sorted(xs)[min(len(xs) - 1, int(0.9 * len(xs)))] for c, xs in ends.items()}


def _heading_styles(
    pages: list[list[TextLine]], body_size: float, note_ids: set[int]
) -> dict[tuple[float, bool], int]:
    """Heading levels by style: larger type first, bold body type last."""
    styles: set[tuple[float, bool]] = set()
    for lines in pages:
        for ln in lines:
            if id(ln) in note_ids or ln.table:
                continue
            if _looks_like_heading(ln, body_size):
                styles.add((ln.size, ln.bold))
    ordered = sorted(styles, key=lambda s: (-s[0], not s[1]))
    return {style: level for level, style in enumerate(ordered, start=1)}


def _looks_like_heading(ln: TextLine, body_size: float) -> bool:
    text = ln.text.strip()
    words = text.split()
    if not words or len(words) > 18 or not any(c.isalpha() for c in text):
        return False
    if re.search(r"[,;]$", text) or (text.endswith(".") and not _NUMBERED.match(text + " x")):
        return False
    if text[:1] in "“\"‘'„«":
        # A pull quote in large type: text to quote, not a heading.
        return False
    larger = ln.size >= 1.12 * body_size
    if _wide_gaps(ln) and not larger:
        # Words spread over columns in body type: the header row of a table
        # without rules (a large title may be set justified).
        return False
    bold_body = ln.bold and ln.size >= 0.95 * body_size
    return larger or bold_body


def _wide_gaps(ln: TextLine) -> bool:
    """A gap between words as wide as four letters: columns, not a title
    (a tab after a heading's number is narrower)."""
    return any(b.x0 - a.x1 > 4 * ln.size for a, b in itertools.pairwise(ln.words))


def _heading_level(
    ln: TextLine,
    previous: TextLine | None,
    body_size: float,
    leading: float,
    styles: dict[tuple[float, bool], int],
) -> int:
    """The heading level of a line, 0 for a line of text."""
    if ln.table or not _looks_like_heading(ln, body_size):
        return 0
    # Set apart: first on the page or column, or after a wider gap or other type.
    apart = (
        previous is None
        or previous.column != ln.column
        or ln.top - previous.bottom > leading + 0.3 * body_size
        or previous.size != ln.size
        or previous.bold != ln.bold
    )
    if not apart:
        return 0
    # The type sets the level; within one type, "2.3.1" sits below "2.3".
    level = styles.get((ln.size, ln.bold), len(styles) + 1)
    numbered = _NUMBERED.match(ln.text.strip())
    return level + numbered.group(1).count(".") if numbered else level


def _same_heading(a: TextLine, b: TextLine) -> bool:
    """Is `b` the second line of heading `a` (same type, right below it)?"""
    return (
        a.page == b.page
        and a.size == b.size
        and a.bold == b.bold
        and 0 <= b.top - a.bottom < 0.8 * a.size
        and not _NUMBERED.match(b.text.strip())
    )


def _join_heading(first: str, second: str) -> str:
    """Two lines of a heading: "beoordelings-" + "criteria" is one word."""
    if first.endswith("-") and second[:1].islower():
        return first[:-1] + second
    return first + " " + second
