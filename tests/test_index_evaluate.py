"""The evaluation's hit rule and figures, exactly as docs/evaluation.md defines them."""

from __future__ import annotations

import pytest

from index.evaluate import Evaluation, Question, Scores, is_hit, normalise

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
