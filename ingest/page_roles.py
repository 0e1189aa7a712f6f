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

The result is the reader's `SourceLine`s, with `role`, `heading`, `cites`
and `footnote` filled in, so the cleaner never has to guess them.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from ingest.layout import MARKER_CLOSE, MARKER_OPEN, TextLine, Word, join_words
from ingest.lines import SourceLine, normalize_line

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:(?:pagina|blad|page|pag\.|p\.)\s*)?\d{1,4}"
    r"(?:\s*(?:van|of|/|\|)\s*\d{1,4})?(?:\s*[-–—])?$",
    re.IGNORECASE,
)
_TOC_LEADER = re.compile(r"(?:\.\s*){4,}\s*\d{1,4}$|…{2,}\s*\d{1,4}$")
_TOC_TITLE = re.compile(
    r"^(inhoud|inhoudsopgave|inhoudstafel|inhoudsindex|table of contents|contents)$",
    re.IGNORECASE,
)
_TOC_PAGE = re.compile(r"\s\d{1,3}$")
_NUMBER_WORD = re.compile(r"^\d{1,3}$")
_MARKER = re.compile(r"^(\d{1,3}(?:,\d{1,3})*)([.,;:)]?)$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+\S")
_SENTENCE_END = re.compile(r"[.!?;:][’”\"')\]]*$")
# A list item's marker: "•", "-", "1.", "1)", "a.", "b)", "(iii)", "iv.".
_LIST_MARKER = re.compile(
    r"^(?:[•◦▪■\-–*]|o(?=\s+[A-ZÀ-Ý0-9])|\(?\d{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,5}[.)])\s+\S"
)


@dataclass
class Layout:
    """The lines of every page, in reading order, and the page sizes."""

    pages: list[list[TextLine]]
    heights: list[float]
    removed: Counter[str] = field(default_factory=Counter)


@dataclass
class _Note:
    number: int
    lines: list[TextLine]


def assign_roles(
    layout: Layout, title: set[int] | frozenset[int] = frozenset()
) -> list[SourceLine]:
    """The document's `SourceLine`s, body in reading order, then its footnotes.

    `title` holds the ids of the lines that are the document's title: they
    become one line of role "title".
    """
    body_size = measure_body_size(layout)
    furniture = {id(ln) for ln in furniture_lines(layout)}
    pages: list[list[TextLine]] = []
    asides: list[TextLine] = []
    in_toc = False
    for index, lines in enumerate(layout.pages):
        kept = []
        for k, ln in enumerate(lines):
            text = ln.text.strip()
            # The first page keeps the values (date, reference) of a letter's
            # side column that repeats on every page; labels and page numbers go.
            if id(ln) in furniture and not (
                ln.aside
                and index == 0
                and any(c.isdigit() for c in text)
                and not _PAGE_NUMBER.match(text)
            ):
                layout.removed["running header or footer"] += 1
            elif ln.aside:
                # Sender, date and reference beside a letter: kept, but after
                # the text, so that they never split a sentence.
                asides.append(ln)
            elif _TOC_TITLE.match(text) or _TOC_LEADER.search(text):
                in_toc = True
                layout.removed["table of contents"] += 1
            elif in_toc and _toc_entry(text, lines[k + 1 : k + 2]):
                layout.removed["table of contents"] += 1
            else:
                in_toc = False
                kept.append(ln)
        pages.append(kept)
    notes, note_ids = _footnotes(pages, layout.heights, body_size)
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
            text, cites = _take_markers(ln, numbers)
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
            text = _note_text(ln) if k == 0 else ln.text
            line = emit(text, ln.page)
            line.role = "footnote"
            line.ocr = ln.ocr
            if k == 0:
                line.footnote = note.number
    return out


def _toc_entry(text: str, following: list[TextLine]) -> bool:
    """A line of a table of contents: ends with its page number, or is an
    entry's first line whose page number stands on the next line."""
    if _TOC_PAGE.search(text):
        return True
    return bool(_NUMBERED.match(text)) and any(_TOC_PAGE.search(f.text.strip()) for f in following)


def measure_body_size(layout: Layout) -> float:
    """The type size of the running text: the size most characters are set in."""
    weights: Counter[float] = Counter()
    for lines in layout.pages:
        for ln in lines:
            if not ln.table:
                for w in ln.words:
                    weights[w.size] += len(w.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _shape(text: str) -> str:
    """A line's text with its numbers blanked: "Pagina 3 van 9" ~ "Pagina 4 van 9"."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().casefold()))


def furniture_lines(layout: Layout) -> list[TextLine]:
    """The lines that are running headers, footers and page numbers."""
    n_pages = len(layout.pages)
    seen: defaultdict[tuple[str, int], set[int]] = defaultdict(set)
    bands: dict[int, tuple[bool, float]] = {}
    for p, lines in enumerate(layout.pages):
        height = layout.heights[p]
        for ln in lines:
            in_band = ln.top < 0.11 * height or ln.bottom > 0.89 * height
            if ln.table and not in_band:
                # A footer inside a page-wide layout table is still a footer.
                continue
            bands[id(ln)] = (in_band, height)
            if len(ln.text.split()) <= 14:
                seen[(_shape(ln.text), round(ln.top / 12))].add(p)
    out: list[TextLine] = []
    found: defaultdict[str, set[int]] = defaultdict(set)
    for p, lines in enumerate(layout.pages):
        for ln in lines:
            if id(ln) not in bands:
                continue
            in_band, _ = bands[id(ln)]
            text = ln.text.strip()
            key = _shape(text)
            pages = set()
            for dy in (-1, 0, 1):
                pages |= seen.get((key, round(ln.top / 12) + dy), set())
            repeated = len(pages) >= 2 and (len(pages) >= 0.3 * n_pages or in_band)
            # Outside the top and bottom bands only short labels repeat (a
            # letter's "Datum", "Onze referentie"), never a sentence.
            if (in_band and (repeated or _PAGE_NUMBER.match(text))) or (
                repeated and len(pages) >= max(3, 0.5 * n_pages) and len(text.split()) <= 8
            ):
                out.append(ln)
                found[key].add(p)
    # A footer found on several pages is a footer too where a table or a
    # figure pushed it up the page.
    for p, lines in enumerate(layout.pages):
        for ln in lines:
            key = _shape(ln.text.strip())
            if (
                len(found.get(key, ())) >= 3
                and p not in found[key]
                and ln.top > 0.75 * layout.heights[p]
                and len(key.split()) >= 3
            ):
                out.append(ln)
    return out


def _footnotes(
    pages: list[list[TextLine]], heights: list[float], body_size: float
) -> tuple[list[_Note], set[int]]:
    """Footnotes: runs of smaller type at the foot of a page, each led by its number."""
    notes: list[_Note] = []
    ids: set[int] = set()
    for p, lines in enumerate(pages):
        run: list[TextLine] = []
        for ln in reversed(lines):
            if ln.table or ln.size > 0.92 * body_size or ln.top < 0.45 * heights[p]:
                break
            run.append(ln)
        run.reverse()
        starts = [_note_number(ln) for ln in run]
        if not any(n is not None for n in starts):
            continue
        # Lines above the first numbered one continue the previous page's note.
        for ln, number in zip(run, starts, strict=True):
            if number is not None and (not notes or number != notes[-1].number):
                notes.append(_Note(number, [ln]))
            elif notes:
                notes[-1].lines.append(ln)
            else:
                continue
            ids.add(id(ln))
    return notes, ids


def _note_number(ln: TextLine) -> int | None:
    """The number a footnote line starts with, if it starts one."""
    words = ln.words
    if not words or not _NUMBER_WORD.match(words[0].text):
        # "12Zie artikel …": a number glued to the first word.
        m = re.match(r"^(\d{1,3})(?=[A-ZÀ-Ýa-zà-ÿ(“‘\"])", words[0].text if words else "")
        return int(m.group(1)) if m and words[0].size < ln.size else None
    if len(words) == 1:
        return None
    first, second = words[0], words[1]
    raised = first.size < 0.9 * second.size or first.bottom < second.bottom - 0.15 * second.size
    spaced = second.x0 - first.x1 > 0.5
    return int(first.text) if raised or spaced else None


def _note_text(ln: TextLine) -> str:
    words = ln.words
    if words and _NUMBER_WORD.match(words[0].text):
        return join_words(words[1:])
    return re.sub(r"^\d{1,3}", "", ln.text)


def _take_markers(ln: TextLine, numbers: set[int]) -> tuple[str, list[int]]:
    """Take superscript footnote markers out of a body line; other numbers stay."""
    if ln.table:
        return _take_cell_markers(ln.text, numbers)
    if not numbers:
        return ln.text, []
    size = ln.size
    baseline = statistics.median(w.bottom for w in ln.words if w.size == size)
    kept: list[Word] = []
    markers: list[Word] = []
    cites: list[int] = []
    for w in ln.words:
        # "16" or "5,6", perhaps with the sentence's full stop set small after it.
        m = _MARKER.match(w.text)
        numbers_in = [int(x) for x in m.group(1).split(",")] if m else []
        is_marker = (
            bool(numbers_in)
            and w.size <= 0.85 * size
            and w.bottom < baseline - 0.1 * size
            and all(n in numbers for n in numbers_in)
        )
        if is_marker and m is not None:
            cites.extend(numbers_in)
            if m.group(2):
                kept.append(replace(w, text=m.group(2)))
            else:
                markers.append(w)
        else:
            kept.append(w)
    if not cites:
        return ln.text, []
    return join_words(kept, markers), cites


def _take_cell_markers(text: str, numbers: set[int]) -> tuple[str, list[int]]:
    """Superscript numbers marked in a table row: footnote markers go, with
    their number cited; any other number is put back as text."""
    cites: list[int] = []

    def resolve(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n in numbers:
            cites.append(n)
            return ""
        return m.group(1)

    pattern = re.escape(MARKER_OPEN) + r"(\d{1,3})" + re.escape(MARKER_CLOSE)
    return re.sub(pattern, resolve, text), cites


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
