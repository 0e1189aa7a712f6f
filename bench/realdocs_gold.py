"""The yardstick for real documents: gold facts about the PDFs in tests/data/realdocs.

Three files in bench/realdocs/, written by reading each PDF page by page (text
layer and rendered image), never by looking at what the pipeline produces:

- gold.jsonl: one object per PDF: its printed title, author and year, the
  running headers and footers that must never reach a passage, content
  numbers that must survive, real headings, numbered paragraphs that must stay
  in the body, footnotes, table rows and whether the PDF is a scan;
- quotes.jsonl: phrases a journalist would copy from the printed page, with
  the page they are printed on and what makes them hard (`kind`);
- questions.jsonl: questions in users' words with a verbatim answer sentence.

The matching rules live here too, so the tests, the benchmark and the
validator judge a passage the same way. All comparisons use the normalised
form of shared/docs/evaluation.md (lower case, no accents, only a-z0-9), so
spacing, punctuation, line breaks and hyphens cannot decide a result.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.check_questions import normalise

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "bench" / "realdocs"
PDF_DIR = ROOT / "tests" / "data" / "realdocs"
QUOTE_KINDS = ("plain", "page_break", "near_footnote", "near_heading", "numbered", "table", "ocr")
SPLITS = ("tune", "heldout")

# A heading's own number or label ("2.3.1", "Artikel 1", "Bijlage 4 –"): a reader
# may keep it in the section label or drop it, both are right.
_HEADING_LABEL = re.compile(
    r"^\s*(?:(?:artikel|bijlage|deel|hoofdstuk)\s+[\w.]+\s*[–-]?\s*|\d+(?:\.\d+)*\.?\s+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Footnote:
    number: int
    text_start: str


@dataclass(frozen=True)
class DocGold:
    """What is printed in one PDF (see the module docstring)."""

    file: str
    title: str
    subtitle: str | None  # printed right under the title; a title may include it
    author: str | None
    year: int | None
    furniture: tuple[str, ...]
    numbers: tuple[str, ...]
    headings: tuple[str, ...]
    numbered_paragraphs: tuple[str, ...]
    footnotes: tuple[Footnote, ...]
    tables: tuple[tuple[str, ...], ...]
    scan: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocGold:
        return cls(
            file=data["file"],
            title=data["title"],
            subtitle=data.get("subtitle"),
            author=data.get("author"),
            year=data.get("year"),
            furniture=tuple(data.get("furniture", ())),
            numbers=tuple(data.get("numbers", ())),
            headings=tuple(data.get("headings", ())),
            numbered_paragraphs=tuple(data.get("numbered_paragraphs", ())),
            footnotes=tuple(Footnote(f["number"], f["text_start"]) for f in data["footnotes"]),
            tables=tuple(tuple(t["cells"]) for t in data.get("tables", ())),
            scan=bool(data.get("scan", False)),
        )


@dataclass(frozen=True)
class GoldQuote:
    file: str
    quote: str
    page: int
    kind: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    file: str
    question: str
    answer: str
    page: int
    split: str


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return rows


def load_gold(gold_dir: Path = GOLD_DIR) -> list[DocGold]:
    return [DocGold.from_json(row) for row in _jsonl(gold_dir / "gold.jsonl")]


def load_quotes(gold_dir: Path = GOLD_DIR) -> list[GoldQuote]:
    return [
        GoldQuote(r["file"], r["quote"], r["page"], r["kind"])
        for r in _jsonl(gold_dir / "quotes.jsonl")
    ]


def load_questions(gold_dir: Path = GOLD_DIR) -> list[GoldQuestion]:
    return [
        GoldQuestion(r["id"], r["file"], r["question"], r["answer"], r["page"], r["split"])
        for r in _jsonl(gold_dir / "questions.jsonl")
    ]


# --- matching rules ---------------------------------------------------------


def title_matches(found: str | None, gold: str, subtitle: str | None = None) -> bool:
    """The printed title, compared loosely (case, spacing, punctuation), with or without
    its printed subtitle; a title that runs on into the text is wrong."""
    got = normalise(found or "")
    return bool(got) and got in {normalise(gold), normalise(f"{gold} {subtitle or ''}")}


def author_matches(found: str | None, gold: str | None) -> bool:
    """Null gold wants no author; otherwise one name must contain the other.

    "Logius" is right for "Logius, Ministerie van BZK" and the other way round;
    a one-letter fragment is not.
    """
    if gold is None:
        return not (found or "").strip()
    got, want = normalise(found or ""), normalise(gold)
    return len(got) >= 4 and (want in got or got in want)


def year_matches(found: int | None, gold: int | None) -> bool:
    return found == gold


def contains(text: str, phrase: str) -> bool:
    """`phrase` stands in `text` after normalisation (evaluation.md's hit rule)."""
    want = normalise(phrase)
    return bool(want) and want in normalise(text)


def heading_in_section(heading: str, section: tuple[str, ...]) -> bool:
    """The heading names one of the section levels, with or without its own number."""
    forms = {normalise(heading), normalise(_HEADING_LABEL.sub("", heading))} - {""}
    return any(form in normalise(level) for level in section for form in forms)


def cells_in_order(cells: tuple[str, ...], text: str) -> bool:
    """Every cell of a table row stands in `text`, each after the one before it."""
    norm = normalise(text)
    position = 0
    for cell in cells:
        found = norm.find(normalise(cell), position)
        if found < 0:
            return False
        position = found + len(normalise(cell))
    return True
