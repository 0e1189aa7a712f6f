"""Cleaning what PDF extraction broke: hyphens, paragraphs, headings, footnotes, debris."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.clean import clean_lines
from ingest.dehyphenate import Vocabulary, join_hyphenated
from ingest.lines import text_lines
from ingest.passages import PassageSizes, build_passages
from ingest.sentences import split_sentences
from tests.conftest import DATA


def _vocab(*texts: str) -> Vocabulary:
    v = Vocabulary()
    for t in texts:
        v.add_text(t)
    return v


def _join(left: str, right: str, vocabulary: Vocabulary) -> str:
    return left[:-1] + join_hyphenated(left, right, vocabulary) + right


@pytest.mark.parametrize(
    ("left", "right", "corpus", "expected"),
    [
        # Broken words joined, with corpus evidence.
        ("het Vlaams Regeerak-", "koord en", "het Regeerakkoord", "het Vlaams Regeerakkoord en"),
        ("om beroepsex-", "ploratie", "beroepsexploratie", "om beroepsexploratie"),
        # Real hyphens stay.
        ("de SERV-", "partners", "", "de SERV-partners"),
        ("schooljaar 2022-", "2023", "", "schooljaar 2022-2023"),
        ("de Se-n-", "Se", "Se-n-Se", "de Se-n-Se"),
        ("de coaching-", "reflectie", "coaching-reflectie", "de coaching-reflectie"),
        # Suspended hyphens stay, with their space.
        ("het beroeps-", "en technisch", "", "het beroeps- en technisch"),
        ("de arbeidsmarkt-", "en dubbele finaliteit", "", "de arbeidsmarkt- en dubbele finaliteit"),
    ],
)
def test_dehyphenation(left: str, right: str, corpus: str, expected: str) -> None:
    assert _join(left, right, _vocab(corpus)) == expected


def test_broken_word_does_not_vote_for_itself() -> None:
    v = _vocab("het Regeerak-\nkoord is er")
    assert v.count("regeerak") == 0 and v.count("koord") == 0


@pytest.fixture(scope="module")
def letter():
    text = (DATA / "serv_letter.txt").read_text(encoding="utf-8")
    return clean_lines(text_lines(text), _vocab(text))


def test_letter_title_kept_address_dropped(letter) -> None:
    assert letter.title == "Duaal Leren voor de toekomst"
    assert "Koning Albert" not in letter.text and "B-1210" not in letter.text
    assert letter.addressee.startswith("Mevrouw Zuhal DEMIR")


def test_hyphens_in_fixture(letter) -> None:
    t = letter.text
    for good in (
        "Regeerakkoord",
        "SERV-partners",
        "2022-2023",
        "Se-n-Se",
        "beroeps- en technisch",
        "arbeidsmarkt- en dubbele",
        "provincies",
    ):
        assert good in t
    assert "Regeerak-" not in t and "pro- vincies" not in t


def test_headings_and_sections(letter) -> None:
    headings = [b.text for b in letter.blocks if b.kind == "heading"]
    assert headings[:2] == ["1. Sterktes van Duaal Leren", "Aanbevelingen SERV"]
    items = [b for b in letter.blocks if b.kind == "item"]
    assert [b.text[:10] for b in items] == ["• Zorg voo", "• Bouw de "]
    assert items[0].section == ("1. Sterktes van Duaal Leren", "Aanbevelingen SERV")
    assert items[1].text.endswith("in alle provincies.")


def test_footnote_separated_and_sentence_rejoined(letter) -> None:
    (note,) = letter.footnotes
    assert note.footnote == 1
    assert note.text.startswith("‘Investeren in leren’") and "levenslang leren." in note.text
    body = letter.blocks[note.cited_by]
    assert 1 in body.cites
    # The sentence interrupted by the footnote is whole again, marker removed.
    assert "aanpak van het onderwijs en de leerlingen verdienen betere kansen" in body.text


def test_debris_removed_sentence_url_kept(letter) -> None:
    t = letter.text
    assert "safelinks" not in t
    assert t.count("https://www.serv.be/node/14770") == 1
    assert "Meer info op https://www.serv.be/node/14770 voor wie wil." in t
    assert "10000" not in t and "21-22" not in t and "\n7\n" not in t


def test_paragraphs_rebuilt(letter) -> None:
    paragraphs = [b.text for b in letter.blocks if b.kind == "paragraph"]
    assert paragraphs[0] == "Mevrouw de minister"
    assert paragraphs[1].startswith("De SERV wil Duaal Leren verder uitbouwen.")
    assert paragraphs[1].endswith("Se-n-Se opleidingen.")


def test_roman_side_notes_and_endnote_markers() -> None:
    text = (
        " Voorwoord\n\n"
        "i\t De modernisering maakte komaf met de termen aso en bso.\n\n"
        "Het gaat over het kunstsecundair onderwijs (11,7%).i Ter vergelijking: het algemeen\n"
        "onderwijs verlaat de schoolbanken.1 En volgens de cijfers2 steeds meer jongeren in de\n"
        "dubbele finaliteit, zoals 1.062,24 euro.\n"
    )
    doc = clean_lines(text_lines(text), _vocab(text))
    (note,) = doc.footnotes
    assert note.label == "i" and note.text.startswith("De modernisering")
    body = doc.blocks[note.cited_by].text
    assert "(11,7%). Ter vergelijking" in body
    assert "schoolbanken. En volgens de cijfers steeds" in body
    assert "1.062,24 euro" in body


def test_split_sentences_dutch_abbreviations() -> None:
    text = "De SERV vraagt o.a. meer middelen, bv. voor scholen. Dat is nodig i.v.m. de krapte."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "De SERV vraagt o.a. meer middelen, bv. voor scholen.",
        "Dat is nodig i.v.m. de krapte.",
    ]


_WORDS = (
    "de het onderwijs leerlingen SERV arbeidsmarkt duaal leren 2022-2023 Regeerakkoord "
    "scholen sectoren o.a. werk SERV-partners"
)
_WORD = st.sampled_from([*_WORDS.split(), "beroeps- en technisch"])
_SENTENCE = st.lists(_WORD, min_size=3, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")


def _wrap(paragraphs: list[str], width: int) -> str:
    out = []
    for p in paragraphs:
        line = ""
        for w in p.split():
            if len(line) + len(w) + 1 > width:
                out.append(line + " ")
                line = w
            else:
                line = f"{line} {w}".strip()
        out.append(line + " ")
        out.append(" ")
    return "\n\n".join(out)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(_SENTENCE, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=6),
    st.integers(40, 100),
)
def test_cleaning_properties(paragraphs: list[str], width: int) -> None:
    raw = _wrap(paragraphs, width)
    vocabulary = _vocab(raw)
    doc = clean_lines(text_lines(raw), vocabulary)
    # No word lost, none added.
    assert doc.text.split() == " ".join(paragraphs).split()
    # Idempotent: cleaning the cleaned text changes nothing.
    again = clean_lines(text_lines(doc.text), vocabulary)
    assert again.text.split() == doc.text.split()
    # Spans valid; passages never cut inside a sentence.
    passages = build_passages("x.txt", doc, PassageSizes(5, 20, 40))
    sentence_ends = {e for s, e in split_sentences(doc.text)}
    for p in passages:
        assert doc.text[p.char_start : p.char_end] == p.text
        assert p.char_end in sentence_ends or p.char_end == len(doc.text.rstrip())


def test_more_pdf_artifacts() -> None:
    """Cases met in the seeds: a lost hyphen, coordinated adjectives, acronyms with digits."""
    text = (
        "De competenties en competenties zijn competenties voor de organisatorische arbeidsmarkt.\n"
        "Ook het reflecteren over de eigen wensen en competen\n"
        "ties telt. Het gaat om juridische en praktisch-\n"
        "organisatorische aard, en om de aanvragen OK2. Ook OK2 duaal telt.\n"
        "Vlaams onderzoek is het onderzoek van het Steunpunt van\n"
        "2014.1\n"
        "Het PAV1 is geen voetnoot. Dat bleek uit de proeven PAV2.\n"
    )
    text_with_notes = text + "\n \n1  Eerste noot.\n2  Tweede noot.\n"
    doc = clean_lines(text_lines(text_with_notes), _vocab(text_with_notes))
    body = " ".join(b.text for b in doc.blocks if b.kind != "footnote")
    assert "eigen wensen en competenties telt." in body
    assert "praktisch-organisatorische" in body
    assert "de aanvragen OK2. Ook OK2 duaal" in body
    assert "Steunpunt van 2014." in body
    assert "Het PAV1 is geen voetnoot. Dat bleek uit de proeven PAV." in body
    assert [n.footnote for n in doc.footnotes] == [1, 2]
    assert [n.cited_by is not None for n in doc.footnotes] == [True, True]


def test_running_footer_dropped() -> None:
    page = "Dit is een zin die de pagina vult met tekst over het onderwijs en de arbeidsmarkt.\n"
    text = (
        " Eerste bladzijde\n" + page * 3 + "Negatief imago\n"
        " Tweede bladzijde begint hier.\n" + page * 3 + "Negatief imago\n"
        " Derde bladzijde begint hier.\n" + page
    )
    doc = clean_lines(text_lines(text), _vocab(text))
    assert "Negatief imago" not in doc.text
    assert doc.removed["running footer"] == 2


def _pdf_text(lines: list[str]) -> str:
    """Lines as the seeds have them: each followed by a blank line."""
    return "".join(f"{line}\n\n" for line in lines)


_NARROW_BODY = [
    "De cijfers rond vroegtijdig schoolverlaten zijn",
    "alarmerend. In het bijzonder in het arbeids-",
    "marktgericht onderwijs verlaten te veel leer-",
    "lingen de schoolbanken voor ze een opleiding",
    "in het secundair onderwijs afgerond hebben. De",
    "Stichting wil bijdragen aan kwaliteitsvol on-",
    "derwijs, waarin alle kinderen en jongeren hun",
    "talenten kunnen ontplooien. Het aandeel leer-",
    "lingen dat een STEM-opleiding volgt in richtingen",
]


def test_footnote_continues_after_a_gap_only_in_its_smaller_font() -> None:
    tail = ["met een dubbele en arbeidsmarktfinaliteit, zit sinds", "tien jaar in dalende lijn."]
    # Narrow columns whose notes are no wider than the body: a wide lower-case
    # line after a gap continues the body sentence.
    note = "1  Zie bv. de infosessie over ecosystemen."
    narrow = _pdf_text([*_NARROW_BODY[:4], note, " ", *_NARROW_BODY[4:], " ", *tail])
    doc = clean_lines(text_lines(narrow), _vocab(narrow))
    (footnote,) = doc.footnotes
    assert footnote.text == "Zie bv. de infosessie over ecosystemen."
    assert "volgt in richtingen met een dubbele en arbeidsmarktfinaliteit, zit sinds tien" in (
        doc.text
    )
    # Notes set in a smaller font (wider lines than the body): a note that runs on
    # to the next page continues there, after a gap, in its own wide lines.
    wide_note = [
        "1  Leerlingen die hun loopbaan startten in 1B, doen het over de hele lijn minder goed",
        "in de peilingsproeven voor het Project Algemene Vakken in de derde graad. Zie resultaten",
    ]
    run_on = "van de peilingsproeven PAV in 3de graad BSO, pag. 23, met een overzicht per school"
    wide = _pdf_text([*_NARROW_BODY[:4], *wide_note, " ", *_NARROW_BODY[4:], " ", run_on])
    doc = clean_lines(text_lines(wide), _vocab(wide))
    (footnote,) = doc.footnotes
    assert footnote.text.endswith("Zie resultaten " + run_on)
    assert "peilingsproeven PAV" not in " ".join(b.text for b in doc.blocks if b.kind != "footnote")
