"""Answer sentences: which sentences of a passage answer the question, and the short answer.

Nothing is generated: a passage's own sentences are scored against the query
and the best one to three are marked; the short answer above the results
quotes the best of those across the first hits, each with its hit number.
Sentence vectors are computed at index time (see sentences.py), so scoring
at query time is one small matrix product. The dense score is blended with
keyword overlap, so a sentence that contains the question's rare words wins
a near tie.

This module is the one place where highlights and answer sentences are made
(for ranked hits and for exact quotes alike).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.query import intent, states
from index.results import AnswerSentence, Highlight, Hit
from index.sentences import SentenceVectors, is_answer_candidate, similarities

# A further sentence is marked only when it scores nearly as well as the best.
MARGIN = 0.03
MAX_SENTENCES = 3
KEYWORD_WEIGHT = 0.02
# Hits whose sentences may enter the short answer.
ANSWER_FROM_HITS = 5
ANSWER_SENTENCES = 3
# How much a sentence from a lower-ranked hit gives up in the short answer.
ANSWER_RANK_PENALTY = 0.01


@dataclass(frozen=True)
class ScoredSentence:
    start: int
    end: int
    score: float


def score_sentences(
    text: str,
    spans: np.ndarray,
    vectors: np.ndarray | None,
    query_vector: np.ndarray | None,
    query_terms: set[str],
    analyse: Callable[[str], list[str]],
    asks: str | None = None,
    intent_weight: float = 0.0,
) -> list[ScoredSentence]:
    """Score each sentence of one passage against the query."""
    if len(spans) == 0:
        return []
    if vectors is not None and query_vector is not None and len(vectors):
        dense = similarities(vectors, query_vector)
    else:
        dense = np.zeros(len(spans), dtype=np.float32)
    out: list[ScoredSentence] = []
    for (start, end), sim in zip(spans.tolist(), dense.tolist(), strict=True):
        sentence = text[start:end]
        if not is_answer_candidate(sentence):
            continue
        overlap = len(query_terms & set(analyse(sentence))) if query_terms else 0
        score = sim + KEYWORD_WEIGHT * min(overlap, 4)
        if asks and intent_weight and states(asks, sentence):
            score += intent_weight
        out.append(ScoredSentence(start, end, score))
    return out


def pick(scored: list[ScoredSentence], limit: int = MAX_SENTENCES) -> list[ScoredSentence]:
    """The best sentence and the next ones within MARGIN of it, in text order."""
    if not scored:
        return []
    ranked = sorted(scored, key=lambda s: -s.score)
    best = ranked[0].score
    chosen = [s for s in ranked[:limit] if s.score >= best - MARGIN]
    return sorted(chosen, key=lambda s: s.start)


def highlights(text: str, chosen: Sequence[ScoredSentence]) -> tuple[Highlight, ...]:
    return tuple(Highlight(s.start, s.end, text[s.start : s.end]) for s in chosen)


class AnswerMaker:
    """Marks answer sentences in hits and picks the short answer across them."""

    def __init__(
        self,
        sentences: SentenceVectors,
        analyse: Callable[[str], list[str]],
        intent_weight: float = 0.0,
        per_hit: int = 0,
        from_hits: int = ANSWER_FROM_HITS,
        hit_weight: float = 0.0,
        first_hit: int = 0,
    ) -> None:
        self.sentences = sentences
        self.analyse = analyse
        self.intent_weight = intent_weight
        self.per_hit = per_hit
        self.from_hits = from_hits
        self.hit_weight = hit_weight
        self.first_hit = first_hit

    def for_ranked(
        self, row: int, text: str, query: str, qvec: np.ndarray | None
    ) -> list[ScoredSentence]:
        """The sentences of a ranked passage that best answer the query."""
        spans, vectors = self.sentences.of(row)
        terms = set(self.analyse(query))
        return pick(
            score_sentences(
                text, spans, vectors, qvec, terms, self.analyse, intent(query), self.intent_weight
            )
        )

    def for_quote(self, row: int, found: Sequence[Highlight]) -> list[ScoredSentence]:
        """The sentence that holds the first quoted span: the quote's own sentence."""
        spans, _ = self.sentences.of(row)
        out = [
            ScoredSentence(a, b, 1.0)
            for a, b in spans.tolist()
            if any(a <= h.start < b for h in found)
        ]
        return out[:1]

    def short_answer(
        self, hits: Sequence[tuple[Hit, Sequence[ScoredSentence]]]
    ) -> tuple[AnswerSentence, ...]:
        """The best answer sentences of the first hits, each quoted with its hit number."""
        pool: list[tuple[float, int, str]] = []
        first = hits[0][0].score if hits and hits[0][0].score > 0 else 1.0
        for hit, chosen in hits[: self.from_hits]:
            # Earlier hits are trusted more: the fused ranking saw the whole passage.
            trust = self.hit_weight * hit.score / first - ANSWER_RANK_PENALTY * hit.rank
            best = sorted(chosen, key=lambda s: -s.score)
            for i, s in enumerate(best):
                # The first hit's best sentences may be reserved the opening places.
                lead = 10.0 if hit.rank == hits[0][0].rank and i < self.first_hit else 0.0
                pool.append((s.score + trust + lead, hit.rank, hit.passage.text[s.start : s.end]))
        pool.sort(key=lambda item: -item[0])
        seen: set[str] = set()
        taken: dict[int, int] = {}
        answer: list[AnswerSentence] = []
        for _, rank, sentence in pool:
            key = " ".join(sentence.split()).lower()
            if key in seen or (self.per_hit and taken.get(rank, 0) >= self.per_hit):
                continue
            seen.add(key)
            taken[rank] = taken.get(rank, 0) + 1
            answer.append(AnswerSentence(rank, sentence))
            if len(answer) == ANSWER_SENTENCES:
                break
        return tuple(answer)
