"""Paired comparison of two evaluations (index/compare.py): what `eval --against` prints."""

from __future__ import annotations

import math

import pytest

from index.compare import compare, table
from index.evaluate import AnswerCheck, Evaluation, Question


def question(n: int, type_: str = "teacher", split: str = "tune") -> Question:
    return Question(f"u-{n:03d}", "a.txt", type_, "nl", "?", ("citaat",), split)


def evaluation(questions: list[Question], ranks: list[int | None], short: list[bool]) -> Evaluation:
    ev = Evaluation()
    for q, rank, in_short in zip(questions, ranks, short, strict=True):
        check = None if rank is None else AnswerCheck(True, in_short, 1)
        ev.add("hybrid", q, rank, 1.0, check)
    return ev


QUESTIONS = [question(1), question(2), question(3, "advisor"), question(4, "advisor", "heldout")]
BEFORE = evaluation(QUESTIONS, [1, 6, None, 2], [True, False, False, False])
AFTER = evaluation(QUESTIONS, [2, 1, None, 1], [True, True, False, True])


def by(metric: str, group: str = "all"):
    found = [
        d for d in compare(BEFORE, AFTER, QUESTIONS) if d.metric == metric and d.group == group
    ]
    assert len(found) == 1
    return found[0]


def test_the_difference_is_paired_per_question() -> None:
    mrr = by("MRR@10")
    # Reciprocal ranks before 1, 1/6, 0, 1/2; after 1/2, 1, 0, 1.
    assert mrr.before == pytest.approx((1 + 1 / 6 + 0.5) / 4)
    assert mrr.after == pytest.approx(2.5 / 4)
    diffs = [-0.5, 5 / 6, 0.0, 0.5]
    mean = sum(diffs) / 4
    se = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 3 / 4)
    assert mrr.delta == pytest.approx(mean) and mrr.standard_error == pytest.approx(se)
    assert (mrr.rose, mrr.fell) == (2, 1)


def test_hit_at_5_and_the_short_answer_count_per_question() -> None:
    hit = by("hit@5")
    assert (hit.before, hit.after, hit.rose, hit.fell) == (0.5, 0.75, 1, 0)
    short = by("short answer")
    assert (short.before, short.after, short.rose) == (0.25, 0.75, 2)


def test_groups_are_types_and_splits_and_a_lone_split_is_not_repeated() -> None:
    groups = {d.group for d in compare(BEFORE, AFTER, QUESTIONS)}
    assert groups == {"all", "type:teacher", "type:advisor", "split:tune", "split:heldout"}
    assert by("hit@5", "type:advisor").n == 2
    tune = QUESTIONS[:3]
    assert not any(d.group.startswith("split:") for d in compare(BEFORE, AFTER, tune))


def test_identical_evaluations_show_no_change() -> None:
    for d in compare(BEFORE, BEFORE, QUESTIONS):
        assert d.delta == 0 and d.standard_error == 0 and d.rose == d.fell == 0


def test_a_question_one_side_never_ran_is_an_error_not_a_zero() -> None:
    with pytest.raises(ValueError, match="u-005"):
        compare(BEFORE, AFTER, [*QUESTIONS, question(5)])


def test_table_shows_the_change_with_its_sign_and_error() -> None:
    text = table(compare(BEFORE, AFTER, QUESTIONS))
    line = next(row for row in text.splitlines() if row.startswith("all") and "hit@5" in row)
    assert "+0.250" in line and line.split()[-2:] == ["1", "0"]
