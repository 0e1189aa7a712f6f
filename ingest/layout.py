"""Page geometry: positioned words into lines in reading order.

A PDF gives words with their box, type size and font, not lines or columns.
This module rebuilds what a reader sees on one page:

* words on one baseline form a row; a row breaks into fragments where the
  horizontal gap is wider than a space can be;
* a vertical gutter that no fragment crosses splits the page into columns,
  read one after the other (full-width lines, such as a title over two
  columns, cut the page into bands that are read in turn);
* words inside a table's box are taken out and given back as one line a
  table row, cells in order.

Everything here is per page and knows nothing of the document: running
headers, footnotes and headings are decided across pages in `page_roles`.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

_BOLD = re.compile(r"bold|black|heavy|semibold|demi|-bd\b|,b\b", re.IGNORECASE)


@dataclass(frozen=True)
class Word:
    """A word on the page: coordinates in PDF points, origin at the top left."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool = False

    @classmethod
    def from_pdfplumber(cls, w: dict[str, object]) -> Word:
        font = str(w.get("fontname") or "")
        return cls(
            text=str(w["text"]),
            x0=float(w["x0"]),  # type: ignore[arg-type]
            x1=float(w["x1"]),  # type: ignore[arg-type]
            top=float(w["top"]),  # type: ignore[arg-type]
            bottom=float(w["bottom"]),  # type: ignore[arg-type]
            size=round(float(w.get("size") or 0.0), 1),  # type: ignore[arg-type]
            bold=bool(_BOLD.search(font.split("+")[-1])),
        )


@dataclass
class TextLine:
    """One line of text as read: its words, box, dominant size and weight.

    `table` is set on a line that is one row of a table (cells joined by
    " | "); `column` counts the columns of the band the line was read in
    (0 for a full-width line, 1.. left to right); `aside` marks a line of a
    side column set in smaller type than the text beside it.
    """

    words: list[Word]
    page: int
    table: bool = False
    column: int = 0
    text_override: str | None = None
    ocr: bool = False
    paragraph: int | None = None  # OCR engines say which paragraph a line is in
    aside: bool = False  # in a side column of smaller type (a letterhead's sender block)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def size(self) -> float:
        """The type size most of the line's characters are set in."""
        weights: dict[float, int] = {}
        for w in self.words:
            weights[w.size] = weights.get(w.size, 0) + len(w.text)
        return max(weights, key=lambda s: (weights[s], s))

    @property
    def bold(self) -> bool:
        letters = sum(len(w.text) for w in self.words)
        bold = sum(len(w.text) for w in self.words if w.bold)
        # "Artikel 1 Begrippen": a label in regular type before a bold title.
        return letters > 0 and bold >= 0.7 * letters

    @property
    def text(self) -> str:
        if self.text_override is not None:
            return self.text_override
        return join_words(self.words)


def join_words(words: Sequence[Word], removed: Sequence[Word] = ()) -> str:
    """Words of one line as text: a space only where there is a gap on the page.

    A superscript marker glued to its word ("Opleiden⁵") comes out as a
    separate word with no gap; it is joined without a space. Where `removed`
    words (markers taken out) stood, the gap is measured across them, so
    "getoetst⁵." becomes "getoetst.".
    """
    out: list[str] = []
    previous: Word | None = None
    for w in words:
        if previous is not None:
            left = max(
                [previous, *(r for r in removed if previous.x1 <= r.x1 <= w.x0 + 0.5)],
                key=lambda r: r.x1,
            )
            gap = min(w.x0 - previous.x1, w.x0 - left.x1)
            out.append(" " if gap > 0.12 * min(w.size, previous.size) else "")
        out.append(w.text)
        previous = w
    return "".join(out)


def page_lines(
    words: list[Word],
    page: int,
    width: float,
    tables: Sequence[tuple[tuple[float, float, float, float], list[list[Cell]]]] = (),
) -> list[TextLine]:
    """The lines of one page in reading order.

    `tables` are (bbox, rows of cell boxes) as found by pdfplumber; their
    words are replaced by one line a row.
    """
    found: list[list[TextLine]] = []
    free = list(words)
    for bbox, rows in tables:
        x0, top, x1, bottom = bbox
        inside = [w for w in free if _inside(w, x0, top, x1, bottom)]
        if not inside:
            continue
        free = [w for w in free if not _inside(w, x0, top, x1, bottom)]
        found.append(_table_rows(inside, rows, page))
    rows = _rows(free)
    fragments = [f for row in rows for f in _fragments(row)]
    margin = _margin_notes(fragments, width)
    fragments = [f for f in fragments if not any(f is m for m in margin)]
    lines = _read_in_order(fragments, page, width)
    if margin:
        notes = _join_rows(margin, page, column=3)
        for line in notes:
            line.aside = True
        lines.extend(notes)
    for table in found:
        lines = _insert_at_top(lines, table)
    return lines


def _inside(w: Word, x0: float, top: float, x1: float, bottom: float) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
    return x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1


# Marks a superscript number in a table cell; `page_roles` decides whether it
# is a footnote marker (then it goes) or a number of the text (then it stays).
MARKER_OPEN, MARKER_CLOSE = "\x00", "\x01"

Cell = tuple[float, float, float, float] | None


def table_rows(cells: Sequence[tuple[float, float, float, float]]) -> list[list[Cell]]:
    """Cell boxes grouped into rows: a cell belongs to the row its middle is in.

    pdfplumber's own rows start a new row wherever a cell's top differs, which
    splits a label and its value when one of them is drawn a point higher.
    """
    rows: list[list[tuple[float, float, float, float]]] = []
    for cell in sorted(cells, key=lambda c: (c[1], c[0])):
        middle = (cell[1] + cell[3]) / 2
        for row in rows:
            top, bottom = min(c[1] for c in row), max(c[3] for c in row)
            if top <= middle <= bottom:
                row.append(cell)
                break
        else:
            rows.append([cell])
    return [sorted(row, key=lambda c: c[0]) for row in rows]


def _table_rows(inside: list[Word], rows: list[list[Cell]], page: int) -> list[TextLine]:
    """One line a table row: the cells' text in order, joined by " | ".

    Each cell's text is rebuilt from the words inside its box (merged cells
    come once), so that type sizes are known within cells too.
    """
    out: list[TextLine] = []
    for row in rows:
        cells: list[str] = []
        row_words: list[Word] = []
        for bbox in row:
            if bbox is None:
                continue
            words = [w for w in inside if _inside(w, *bbox)]
            text = _cell_text(words)
            if text:
                cells.append(text)
                row_words.extend(words)
        if cells:
            out.append(TextLine(row_words, page, table=True, text_override=" | ".join(cells)))
    return out


def _cell_text(words: list[Word]) -> str:
    """A cell's lines joined; a line-break hyphen before a lower-case letter is
    undone; superscript numbers are marked (see MARKER_OPEN)."""
    lines: list[str] = []
    for row in _rows(words):
        size = max(row, key=lambda w: len(w.text)).size
        marked = [
            replace(w, text=f"{MARKER_OPEN}{w.text}{MARKER_CLOSE}")
            if re.fullmatch(r"\d{1,3}", w.text) and w.size <= 0.85 * size
            else w
            for w in row
        ]
        lines.append(join_words(marked))
    text = re.sub(r"(\w)-\n(?=[a-zà-ÿ])", r"\1", "\n".join(lines))
    text = re.sub(r"(\d)-\n(?=\d)", r"\1-", text)  # "01-01-" + "2024"
    return re.sub(r"\s+", " ", text).strip()


def _rows(words: list[Word]) -> list[list[Word]]:
    """Words sharing a baseline, top to bottom, each row left to right."""
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (round(w.bottom, 0), w.x0)):
        for row in reversed(out[-4:]):
            if any(_same_row(w, r) for r in row):
                row.append(w)
                break
        else:
            out.append([w])
    for row in out:
        row.sort(key=lambda w: w.x0)
    out.sort(key=lambda r: min(w.top for w in r))
    return out


def _same_row(a: Word, b: Word) -> bool:
    """One baseline, or a superscript riding on the other word's line."""
    big, small = (a, b) if a.size >= b.size else (b, a)
    if abs(a.bottom - b.bottom) <= 0.35 * big.size:
        return True
    # A superscript sits higher and may rise above the line's top, but half of
    # it still overlaps the line.
    return (
        small.size < 0.9 * big.size
        and big.top - 0.5 * big.size <= small.top
        and big.top + 0.3 * big.size < small.bottom <= big.bottom + 0.1 * big.size
    )


def _fragments(row: list[Word]) -> list[list[Word]]:
    """Split a row where the gap is wider than a space: columns or table cells."""
    out: list[list[Word]] = [[row[0]]]
    for w in row[1:]:
        prev = out[-1][-1]
        gap = w.x0 - prev.x1
        if gap > max(1.1 * max(w.size, prev.size), 8.0):
            out.append([w])
        else:
            out[-1].append(w)
    return out


def _margin_notes(fragments: list[list[Word]], width: float) -> list[list[Word]]:
    """Fragments in small type in the right margin: a letter's sender, date and
    reference column, which stands so close to the text that no gutter shows."""
    weights: dict[float, int] = {}
    for f in fragments:
        for w in f:
            weights[w.size] = weights.get(w.size, 0) + len(w.text)
    if not weights:
        return []
    body = max(weights, key=lambda s: weights[s])
    margin = [
        f
        for f in fragments
        if min(w.x0 for w in f) >= 0.72 * width and max(w.size for w in f) <= 0.8 * body
    ]
    return margin if len(margin) >= 2 else []


def _read_in_order(fragments: list[list[Word]], page: int, width: float) -> list[TextLine]:
    found = _gutter(fragments, width)
    if found is None:
        return _join_rows(fragments, page, column=0)
    gutter, aside = found
    left, right, spanning = _sides(fragments, gutter)
    # Bands: full-width lines cut the page; in between, left column then right.
    cuts = sorted(spanning, key=lambda f: min(w.top for w in f))
    out: list[TextLine] = []
    upper = -1.0
    for cut in [*cuts, None]:
        lower = min(w.top for w in cut) if cut is not None else float("inf")
        for side, column in ((left, 1), (right, 2)):
            band = [f for f in side if upper <= min(w.top for w in f) < lower]
            rows = _join_rows(band, page, column=column)
            for line in rows:
                line.aside = column == aside
            out.extend(rows)
        if cut is not None:
            out.extend(_join_rows([cut], page, column=0))
            upper = lower
    return out


def _gutter(
    fragments: list[list[Word]], width: float
) -> tuple[tuple[float, float], int | None] | None:
    """The widest vertical strip that no fragment crosses, if it splits real columns.

    Columns must each hold prose (fragments of several words), or one side
    must be set in clearly smaller type (a letterhead's side column: that
    side, 1 or 2, is returned as the aside); a strip between the labels and
    amounts of a table without rules splits nothing.
    """
    if len(fragments) < 6:
        return None
    spans = [(min(w.x0 for w in f), max(w.x1 for w in f)) for f in fragments]
    # A clean strip first; else one that a title or a figure crosses.
    best = _clear_strip(spans, width, allowed=0)
    if best is None:
        best = _clear_strip(spans, width, allowed=max(1, len(fragments) // 12))
    if best is None:
        return None
    left, right, _ = _sides(fragments, best)
    if len(left) < 3 or len(right) < 3:
        return None
    left_size = statistics.median(w.size for f in left for w in f)
    right_size = statistics.median(w.size for f in right for w in f)
    if min(left_size, right_size) < 0.85 * max(left_size, right_size) and (
        _prose(left) or _prose(right)
    ):
        return best, 1 if left_size < right_size else 2
    if _prose(left) and _prose(right):
        return best, None
    return None


def _clear_strip(
    spans: list[tuple[float, float]], width: float, allowed: int
) -> tuple[float, float] | None:
    """The widest x-range in the middle of the page crossed by at most `allowed` spans."""
    lo, hi, step = 0.15 * width, 0.88 * width, 2.0
    best: tuple[float, float] | None = None
    run_start: float | None = None
    x = lo
    while x <= hi + step:
        clear = x <= hi and sum(1 for a, b in spans if a < x < b) <= allowed
        if clear and run_start is None:
            run_start = x
        elif not clear and run_start is not None:
            if best is None or x - step - run_start > best[1] - best[0]:
                best = (run_start, x - step)
            run_start = None
        x += step
    if best is None or best[1] - best[0] < 8.0:
        return None
    return best


def _sides(
    fragments: list[list[Word]], gutter: tuple[float, float]
) -> tuple[list[list[Word]], list[list[Word]], list[list[Word]]]:
    """Fragments left of the gutter, right of it, and across it."""
    g0, g1 = gutter
    left, right, spanning = [], [], []
    for f in fragments:
        if max(w.x1 for w in f) <= g0 + 2.5:
            left.append(f)
        elif min(w.x0 for w in f) >= g1 - 2.5:
            right.append(f)
        else:
            spanning.append(f)
    return left, right, spanning


def _prose(fragments: list[list[Word]]) -> bool:
    """Mostly lines of several words with letters: running text, not labels or numbers."""
    wordy = sum(
        1
        for f in fragments
        if len(f) >= 4 and sum(any(c.isalpha() for c in w.text) for w in f) >= 3
    )
    return wordy >= max(3, 0.5 * len(fragments))


def _join_rows(fragments: list[list[Word]], page: int, column: int) -> list[TextLine]:
    """Fragments on one baseline become one line, left to right."""
    rows = _rows([w for f in fragments for w in f])
    return [TextLine(row, page, column=column) for row in rows if row]


def _insert_at_top(lines: list[TextLine], extra: list[TextLine]) -> list[TextLine]:
    """Insert a table's rows where the table stands: before the first line below its top."""
    if not extra:
        return lines
    top = extra[0].top
    at = next((i for i, ln in enumerate(lines) if ln.column in (0, 1) and ln.top > top), None)
    if at is None:
        return lines + extra
    return lines[:at] + extra + lines[at:]


@dataclass
class Layout:
    """The lines of every page, in reading order, and the page sizes."""

    pages: list[list[TextLine]]
    heights: list[float]


def measure_body_size(layout: Layout) -> float:
    """The type size of the running text: the size most characters are set in."""
    weights: Counter[float] = Counter()
    for lines in layout.pages:
        for ln in lines:
            if not ln.table:
                for w in ln.words:
                    weights[w.size] += len(w.text)
    return weights.most_common(1)[0][0] if weights else 10.0
