"""Page furniture of a laid-out document: running headers and footers, page
numbers, tables of contents.

Found by place and repetition across pages, not by wording: a line repeated
at the same place on several pages (numbers aside) is furniture, and so is a
lone page number in the top or bottom band; outside the bands only short
labels repeat (a letter's "Datum", "Onze referentie"), never a sentence.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ingest.layout import Layout, TextLine

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
# An entry's own number: "2.3 Besluit" (its page number may be on the next line).
_ENTRY_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,4}\.?\s+\S")


def is_page_number(text: str) -> bool:
    """ "12", "Pagina 3 van 9", "blad 4/86", "- 7 -"."""
    return bool(_PAGE_NUMBER.match(text))


def starts_toc(text: str) -> bool:
    """A table of contents' title, or an entry with dot leaders."""
    return bool(_TOC_TITLE.match(text) or _TOC_LEADER.search(text))


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


def toc_entry(text: str, following: list[TextLine]) -> bool:
    """A line of a table of contents: ends with its page number, or is an
    entry's first line whose page number stands on the next line."""
    if _TOC_PAGE.search(text):
        return True
    return bool(_ENTRY_NUMBER.match(text)) and any(
        _TOC_PAGE.search(f.text.strip()) for f in following
    )
