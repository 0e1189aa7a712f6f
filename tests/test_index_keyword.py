"""BM25 with Dutch analysis: stemming, stopwords, compounds, and the scores themselves."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from index.keyword import BM25Index, DutchAnalyzer, dutch_stopwords

TEXTS = [
    "De leerling volgt een opleiding in het beroepsonderwijs.",
    "Werknemers in Vlaanderen melden werkdruk en stress.",
    "Leerwerkplekken in bedrijven zijn schaars volgens de raad.",
    "De arbeidsmarktfinaliteit van de opleiding is duidelijk.",
    "De arbeidsmarkt vraagt technische profielen met een finaliteit.",
    "Elke werkplek telt.",
]


@pytest.fixture(scope="module")
def index() -> BM25Index:
    return BM25Index.build(TEXTS)


def test_stemming_matches_plural_to_singular(index: BM25Index) -> None:
    hits = index.search("leerlingen", 5)
    assert hits and hits[0][0] == 0


def test_stopwords_alone_match_nothing(index: BM25Index) -> None:
    assert index.search("de het een", 5) == []
    assert {"de", "het", "een", "welke"} <= dutch_stopwords()


def test_accents_and_case_are_folded(index: BM25Index) -> None:
    assert index.search("VLAANDEREN", 5)[0][0] == 1


def test_compound_parts_are_indexed(index: BM25Index) -> None:
    # "werkplekken" stands only inside the compound "leerwerkplekken"; "werkplek" alone
    # elsewhere tells the splitter it is a word.
    assert 2 in [row for row, _ in index.search("werkplekken", 5)]
    plain = BM25Index.build(TEXTS, decompound=False)
    assert 2 not in [row for row, _ in plain.search("werkplekken", 5)]


def test_compound_query_finds_its_parts(index: BM25Index) -> None:
    rows = [row for row, _ in index.search("arbeidsmarktfinaliteit", 5)]
    assert rows[0] == 3 and 4 in rows


def test_split_compound_against_vocabulary() -> None:
    analyzer = DutchAnalyzer(["arbeidsmarkt", "finaliteit", "leer", "werkplekken"])
    assert analyzer.split_compound("arbeidsmarktfinaliteit") == ("arbeidsmarkt", "finaliteit")
    assert analyzer.split_compound("leerwerkplekken") == ("leer", "werkplekken")
    assert analyzer.split_compound("onbekendwoord") == ()


def test_scores_equal_a_second_implementation(index: BM25Index) -> None:
    analyzer = index.analyzer
    docs = [Counter(analyzer.terms(t)) for t in TEXTS]
    avg = sum(sum(d.values()) for d in docs) / len(docs)
    query = "opleiding in de arbeidsmarkt"
    expected = []
    for doc in docs:
        score = 0.0
        for term in analyzer.terms(query):
            df = sum(1 for d in docs if term in d)
            if not df:
                continue
            idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
            tf = doc[term]
            score += idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * sum(doc.values()) / avg))
        expected.append(score)
    assert index.scores(query).tolist() == pytest.approx(expected, rel=1e-5)


def test_mask_and_round_trip(index: BM25Index, tmp_path) -> None:
    mask = [False, True, True, True, True, True]
    import numpy as np

    assert all(row != 0 for row, _ in index.search("leerling opleiding", 5, np.array(mask)))
    index.save(tmp_path)
    loaded = type(index).load(tmp_path)
    assert loaded.scores("werkplekken").tolist() == index.scores("werkplekken").tolist()
