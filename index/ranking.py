"""The hybrid ranking: dense (passages and their best sentence) fused with BM25.

`HybridRanker` holds what ranking needs at query time (a backend that gives
dense and keyword candidates and sentence vectors, per-passage flags) and
answers one question: which rows, in which order. The backend (local files or
Milvus, index/backends/) sits below it; everything that turns rows into hits,
highlights and a short answer lives above it (answers.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.backends import Backend, RowFilter
from index.fusion import fuse
from index.sentences import similarities
from index.tokens import Tokens, TokenVectors
from ingest.document import Passage

# Up to this many passages the hybrid rescores every passage with its sentences.
SENTENCE_SCAN_LIMIT = 20_000

_WORD = re.compile(r"[^\W\d_]{2,}")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class Ranking:
    """How the hybrid ranking is made; defaults chosen on the tune split of
    bench/questions.jsonl (96 questions), MRR@10:

    - RRF (k 10–60, dense weight 0.5–2): 0.62–0.65; weighted score fusion
      (dense 0.5–0.8): 0.64–0.67 -> weighted;
    - the best sentence counting in the dense score (sentence_weight 0.4–0.6):
      0.67 -> 0.73–0.74; chosen 0.4 with dense weight 0.8 (tune 0.742);
    - link-only passages out of the dense ranking: tune unchanged, held-out
      0.749 -> 0.764.

    On the users' set (bench/questions_users.jsonl) hubness correction, frame
    words, glossary expansion, question intent, other weights, a document
    score and a learned reranking were measured and none held up on its
    held-out split (BENCHMARKS.md; their code is in commit 0889873).
    Each knob can be overridden through `settings.extra` for experiments.
    """

    fusion: str = "weighted"
    dense_weight: float = 0.8
    keyword_weight: float = 0.2
    rrf_k: int = 60
    depth: int = 100  # candidates taken from each ranking before fusion
    # In the hybrid's dense ranking, a passage scores (1 - w) × its own similarity
    # + w × its best sentence's: a passage that answers in one sentence among
    # others is no longer diluted by them.
    sentence_weight: float = 0.4
    # Passages with fewer words than this outside URLs (a footnote that is only
    # a link) take no part in the dense ranking, where such texts sit close to
    # every question; keyword search and exact quotes still find them.
    min_prose_words: int = 1
    # Late interaction (tokens.py) reranks the hybrid's first `token_depth`
    # passages: min-max normalised fused score + token_weight × normalised
    # MaxSim. Users' tune split (131 questions), MRR@10 / hit@5: off 0.477 /
    # 0.679; weight 1: 0.524 / 0.702; 2: 0.544 / 0.702; 3: 0.554 / 0.695;
    # MaxSim alone 0.536 / 0.664. Original tune: off 0.770, weight 2 0.796.
    # Depth 20 / 30 / 50 (130 tune questions): users 0.536 / 0.534 / 0.536,
    # original 0.795 each (hit@5 0.917 / 0.927 / 0.927); warm median 21.1 /
    # 22.6 / 25.8 ms: 20.
    token_weight: float = 2.0
    token_depth: int = 20


def prose_words(text: str) -> int:
    """How many words a text has outside its URLs."""
    return len(_WORD.findall(_URL.sub(" ", text)))


class HybridRanker:
    """Rank rows (passages) for a query by one method: keyword, dense or hybrid.

    The candidates come from a backend (backends/); analysis of the query,
    best-sentence rescoring and fusion are done here, so every backend ranks
    alike.
    """

    def __init__(
        self,
        ranking: Ranking,
        passages: Sequence[Passage],
        backend: Backend,
        analyse: Callable[[str], list[str]],
        tokens: TokenVectors | None = None,
    ) -> None:
        self.ranking = ranking
        self.backend = backend
        self.analyse = analyse
        self.tokens = tokens if tokens is not None and tokens.passages == len(passages) else None
        self._size = len(passages)
        self.dense_eligible: np.ndarray | None = None
        if ranking.min_prose_words > 0:
            self.dense_eligible = np.array(
                [prose_words(p.text) >= ranking.min_prose_words for p in passages], dtype=bool
            )
        self.passage_vectors = backend.all_passage_vectors(SENTENCE_SCAN_LIMIT)

    def rank(
        self,
        text: str,
        mode: str,
        k: int,
        where: RowFilter | None,
        embed: Callable[[str], np.ndarray],
        embed_tokens: Callable[[str], Tokens] | None = None,
    ) -> tuple[list[tuple[int, float]], np.ndarray | None]:
        """Rows best first with their scores, and the query vector (None for keyword)."""
        r = self.ranking
        depth = max(k, r.depth)
        keyword = (
            self.backend.keyword(self.analyse(text), depth, where)
            if mode in ("keyword", "hybrid")
            else []
        )
        if mode == "keyword":
            return keyword, None
        qvec = embed(text)
        if mode == "dense":
            return self.backend.dense(qvec, depth, where), qvec
        dense = self.dense_with_sentences(qvec, depth, where)
        fused = fuse([dense, keyword], [r.dense_weight, r.keyword_weight], r.fusion, r.rrf_k)
        if embed_tokens is not None:
            fused = self.rerank_by_tokens(fused, embed_tokens(text))
        return fused, qvec

    def rerank_by_tokens(
        self, fused: list[tuple[int, float]], query: Tokens
    ) -> list[tuple[int, float]]:
        """The first `token_depth` rows reordered by fused score and late interaction."""
        r = self.ranking
        if self.tokens is None or r.token_weight <= 0 or len(fused) < 2 or len(query[0]) == 0:
            return fused
        head, tail = fused[: r.token_depth], fused[r.token_depth :]
        maxsim = self.tokens.maxsim([row for row, _ in head], query)
        # The project's weighted fusion: both min-max normalised, then summed.
        reranked = fuse(
            [head, [(row, float(m)) for (row, _), m in zip(head, maxsim, strict=True)]],
            [1.0, r.token_weight],
            "weighted",
        )
        # Above the rows below the head, which keep their fused scores.
        floor = head[-1][1]
        return [(row, floor + score) for row, score in reranked] + tail

    def _prose_only(self, where: RowFilter | None) -> RowFilter | None:
        """The filter of the hybrid's dense side: link-only passages left out (see Ranking)."""
        if self.dense_eligible is None:
            return where
        if where is None:
            return RowFilter(self.dense_eligible, min_prose_words=self.ranking.min_prose_words)
        return replace(
            where,
            mask=where.mask & self.dense_eligible,
            min_prose_words=self.ranking.min_prose_words,
        )

    def dense_with_sentences(
        self, qvec: np.ndarray, depth: int, where: RowFilter | None, scan: bool = True
    ) -> list[tuple[int, float]]:
        """Dense ranking where a passage's best sentence counts too (see Ranking).

        Up to SENTENCE_SCAN_LIMIT passages a local index scores every passage (a
        few thousand dot products); above it (or with `scan` off, or on a
        server backend) only candidates are rescored: the passage index's top
        ones, and the passages of the best sentences when the backend can
        search sentences, so large corpora stay fast.
        """
        w = self.ranking.sentence_weight
        where = self._prose_only(where)
        if w <= 0:
            return self.backend.dense(qvec, depth, where)
        if self.passage_vectors is not None and scan:
            rows = np.arange(self._size) if where is None else np.flatnonzero(where.mask)
            own = similarities(self.passage_vectors[rows], qvec)
        else:
            found = self.backend.dense(qvec, depth * 3, where)
            seen = {r for r, _ in found}
            extra = sorted(set(self.backend.sentence_candidates(qvec, depth * 3, where)) - seen)
            rows = np.array([r for r, _ in found] + extra, dtype=np.int64)
            own = np.array([s for _, s in found], dtype=np.float32)
            if extra:
                more = self.backend.dense_scores(qvec, np.array(extra, dtype=np.int64))
                own = np.concatenate([own, more.astype(np.float32)])
        if rows.size == 0:
            return []
        best = self.backend.best_sentences(rows, qvec)
        score = np.where(np.isfinite(best), (1 - w) * own + w * best, own)
        top = np.argsort(-score, kind="stable")[:depth]
        return [(int(rows[i]), float(score[i])) for i in top]
