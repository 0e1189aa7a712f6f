"""Two rankings over the same questions, compared question by question.

On a split of 130 questions one standard error of MRR@10 is about 0.03, and
most ranking experiments move it by less (bench/EXPERIMENTS.md). Comparing two
figures each with its own error hides what pairing shows: both rankings answer
the same questions, so the difference per question varies much less than each
figure does. This module gives, per group of questions, each metric's value
under both rankings, their mean difference with its paired standard error,
and how many questions rose and fell, so an experiment's gain can be read
against its noise (`advieszoeker eval --against`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.evaluate import Evaluation, Question

# Per question: its first hit's rank (None: not in the top 10) and whether the
# short answer quotes its gold sentence -> the metric's value for it.
Metric = Callable[[int | None, bool], float]

METRICS: dict[str, Metric] = {
    "MRR@10": lambda rank, _: 1.0 / rank if rank is not None and rank <= 10 else 0.0,
    "hit@5": lambda rank, _: 1.0 if rank is not None and rank <= 5 else 0.0,
    "short answer": lambda _, short: 1.0 if short else 0.0,
}


@dataclass(frozen=True)
class Difference:
    """One metric over the same questions: `after` − `before`, paired per question."""

    group: str
    metric: str
    n: int
    before: float
    after: float
    standard_error: float  # of the mean per-question difference
    rose: int  # questions whose value went up
    fell: int

    @property
    def delta(self) -> float:
        return self.after - self.before


def compare(
    before: Evaluation, after: Evaluation, questions: Sequence[Question], method: str = "hybrid"
) -> list[Difference]:
    """Each metric per group ("all", then each type and split), `after` against `before`."""
    groups: dict[str, list[Question]] = {"all": list(questions)}
    for kind in ("type", "split"):
        by_value: dict[str, list[Question]] = {}
        for q in questions:
            by_value.setdefault(getattr(q, kind), []).append(q)
        if len(by_value) > 1:  # one split alone would repeat "all"
            groups.update({f"{kind}:{value}": qs for value, qs in by_value.items()})
    out = []
    for group, members in groups.items():
        for metric, value in METRICS.items():
            pairs = [
                (_value(before, method, q, value), _value(after, method, q, value)) for q in members
            ]
            out.append(_difference(group, metric, pairs))
    return out


def table(differences: Sequence[Difference]) -> str:
    """One line per group and metric: both values, the difference ± its standard error."""
    head = (
        f"{'group':<20}{'metric':<14}{'n':>5}{'before':>9}{'after':>9}"
        f"{'change':>9}{'± s.e.':>9}{'rose':>6}{'fell':>6}"
    )
    lines = [head, "-" * len(head)]
    for d in differences:
        lines.append(
            f"{d.group:<20}{d.metric:<14}{d.n:>5}{d.before:>9.3f}{d.after:>9.3f}"
            f"{d.delta:>+9.3f}{d.standard_error:>9.3f}{d.rose:>6}{d.fell:>6}"
        )
    return "\n".join(lines)


def _value(evaluation: Evaluation, method: str, question: Question, metric: Metric) -> float:
    ranks = evaluation.ranks.get(method, {})
    if question.id not in ranks:
        raise ValueError(f"question {question.id} was not evaluated with {method}")
    check = evaluation.answer_by_question.get(method, {}).get(question.id)
    return metric(ranks[question.id], check is not None and check.in_short_answer)


def _difference(group: str, metric: str, pairs: list[tuple[float, float]]) -> Difference:
    n = len(pairs)
    diffs = [b - a for a, b in pairs]
    mean = sum(diffs) / n if n else 0.0
    variance = sum((d - mean) ** 2 for d in diffs) / (n - 1) if n > 1 else 0.0
    return Difference(
        group=group,
        metric=metric,
        n=n,
        before=sum(a for a, _ in pairs) / n if n else 0.0,
        after=sum(b for _, b in pairs) / n if n else 0.0,
        standard_error=math.sqrt(variance / n) if n else 0.0,
        rose=sum(1 for d in diffs if d > 0),
        fell=sum(1 for d in diffs if d < 0),
    )
