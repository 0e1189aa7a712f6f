"""List numbers in a DOCX as Word shows them ("1.", "a)", "2.1"), or a bullet.

Word does not store the number of a list item: a paragraph names a list
(`w:numId`) and a level (`w:ilvl`), and the number follows from the list's
definition in word/numbering.xml and the items before it. This module keeps
the counters while the reader walks the document in order. Formats beyond
digits, letters and roman numerals (ordinal words, Asian scripts) are shown
as a bullet rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from docx.oxml.ns import qn

from ingest.docx_xml import to_int, val

BULLET = "•"
_LEVELS = 9
_PLACEHOLDER = re.compile(r"%([1-9])")
_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def _roman(n: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def format_number(n: int, fmt: str) -> str | None:
    """`n` in Word's number format `fmt`; None for a format not computed here."""
    if fmt in ("decimal", "decimalZero"):
        return f"{n:02d}" if fmt == "decimalZero" and n < 10 else str(n)
    if fmt in ("lowerLetter", "upperLetter") and n > 0:
        # Word repeats the letter after z: y, z, aa, bb.
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 0 < n < 4000:
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    return None


class ListNumbering:
    """The counters of every list in one document, advanced item by item.

    `style_num_id` maps a style id to the list its style points at; it is
    needed for lists defined through a list style (`w:numStyleLink`).
    """

    def __init__(self, root: Any | None, style_num_id: Callable[[str], str | None]) -> None:
        self._nums: dict[str, Any] = {}
        self._abstracts: dict[str, Any] = {}
        if root is not None:
            for num in root.iterfind(qn("w:num")):
                self._nums[num.get(qn("w:numId")) or ""] = num
            for abstract in root.iterfind(qn("w:abstractNum")):
                self._abstracts[abstract.get(qn("w:abstractNumId")) or ""] = abstract
        self._style_num_id = style_num_id
        self._counters: dict[str, list[int | None]] = {}

    def label(self, num_id: str, ilvl: int) -> str | None:
        """The label of the next item of list `num_id` at level `ilvl`.

        None when the paragraph is not a list item (numId 0 switches a style's
        list off); "" when Word shows no label; a bullet when the number cannot
        be computed simply.
        """
        num = self._nums.get(num_id)
        if num is None or num_id == "0":
            return None
        ilvl = min(max(ilvl, 0), _LEVELS - 1)
        levels = self._levels(num)
        if levels[ilvl] is None:
            return BULLET
        # A list with overrides is its own instance; others continue their definition.
        has_override = num.find(qn("w:lvlOverride")) is not None
        key = f"num{num_id}" if has_override else f"abs{val(num, 'w:abstractNumId')}"
        counters = self._counters.setdefault(key, [None] * _LEVELS)
        current = counters[ilvl]
        counters[ilvl] = current + 1 if current is not None else self._start(levels[ilvl])
        for deeper in range(ilvl + 1, _LEVELS):
            counters[deeper] = None
        return self._render(levels, counters, ilvl)

    def _levels(self, num: Any) -> list[Any | None]:
        """The w:lvl definitions of a list, levels 0-8, with its overrides applied."""
        abstract = self._abstract(val(num, "w:abstractNumId"))
        levels: list[Any | None] = [None] * _LEVELS
        if abstract is not None:
            for lvl in abstract.iterfind(qn("w:lvl")):
                i = to_int(lvl.get(qn("w:ilvl")), -1)
                if 0 <= i < _LEVELS:
                    levels[i] = lvl
        for override in num.iterfind(qn("w:lvlOverride")):
            i = to_int(override.get(qn("w:ilvl")), -1)
            if not 0 <= i < _LEVELS:
                continue
            replacement = override.find(qn("w:lvl"))
            start = val(override, "w:startOverride")
            if replacement is not None:
                levels[i] = replacement
            if start is not None and levels[i] is not None:
                levels[i] = _with_start(levels[i], start)
        return levels

    def _abstract(self, abstract_id: str | None, depth: int = 0) -> Any | None:
        abstract = self._abstracts.get(abstract_id or "")
        link = val(abstract, "w:numStyleLink")
        if abstract is None or link is None or depth > 3:
            return abstract
        # Defined by a list style: follow the style to the list that holds the levels.
        num = self._nums.get(self._style_num_id(link) or "")
        return self._abstract(val(num, "w:abstractNumId"), depth + 1) if num is not None else None

    @staticmethod
    def _start(lvl: Any) -> int:
        return to_int(val(lvl, "w:start"), 1)

    def _render(self, levels: list[Any | None], counters: list[int | None], ilvl: int) -> str:
        lvl = levels[ilvl]
        fmt = val(lvl, "w:numFmt") or "decimal"
        text = val(lvl, "w:lvlText")
        if fmt == "bullet":
            return BULLET
        if text is None:
            return BULLET
        legal = lvl.find(qn("w:isLgl")) is not None

        def number(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            level = levels[k]
            value = counters[k] if counters[k] is not None else self._start(level)
            level_fmt = "decimal" if legal else (val(level, "w:numFmt") or "decimal")
            shown = format_number(value or 0, level_fmt) if level_fmt != "none" else ""
            if shown is None:
                raise ValueError(level_fmt)
            return shown

        try:
            return _PLACEHOLDER.sub(number, text).strip()
        except ValueError:
            return BULLET


def _with_start(lvl: Any, start: str) -> Any:
    """A copy of a w:lvl whose numbering starts at `start`."""
    from copy import deepcopy

    from docx.oxml.parser import OxmlElement

    copy = deepcopy(lvl)
    element = copy.find(qn("w:start"))
    if element is None:
        element = OxmlElement("w:start")
        copy.insert(0, element)
    element.set(qn("w:val"), start)
    return copy
