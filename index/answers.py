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
from functools import lru_cache

import numpy as np

from index.backends import SentenceLookup
from index.results import AnswerSentence, Highlight, Hit
from index.sentences import is_answer_candidate, similarities
from index.tokens import Tokens, TokenVectors

# A further sentence is marked only when it scores nearly as well as the best.
MARGIN = 0.03
MAX_SENTENCES = 3
KEYWORD_WEIGHT = 0.02
# Hits whose sentences may enter the short answer.
ANSWER_FROM_HITS = 5
ANSWER_SENTENCES = 3
# How much a sentence from a lower-ranked hit gives up in the short answer.
ANSWER_RANK_PENALTY = 0.01
# Late interaction within a sentence (tokens.py), added to its score with this
# weight. Short answers quoting the gold sentence, users' tune / original tune
# (130 / 96 questions): the marked sentences only 42 / 63; every sentence of
# the first hits 47 / 61; with late interaction 0.5: 51 / 65, 1: 51 / 68,
# 2: 50 / 68, 3: 51 / 67 (held-out with 1: 49 -> 60 of 126, 62 -> 67 of 95).
TOKEN_WEIGHT = 1.0
# Analysed sentences kept (a few hundred bytes each).
SENTENCE_TERMS_CACHED = 50_000


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
    sentence_terms: Callable[[str], frozenset[str]],
    token_scores: np.ndarray | None = None,
) -> list[ScoredSentence]:
    """Score each sentence of one passage against the query; `token_scores`
    (one per span) are late interaction's, when the index has token vectors."""
    if len(spans) == 0:
        return []
    if vectors is not None and query_vector is not None and len(vectors):
        dense = similarities(vectors, query_vector)
    else:
        dense = np.zeros(len(spans), dtype=np.float32)
    if token_scores is not None:
        dense = dense + TOKEN_WEIGHT * token_scores
    out: list[ScoredSentence] = []
    for (start, end), sim in zip(spans.tolist(), dense.tolist(), strict=True):
        sentence = text[start:end]
        if not is_answer_candidate(sentence):
            continue
        overlap = len(query_terms & sentence_terms(sentence)) if query_terms else 0
        out.append(ScoredSentence(start, end, sim + KEYWORD_WEIGHT * min(overlap, 4)))
    return out


def pick(scored: list[ScoredSentence], limit: int = MAX_SENTENCES) -> list[ScoredSentence]:
    """The best sentence and the next ones within MARGIN of it, in text order."""
    if not scored:
        return []
    ranked = sorted(scored, key=lambda s: -s.score)
    best = ranked[0].score
    chosen = [s for s in ranked[:limit] if s.score >= best - MARGIN]
    return sorted(chosen, key=lambda s: s.start)


def highlight(text: str, start: int, end: int) -> Highlight:
    """The one place a highlight is made (marked sentences and exact quotes alike)."""
    return Highlight(start, end, text[start:end])


def highlights(text: str, chosen: Sequence[ScoredSentence]) -> tuple[Highlight, ...]:
    return tuple(highlight(text, s.start, s.end) for s in chosen)


class AnswerMaker:
    """Marks answer sentences in hits and picks the short answer across them.

    The sentence vectors come with each call (a backend fetches those of the
    hits it ranked; the local one holds them all).
    """

    def __init__(
        self, analyse: Callable[[str], list[str]], tokens: TokenVectors | None = None
    ) -> None:
        self.analyse = analyse
        self.tokens = tokens
        # A sentence's terms never change and hits repeat across searches:
        # analysing them once makes the largest part of ranking's own CPU go away.
        self.sentence_terms = lru_cache(maxsize=SENTENCE_TERMS_CACHED)(
            lambda sentence: frozenset(analyse(sentence))
        )

    def for_ranked(
        self,
        row: int,
        text: str,
        query: str,
        qvec: np.ndarray | None,
        sentences: SentenceLookup,
        query_tokens: Tokens | None = None,
    ) -> list[ScoredSentence]:
        """Every answer sentence of a ranked passage, scored; `pick` marks the best."""
        spans, vectors = sentences.of(row)
        terms = set(self.analyse(query))
        token_scores = None
        if self.tokens is not None and query_tokens is not None:
            token_scores = self.tokens.in_spans(row, spans, query_tokens)
        return score_sentences(text, spans, vectors, qvec, terms, self.sentence_terms, token_scores)

    def for_quote(
        self, row: int, found: Sequence[Highlight], sentences: SentenceLookup
    ) -> list[ScoredSentence]:
        """The sentence that holds the first quoted span: the quote's own sentence."""
        spans, _ = sentences.of(row)
        out = [
            ScoredSentence(a, b, 1.0)
            for a, b in spans.tolist()
            if any(a <= h.start < b for h in found)
        ]
        return out[:1]

    def short_answer(
        self, hits: Sequence[tuple[Hit, Sequence[ScoredSentence]]]
    ) -> tuple[AnswerSentence, ...]:
        """The best answer sentences of the first hits, each quoted with its hit number.

        `hits` come with their candidate sentences: every scored sentence of a
        ranked passage (a passage's second-best sentence can beat another
        passage's best), the quoted one for an exact quote."""
        pool: list[tuple[float, int, str]] = []
        for hit, chosen in hits[:ANSWER_FROM_HITS]:
            for s in chosen:
                # Earlier hits are trusted a little more: the fused ranking saw the whole passage.
                pool.append(
                    (
                        s.score - ANSWER_RANK_PENALTY * hit.rank,
                        hit.rank,
                        hit.passage.text[s.start : s.end],
                    )
                )
        pool.sort(key=lambda item: -item[0])
        seen: set[str] = set()
        answer: list[AnswerSentence] = []
        for _, rank, sentence in pool:
            key = " ".join(sentence.split()).lower()
            if key in seen:
                continue
            seen.add(key)
            answer.append(AnswerSentence(rank, sentence))
            if len(answer) == ANSWER_SENTENCES:
                break
        return tuple(answer)
