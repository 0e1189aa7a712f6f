"""The evaluation's hit rule and figures, exactly as docs/evaluation.md defines them."""

from __future__ import annotations

import pytest

from index.evaluate import (
    AnswerCheck,
    Evaluation,
    Question,
    Scores,
    check_answer,
    first_hit_rank,
    is_hit,
    normalise,
)
from index.results import AnswerSentence, Highlight, Hit, SearchResponse
from ingest.document import Document, Passage

Q = Question(
    id="q-1", doc="a.txt", type="journalist", lang="nl", question="?",
    quotes=("elke geïnvesteerde euro", "tweede citaat hier"), split="tune",
)  # fmt: skip


def test_normalise_keeps_only_folded_letters_and_digits() -> None:
    assert normalise("Elke geïnves-\nteerde EURO, 2025!") == "elkegeinvesteerdeeuro2025"


@pytest.mark.parametrize(
    ("source", "text", "hit"),
    [
        ("a.txt", "… zegt dat elke geïnves- teerde euro loont", True),
        ("a.txt", "ELKE GEINVESTEERDE EURO", True),
        ("a.txt", "een Tweede   citaat\nhier.", True),
        ("b.txt", "elke geïnvesteerde euro", False),
        ("a.txt", "elke euro", False),
    ],
)
def test_hit_rule(source: str, text: str, hit: bool) -> None:
    assert is_hit(Q, source, text) is hit


def test_figures() -> None:
    s = Scores([1, 3, None, 12])
    assert s.hit_at(1) == 0.25 and s.hit_at(5) == 0.5 and s.hit_at(10) == 0.5
    assert s.mrr == pytest.approx((1 + 1 / 3) / 4)
    e = Evaluation()
    e.add("hybrid", Q, 2, 5.0)
    assert e.get("hybrid", "type:journalist").mrr == 0.5
    assert e.get("hybrid", "split:tune").n == 1
    assert "hybrid" in e.table()


def _hit(rank: int, source: str, text: str, marked: str | None) -> Hit:
    passage = Passage(id=f"p{rank}", source=source, ordinal=rank, text=text, char_start=0,
                      char_end=len(text))  # fmt: skip
    document = Document(source=source, title="T", cleaned=text, content_hash="h")
    highlights = ()
    if marked is not None:
        start = text.index(marked)
        highlights = (Highlight(start, start + len(marked), marked),)
    return Hit(rank, 1.0 / rank, passage, document, highlights, "citaat")


def test_answer_check_looks_in_the_first_hit_and_the_short_answer() -> None:
    gold = "Zo komt elke geïnvesteerde euro terug. Dat is bewezen."
    other = "Een passage over iets anders. Nog een zin."
    hits = (
        _hit(1, "b.txt", other, "Nog een zin."),
        _hit(2, "a.txt", gold, "Dat is bewezen."),  # found, but the wrong sentence marked
    )
    response = SearchResponse("?", hits, answer=(AnswerSentence(2, "Zo komt elke geïnvesteerde "
                                                                   "euro terug."),))  # fmt: skip
    check = check_answer(Q, response, first_hit_rank(Q, response.hits))
    assert check == AnswerCheck(in_marked=False, in_short_answer=True, marked=1)
    # The same words quoted from another document's hit do not count.
    response = SearchResponse("?", hits, answer=(AnswerSentence(1, "elke geïnvesteerde euro"),))
    assert check_answer(Q, response, 2).in_short_answer is False
    not_found = SearchResponse("?", hits[:1])
    assert check_answer(Q, not_found, first_hit_rank(Q, not_found.hits)) is None
    e = Evaluation()
    e.add("hybrid", Q, 2, 5.0, check)
    assert e.answer_rates("hybrid") == {
        "found": 1, "in_marked": 0.0, "in_short_answer": 1.0, "marked_per_passage": 1.0,
    }  # fmt: skip
