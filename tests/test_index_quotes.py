"""Exact quotes: found whatever the case, accents, spacing, line breaks or PDF hyphens."""

from __future__ import annotations

import pytest

from index.quotes import QuoteIndex, parse_query

TEXTS = [
    "Investeren loont: elke geïnves-\nteerde euro komt terug.",
    "Geen enkele   leerling\nmag   uitvallen.",
    "De raad vraagt een sluitend aanbod.",
]


@pytest.fixture(scope="module")
def quotes() -> QuoteIndex:
    return QuoteIndex(TEXTS)


def test_phrase_across_line_break_hyphen(quotes: QuoteIndex) -> None:
    (match,) = quotes.find("elke geïnvesteerde euro")
    assert match.row == 0
    assert TEXTS[0][match.start : match.end] == "elke geïnves-\nteerde euro"


@pytest.mark.parametrize(
    "phrase", ["ELKE GEINVESTEERDE EURO", "elke  geïnvesteerde\neuro", "Elke geïnvesteerde euro."]
)
def test_case_accents_spacing_punctuation(quotes: QuoteIndex, phrase: str) -> None:
    assert [m.row for m in quotes.find(phrase)] == [0]


def test_spacing_in_the_text(quotes: QuoteIndex) -> None:
    (match,) = quotes.find("geen enkele leerling mag uitvallen")
    assert TEXTS[1][match.start : match.end] == "Geen enkele   leerling\nmag   uitvallen"


def test_matches_start_and_end_on_word_boundaries(quotes: QuoteIndex) -> None:
    assert [m.row for m in quotes.find("een")] == [2]  # not inside "Geen"
    assert quotes.find("uitval") == []


def test_parse_typographic_and_several_phrases() -> None:
    parsed = parse_query('“elke euro” en „sluitend aanbod” financiering "x y"')
    assert parsed.phrases == ("elke euro", "sluitend aanbod", "x y")
    assert parsed.words == "en financiering"
    assert parsed.notices == ()


def test_unbalanced_quote_runs_to_the_end_with_notice() -> None:
    parsed = parse_query('budget "elke geïnvesteerde euro')
    assert parsed.phrases == ("elke geïnvesteerde euro",)
    assert parsed.words == "budget"
    assert parsed.notices and "niet gesloten" in parsed.notices[0]


def test_empty_quotes_are_ignored() -> None:
    parsed = parse_query('"" onderwijs')
    assert parsed.phrases == () and parsed.words == "onderwijs"
