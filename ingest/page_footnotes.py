"""Footnotes of a laid-out document and the markers that cite them.

A footnote is a run of smaller type at the foot of a page, each note led by
its number; lines above the first numbered one continue the previous page's
note. A marker in the body is a number set smaller and raised for which such
a footnote exists; any other number is text and stays.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, replace

from ingest.layout import MARKER_CLOSE, MARKER_OPEN, TextLine, Word, join_words

_NUMBER_WORD = re.compile(r"^\d{1,3}$")
_MARKER = re.compile(r"^(\d{1,3}(?:,\d{1,3})*)([.,;:)]?)$")


@dataclass
class Note:
    number: int
    lines: list[TextLine]


def footnotes(
    pages: list[list[TextLine]], heights: list[float], body_size: float
) -> tuple[list[Note], set[int]]:
    """Footnotes: runs of smaller type at the foot of a page, each led by its number."""
    notes: list[Note] = []
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
                notes.append(Note(number, [ln]))
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


def note_text(ln: TextLine) -> str:
    words = ln.words
    if words and _NUMBER_WORD.match(words[0].text):
        return join_words(words[1:])
    return re.sub(r"^\d{1,3}", "", ln.text)


def take_markers(ln: TextLine, numbers: set[int]) -> tuple[str, list[int]]:
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
