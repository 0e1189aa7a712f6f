"""Turn source lines into clean, quotable blocks: paragraphs, list items, headings, footnotes.

`clean_lines` runs the stages in an order that matters, one module each:
1. `furniture`: drop a letter's address block, page furniture (page numbers,
   running footers), link debris and chart residue;
2. `footnotes`: lift footnotes out of the body, so that a sentence
   interrupted by a footnote at the bottom of a page joins up again;
3. `blocks`: rebuild blocks from lines, repairing line-break hyphens with
   corpus evidence; `sections`: give every block its path of headings;
4. `render`: footnote blocks and their links, then the cleaned text, with
   each block's span in it.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import pairwise

from ingest.blocks import Block, build_blocks
from ingest.dehyphenate import Vocabulary
from ingest.document import Anchor
from ingest.footnotes import extract_footnotes, footnotes_by_role, strip_markers
from ingest.furniture import drop_furniture, letter_head, signature
from ingest.lines import SourceLine, squeeze
from ingest.render import footnote_blocks, link_citations, render
from ingest.sections import assign_sections

__all__ = ["Block", "CleanedDocument", "clean_lines"]


@dataclass
class CleanedDocument:
    text: str
    blocks: list[Block]
    title: str | None = None
    addressee: str | None = None
    urls: list[str] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)

    @property
    def anchors(self) -> list[Anchor]:
        """(offset, page, line) where each source line's text starts in `text`."""
        out: list[Anchor] = []
        for block in sorted(self.blocks, key=lambda b: b.char_start):
            for offset, line in block.pieces:
                anchor = (block.char_start + offset, line.page, line.lineno)
                if not out or out[-1][1:] != anchor[1:]:
                    out.append(anchor)
        return out

    @property
    def ocr_pages(self) -> tuple[int, ...]:
        pages = {line.page for b in self.blocks for _, line in b.pieces if line.ocr and line.page}
        return tuple(sorted(p for p in pages if p is not None))

    @property
    def footnotes(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "footnote"]


def clean_lines(
    lines: list[SourceLine], vocabulary: Vocabulary, *, structured: bool = False
) -> CleanedDocument:
    """Clean the lines of one document (see the module docstring for the steps).

    `structured` lines come from a reader that saw the layout: their roles
    (heading, footnote, table row, title) and markers are known, page
    furniture is already gone, and nothing of that is guessed from the text.
    """
    removed: Counter[str] = Counter()
    lines = [replace(ln, cites=list(ln.cites)) for ln in lines]
    double_spaced = _is_double_spaced(lines)
    # Gaps: whitespace-only lines, and empty lines in single-spaced layouts.
    gaps = {i for i, ln in enumerate(lines) if ln.is_blank and (ln.text != "" or not double_spaced)}
    content = [ln for ln in lines if not ln.is_blank]
    width = _typical_width(content)

    title, addressee, skip = letter_head(content)
    title_text = " ".join(squeeze(t.text) for t in title) if title else None
    title_line = title[0] if title else None
    skip = skip + signature(content)
    for ln in skip:
        removed["address"] += 1
        ln.text = ""
    urls: list[str] = []
    drop_furniture(lines, removed, urls, links_only=structured)

    if structured:
        body, notes = footnotes_by_role(lines)
    else:
        body, notes = extract_footnotes(lines, paragraph_gap=gaps, width=width)
        removed["citation markers"] += strip_markers(body, notes, vocabulary)

    blocks = build_blocks(
        body, gaps_after_removal(body, lines, gaps), vocabulary, urls, width, structured
    )
    if title_text and title_line is not None:
        blocks.insert(0, Block("title", title_text, pieces=[(0, title_line)], open=False))
    assign_sections(blocks)
    blocks.extend(footnote_blocks(notes, vocabulary, urls))
    link_citations(blocks)
    text = render(blocks)
    return CleanedDocument(
        text=text,
        blocks=blocks,
        title=blocks[0].text if title else None,
        addressee=addressee,
        urls=urls,
        removed=removed,
    )


def gaps_after_removal(body: list[SourceLine], lines: list[SourceLine], gaps: set[int]) -> set[int]:
    """Indexes (in `body`) of the gap lines."""
    gap_ids = {id(lines[i]) for i in gaps}
    return {i for i, ln in enumerate(body) if id(ln) in gap_ids}


def _is_double_spaced(lines: list[SourceLine]) -> bool:
    """PDF extraction that puts an empty line after every line (the SERV seeds)."""
    if len(lines) < 6:
        return False
    pairs = sum(1 for a, b in pairwise(lines) if not a.is_blank and b.text == "")
    content = sum(1 for ln in lines if not ln.is_blank)
    return content > 0 and pairs / content > 0.6


def _typical_width(content: list[SourceLine]) -> int:
    """The usual length of a full line: lines that end mid-sentence are full."""
    lengths = [
        len(ln.stripped)
        for ln in content
        if len(ln.stripped) >= 20 and re.search(r"[\w-]$", ln.stripped)
    ]
    if not lengths:
        return 80
    return max(30, int(statistics.median(lengths)))
