"""Stage 3 of cleaning: rebuild paragraphs, list items and headings from lines.

Lines are joined into blocks where the text runs on; line-break hyphens are
repaired with corpus evidence (see `dehyphenate`). Lines from a reader that
saw the layout (`structured`) keep the reader's headings, rows and breaks;
plain text has them guessed from its words and line lengths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.dehyphenate import Vocabulary, is_url_fragment_line, join_hyphenated, join_url
from ingest.lines import SourceLine, squeeze

BULLET = re.compile(r"^([•◦o\-–*]|\d{1,2}[.)]|\(\d{1,2}\)|[a-z]\))\s+(\S.*)$")
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+(\S.*)$")
SENTENCE_END = re.compile(r"[.!?;:…][’”\"')\]]*$")
SALUTATION = re.compile(
    r"^(Mevrouw|Mijnheer|Geachte|Beste|Hoogachtend|Met (vriendelijke|hoogachtende) groet)",
    re.IGNORECASE,
)
# "Bron: Dataloep DO&V" under a chart or table: a block of its own.
_SOURCE_LINE = re.compile(r"^(Bron|Bronnen|Noot)\s*:", re.IGNORECASE)
_NOT_HEADING = re.compile(r"^(Bron|Kopie|Figuur|Tabel|Noot|Opmerking)\b", re.IGNORECASE)


@dataclass
class Block:
    """A paragraph, list item, heading or footnote of the cleaned document.

    `pieces` maps offsets in `text` to the source line they came from, so a
    passage cut from inside a long block still knows its exact line range.
    """

    kind: str  # "title", "heading", "paragraph", "item", "footnote"
    text: str
    pieces: list[tuple[int, SourceLine]] = field(default_factory=list)
    level: int = 0
    section: tuple[str, ...] = ()
    footnote: int | None = None
    label: str | None = None
    cites: list[int] = field(default_factory=list)
    cited_by: int | None = None  # index of the body block citing this footnote
    char_start: int = 0
    char_end: int = 0
    open: bool = True  # may the next line still continue this block?

    @property
    def line_start(self) -> int | None:
        return self.pieces[0][1].lineno if self.pieces else None

    @property
    def line_end(self) -> int | None:
        return self.pieces[-1][1].lineno if self.pieces else None


def build_blocks(
    body: list[SourceLine],
    gaps: set[int],
    vocabulary: Vocabulary,
    urls: list[str],
    width: int,
    structured: bool = False,
) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    gap_pending = False
    previous: SourceLine | None = None
    content = [(i, ln) for i, ln in enumerate(body) if not ln.is_blank or i in gaps]
    for pos, (i, ln) in enumerate(content):
        if i in gaps:
            gap_pending = True
            continue
        s = squeeze(ln.text)
        if not s:
            continue
        nxt = _next_text(content, pos, gaps)
        bullet = BULLET.match(s)
        at_boundary = (
            current is None
            or current.kind in ("heading", "title")
            or gap_pending
            or not current.open
            or _sentence_ended(current.text)
            or (ln.new_page and _could_end(current.text))
        )
        if ln.role in ("table", "title"):
            # A table row, or the title: a block of its own, never joined.
            current = Block("row" if ln.role == "table" else "title", s, pieces=[(0, ln)])
            current.open = False
            blocks.append(current)
            previous = ln
            gap_pending = False
            continue
        if SALUTATION.match(s) or _SOURCE_LINE.match(s):
            if _SOURCE_LINE.match(s) and current is not None and current.kind == "paragraph":
                caption = _split_caption(current)
                if caption is not None:
                    blocks.append(caption)
            current = Block("paragraph", s, pieces=[(0, ln)], open=False)
            blocks.append(current)
            previous = ln
            gap_pending = False
            continue
        heading = (
            ((ln.heading, s) if ln.heading else None)
            if structured
            else _heading(ln, s, nxt, at_boundary, width)
        )
        # A reader that saw the layout marked every paragraph break as a gap.
        continues = (
            current is not None
            and current.open
            and (
                (not gap_pending and current.kind != "heading")
                if structured
                else _continues(current, previous, s, gap_pending, width)
            )
        )
        if heading:
            level, title = heading
            current = Block("heading", title, pieces=[(0, ln)], level=level)
            blocks.append(current)
        elif bullet and _starts_item(bullet.group(1), current, gap_pending):
            marker = bullet.group(1)
            text = bullet.group(2)
            prefix = "• " if marker in "•◦o-–*" else marker + " "
            current = Block("item", prefix + text, pieces=[(0, ln)])
            blocks.append(current)
        elif current is not None and (
            (current.kind != "heading" and continues)
            or (current.kind == "heading" and _heading_continues(current, s))
        ):
            append(current, previous, ln, s, vocabulary, urls)
            if current.kind == "heading" and _not_a_title(current):
                current.kind = "paragraph"
        else:
            current = Block("paragraph", s, pieces=[(0, ln)])
            blocks.append(current)
        previous = ln
        gap_pending = False
    for block in blocks:
        if block.kind == "heading" and _not_a_title(block):
            # A numbered list item that looked like a heading on its first line.
            block.kind = "paragraph"
        if block.kind == "heading":
            block.text = block.text.rstrip(" -–")
    return [b for b in blocks if b.text.strip()]


def _sentence_ended(text: str) -> bool:
    """Ends with a full stop (or the like), or with a URL that closes a sentence."""
    t = text.rstrip()
    return bool(SENTENCE_END.search(t)) or bool(re.search(r"(https?://|www\.)\S+$", t))


def _split_caption(block: Block) -> Block | None:
    """Split a chart title off the end of a paragraph (it precedes a "Bron:" line).

    The title is the tail of the block after its last sentence end, when that
    tail starts on a line of its own and has no sentence end itself.
    """
    for k in range(len(block.pieces) - 1, 0, -1):
        offset, _ = block.pieces[k]
        head, tail = block.text[:offset].rstrip(), block.text[offset:]
        if SENTENCE_END.search(tail.rstrip()):
            return None
        if _sentence_ended(head) and tail[:1].isupper():
            caption = Block(
                "paragraph",
                tail,
                pieces=[(o - offset, ln) for o, ln in block.pieces[k:]],
                open=False,
            )
            block.text = head
            block.pieces = block.pieces[:k]
            return caption
    return None


def _could_end(text: str) -> bool:
    """Could a block end with this text (no hyphen, comma or function word at its end)?"""
    t = text.rstrip()
    words = t.split()
    return bool(words) and not t.endswith(("-", ",")) and words[-1].lower() not in FUNCTION_WORDS


def _next_text(content: list[tuple[int, SourceLine]], pos: int, gaps: set[int]) -> str | None:
    for i, ln in content[pos + 1 :]:
        if i in gaps:
            return ""
        s = squeeze(ln.text)
        if s:
            return s
    return None


def _continues(block: Block, previous: SourceLine | None, s: str, gap: bool, width: int) -> bool:
    """Does line `s` continue `block` (rather than start a new one)?"""
    if block.kind == "heading" or not block.open:
        return False
    last = block.text.rstrip()
    if last.endswith("-") and not last.endswith(" -"):
        return True
    first = s[:1]
    if BULLET.match(s) and SENTENCE_END.search(last):
        return False
    if first.islower() or first in ",;:)’”%":
        return True
    if SENTENCE_END.search(last):
        # A sentence ended: same block only if the line was full (no paragraph break).
        return not gap and previous is not None and len(previous.stripped) >= 0.9 * width
    # No sentence end: the sentence goes on, unless a gap separates a short line
    # without punctuation (a caption or a list item without a full stop).
    if gap:
        words = last.split()
        return bool(words) and (words[-1].lower() in FUNCTION_WORDS or last.endswith(","))
    return True


_FUNCTION_WORDS_TEXT = """
de het een en of van voor in op met aan bij door tot naar om te die dat als maar
dan zijn is wordt worden kan moet zich ook nog niet er hun haar ze we
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


def _starts_item(marker: str, current: Block | None, gap: bool) -> bool:
    """A bullet always starts an item; "o", dashes and numbers only after a block ends."""
    if marker == "•" or current is None or gap or current.kind in ("item", "heading"):
        return True
    return bool(SENTENCE_END.search(current.text.rstrip()))


def _heading(
    ln: SourceLine, s: str, nxt: str | None, at_boundary: bool, width: int
) -> tuple[int, str] | None:
    """(level, title) if the line is a heading."""
    if ln.heading:
        return ln.heading, s
    if SALUTATION.match(s) or _NOT_HEADING.match(s):
        return None
    numbered = NUMBERED_HEADING.match(s)
    # "3.2 Sectoren duiden tekorten" is a heading even after a table row.
    dotted = numbered is not None and "." in numbered.group(1) and len(s) < 0.8 * width
    if not at_boundary and not dotted:
        return None
    if numbered:
        number, dot, rest = numbered.groups()
        if (
            (dot or "." in number or "\t" in ln.text)
            and re.match(r"[(‘“'\"]?[A-ZÀ-Ý(]", rest)
            and len(rest.split()) <= 14
            and not re.search(r"[.!;]$|\. ", rest)
            and int(number.split(".")[0]) <= 20
        ):
            depth = number.count(".") + 1
            return depth, f"{number}{dot} {rest}" if dot else f"{number} {rest}"
        return None
    words = s.split()
    if not (1 <= len(words) <= 16) or len(s) >= 0.95 * width:
        return None
    if not s[:1].isupper() or re.search(r"[.,;:!?\-–…]$", s):
        return None
    if nxt is not None and nxt[:1].islower():
        return None
    lead_in = nxt is not None and BULLET.match(nxt)
    if lead_in and lead_in.group(2)[:1].islower():
        return None
    if BULLET.match(s):
        return None
    if ": " in s:
        return None
    # A sentence boundary inside ("… 2022-2023. Het advies …") is no title.
    if re.search(r"[.!?] [A-ZÀ-Ý]", s):
        return None
    # As long as the next line: a full line of a narrower column, not a title.
    if nxt and not lead_in and len(s) >= 0.95 * len(nxt):
        return None
    return 0, s


def _not_a_title(block: Block) -> bool:
    """A "heading" that grew into a sentence: a numbered list item, a boxed example."""
    if block.pieces and block.pieces[0][1].heading:
        return False
    numbered = NUMBERED_HEADING.match(block.text)
    title = numbered.group(3) if numbered else block.text
    return len(title.split()) > 20 or bool(re.search(r"[.!?;] |: [A-ZÀ-Ý]", title))


def _heading_continues(block: Block, s: str) -> bool:
    last = block.text.rstrip()
    if last.endswith("-"):
        return True
    return (
        (s[:1].islower() or s[:1] == "(")
        and len(s.split()) <= 6
        and (not SENTENCE_END.search(s) or s.endswith("?"))
        and len(block.text.split()) < 14
    )


def _lost_hyphen(text: str, s: str, vocabulary: Vocabulary) -> bool:
    """A word broken over two lines whose hyphen the extraction lost: "competen" + "ties".

    Only with strong evidence: the first part occurs nowhere else in the corpus
    (the broken line itself counts once), and the join is much more frequent
    than the second part alone.
    """
    left = re.search(r"(?<![\w-])([a-zà-ÿ]{2,})$", text)
    right = re.match(r"([a-zà-ÿ]{2,})(?![\w-])", s)
    if not left or not right:
        return False
    a, b = left.group(1), right.group(1)
    joined = vocabulary.count(a + b)
    return vocabulary.count(a) <= 1 and joined >= 2 and joined > 2 * vocabulary.count(b)


def append(
    block: Block,
    previous: SourceLine | None,
    ln: SourceLine,
    s: str,
    vocabulary: Vocabulary,
    urls: list[str],
) -> None:
    text = block.text.rstrip()
    raw_prev = previous.text if previous is not None else text
    url_open = is_url_fragment_line(text) and not raw_prev.endswith((" ", "\t"))
    if url_open and not s[:1].isupper():
        sep = join_url(text, s, urls) if text.endswith("-") else ""
        joined_prefix = text[:-1] + sep if text.endswith("-") else text
    elif text.endswith("-") and not text.endswith(" -") and len(text) > 1:
        sep = join_hyphenated(text, s, vocabulary)
        joined_prefix = text[:-1] + sep
    elif _lost_hyphen(text, s, vocabulary):
        joined_prefix = text
    else:
        joined_prefix = text + " "
    block.pieces.append((len(joined_prefix), ln))
    block.text = joined_prefix + s
