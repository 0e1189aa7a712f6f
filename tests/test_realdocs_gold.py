"""The real-document gold must stay true to the PDFs, and its validator must catch slips.

Wrong gold makes good code look bad: a quote on the wrong page or a footer
that is not printed would fail the layout tests for no fault of the reader.
These tests check the committed gold against the PDFs' own text layer, and
check on a one-document fixture that the validator reports each kind of slip.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench import check_realdocs
from bench.realdocs_gold import (
    GOLD_DIR,
    PDF_DIR,
    author_matches,
    cells_in_order,
    heading_in_section,
    title_matches,
)

MEMO = "Memo-Governance-Logius-Standaarden.pdf"


@pytest.fixture(scope="module")
def report() -> check_realdocs.Report:
    return check_realdocs.validate(GOLD_DIR, PDF_DIR)


def test_committed_gold_is_true_to_the_pdfs(report: check_realdocs.Report) -> None:
    assert report.problems == []


def test_gold_has_the_promised_size(report: check_realdocs.Report) -> None:
    assert report.counts["documents"] == 20
    assert report.counts["quotes"] >= 60
    assert report.counts["kind:page_break"] >= 8
    assert report.counts["kind:near_footnote"] >= 8
    assert report.counts["questions"] >= 40


def _one_doc_gold(tmp_path: Path, quotes: list[dict], questions: list[dict]) -> tuple[Path, Path]:
    """A gold folder and a PDF folder holding only the Logius memo."""
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    shutil.copy(PDF_DIR / MEMO, pdfs / MEMO)
    gold = tmp_path / "gold"
    gold.mkdir()
    memo = next(
        line for line in (GOLD_DIR / "gold.jsonl").read_text("utf-8").splitlines() if MEMO in line
    )
    (gold / "gold.jsonl").write_text(memo + "\n", "utf-8")
    for name, rows in (("quotes", quotes), ("questions", questions)):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (gold / f"{name}.jsonl").write_text(text, "utf-8")
    return gold, pdfs


QUOTE = "Met de invoering van de MIDO governance bij Logius moet ook de governance"
BREAK = "gevraagd aan de onderliggende gremia. Bijvoorbeeld: het TO geeft advies over wijzigingen"
ANSWER = "Lifecycle management zal worden opgenomen in de beheermodellen."


def _problems_about(report: check_realdocs.Report, what: str) -> list[str]:
    return [p for p in report.problems if what in p]


def test_validator_accepts_true_quotes_and_rejects_a_wrong_page(tmp_path: Path) -> None:
    quotes = [
        {"file": MEMO, "quote": QUOTE, "page": 1, "kind": "near_heading"},
        {"file": MEMO, "quote": BREAK, "page": 2, "kind": "page_break"},
        {"file": MEMO, "quote": QUOTE, "page": 2, "kind": "plain"},
    ]
    report = check_realdocs.validate(*_one_doc_gold(tmp_path, quotes, []))
    assert _problems_about(report, "quote ") == [
        f"quote {MEMO} p.2: not printed on that page: {QUOTE!r}"
    ]


def test_validator_rejects_a_page_break_quote_that_does_not_run_over(tmp_path: Path) -> None:
    # The whole quote is on page 1; calling it a page break on page 1 is wrong.
    quotes = [{"file": MEMO, "quote": QUOTE, "page": 1, "kind": "page_break"}]
    report = check_realdocs.validate(*_one_doc_gold(tmp_path, quotes, []))
    assert _problems_about(report, "not printed on that page")


def test_validator_rejects_quotes_of_the_wrong_length_or_kind(tmp_path: Path) -> None:
    quotes = [
        {"file": MEMO, "quote": "Met de invoering van de MIDO", "page": 1, "kind": "plain"},
        {"file": MEMO, "quote": QUOTE, "page": 1, "kind": "somewhere"},
    ]
    report = check_realdocs.validate(*_one_doc_gold(tmp_path, quotes, []))
    assert _problems_about(report, "6 words, needs 8-25")
    assert _problems_about(report, "kind 'somewhere'")


def test_validator_rejects_a_question_that_copies_its_answer(tmp_path: Path) -> None:
    questions = [
        {"id": "rq-001", "file": MEMO, "question": "Wordt lifecycle management opgenomen in "
         "de beheermodellen?", "answer": ANSWER, "page": 3, "split": "tune"},
        {"id": "rq-002", "file": MEMO, "question": "Komt het levenscyclusbeheer ook in de "
         "governancedocumenten terecht?", "answer": ANSWER, "page": 3, "split": "heldout"},
    ]  # fmt: skip
    report = check_realdocs.validate(*_one_doc_gold(tmp_path, [], questions))
    assert _problems_about(report, "question rq-001: reuses")
    assert not _problems_about(report, "question rq-002")


def test_validator_rejects_an_answer_on_another_page(tmp_path: Path) -> None:
    questions = [
        {"id": "rq-001", "file": MEMO, "question": "Komt het levenscyclusbeheer ook in de "
         "governancedocumenten terecht?", "answer": ANSWER, "page": 2, "split": "tune"},
    ]  # fmt: skip
    report = check_realdocs.validate(*_one_doc_gold(tmp_path, [], questions))
    assert _problems_about(report, "answer not printed on page 2")


def test_validator_rejects_gold_strings_that_are_not_printed(tmp_path: Path) -> None:
    gold, pdfs = _one_doc_gold(tmp_path, [], [])
    entry = json.loads((gold / "gold.jsonl").read_text("utf-8"))
    entry["furniture"].append("Pagina 4 van 3")
    (gold / "gold.jsonl").write_text(json.dumps(entry, ensure_ascii=False) + "\n", "utf-8")
    report = check_realdocs.validate(gold, pdfs)
    assert report.problems[0] == f"{MEMO}: furniture not printed in the PDF: 'Pagina 4 van 3'"


def test_title_match_is_loose_but_names_the_document() -> None:
    title, subtitle = "Monitorrapportage 2023", "Regionaal Investeringsfonds mbo - 7e editie"
    assert title_matches("MONITORRAPPORTAGE  2023", title, subtitle)
    assert title_matches("Monitorrapportage 2023 – Regionaal Investeringsfonds mbo, 7e editie",
                         title, subtitle)  # fmt: skip
    assert not title_matches("Pagina 1 van 15", title, subtitle)
    assert not title_matches("Monitorrapportage", title, subtitle)
    assert not title_matches("Monitorrapportage 2023 In deze zevende monitorrapportage", title)
    assert not title_matches(None, title)


def test_author_match_allows_a_longer_or_shorter_name_but_not_none() -> None:
    assert author_matches("Logius, Ministerie van BZK", "Logius")
    assert author_matches("Logius", "Logius")
    assert not author_matches(None, "Logius")
    assert not author_matches("L", "Logius")
    assert author_matches(None, None)
    assert not author_matches("Martin Ruebens", None)


def test_heading_matches_a_section_with_or_without_its_number() -> None:
    assert heading_in_section("2.3.1 Besluit", ("2 Het verschil", "2.3.1 Besluit"))
    assert heading_in_section("2.3.1 Besluit", ("Besluit",))
    assert heading_in_section("Artikel 1 Begrippen en afkortingen", ("Begrippen en afkortingen",))
    assert not heading_in_section("4.2 Type", ("4.1 Domein",))


def test_cells_must_stand_in_the_printed_order() -> None:
    row = ("Starters", "33", "26")
    assert cells_in_order(row, "Tabel 1 Starters 33 26 19")
    assert not cells_in_order(row, "Tabel 1 33 26 Starters")
