"""A document's title, issuer and year, read from its first page.

A citation names the document as printed, not as its PDF properties say
(they are empty, a Word file name, "Title", or last year's version): the
title is the largest type on the first page, or a letter's "Onderwerp" /
"Betreft" / "Inzake" line; the PDF's own title is used only where the first
page agrees with it. The year is that of the first date printed on the first
page (or in the title); the issuer, an organisation named in the letterhead
or on the cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.document import DocumentHints
from ingest.layout import TextLine
from ingest.page_roles import Layout, measure_body_size

_MONTHS = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s+(?:{_MONTHS})\s+((?:19|20)\d\d)"
    rf"|(?:{_MONTHS})\s+((?:19|20)\d\d)"
    r"|\d{1,2}[./-]\d{1,2}[./-]((?:19|20)\d\d))\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_SUBJECT = re.compile(r"^(onderwerp|betreft|inzake|subject)\s*[:\-]?\s*(.*)$", re.IGNORECASE)
# Words on a cover that are set large but do not name the document.
_NOT_TITLE = re.compile(
    r"^(concept|draft|openbare versie|vertrouwelijk|inhoud|inhoudsopgave|memo|notitie|nota|"
    r"brief|bijlage|verslag|agenda|rapport)\W*$",
    re.IGNORECASE,
)
_ORGANISATION = re.compile(
    r"^(?:Ministerie van [A-ZÀ-Ý][\w ,'-]+|Gemeente [A-ZÀ-Ý][\w-]+|Provincie [A-ZÀ-Ý][\w -]+|"
    r"(?:Vlaamse|Nederlandse) (?:overheid|Regering|regering)|Raad van State|"
    r"Sociaal-Economische Raad van Vlaanderen|SERV|Logius|Geonovum|VNG(?: Realisatie)?|KING|"
    r"Informatie Vlaanderen|Digitaal Vlaanderen|DUS-I|Dienst Uitvoering Subsidies aan "
    r"Instellingen|Rijksoverheid)$"
)


@dataclass
class FirstPage:
    hints: DocumentHints
    title_lines: set[int] = field(default_factory=set)  # ids of the lines that are the title


_SALUTATION = re.compile(r"^(geachte|beste|mevrouw|mijnheer|dear)\b", re.IGNORECASE)


def document_hints(layout: Layout, metadata: dict[str, object]) -> FirstPage:
    lines = [ln for page in layout.pages[:1] for ln in page if not ln.table]
    title, title_lines = _title(lines, layout)
    if title is None:
        title = _memo_subject([ln for ln in lines if not ln.aside], measure_body_size(layout))
    if title is not None:
        title = _undecorate(title)
    meta_title = _clean_meta(metadata.get("Title"))
    first_text = _norm(" ".join(ln.text for ln in lines))
    if title is None and meta_title and _norm(meta_title) in first_text:
        title = meta_title
    year = _year(lines, title)
    return FirstPage(DocumentHints(title, _author(lines), year), title_lines)


def _title(lines: list[TextLine], layout: Layout) -> tuple[str | None, set[int]]:
    for k, ln in enumerate(lines):
        m = _SUBJECT.match(ln.text.strip())
        if m:
            rest = m.group(2).strip()
            if rest:
                return rest, set()
            if k + 1 < len(lines):
                return lines[k + 1].text.strip(), set()
    sizes = sorted(
        {ln.size for ln in lines if _titleish(ln.text)},
        reverse=True,
    )
    body = measure_body_size(layout)
    for size in sizes[:3]:
        if size < 1.2 * body:
            break
        group: list[TextLine] = []
        for ln in lines:
            if ln.size == size and _titleish(ln.text):
                if group and ln.top - group[-1].bottom > 1.2 * size:
                    break
                group.append(ln)
        text = " ".join(ln.text.strip() for ln in group)
        if group and not _NOT_TITLE.match(text) and len(text.split()) <= 30:
            return text, {id(ln) for ln in group}
    return None, set()


def _memo_subject(lines: list[TextLine], body: float) -> str | None:
    """A memo or letter without large type: its subject is the last short line
    standing alone before the salutation, the first heading or the text."""
    subject = None
    for ln in lines:
        text = ln.text.strip()
        words = text.split()
        if _SALUTATION.match(text) or len(words) >= 10 or ln.size >= 1.15 * body:
            break
        if (
            len(words) >= 3
            and ln.size >= 0.95 * body
            and not re.search(r"[,.:;]$", text)
            and not _DATE.search(text)
        ):
            subject = text
    return subject


def _undecorate(title: str) -> str:
    """Rules and slashes set around a title are not part of it: "/// Memo" → "Memo"."""
    return re.sub(r"^[/\\|•·\-–—\s]+|[/\\|•·\s]+$", "", title).strip() or title


def _titleish(text: str) -> bool:
    letters = sum(c.isalpha() for c in text)
    return letters >= 3 and not re.fullmatch(r"[\d\s./-]+", text.strip())


def _year(lines: list[TextLine], title: str | None) -> int | None:
    for ln in lines:
        m = _DATE.search(ln.text)
        if m:
            return int(next(g for g in m.groups() if g))
    if title:
        m = _YEAR.search(title)
        if m:
            return int(m.group(1))
    return None


def _author(lines: list[TextLine]) -> str | None:
    for ln in lines:
        text = re.sub(r"\s+", " ", ln.text.strip())
        if _ORGANISATION.match(text):
            return text
    return None


def _clean_meta(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if (
        not text
        or text.lower() in ("title", "naamloos", "untitled")
        or text.startswith("Microsoft Word")
    ):
        return None
    return text


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()
