"""Query analysis, the glossary and the sentence vectors: the parts the ranking builds on."""

from __future__ import annotations

import numpy as np
import pytest

from index.glossary import Glossary, definitions
from index.keyword import BM25Index, DutchAnalyzer
from index.query import intent, states, strip_frames
from index.sentences import SentenceVectors
from ingest.document import Passage

PLAIN = DutchAnalyzer(decompound=False)


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        ("Ik ben leerkracht en wil weten hoe duaal leren werkt", "en hoe duaal leren werkt"),
        (
            "Onze school overweegt een domeinschool; wat vindt de SERV?",
            "overweegt een domeinschool; ?",
        ),
        ("Volgens de SERV: hoeveel jongeren haken af?", ": hoeveel jongeren haken af?"),
        ("Ik geef les in het BSO; klopt het dat stages helpen?", "het BSO; dat stages helpen?"),
    ],
)
def test_frame_words_are_stripped(question: str, kept: str) -> None:
    assert strip_frames(question) == kept


def test_a_question_of_only_frame_words_is_kept_whole() -> None:
    assert strip_frames("Ik ben leerkracht") == "Ik ben leerkracht"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Hoeveel jongeren verlaten school zonder diploma?", "number"),
        ("Welk percentage haalt de eindtermen niet?", "number"),
        ("How many pupils leave school early?", "number"),
        ("Combien de piliers propose le SERV ?", "number"),
        ("Wanneer is de modernisering uitgerold?", "date"),
        ("Waarom kiezen ouders een theoretische richting?", None),
    ],
)
def test_intent(question: str, kind: str | None) -> None:
    assert intent(question) == kind


def test_states_a_figure_or_a_date() -> None:
    assert states("number", "Het aantal schoolverlaters blijft te hoog (9,4%).")
    assert states("number", "Jaarlijks verlaten ca 8.000 jongeren de school.")
    assert not states("number", "De SERV vraagt een nieuw actieplan.")
    assert states("date", "Na het schooljaar 2025-2026 is de modernisering uitgerold.")
    assert not states("date", "Er zijn 47 nieuwe standaardtrajecten.")


def test_definitions_come_from_the_corpus() -> None:
    texts = [
        "De strijd tegen vroegtijdig schoolverlaten (VSV) is een prioriteit.",
        "Een actieplan ter preventie en aanpak van schooluitval (VSV) volgt.",
        "Cijfers voor de arbeidsmarktfinaliteit (AF).",
        "Een Centrum voor Deeltijds Onderwijs (CDO).",
    ]
    found = dict(definitions(texts, PLAIN.stopwords))
    # The first definition wins; "van schooluitval" does not abbreviate to VSV.
    assert found["vsv"] == "vroegtijdig schoolverlaten"
    assert found["cdo"] == "centrum voor deeltijds onderwijs"
    # Two-letter short forms are Dutch words too ("af"): never taken.
    assert "af" not in found


def test_glossary_expands_both_ways_and_leaves_other_queries_alone() -> None:
    glossary = Glossary(
        [("vsv", "vroegtijdig schoolverlaten"), ("leraar", "leerkracht")], PLAIN.terms
    )
    assert glossary.expand(PLAIN.terms("Wat doet de SERV tegen VSV?")) == PLAIN.terms(
        "vroegtijdig schoolverlaten"
    )
    assert glossary.expand(PLAIN.terms("vroegtijdig schoolverlaten")) == ["vsv"]
    # Half a phrase names nothing.
    assert glossary.expand(PLAIN.terms("vroegtijdig ingrijpen")) == []


def test_keyword_expansion_counts_at_its_weight() -> None:
    index = BM25Index.build(
        ["Het VSV blijft te hoog.", "Leerkrachten en leraren.", "Vroegtijdig schoolverlaten daalt."]
    )
    plain = index.scores("vsv")
    assert plain[2] == 0 and plain[0] > 0
    expanded = index.scores("vsv", PLAIN.terms("vroegtijdig schoolverlaten"), 0.5)
    assert expanded[2] > 0 and expanded[0] == pytest.approx(plain[0])
    # At weight 0 the expansion changes nothing.
    assert np.allclose(index.scores("vsv", ["vroegtijd"], 0.0), plain)


def _passage(ordinal: int, text: str) -> Passage:
    return Passage(
        id=f"a-{ordinal}",
        source="a.txt",
        ordinal=ordinal,
        text=text,
        char_start=0,
        char_end=len(text),
        section=(),
        page=None,
    )


def test_sentence_vectors_build_save_and_load(tmp_path) -> None:
    passages = [
        _passage(0, "Kop. De raad vraagt een nieuw actieplan tegen schooluitval."),
        _passage(1, "Een tweede passage met een zin van genoeg woorden. En nog een zin erbij."),
    ]
    embedded: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        embedded.extend(texts)
        return np.eye(len(texts), 4, dtype=np.float32)

    built = SentenceVectors.build(passages, embed, dimension=4)
    assert built.passages == 2 and built.count == 4
    # "Kop." is too short to answer: never embedded, never a best sentence.
    assert "Kop." not in embedded and built.embedded == 3
    built.save(tmp_path)
    loaded = SentenceVectors.load(tmp_path)
    spans, vectors = loaded.of(0)
    assert passages[0].text[spans[1][0] : spans[1][1]].startswith("De raad vraagt")
    assert np.allclose(vectors, built.of(0)[1])
    best = loaded.best(np.array([0, 1]), np.array([1, 0, 0, 0], dtype=np.float32))
    assert best.tolist() == [1.0, 0.0]
