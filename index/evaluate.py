"""Retrieval quality on the project's question set, by the rule of docs/evaluation.md.

A returned passage is a hit when its source is the question's document and the
normalised text (lower-case, accents stripped, only a-z and 0-9) of any gold
quote is a substring of the normalised passage text. Reported: hit@1/5/10 and
MRR@10 per method, overall, per question type and per split.

The answer sentences are scored by the same rule: for a question whose
passage was found, do the sentences marked in that passage hold a gold quote,
and does the short answer above the results quote one?
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.results import Hit, SearchResponse
from index.search import Searcher

METHODS = ("keyword", "dense", "hybrid")
CUTOFFS = (1, 5, 10)
_NON_ALNUM = re.compile(r"[^a-z0-9]")


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", stripped)


@dataclass(frozen=True)
class Question:
    id: str
    doc: str
    type: str
    lang: str
    question: str
    quotes: tuple[str, ...]
    split: str = "tune"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        return cls(
            id=data["id"],
            doc=data["doc"],
            type=data.get("type", "advisor"),
            lang=data.get("lang", "nl"),
            question=data["question"],
            quotes=tuple(data["quotes"]),
            split=data.get("split", "tune"),
        )


def load_questions(path: Path, split: str | None = None) -> list[Question]:
    """Questions from a JSONL file; `split` "all" or None keeps every question."""
    questions = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(Question.from_json(json.loads(line)))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question ({exc})") from exc
    if split and split != "all":
        questions = [q for q in questions if q.split == split]
    return questions


def is_hit(question: Question, source: str, text: str) -> bool:
    if source != question.doc:
        return False
    norm = normalise(text)
    return any(normalise(quote) in norm for quote in question.quotes if normalise(quote))


def first_hit_rank(question: Question, hits: Sequence[Hit]) -> int | None:
    for hit in hits:
        if is_hit(question, hit.passage.source, hit.passage.text):
            return hit.rank
    return None


@dataclass(frozen=True)
class AnswerCheck:
    """For one question whose passage was found: where the gold quote shows."""

    in_marked: bool  # in the sentences marked in the first passage that is a hit
    in_short_answer: bool  # in the short answer above the results
    marked: int  # how many sentences that passage has marked


def check_answer(
    question: Question, response: SearchResponse, rank: int | None
) -> AnswerCheck | None:
    """`rank` is the question's first hit in `response` (see first_hit_rank)."""
    if rank is None:
        return None
    hit = response.hits[rank - 1]
    marked = " ".join(h.text for h in hit.highlights)
    short = any(
        is_hit(question, response.hits[a.rank - 1].passage.source, a.text) for a in response.answer
    )
    return AnswerCheck(is_hit(question, hit.passage.source, marked), short, len(hit.highlights))


@dataclass
class Scores:
    """Ranks of the first hit (None: not in the top 10), aggregated on demand."""

    ranks: list[int | None] = field(default_factory=list)

    def add(self, rank: int | None) -> None:
        self.ranks.append(rank)

    @property
    def n(self) -> int:
        return len(self.ranks)

    def hit_at(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / self.n if self.n else 0.0

    @property
    def mrr(self) -> float:
        total = sum(1.0 / r for r in self.ranks if r is not None and r <= 10)
        return total / self.n if self.n else 0.0

    def row(self) -> dict[str, float]:
        out = {f"hit@{k}": self.hit_at(k) for k in CUTOFFS}
        out["mrr@10"] = self.mrr
        out["n"] = self.n
        return out


@dataclass
class Evaluation:
    """Scores per (method, group); group "all", "type:<t>" or "split:<s>"."""

    scores: dict[tuple[str, str], Scores] = field(default_factory=dict)
    ranks: dict[str, dict[str, int | None]] = field(default_factory=dict)  # method -> qid -> rank
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    answers: dict[str, list[AnswerCheck]] = field(default_factory=dict)  # method -> found ones
    # method -> question id -> its check, for the found questions (splits, types)
    answer_by_question: dict[str, dict[str, AnswerCheck]] = field(default_factory=dict)

    def add(
        self,
        method: str,
        question: Question,
        rank: int | None,
        ms: float,
        answer: AnswerCheck | None = None,
    ) -> None:
        for group in ("all", f"type:{question.type}", f"split:{question.split}"):
            self.scores.setdefault((method, group), Scores()).add(rank)
        self.ranks.setdefault(method, {})[question.id] = rank
        self.latency_ms.setdefault(method, []).append(ms)
        if answer is not None:
            self.answers.setdefault(method, []).append(answer)
            self.answer_by_question.setdefault(method, {})[question.id] = answer

    def answer_rates(self, method: str) -> dict[str, float]:
        """Shares of the found questions whose gold quote is marked / in the short answer."""
        checks = self.answers.get(method, [])
        n = len(checks)
        return {
            "found": n,
            "in_marked": sum(c.in_marked for c in checks) / n if n else 0.0,
            "in_short_answer": sum(c.in_short_answer for c in checks) / n if n else 0.0,
            "marked_per_passage": sum(c.marked for c in checks) / n if n else 0.0,
        }

    def get(self, method: str, group: str = "all") -> Scores:
        return self.scores.get((method, group), Scores())

    def groups(self) -> list[str]:
        seen = {g for _, g in self.scores}
        return ["all", *sorted(g for g in seen if g != "all")]

    def methods(self) -> list[str]:
        return list(dict.fromkeys(m for m, _ in self.scores))

    def table(self) -> str:
        """A plain-text table: one line per group and method."""
        head = f"{'group':<20}{'method':<10}{'n':>5}" + "".join(
            f"{name:>9}" for name in ("hit@1", "hit@5", "hit@10", "MRR@10")
        )
        lines = [head, "-" * len(head)]
        for group in self.groups():
            for method in self.methods():
                s = self.get(method, group)
                if not s.n:
                    continue
                cells = "".join(f"{s.hit_at(k):>9.3f}" for k in CUTOFFS) + f"{s.mrr:>9.3f}"
                lines.append(f"{group:<20}{method:<10}{s.n:>5}{cells}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            method: {group: self.get(method, group).row() for group in self.groups()}
            for method in self.methods()
        }


def evaluate(
    searcher: Searcher,
    questions: Iterable[Question],
    methods: Sequence[str] = METHODS,
    k: int = 10,
) -> Evaluation:
    """Run every question through every method and score the first hit's rank."""
    result = Evaluation()
    questions = list(questions)
    for method in methods:
        # Timings are of warm, uncached queries: one warm-up, then no vector cache.
        searcher.search("warm-up", k=k, mode=method)
        searcher.clear_cache()
        for question in questions:
            started = time.perf_counter()
            response = searcher.search(question.question, k=k, mode=method)
            ms = (time.perf_counter() - started) * 1000
            rank = first_hit_rank(question, response.hits)
            result.add(method, question, rank, ms, check_answer(question, response, rank))
    return result
