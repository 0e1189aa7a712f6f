"""Footnotes: take them out of the body text and link them to what cites them.

PDF extraction puts footnotes where they sat on the page: between the last
body line of a page and the first of the next, often in the middle of a
sentence. Two layouts occur in the corpus:

* SERV advices: after a gap line, "4  ‘Emancipatie…’, Dirk Van Damme, ASP
  2023, pag. 42", continuation lines following, up to the next page. The
  body cites them with digits glued to a word: "leerlingen.4".
* The KBS study: side notes "ii<TAB> In het schooljaar …" cited with roman
  numerals glued to a word ("finaliteitii,"), and endnote digits
  ("uitstromen.11") whose notes are not in the text.

Numbers are matched in sequence (the next expected number), which is what
keeps "1.062,24 euro" or "OK2" from being read as a citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.dehyphenate import Vocabulary
from ingest.lines import SourceLine

ROMANS = [
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x",
    "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx",
]  # fmt: skip
_ARABIC_NOTE = re.compile(r"^(\d{1,3})(\s{2,}|\t|\s)(\S.*)$")
_ROMAN_NOTE = re.compile(r"^(" + "|".join(sorted(ROMANS, key=len, reverse=True)) + r")\t\s*(\S.*)$")
# A citation glued to the end of a word or after punctuation: "Vlaanderen3.", "gaan.1 ".
_GLUED_DIGITS = re.compile(
    r"(?:(?<=[a-zà-ÿ)’”%])|(?<=[a-zà-ÿ)’”%][.,;:]))(\d{1,3})(?=[\s.,;:)!?]|$)"
    r"|(?<=\d{4}\.)(\d{1,3})(?=\s|$)"
    r"|(?<=[A-Z])(\d{1,3})(?=[\s.,;:)!?]|$)"
    r"|(?<=[.)’”] )(\d{1,3})(?= )"
)


@dataclass
class Footnote:
    number: int
    label: str  # "4" or "iv"
    lines: list[SourceLine] = field(default_factory=list)


def extract_footnotes(
    lines: list[SourceLine], *, paragraph_gap: set[int], width: int | None = None
) -> tuple[list[SourceLine], list[Footnote]]:
    """Split `lines` into body lines and footnotes.

    `paragraph_gap` holds the indexes of lines that separate blocks (gap
    lines); a footnote zone ends at one of them or at a new page. A footnote
    that runs on to the next page continues there without a number, after a
    gap, in lines wider than the body's `width` (footnotes use a smaller font).
    """
    body: list[SourceLine] = []
    notes: list[Footnote] = []
    expected_arabic = 1
    expected_roman = 0
    current: Footnote | None = None
    previous_gap = True
    note_width = _note_width(lines)
    for i, line in enumerate(lines):
        if i in paragraph_gap:
            current = None
            previous_gap = True
            body.append(line)
            continue
        if line.is_blank:
            body.append(line)
            continue
        text = line.text.lstrip(" ")
        arabic = _ARABIC_NOTE.match(text)
        roman = _ROMAN_NOTE.match(text)
        if arabic and not line.new_page:
            number = int(arabic.group(1))
            wide = arabic.group(2) != " "
            if number in (expected_arabic, expected_arabic + 1) and (
                wide or previous_gap or current is not None
            ):
                current = Footnote(number, str(number))
                current.lines.append(_retext(line, arabic.group(3)))
                notes.append(current)
                expected_arabic = number + 1
                previous_gap = False
                continue
        if roman and expected_roman < len(ROMANS) and roman.group(1) == ROMANS[expected_roman]:
            current = Footnote(expected_roman + 1, roman.group(1))
            current.lines.append(_retext(line, roman.group(2)))
            notes.append(current)
            expected_roman += 1
            previous_gap = False
            continue
        if current is not None and not line.new_page:
            current.lines.append(line)
            continue
        if (
            width
            and previous_gap
            and notes
            # Only where footnotes are set wider than the body (a smaller font):
            # elsewhere a wide lower-case line after a gap is just body text.
            and note_width > width
            and text[:1].islower()
            and len(text.strip()) > max(1.1 * width, 0.9 * note_width)
        ):
            current = notes[-1]
            current.lines.append(line)
            previous_gap = False
            continue
        current = None
        previous_gap = False
        body.append(line)
    return body, notes


def _note_width(lines: list[SourceLine]) -> int:
    """The typical length of a footnote's first line (0 if there are none)."""
    lengths = sorted(
        len(ln.stripped) for ln in lines if _ARABIC_NOTE.match(ln.text) and len(ln.stripped) > 40
    )
    return lengths[len(lengths) // 2] if lengths else 0


def _retext(line: SourceLine, text: str) -> SourceLine:
    return SourceLine(text=text, lineno=line.lineno, page=line.page, new_page=False)


def strip_markers(lines: list[SourceLine], notes: list[Footnote], vocabulary: Vocabulary) -> int:
    """Remove citation markers glued to body words, recording them in `line.cites`.

    Arabic markers are matched against the numbers of the footnotes found (in
    increasing order) or, when the notes are not in the text (endnotes), as a
    plain sequence 1, 2, 3 …; roman markers against the roman notes. Returns
    the number of markers removed.
    """
    arabic_known = sorted({n.number for n in notes if n.label.isdigit()})
    romans = [n for n in notes if not n.label.isdigit()]
    next_arabic = 1
    next_roman = 0
    removed = 0
    for line in lines:
        if line.is_blank:
            continue
        text = line.text
        # Arabic markers, in sequence.
        out = []
        pos = 0
        for m in _GLUED_DIGITS.finditer(text):
            number = int(m.group(1) or m.group(2) or m.group(3) or m.group(4))
            if m.group(4) and (number != next_arabic or not arabic_known):
                # Detached after a full stop ("inkomsten). 5  In …"): only the exact next
                # number of a footnote that exists.
                continue
            if m.group(3) and (
                number != next_arabic or vocabulary.count(_token_at(text, m.end())) >= 2
            ):
                # After a capital ("PAV24", but also "VKS3", "OK2"): only the exact next number.
                continue
            ok = (
                number in arabic_known and number >= next_arabic
                if arabic_known
                else (number in (next_arabic, next_arabic + 1))
            )
            if arabic_known and ok and number > next_arabic + 3:
                ok = False
            if not ok:
                continue
            out.append(text[pos : m.start()])
            pos = m.end()
            next_arabic = number + 1
            if number in arabic_known:
                line.cites.append(number)
            removed += 1
        out.append(text[pos:])
        text = "".join(out)
        # Roman markers, in sequence.
        while next_roman < len(romans):
            found = None
            # The expected numeral, or the one after it if a marker was missed.
            for skip in (0, 1):
                if next_roman + skip < len(romans):
                    label = romans[next_roman + skip].label
                    m = _find_roman(text, label, vocabulary)
                    if m is not None:
                        found = (m, label, next_roman + skip)
                        break
            if found is None:
                break
            m, label, index = found
            text = (
                text[:m] + text[m + len(label) :].lstrip(" ")
                if text[m - 1 : m] == " " and (text[m + len(label) : m + len(label) + 1] in ",.;:)")
                else text[:m] + text[m + len(label) :]
            )
            text = text.replace(" ,", ",") if text[m - 1 : m] == " " else text
            line.cites.append(romans[index].number)
            next_roman = index + 1
            removed += 1
        line.text = text
    return removed


def _token_at(text: str, end: int) -> str:
    """The word ending at `end` ("OK2" in "aanvragen OK2."), lowercased."""
    m = re.search(r"[\w&]+$", text[:end])
    return m.group(0).lower() if m else ""


def _find_roman(text: str, label: str, vocabulary: Vocabulary) -> int | None:
    pattern = re.compile(
        r"(?<=[\w.,;:)’”%])" + label + r"(?=[\s.,;:)!?]|$)|(?<= )" + label + r"(?=[,;:)])"
    )
    for m in pattern.finditer(text):
        before = text[: m.start()]
        if before[-1:] in ".,;:)’”% ":
            return m.start()
        stem = re.search(r"[\w’-]+$", before)
        if stem and len(stem.group(0)) >= 3 and vocabulary.count(stem.group(0).lower()) > 0:
            return m.start()
        # The tail of a word broken over two lines ("mobili-" / "teitv,"): the
        # fragment is no word, and neither is fragment + numeral.
        if (
            stem
            and stem.start() == 0
            and vocabulary.count(stem.group(0).lower()) == 0
            and vocabulary.count(stem.group(0).lower() + label) == 0
        ):
            return m.start()
    return None


def footnotes_by_role(lines: list[SourceLine]) -> tuple[list[SourceLine], list[Footnote]]:
    """Split lines whose reader marked the footnotes (`role == "footnote"`)."""
    body: list[SourceLine] = []
    notes: list[Footnote] = []
    for line in lines:
        if line.role != "footnote":
            body.append(line)
        elif line.footnote is not None:
            notes.append(Footnote(line.footnote, str(line.footnote), [line]))
        elif notes:
            notes[-1].lines.append(line)
    return body, notes
