"""Stage 4 of cleaning: footnote blocks, their links, and the cleaned text.

Rendering records each block's span in the text, which is what makes every
passage and quote checkable: `text[block.char_start:block.char_end]` is the
block.
"""

from __future__ import annotations

from ingest.blocks import Block, append
from ingest.dehyphenate import Vocabulary
from ingest.footnotes import Footnote
from ingest.lines import squeeze


def footnote_blocks(notes: list[Footnote], vocabulary: Vocabulary, urls: list[str]) -> list[Block]:
    out = []
    for note in notes:
        block: Block | None = None
        previous = None
        for ln in note.lines:
            s = squeeze(ln.text)
            if not s:
                continue
            if block is None:
                block = Block("footnote", s, pieces=[(0, ln)], footnote=note.number)
                block.label = note.label
            else:
                append(block, previous, ln, s, vocabulary, urls)
            previous = ln
        if block is not None:
            out.append(block)
    return out


def link_citations(blocks: list[Block]) -> None:
    notes = {b.footnote: b for b in blocks if b.kind == "footnote"}
    # A heading is in no passage: what it cites counts for the text under it.
    carried: list[int] = []
    for i, block in enumerate(blocks):
        if block.kind == "footnote":
            continue
        cites = carried
        carried = []
        for _, ln in block.pieces:
            cites.extend(ln.cites)
        if block.kind in ("heading", "title"):
            carried = cites
            continue
        block.cites = [n for n in dict.fromkeys(cites) if n in notes]
        for n in block.cites:
            if notes[n].cited_by is None:
                notes[n].cited_by = i
                notes[n].section = block.section


def render(blocks: list[Block]) -> str:
    """The cleaned text; each block's span is recorded on the block."""
    parts: list[str] = []
    length = 0
    previous: Block | None = None
    footnotes_started = False
    for block in blocks:
        if previous is not None:
            sep = "\n" if block.kind == previous.kind and block.kind in ("item", "row") else "\n\n"
            if block.kind == "footnote" and not footnotes_started:
                sep = "\n\nVoetnoten\n\n"
            elif block.kind == "footnote":
                sep = "\n"
            parts.append(sep)
            length += len(sep)
        if block.kind == "footnote":
            footnotes_started = True
            prefix = f"[{block.label}] "
            parts.append(prefix)
            length += len(prefix)
        block.char_start = length
        parts.append(block.text)
        length += len(block.text)
        block.char_end = length
        previous = block
    return "".join(parts) + ("\n" if parts else "")
