"""Cut a cleaned document into passages: a paragraph or two, never half a sentence.

Blocks of one section are gathered until the target size is reached; a block
longer than the maximum is cut at sentence boundaries (`split_sentences`).
Passages never cross a section boundary, so each one has one section path.
Footnotes become passages of their own, linked by number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ingest.clean import Block, CleanedDocument
from ingest.document import Passage, locate, passage_id
from ingest.sentences import split_sentences


@dataclass(frozen=True)
class PassageSizes:
    min_words: int = 80
    target_words: int = 150
    max_words: int = 250


@dataclass
class _Span:
    start: int
    end: int
    blocks: list[Block]
    words: int


def _count_words(text: str) -> int:
    return len(text.split())


def build_passages(source: str, doc: CleanedDocument, sizes: PassageSizes) -> list[Passage]:
    """Passages of a cleaned document, in reading order, body first then footnotes."""
    spans: list[_Span] = []
    group: list[Block] = []
    for block in doc.blocks:
        if block.kind in ("title", "heading", "footnote"):
            spans.extend(_pack(group, doc.text, sizes))
            group = []
            continue
        if group and group[-1].section != block.section:
            spans.extend(_pack(group, doc.text, sizes))
            group = []
        group.append(block)
    spans.extend(_pack(group, doc.text, sizes))
    for block in doc.footnotes:
        spans.append(_Span(block.char_start, block.char_end, [block], _count_words(block.text)))

    passages: list[Passage] = []
    seen: Counter[str] = Counter()
    anchors = doc.anchors
    offsets = [a[0] for a in anchors]
    for ordinal, span in enumerate(spans):
        text = doc.text[span.start : span.end]
        first = span.blocks[0]
        where = locate(anchors, span.start, span.end, offsets=offsets)
        occurrence = seen[text]
        seen[text] += 1
        cites: list[int] = []
        for b in span.blocks:
            cites.extend(b.cites)
        passages.append(
            Passage(
                id=passage_id(source, text, occurrence),
                source=source,
                ordinal=ordinal,
                text=text,
                char_start=span.start,
                char_end=span.end,
                section=first.section,
                kind="footnote" if first.kind == "footnote" else "body",
                page=where.page,
                page_end=where.page_end,
                line_start=where.line_start,
                line_end=where.line_end,
                footnote=first.footnote if first.kind == "footnote" else None,
                cites=tuple(dict.fromkeys(cites)),
            )
        )
    return passages


def _pack(blocks: list[Block], text: str, sizes: PassageSizes) -> list[_Span]:
    """Group consecutive blocks of one section into passages of about the target size."""
    pieces: list[_Span] = []
    for block in blocks:
        words = _count_words(block.text)
        if words > sizes.max_words:
            pieces.extend(_split_block(block, text, sizes))
        else:
            pieces.append(_Span(block.char_start, block.char_end, [block], words))
    out: list[_Span] = []
    for piece in pieces:
        if out and (
            out[-1].words < sizes.target_words and out[-1].words + piece.words <= sizes.max_words
        ):
            last = out[-1]
            blocks_ = last.blocks + [b for b in piece.blocks if b is not last.blocks[-1]]
            out[-1] = _Span(last.start, piece.end, blocks_, last.words + piece.words)
        else:
            out.append(piece)
    # A short tail joins the passage before it when that stays within the maximum.
    if len(out) >= 2 and out[-1].words < sizes.min_words:
        a, b = out[-2], out[-1]
        if a.words + b.words <= sizes.max_words:
            blocks_ = a.blocks + [x for x in b.blocks if x is not a.blocks[-1]]
            out[-2:] = [_Span(a.start, b.end, blocks_, a.words + b.words)]
    return out


def _split_block(block: Block, text: str, sizes: PassageSizes) -> list[_Span]:
    """Cut a long block at sentence boundaries into pieces near the target size."""
    body = text[block.char_start : block.char_end]
    sentences = split_sentences(body)
    if not sentences:
        return [_Span(block.char_start, block.char_end, [block], _count_words(body))]
    out: list[_Span] = []
    start = sentences[0][0]
    words = 0
    end = start
    for s, e in sentences:
        n = _count_words(body[s:e])
        if (
            words
            and words + n > sizes.target_words
            and (words >= sizes.min_words or words + n > sizes.max_words)
        ):
            out.append(_Span(block.char_start + start, block.char_start + end, [block], words))
            start, words = s, 0
        words += n
        end = e
    out.append(_Span(block.char_start + start, block.char_start + end, [block], words))
    # Keep the block's own start and end (a bullet, for instance) in the first and last piece.
    out[0].start = block.char_start
    out[-1].end = block.char_end
    if len(out) >= 2 and out[-1].words < sizes.min_words // 2:
        a, b = out[-2], out[-1]
        out[-2:] = [_Span(a.start, b.end, [block], a.words + b.words)]
    return out
