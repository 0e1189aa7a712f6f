"""Checking quotes against small fixture documents: planted misquotes of every kind."""

from __future__ import annotations

import json

import pytest
from index_fixtures import CORPUS, make_documents

from index.keyword import dutch_stopwords
from index.quote_check import QuoteChecker

JSON_KEYS = {
    "quote", "verdict", "source", "title", "page", "lines", "citation", "source_text",
    "changes",
}  # fmt: skip


@pytest.fixture(scope="module")
def checker() -> QuoteChecker:
    pairs = make_documents(CORPUS)
    return QuoteChecker([d for d, _ in pairs], {d.source: ps for d, ps in pairs}, dutch_stopwords())


def ops(result) -> list[tuple[str, str, str]]:
    return [(c.op, c.quote, c.source) for c in result.changes]


def test_exact_despite_case_accents_quote_marks_and_pdf_hyphen(checker: QuoteChecker) -> None:
    result = checker.check("„Elke geinvesteerde EURO in praktijkgericht onderwijs”")
    assert result.verdict == "exact"
    assert result.changes == ()
    # Verbatim from the cleaned text, hyphen and line break included.
    assert result.source_text == "elke geïnves-\nteerde euro in praktijkgericht onderwijs"
    data = result.to_json()
    assert data["source"] == "000_advies.txt" and data["page"] == 13
    assert "p. 13" in data["citation"]


def test_shortened_with_an_ellipsis_names_the_left_out_words(checker: QuoteChecker) -> None:
    result = checker.check("De SERV vraagt dat leerlingen … tijdig en grondig worden begeleid")
    assert result.verdict == "shortened"
    assert ops(result) == [("delete", "", "in het beroepsonderwijs")]
    assert result.source_text.startswith("De SERV vraagt dat leerlingen in het beroepsonderwijs")


def test_shortened_without_marking_it(checker: QuoteChecker) -> None:
    result = checker.check(
        "Ondernemingen en scholen moeten voldoende werkplekken voor duaal leren organiseren"
    )
    assert result.verdict == "shortened"
    assert ops(result) == [("delete", "", "samen")]


def test_a_changed_word_is_altered_and_named(checker: QuoteChecker) -> None:
    result = checker.check("elke geïnvesteerde euro in praktijkgericht onderwijs komt dubbel terug")
    assert result.verdict == "altered"
    assert ops(result) == [("replace", "dubbel", "meervoudig")]
    assert result.document is not None and result.document.source == "000_advies.txt"


def test_an_added_word_is_altered_and_named(checker: QuoteChecker) -> None:
    result = checker.check("De raad vraagt een nieuw meerjarig financieringskader voor de scholen")
    assert result.verdict == "altered"
    assert ops(result) == [("insert", "nieuw", "")]


def test_reordered_words_are_altered(checker: QuoteChecker) -> None:
    result = checker.check("Stress en werkdruk blijven voor werknemers de grootste knelpunten")
    assert result.verdict == "altered"
    assert result.document is not None and result.document.source == "001_studie.txt"
    changed = {c.quote for c in result.changes} | {c.source for c in result.changes}
    assert "voor werknemers" in changed


def test_a_quote_over_two_passages_is_checked_against_the_document(
    checker: QuoteChecker,
) -> None:
    result = checker.check("Scholen krijgen daarvoor middelen. Investeren in het onderwijs loont")
    assert result.verdict == "altered"
    assert ops(result) == [("delete", "", "extra"), ("insert", "het", "")]
    # The span runs from the first passage (p. 12) into the second (p. 13).
    assert result.source_text.startswith("Scholen krijgen daarvoor extra middelen.")
    assert result.source_text.endswith("Investeren in onderwijs loont")
    assert "p. 12–13" in result.citation


@pytest.mark.parametrize(
    "quote",
    [
        "De regering moet de belastingen op vliegtuigtickets verhogen voor iedereen.",
        # Words of the corpus, but from all over it: no place says this.
        "werknemers leraren scholen bedrijven ondernemingen middelen pensioen",
        # Too short to match loosely, and not verbatim.
        "werkdruk bij leraren",
    ],
)
def test_nothing_close_enough_is_not_found_never_forced(checker: QuoteChecker, quote: str) -> None:
    result = checker.check(quote)
    assert result.verdict == "not_found"
    data = result.to_json()
    assert data["source"] is None and data["source_text"] is None and data["changes"] == []


def test_json_schema_and_filters(checker: QuoteChecker) -> None:
    quote = "Werkbaar werk betekent dat werknemers hun job kunnen volhouden"
    data = checker.check(quote).to_json()
    assert set(data) >= JSON_KEYS
    assert data["verdict"] == "exact" and data["lines"] == [1, 1]
    json.dumps(data)  # serialisable as it is
    # Restricted to other documents, the same quote is not there.
    assert checker.check(quote, allowed={"000_advies.txt"}).verdict == "not_found"
