"""Validate the real-document gold (bench/realdocs/*.jsonl) against the PDFs themselves.

Gold that is wrong makes good code look bad, so every string the gold claims
is printed is looked up in the PDF's own text layer (pypdf, independent of
the project's reader): quotes and answers on the page they cite (a
`page_break` quote starting on it and ending on the next; a footnote marker
digit may sit between two words), and gold strings somewhere in the document.
Scans have no text layer and are only checked for their schema.

It also keeps the set honest: 8-25 words per quote, at least 60 quotes with 8
over a page break and 8 next to a footnote, at least 40 questions split half
and half, and no question that reuses more than a third of its answer's
content words.

Run it as ``python -m bench.check_realdocs``; the exit code is 1 when any
problem is found. ``validate()`` is the entry point used by the tests.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.check_questions import normalise
from bench.realdocs_gold import (
    GOLD_DIR,
    PDF_DIR,
    QUOTE_KINDS,
    ROOT,
    SPLITS,
    DocGold,
    GoldQuestion,
    GoldQuote,
    load_gold,
    load_questions,
    load_quotes,
)

MIN_QUOTE_WORDS, MAX_QUOTE_WORDS = 8, 25
MIN_QUOTES, MIN_PAGE_BREAK, MIN_NEAR_FOOTNOTE = 60, 8, 8
MIN_QUESTIONS = 40
MAX_SHARED_CONTENT = 1 / 3
ID_PATTERN = re.compile(r"^rq-\d{3,}$")
STOPWORDS = frozenset((ROOT / "index" / "stopwords_nl.txt").read_text("utf-8").split())
# Words are compared on their first letters, so "referentieloon" and
# "referentiemaandloon" count as the same word: inflection cannot hide reuse.
STEM = 6


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    unchecked_scans: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems


class PdfText:
    """Normalised text per page of the PDFs, read once and only when asked."""

    def __init__(self, pdf_dir: Path) -> None:
        self.pdf_dir = pdf_dir
        self._readers: dict[str, object] = {}
        self._pages: dict[tuple[str, int], str] = {}

    def page_count(self, file: str) -> int:
        return len(self._reader(file).pages)

    def page(self, file: str, page: int) -> str:
        key = (file, page)
        if key not in self._pages:
            reader = self._reader(file)
            inside = 1 <= page <= len(reader.pages)
            self._pages[key] = normalise(reader.pages[page - 1].extract_text()) if inside else ""
        return self._pages[key]

    def document(self, file: str) -> str:
        return "".join(self.page(file, p) for p in range(1, self.page_count(file) + 1))

    def _reader(self, file: str):  # -> PdfReader, imported late: pypdf is slow to import
        if file not in self._readers:
            from pypdf import PdfReader

            # pypdf warns about harmless cross-reference slips in some of these files.
            logging.getLogger("pypdf").setLevel(logging.ERROR)
            self._readers[file] = PdfReader(self.pdf_dir / file)
        return self._readers[file]


def _words(text: str) -> list[str]:
    return [w for w in (normalise(t) for t in text.split()) if w]


def _stands_in(page_text: str, words: list[str]) -> bool:
    """The words stand in order, allowing a 1-2 digit footnote marker after any of them."""
    if not words:
        return False
    pattern = "".join(re.escape(w) + r"(?:\d{1,2})?" for w in words)
    return re.search(pattern, page_text) is not None


def _on_page(text: PdfText, file: str, page: int, phrase: str, over_break: bool) -> bool:
    words = _words(phrase)
    if not over_break:
        return _stands_in(text.page(file, page), words)
    # Over a page break: starts on `page`, ends on the next, and stands whole on neither.
    if _stands_in(text.page(file, page), words) or _stands_in(text.page(file, page + 1), words):
        return False
    return any(
        _stands_in(text.page(file, page), words[:k])
        and _stands_in(text.page(file, page + 1), words[k:])
        for k in range(1, len(words))
    )


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no short words)."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return {w[:STEM] for w in re.findall(r"[a-z0-9]+", plain) if len(w) > 2} - STOPWORDS


def shared_share(question: str, answer: str) -> float:
    """Share of the answer's content words that the question reuses."""
    wanted = content_words(answer)
    return len(wanted & content_words(question)) / len(wanted) if wanted else 1.0


def _check_doc(doc: DocGold, text: PdfText) -> list[str]:
    where = doc.file
    problems = []
    if len(doc.headings) > 6 or len(doc.numbered_paragraphs) > 3:
        problems.append(f"{where}: at most 6 headings and 3 numbered paragraphs")
    if len(doc.footnotes) > 3 or len(doc.tables) > 2:
        problems.append(f"{where}: at most 3 footnotes and 2 tables")
    if doc.scan:
        return problems
    full = text.document(where)
    strings = [
        ("title", doc.title),
        *(("subtitle", s) for s in (doc.subtitle,) if s),
        *(("furniture", s) for s in doc.furniture),
        *(("number", s) for s in doc.numbers),
        *(("heading", s) for s in doc.headings),
        *(("numbered paragraph", s) for s in doc.numbered_paragraphs),
        *(("footnote", f.text_start) for f in doc.footnotes),
        *(("table cell", c) for row in doc.tables for c in row),
    ]
    for label, value in strings:
        if not normalise(value) or normalise(value) not in full:
            problems.append(f"{where}: {label} not printed in the PDF: {value!r}")
    return problems


def _check_quote(q: GoldQuote, docs: dict[str, DocGold], text: PdfText) -> list[str]:
    where = f"quote {q.file} p.{q.page}"
    problems = []
    if q.kind not in QUOTE_KINDS:
        problems.append(f"{where}: kind {q.kind!r} is not one of {', '.join(QUOTE_KINDS)}")
    n = len(q.quote.split())
    if not MIN_QUOTE_WORDS <= n <= MAX_QUOTE_WORDS:
        problems.append(f"{where}: {n} words, needs {MIN_QUOTE_WORDS}-{MAX_QUOTE_WORDS}")
    doc = docs.get(q.file)
    if doc is None:
        return [*problems, f"{where}: no gold.jsonl entry for {q.file}"]
    if doc.scan:
        return problems
    if not _on_page(text, q.file, q.page, q.quote, q.kind == "page_break"):
        problems.append(f"{where}: not printed on that page: {q.quote!r}")
    return problems


def _check_question(q: GoldQuestion, docs: dict[str, DocGold], text: PdfText) -> list[str]:
    where = f"question {q.id}"
    problems = []
    if not ID_PATTERN.match(q.id):
        problems.append(f"{where}: id is not of the form rq-001")
    if q.split not in SPLITS:
        problems.append(f"{where}: split {q.split!r} is not one of {', '.join(SPLITS)}")
    share = shared_share(q.question, q.answer)
    if share > MAX_SHARED_CONTENT:
        problems.append(f"{where}: reuses {share:.0%} of the answer's content words (max 33%)")
    doc = docs.get(q.file)
    if doc is None:
        problems.append(f"{where}: no gold.jsonl entry for {q.file}")
    elif not doc.scan and not _on_page(text, q.file, q.page, q.answer, over_break=False):
        problems.append(f"{where}: answer not printed on page {q.page}: {q.answer!r}")
    return problems


def validate(gold_dir: Path = GOLD_DIR, pdf_dir: Path = PDF_DIR) -> Report:
    """Check the three gold files against the PDFs in `pdf_dir`."""
    report = Report()
    try:
        gold, quotes, questions = (
            load_gold(gold_dir),
            load_quotes(gold_dir),
            load_questions(gold_dir),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"{gold_dir}: cannot read the gold files ({exc})")
        return report
    text = PdfText(pdf_dir)
    docs = {d.file: d for d in gold}
    pdfs = {p.name for p in pdf_dir.glob("*.pdf")}
    for missing in sorted(pdfs - docs.keys()):
        report.problems.append(f"gold.jsonl: no entry for {missing}")
    for extra in sorted(docs.keys() - pdfs):
        report.problems.append(f"gold.jsonl: {extra} is not a PDF in {pdf_dir}")
    for doc in gold:
        if doc.file in pdfs:
            report.problems.extend(_check_doc(doc, text))
        if doc.scan:
            report.unchecked_scans.append(doc.file)
    for q in quotes:
        report.problems.extend(_check_quote(q, docs, text))
    per_file = Counter(q.file for q in quotes)
    for doc in gold:
        least = 1 if doc.scan else 3
        if per_file[doc.file] < least:
            report.problems.append(f"quotes: {doc.file} has {per_file[doc.file]}, needs {least}")
    kinds = Counter(q.kind for q in quotes)
    for label, have, need in (
        ("quotes", len(quotes), MIN_QUOTES),
        ("page_break quotes", kinds["page_break"], MIN_PAGE_BREAK),
        ("near_footnote quotes", kinds["near_footnote"], MIN_NEAR_FOOTNOTE),
        ("questions", len(questions), MIN_QUESTIONS),
    ):
        if have < need:
            report.problems.append(f"{label}: {have}, needs at least {need}")
    ids = Counter(q.id for q in questions)
    report.problems.extend(f"question {i}: duplicate id" for i, n in ids.items() if n > 1)
    for q in questions:
        report.problems.extend(_check_question(q, docs, text))
    splits = Counter(q.split for q in questions)
    if abs(splits["tune"] - splits["heldout"]) > 1:
        report.problems.append(f"questions: splits are not half and half ({dict(splits)})")
    report.counts.update({f"kind:{k}": v for k, v in kinds.items()})
    report.counts.update({"documents": len(gold), "quotes": len(quotes)})
    report.counts.update({"questions": len(questions)})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the real-document gold files.")
    parser.add_argument("--gold", type=Path, default=GOLD_DIR)
    parser.add_argument("--pdfs", type=Path, default=PDF_DIR)
    args = parser.parse_args(argv)
    report = validate(args.gold, args.pdfs)
    print(", ".join(f"{k}: {v}" for k, v in sorted(report.counts.items())))
    if report.unchecked_scans:
        print(f"text not checked (no text layer): {', '.join(report.unchecked_scans)}")
    for problem in report.problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    if report.ok:
        print("OK")
        return 0
    print(f"{len(report.problems)} problem(s)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
