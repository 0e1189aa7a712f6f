"""Turn source lines into clean, quotable blocks: paragraphs, list items, headings, footnotes.

The order of work matters and is the reason this module exists:
1. find the letter's address block, page furniture (page numbers, running
   footers), link debris (bare URL lines, mail safelinks) and chart residue
   (runs of bare numbers and axis labels) and drop them;
2. lift footnotes out of the body (see `footnotes`) so that a sentence
   interrupted by a footnote at the bottom of a page joins up again;
3. rebuild blocks from lines, repairing line-break hyphens with corpus
   evidence (see `dehyphenate`), and give every block its section path;
4. render the cleaned text, recording each block's span in it.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import pairwise

from ingest.dehyphenate import Vocabulary, is_url_fragment_line, join_hyphenated, join_url
from ingest.document import Anchor
from ingest.footnotes import Footnote, extract_footnotes, footnotes_by_role, strip_markers
from ingest.lines import SourceLine, squeeze

_BULLET = re.compile(r"^([•◦o\-–*]|\d{1,2}[.)]|\(\d{1,2}\)|[a-z]\))\s+(\S.*)$")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+(\S.*)$")
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_RESIDUE = re.compile(r"^[\d\s.,%‰+\-–/:()€]*$")
_SENTENCE_END = re.compile(r"[.!?;:…][’”\"')\]]*$")
_SALUTATION = re.compile(
    r"^(Mevrouw|Mijnheer|Geachte|Beste|Hoogachtend|Met (vriendelijke|hoogachtende) groet)",
    re.IGNORECASE,
)
_ADDRESS_START = re.compile(r"^(Mevrouw|Mijnheer|De heer|Aan|Dhr\.|Mevr\.)\b")
_POSTAL = re.compile(r"^([A-Z]{1,2}-)?\d{4}\s+\S")
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

    title, addressee, skip = _letter_head(content)
    title_text = " ".join(squeeze(t.text) for t in title) if title else None
    title_line = title[0] if title else None
    skip = skip + _signature(content)
    for ln in skip:
        removed["address"] += 1
        ln.text = ""
    urls: list[str] = []
    _drop_furniture(lines, removed, urls, links_only=structured)

    if structured:
        body, notes = footnotes_by_role(lines)
    else:
        body, notes = extract_footnotes(lines, paragraph_gap=gaps, width=width)
        removed["citation markers"] += strip_markers(body, notes, vocabulary)

    blocks = _build_blocks(
        body, gaps_after_removal(body, lines, gaps), vocabulary, urls, width, structured
    )
    if title_text and title_line is not None:
        blocks.insert(0, Block("title", title_text, pieces=[(0, title_line)], open=False))
    _assign_sections(blocks)
    blocks.extend(_footnote_blocks(notes, vocabulary, urls))
    _link_citations(blocks)
    text = _render(blocks)
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


def _letter_head(
    content: list[SourceLine],
) -> tuple[list[SourceLine] | None, str | None, list[SourceLine]]:
    """Find a letter's address block and title line.

    A SERV letter starts with the addressee ("Mevrouw Zuhal DEMIR", her
    function, street, postal code) and then the title, then the salutation.
    Returns (title lines, addressee, lines to drop).
    """
    head = content[:20]
    if not head or not _ADDRESS_START.match(head[0].stripped):
        return None, None, []
    postal = next((i for i, ln in enumerate(head) if _POSTAL.match(ln.stripped)), None)
    salutation = next(
        (i for i, ln in enumerate(head) if i > 0 and _SALUTATION.match(ln.stripped)), None
    )
    if postal is None or salutation is None or salutation <= postal + 1:
        return None, None, []
    address = head[: postal + 1]
    addressee = ", ".join(squeeze(ln.text) for ln in address[:2])
    title = head[postal + 1 : salutation]
    skip = address + title
    return title, addressee, skip


def _signature(content: list[SourceLine]) -> list[SourceLine]:
    """The closing of a letter: "Hoogachtend", the signatories' names and functions."""
    for i, ln in enumerate(content[:200]):
        if re.match(r"^(Hoogachtend|Met (vriendelijke|hoogachtende) groet)", ln.stripped):
            tail = content[i : i + 4]
            end = next(
                (k for k, t in enumerate(tail) if re.search(r"voorzitter|generaal", t.stripped)),
                None,
            )
            if end is not None:
                return tail[: end + 1]
    return []


def _drop_furniture(
    lines: list[SourceLine], removed: Counter[str], urls: list[str], *, links_only: bool = False
) -> None:
    """Blank out page numbers, running footers, bare URL lines and chart residue.

    `links_only`: the reader already removed page furniture by its place on
    the page; only link debris is left to drop.
    """
    # A footnote that is only a link stays a footnote when the reader marked it.
    kinds = ("body",) if links_only else ("body", "footnote")
    content_idx = [i for i, ln in enumerate(lines) if not ln.is_blank and ln.role in kinds]
    # Running footers: a short line just before a new page, repeated.
    before_page: Counter[str] = Counter()
    for a, b in pairwise(content_idx):
        if lines[b].new_page and len(lines[a].stripped) <= 80:
            before_page[squeeze(lines[a].text)] += 1
    footers = {t for t, n in before_page.items() if n >= 2 and not _SENTENCE_END.search(t)}
    residue = [_is_residue(lines[i].stripped) for i in content_idx]
    for k, i in enumerate(content_idx):
        ln = lines[i]
        s = squeeze(ln.text)
        if _BARE_URL.match(s):
            urls.append(s)
            removed["link debris"] += 1
        elif "safelinks.protection.outlook.com" in s:
            removed["link debris"] += 1
        elif links_only:
            continue
        elif s in footers:
            removed["running footer"] += 1
        elif (residue[k] and not _ends_sentence_on(lines, content_idx, k)) or _is_chart_label(
            s, residue, k
        ):
            removed["page numbers and chart residue"] += 1
        else:
            continue
        keep_page = ln.new_page
        ln.text = ""
        # The next content line now starts the page.
        if keep_page and k + 1 < len(content_idx):
            lines[content_idx[k + 1]].new_page = True


def _ends_sentence_on(lines: list[SourceLine], content_idx: list[int], k: int) -> bool:
    """Is this number line the end of a sentence ("… Schoolloopbanen van" / "2014.4")?"""
    if k == 0 or len(lines[content_idx[k]].stripped) > 12:
        return False
    before = lines[content_idx[k - 1]].stripped.split()
    return bool(before) and before[-1].lower() in _FUNCTION_WORDS


def _is_residue(s: str) -> bool:
    if not s:
        return False
    # "2022-2023." ends a sentence that began on the line before.
    if _RESIDUE.match(s) and re.search(r"\d[.;:!?]$", s) and len(s) > 3:
        return False
    if _RESIDUE.match(s):
        return True
    # Axis labels split letter by letter: "A", "a", "n", "ta", "le".
    return len(s) <= 2 and s not in ("•", "o", "-", "–")


def _is_chart_label(s: str, residue: list[bool], k: int) -> bool:
    """A short label line inside a run of chart residue."""
    if len(s.split()) > 5 or _SENTENCE_END.search(s):
        return False
    before = any(residue[max(0, k - 2) : k])
    after = any(residue[k + 1 : k + 3])
    return before and after


# --- Blocks ---------------------------------------------------------------------


def _build_blocks(
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
        bullet = _BULLET.match(s)
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
        if _SALUTATION.match(s) or _SOURCE_LINE.match(s):
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
            _append(current, previous, ln, s, vocabulary, urls)
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
    return bool(_SENTENCE_END.search(t)) or bool(re.search(r"(https?://|www\.)\S+$", t))


def _split_caption(block: Block) -> Block | None:
    """Split a chart title off the end of a paragraph (it precedes a "Bron:" line).

    The title is the tail of the block after its last sentence end, when that
    tail starts on a line of its own and has no sentence end itself.
    """
    for k in range(len(block.pieces) - 1, 0, -1):
        offset, _ = block.pieces[k]
        head, tail = block.text[:offset].rstrip(), block.text[offset:]
        if _SENTENCE_END.search(tail.rstrip()):
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
    return bool(words) and not t.endswith(("-", ",")) and words[-1].lower() not in _FUNCTION_WORDS


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
    if _BULLET.match(s) and _SENTENCE_END.search(last):
        return False
    if first.islower() or first in ",;:)’”%":
        return True
    if _SENTENCE_END.search(last):
        # A sentence ended: same block only if the line was full (no paragraph break).
        return not gap and previous is not None and len(previous.stripped) >= 0.9 * width
    # No sentence end: the sentence goes on, unless a gap separates a short line
    # without punctuation (a caption or a list item without a full stop).
    if gap:
        words = last.split()
        return bool(words) and (words[-1].lower() in _FUNCTION_WORDS or last.endswith(","))
    return True


_FUNCTION_WORDS_TEXT = """
de het een en of van voor in op met aan bij door tot naar om te die dat als maar
dan zijn is wordt worden kan moet zich ook nog niet er hun haar ze we
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


def _starts_item(marker: str, current: Block | None, gap: bool) -> bool:
    """A bullet always starts an item; "o", dashes and numbers only after a block ends."""
    if marker == "•" or current is None or gap or current.kind in ("item", "heading"):
        return True
    return bool(_SENTENCE_END.search(current.text.rstrip()))


def _heading(
    ln: SourceLine, s: str, nxt: str | None, at_boundary: bool, width: int
) -> tuple[int, str] | None:
    """(level, title) if the line is a heading."""
    if ln.heading:
        return ln.heading, s
    if _SALUTATION.match(s) or _NOT_HEADING.match(s):
        return None
    numbered = _NUMBERED_HEADING.match(s)
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
    lead_in = nxt is not None and _BULLET.match(nxt)
    if lead_in and lead_in.group(2)[:1].islower():
        return None
    if _BULLET.match(s):
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
    numbered = _NUMBERED_HEADING.match(block.text)
    title = numbered.group(3) if numbered else block.text
    return len(title.split()) > 20 or bool(re.search(r"[.!?;] |: [A-ZÀ-Ý]", title))


def _heading_continues(block: Block, s: str) -> bool:
    last = block.text.rstrip()
    if last.endswith("-"):
        return True
    return (
        (s[:1].islower() or s[:1] == "(")
        and len(s.split()) <= 6
        and (not _SENTENCE_END.search(s) or s.endswith("?"))
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


def _append(
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


# --- Sections, footnotes, rendering ----------------------------------------------


def _assign_sections(blocks: list[Block]) -> None:
    """Give every block the path of headings above it.

    Numbered headings take their depth ("3." → 1, "3.1" → 2); a numbered
    heading that restarts at 1 inside a chapter is a sub-level; unnumbered
    headings sit one level below the deepest numbered heading.
    """
    stack: list[tuple[int, str]] = []
    numbered_depth = 0
    last_top = 0
    last_sub = 0  # a list of numbered sub-headings restarting at 1 inside a chapter
    dotted = 1  # depth of the last "3.2"-style heading in this chapter
    for block in blocks:
        if block.kind == "heading":
            level = block.level
            m = _NUMBERED_HEADING.match(block.text)
            if level == 0:
                level = numbered_depth + 1
            elif m and not block.pieces[0][1].heading:
                top = int(m.group(1).split(".")[0])
                if level == 1 and last_sub and top == last_sub + 1:
                    level, last_sub = dotted + 1, top
                elif level == 1 and top == 1 and last_top >= 1:
                    level, last_sub = dotted + 1, 1
                elif level == 1:
                    last_top, last_sub, dotted = top, 0, 1
                else:
                    last_sub, dotted = 0, level
                numbered_depth = level
            else:
                numbered_depth = level
            block.level = level
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, block.text))
            block.section = tuple(t for _, t in stack)
        else:
            block.section = tuple(t for _, t in stack)


def _footnote_blocks(notes: list[Footnote], vocabulary: Vocabulary, urls: list[str]) -> list[Block]:
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
                _append(block, previous, ln, s, vocabulary, urls)
            previous = ln
        if block is not None:
            out.append(block)
    return out


def _link_citations(blocks: list[Block]) -> None:
    notes = {b.footnote: b for b in blocks if b.kind == "footnote"}
    for i, block in enumerate(blocks):
        if block.kind == "footnote":
            continue
        cites = []
        for _, ln in block.pieces:
            cites.extend(ln.cites)
        block.cites = [n for n in dict.fromkeys(cites) if n in notes]
        for n in block.cites:
            if notes[n].cited_by is None:
                notes[n].cited_by = i
                notes[n].section = block.section


def _render(blocks: list[Block]) -> str:
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


def median_line_length(lines: list[SourceLine]) -> float:
    lengths = [len(ln.stripped) for ln in lines if ln.stripped]
    return statistics.median(lengths) if lengths else 0.0
