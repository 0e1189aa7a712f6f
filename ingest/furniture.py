"""Stage 1 of cleaning: what is on the page but not in the text.

A letter's address block and signature, running footers and page numbers,
bare link lines and mail safelinks, chart residue (runs of bare numbers and
axis labels). A reader that saw the layout has removed the page furniture
already; only link debris is left for this stage then.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from ingest.blocks import FUNCTION_WORDS, SALUTATION, SENTENCE_END
from ingest.lines import SourceLine, squeeze

_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_RESIDUE = re.compile(r"^[\d\s.,%‰+\-–/:()€]*$")
_ADDRESS_START = re.compile(r"^(Mevrouw|Mijnheer|De heer|Aan|Dhr\.|Mevr\.)\b")
_POSTAL = re.compile(r"^([A-Z]{1,2}-)?\d{4}\s+\S")


def letter_head(
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
        (i for i, ln in enumerate(head) if i > 0 and SALUTATION.match(ln.stripped)), None
    )
    if postal is None or salutation is None or salutation <= postal + 1:
        return None, None, []
    address = head[: postal + 1]
    addressee = ", ".join(squeeze(ln.text) for ln in address[:2])
    title = head[postal + 1 : salutation]
    skip = address + title
    return title, addressee, skip


def signature(content: list[SourceLine]) -> list[SourceLine]:
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


def drop_furniture(
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
    footers = {t for t, n in before_page.items() if n >= 2 and not SENTENCE_END.search(t)}
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
    return bool(before) and before[-1].lower() in FUNCTION_WORDS


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
    if len(s.split()) > 5 or SENTENCE_END.search(s):
        return False
    before = any(residue[max(0, k - 2) : k])
    after = any(residue[k + 1 : k + 3])
    return before and after
