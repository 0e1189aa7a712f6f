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
from ingest.layout import Layout, TextLine, measure_body_size

_MONTHS = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s+(?:{_MONTHS})\s+((?:19|20)\d\d)"
    rf"|(?:{_MONTHS})\s+((?:19|20)\d\d)"
    r"|(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-]((?:19|20)?\d\d))\b",
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
# An issuing body named on a line of its own, in a letterhead or on a cover.
_ORGANISATION = re.compile(
    r"^(?:Ministerie van [A-ZÀ-Ý][\w ,'-]+|Gemeente [A-ZÀ-Ý][\w-]+|Provincie [A-ZÀ-Ý][\w -]+|"
    r"Agentschap [A-ZÀ-Ý][\w -]+|Departement [A-ZÀ-Ý][\w -]+|Dienst [A-ZÀ-Ý][\w ]+|"
    r"(?:Vlaamse|Nederlandse) (?:overheid|Regering|regering)|Raad van State|"
    r"Sociaal-Economische Raad van Vlaanderen|SERV|Logius|Geonovum|VNG(?: Realisatie)?|"
    r"Informatie Vlaanderen|Digitaal Vlaanderen|Rijkswaterstaat|Kadaster|CBS)$"
)
# A line that names the issuer or writer: "Uitgave: …", "Geschreven door … - 1 juni 2012".
_ISSUER = re.compile(
    r"^(?:uitgave|uitgegeven door|geschreven door|opgesteld door|auteur|auteurs|door)\s*:?\s+"
    r"(.+?)(?:\s+[-–]\s+.*)?$",
    re.IGNORECASE,
)
# Abbreviations a PDF's Author property uses for a body.
_ABBREVIATIONS = {
    "BZK": "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties",
    "SZW": "Ministerie van Sociale Zaken en Werkgelegenheid",
    "VWS": "Ministerie van Volksgezondheid, Welzijn en Sport",
    "OCW": "Ministerie van Onderwijs, Cultuur en Wetenschap",
    "DUS-I": "Dienst Uitvoering Subsidies aan Instellingen",
}


@dataclass
class FirstPage:
    hints: DocumentHints
    title_lines: set[int] = field(default_factory=set)  # ids of the lines that are the title


_SALUTATION = re.compile(r"^(geachte|beste|mevrouw|mijnheer|dear)\b", re.IGNORECASE)


def document_hints(
    layout: Layout, metadata: dict[str, object], running: list[str] = ()
) -> FirstPage:
    """Title, issuer and year; `running` holds the running header and footer texts."""
    lines = [ln for page in layout.pages[:1] for ln in page if not ln.table]
    title, title_lines = _title(lines, layout)
    if title is None:
        title = _memo_subject([ln for ln in lines if not ln.aside], measure_body_size(layout))
    meta_title = _clean_meta(metadata.get("Title"))
    first_text = _norm(" ".join(ln.text for ln in lines))
    if title is None and meta_title and _norm(meta_title) in first_text:
        title = meta_title
    if title is None:
        title = _running_title(running)
    if title is not None:
        title = _undecorate(title)
    year = _year(layout.pages[0] if layout.pages else [], title)
    cover = [ln for page in layout.pages[:2] for ln in page if not ln.table]
    author = _author(cover) or _meta_author(metadata.get("Author"))
    return FirstPage(DocumentHints(title, author, year), title_lines)


def _title(lines: list[TextLine], layout: Layout) -> tuple[str | None, set[int]]:
    for k, ln in enumerate(lines):
        m = _SUBJECT.match(ln.text.strip())
        if m:
            rest = m.group(2).strip()
            if rest:
                return rest, set()
            if k + 1 < len(lines):
                return lines[k + 1].text.strip(), set()
    if lines and lines[0].ocr:
        # OCR sizes are ragged: the title is among the first lines read.
        lines = lines[:5]
    body = measure_body_size(layout)
    # A style used again after the first page is a heading style, not the title's.
    later = {(ln.size, ln.bold) for page in layout.pages[1:] for ln in page}
    sizes = sorted(
        {ln.size for ln in lines if _titleish(ln.text) and (ln.size, ln.bold) not in later},
        reverse=True,
    )
    for size in sizes[:3]:
        if size < 1.2 * body:
            break
        group: list[TextLine] = []
        for ln in lines:
            if group and ln.top - group[-1].bottom > 1.2 * group[-1].size:
                break
            # The title, then a subtitle set a little smaller right under it.
            if _titleish(ln.text) and (
                (not group and ln.size == size)
                or (
                    group
                    and 0.7 * size <= ln.size <= size
                    and ln.bold == group[0].bold
                    and not _ORGANISATION.match(_undecorate(ln.text.strip()))
                )
            ):
                group.append(ln)
            elif group:
                break
        text = " ".join(ln.text.strip() for ln in group)
        # One word in large type is a label ("OVERZICHT", "Memo"), not a title.
        if group and not _NOT_TITLE.match(_undecorate(text)) and 2 <= len(text.split()) <= 30:
            return text, {id(ln) for ln in group}
    return None, set()


def _running_title(running: list[str]) -> str | None:
    """The document's name as its running header or footer gives it:
    "OSLO metadatastandaard voor services /// 11.06.20 n /// 6" → the name."""
    for text in running:
        parts = [p.strip() for p in re.split(r"/{2,}|\|", text)]
        named = [p for p in parts if len(p.split()) >= 2 and sum(c.isalpha() for c in p) >= 8]
        named = [
            p
            for p in named
            if not re.match(r"(?i)^(pagina|blad|page)\b", p) and not _ORGANISATION.match(p)
        ]
        if named:
            return max(named, key=len)
    return None


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
            and any(c.isalpha() for c in _DATE.sub("", text))
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
            year = next(g for g in m.groups() if g)
            # "14/07/20": a two-digit year of this century.
            return int(year) if len(year) == 4 else 2000 + int(year)
    if title:
        m = _YEAR.search(title)
        if m:
            return int(m.group(1))
    return None


def _author(lines: list[TextLine]) -> str | None:
    """The issuer: a line that says who issued or wrote it, else a body named
    on a line of its own."""
    texts = [_undecorate(re.sub(r"\s+", " ", ln.text.strip())) for ln in lines]
    for text in texts:
        m = _ISSUER.match(text)
        if m and len(m.group(1).split()) <= 8:
            return m.group(1).strip()
    for text in texts:
        if _ORGANISATION.match(text):
            return text
    return None


def _meta_author(value: object) -> str | None:
    """The PDF's Author property, only where it names a body: a person there is
    whoever last saved the file, not who issued the document."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.upper() in _ABBREVIATIONS:
        return _ABBREVIATIONS[text.upper()]
    return text if _ORGANISATION.match(text) else None


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
