"""Extracting the asks (recommendations) of a document: each rule, and what is not an ask."""

from __future__ import annotations

import pytest

from index.asks import AskIndex, classify, extract_asks, is_imperative
from index.results import Filters
from ingest.document import Document, Passage, content_hash, passage_id

ASKS_SECTION = ("2. Wat we moeten doen", "2.1 Maak werk van duaal leren")
KNOWN = ("1. Wat we weten", "1.2 Over de cijfers")


def document(parts: list[tuple[tuple[str, ...], str]], source: str = "advies.txt"):
    cleaned, passages = "", []
    for ordinal, (section, text) in enumerate(parts):
        start = len(cleaned)
        cleaned += text + "\n\n"
        passages.append(
            Passage(passage_id(source, text), source, ordinal, text, start, start + len(text),
                    section=section, page=ordinal + 1, line_start=ordinal * 3 + 1,
                    line_end=ordinal * 3 + 2)
        )  # fmt: skip
    doc = Document(source, "Advies duaal leren", cleaned, content_hash(cleaned), author="SERV",
                   kind="advies", year=2024)  # fmt: skip
    return doc, passages


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("• Zet in op meer leerwerkplekken in kmo’s.", "imperative"),
        ("Voorzie structurele middelen voor de trajectbegeleiding.", "imperative"),
        ("Maak werk van een sluitend aanbod.", "imperative"),
        ("Zorg voor permanente bij- en nascholing.", "imperative"),
        ("De SERV vraagt de regering een meerjarig kader.", "request"),
        ("De SERV pleit voor een gedeelde visie op duaal leren.", "request"),
        ("De raad beveelt aan om de programmatie te vereenvoudigen.", "request"),
        ("De SERV dringt aan op meer overleg met de sectoren.", "request"),
        ("De SERV stelt maatregelen voor tegen schooluitval.", "request"),
        ("De SERV meent dat er nood is aan één aanspreekpunt.", "opinion"),
        ("Voor de SERV moet elke jongere een kwalificatie halen.", "opinion"),
        ("Structurele middelen moeten voorzien worden.", "must"),
        ("Er is een gericht beleid nodig om de uitval te keren.", "must"),
    ],
)
def test_each_kind_of_ask_is_found(sentence: str, rule: str) -> None:
    assert classify(sentence, ASKS_SECTION, after_number=False) == rule


@pytest.mark.parametrize(
    ("sentence", "section"),
    [
        # Nouns that look like imperatives.
        ("Onderzoek toont dat leerlingen vaker afhaken.", ASKS_SECTION),
        ("Werk is de beste bescherming tegen armoede.", ASKS_SECTION),
        ("Werk & economie: sectororganisaties, bedrijven, beleidsmakers", ASKS_SECTION),
        # Statements, a past tense and a reading caveat.
        ("Het aantal schoolverlaters blijft te hoog.", ASKS_SECTION),
        ("De SERV stelt vast dat voor veel jongeren een plaats ontbreekt.", ASKS_SECTION),
        ("Jongens die een jaar hebben moeten overzitten, lopen meer risico.", ASKS_SECTION),
        ("Bij die cijfers moet er rekening mee gehouden worden dat DBSO klein is.", ASKS_SECTION),
        # A "must" in a section reporting what is known quotes a finding.
        ("Leerkrachten moeten nog meer inzetten op basiszorg.", KNOWN),
    ],
)
def test_what_is_not_an_ask(sentence: str, section: tuple[str, ...]) -> None:
    assert classify(sentence, section, after_number=False) is None


def test_items_of_a_recommendations_section_and_imperative_titles() -> None:
    doc, passages = document(
        [
            (("Inleiding",), "Het aantal duale leerlingen groeit traag. Dat is jammer."),
            (
                ("Cruciale acties voor deze legislatuur",),
                "1. Daadkrachtige coördinatie en hoge zichtbaarheid. Er zijn veel spelers.",
            ),
            (ASKS_SECTION, "Duaal leren vraagt tijd. Bouw het aanbod verder uit."),
        ]
    )
    asks = extract_asks(doc, passages)
    texts = [(a.rule, a.text) for a in asks]
    assert ("item", "Daadkrachtige coördinatie en hoge zichtbaarheid.") in texts
    assert ("imperative", "Bouw het aanbod verder uit.") in texts
    # The imperative section title, once, where the section starts.
    assert [t for r, t in texts if r == "heading"] == ["2.1 Maak werk van duaal leren"]
    assert not any("jammer" in t or "spelers" in t for _, t in texts)
    # Verbatim spans of the cleaned text, with their place and citation.
    built = next(a for a in asks if a.rule == "imperative")
    assert doc.cleaned[built.start : built.end] == built.text
    data = built.to_json()
    assert data["page"] == 3 and data["lines"] == [7, 8]
    assert data["section"] == "2. Wat we moeten doen › 2.1 Maak werk van duaal leren"
    assert data["citation"].startswith("SERV (2024). Advies duaal leren.")


def test_ask_index_searches_and_filters() -> None:
    first = document([(ASKS_SECTION, "Voorzie meer leerwerkplekken. Versterk de mentoren.")])
    second = document([(ASKS_SECTION, "Verlaag de drempels voor zij-instromers.")], "brief.txt")
    index = AskIndex(
        [first[0], second[0]],
        {first[0].source: first[1], second[0].source: second[1]},
        lambda text: [w.lower().strip(".") for w in text.split()],
    )
    assert len(index) == 5  # three asks and two section titles
    assert [a.text for a in index.find("mentoren")] == ["Versterk de mentoren."]
    only = index.find("", Filters(sources=("brief.txt",)))
    assert {a.document.source for a in only} == {"brief.txt"}
    assert index.find("vliegtuigen") == []


def test_is_imperative_strips_bullets_and_numbers() -> None:
    assert is_imperative("2) Versterk het levenslang leren.")
    assert not is_imperative("2) Het levenslang leren.")
