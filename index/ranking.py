"""The hybrid ranking: dense (passages and their best sentence) fused with BM25.

`HybridRanker` holds what ranking needs at query time (the dense and keyword
indexes, the sentence vectors, per-passage flags) and answers one question:
which rows, in which order. Everything that turns rows into hits, highlights
and a short answer lives elsewhere (answers.py), so another backend can take
this seam's place.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.dense import DenseIndex
from index.fusion import fuse
from index.glossary import Glossary
from index.keyword import BM25Index, DutchAnalyzer
from index.query import intent, states, strip_frames
from index.sentences import SentenceVectors, similarities
from ingest.document import Passage

log = logging.getLogger(__name__)

# Up to this many passages the hybrid rescores every passage with its sentences.
SENTENCE_SCAN_LIMIT = 20_000
# Up to this many sentences the hubness correction is computed (an all-pairs product).
HUBNESS_LIMIT = 50_000

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

    The knobs below them were measured on the users' set
    (bench/questions_users.jsonl); BENCHMARKS.md logs each one, kept or not.
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
    # CSLS-style hubness correction: every passage's and sentence's similarity
    # loses this share of its mean similarity to its `hub_neighbours` nearest
    # sentences of other documents (texts close to everything stop winning).
    hubness: float = 0.0
    hub_neighbours: int = 20
    # Frame phrases ("ik ben leerkracht", "volgens de SERV") out of the keyword
    # query; `strip_frames_dense` also out of the embedded query.
    strip_frames: bool = False
    strip_frames_dense: bool = False
    # Glossary and synonym expansions in the keyword query, at this weight each.
    expansion_weight: float = 0.0
    # A question asking for a figure or a date: sentences stating one gain this.
    intent_weight: float = 0.0
    # The short answer takes at most this many sentences from one hit (0: no limit),
    # from the first `answer_from_hits` hits; a sentence's score there gains this
    # share of its hit's score relative to the first hit's.
    answer_per_hit: int = 0
    answer_from_hits: int = 5
    answer_hit_weight: float = 0.0
    # The short answer opens with up to this many of the first hit's marked sentences.
    answer_first_hit: int = 0
    # Each fused score gains this share of its document's mean top-3 fused score:
    # a question about one advice's topic lifts that advice's passages together.
    doc_weight: float = 0.0
    # A learned reranking of the fused top `rerank_depth`: the path of a JSON file
    # written by bench/train_rerank.py ("" for none).
    rerank: str = ""
    rerank_depth: int = 30


# What the learned reranking sees of a candidate, in this order.
FEATURES = (
    "fused",  # the fused score (weighted fusion: 0..1)
    "passage",  # the passage's own dense similarity
    "sentence",  # its best sentence's dense similarity
    "keyword",  # BM25 score relative to the best candidate's
    "heading",  # share of the query's words in the passage's section headings
    "footnote",  # 1 for a footnote passage
    "position",  # where in its document the passage stands (0 first, 1 last)
    "hub",  # mean similarity to the nearest sentences of other documents
    "intent",  # 1 when the question asks a figure or date and a sentence states one
    "length",  # log of the passage's word count
)


def prose_words(text: str) -> int:
    """How many words a text has outside its URLs."""
    return len(_WORD.findall(_URL.sub(" ", text)))


class HybridRanker:
    """Rank rows (passages) for a query by one method: keyword, dense or hybrid."""

    def __init__(
        self,
        ranking: Ranking,
        passages: Sequence[Passage],
        dense: DenseIndex,
        keyword: BM25Index,
        sentences: SentenceVectors,
        documents: Sequence[str],
    ) -> None:
        self.ranking = ranking
        self.dense = dense
        self.keyword = keyword
        self.sentences = sentences
        self.passages = passages
        self._size = len(passages)
        last: dict[str, int] = {}
        for p in passages:
            last[p.source] = max(last.get(p.source, 0), p.ordinal)
        self._position = np.array(
            [p.ordinal / last[p.source] if last[p.source] else 0.0 for p in passages],
            dtype=np.float32,
        )
        self.dense_eligible: np.ndarray | None = None
        if ranking.min_prose_words > 0:
            self.dense_eligible = np.array(
                [prose_words(p.text) >= ranking.min_prose_words for p in passages], dtype=bool
            )
        self.passage_vectors = (
            dense.index.reconstruct_n(0, dense.size)
            if 0 < dense.size <= SENTENCE_SCAN_LIMIT
            else None
        )
        # Glossary terms are matched unsplit: "beroepsonderwijs" is one name.
        self._plain = DutchAnalyzer(decompound=False)
        self.glossary = (
            Glossary.for_corpus(documents, self._plain.terms, self._plain.stopwords)
            if ranking.expansion_weight > 0
            else None
        )
        self._passage_hub: np.ndarray | None = None
        self._sentence_hub: np.ndarray | None = None
        self.rerank: Reranker | None = (
            Reranker.load(Path(ranking.rerank)) if ranking.rerank else None
        )
        if ranking.hubness > 0 or self.rerank is not None:
            self._hubness(passages)
        self._states: dict[str, np.ndarray] = {}
        if ranking.intent_weight > 0 or self.rerank is not None:
            texts = [
                passages[int(row)].text[a:b]
                for row, (a, b) in zip(sentences.owners(), sentences.spans.tolist(), strict=True)
            ]
            for kind in ("number", "date"):
                self._states[kind] = np.array([states(kind, t) for t in texts], dtype=bool)

    def _hubness(self, passages: Sequence[Passage]) -> None:
        """Mean similarity of each passage and sentence to its nearest other-document sentences."""
        s = self.sentences
        if self.passage_vectors is None or s.count > HUBNESS_LIMIT:
            log.info("Hubness correction skipped: corpus too large for the all-pairs product")
            return
        sources = {src: i for i, src in enumerate(dict.fromkeys(p.source for p in passages))}
        doc_of_row = np.array([sources[p.source] for p in passages], dtype=np.int64)
        sent_doc = doc_of_row[s.owners()]
        pool = np.flatnonzero(s.eligible)
        pool_vectors, pool_doc = s.vectors[pool], sent_doc[pool]
        k = self.ranking.hub_neighbours

        def mean_nearest(vectors: np.ndarray, docs: np.ndarray) -> np.ndarray:
            out = np.zeros(len(vectors), dtype=np.float32)
            for start in range(0, len(vectors), 512):
                sims = vectors[start : start + 512] @ pool_vectors.T
                sims[docs[start : start + 512, None] == pool_doc[None, :]] = -np.inf
                kk = min(k, sims.shape[1])
                top = np.partition(sims, sims.shape[1] - kk, axis=1)[:, -kk:]
                top = np.where(np.isfinite(top), top, 0.0)
                out[start : start + 512] = top.mean(axis=1)
            return out

        self._passage_hub = mean_nearest(self.passage_vectors, doc_of_row)
        self._sentence_hub = mean_nearest(s.vectors, sent_doc)

    # Query-side text

    def keyword_query(self, text: str) -> tuple[str, list[str]]:
        """What BM25 matches: the question (frames stripped if set) and expansion terms."""
        if self.ranking.strip_frames:
            text = strip_frames(text)
        extra = self.glossary.expand(self._plain.terms(text)) if self.glossary else []
        return text, extra

    def dense_query(self, text: str) -> str:
        return strip_frames(text) if self.ranking.strip_frames_dense else text

    # Rankings

    def rank(
        self,
        text: str,
        mode: str,
        k: int,
        mask: np.ndarray | None,
        embed: Callable[[str], np.ndarray],
    ) -> tuple[list[tuple[int, float]], np.ndarray | None]:
        """Rows best first with their scores, and the query vector (None for keyword)."""
        r = self.ranking
        depth = max(k, r.depth)
        keyword: list[tuple[int, float]] = []
        if mode in ("keyword", "hybrid"):
            words, extra = self.keyword_query(text)
            keyword = self.keyword.search(words, depth, mask, extra, r.expansion_weight)
        if mode == "keyword":
            return keyword, None
        qvec = embed(self.dense_query(text))
        if mode == "dense":
            return self.dense.search(qvec, depth, mask), qvec
        dense = self.dense_with_sentences(qvec, depth, mask, intent(text))
        fused = fuse([dense, keyword], [r.dense_weight, r.keyword_weight], r.fusion, r.rrf_k)
        if r.doc_weight > 0 and fused:
            fused = self._with_document_score(fused)
        if self.rerank is not None and fused:
            head = fused[: r.rerank_depth]
            scores = self.rerank.score(self.features(text, qvec, head, keyword))
            order = np.argsort(-scores, kind="stable")
            fused = [(head[i][0], float(scores[i])) for i in order] + fused[r.rerank_depth :]
        return fused, qvec

    def _with_document_score(self, fused: list[tuple[int, float]]) -> list[tuple[int, float]]:
        per_doc: dict[str, list[float]] = {}
        for row, score in fused:
            scores = per_doc.setdefault(self.passages[row].source, [])
            if len(scores) < 3:
                scores.append(score)
        doc_score = {source: sum(v) / len(v) for source, v in per_doc.items()}
        w = self.ranking.doc_weight
        boosted = [(row, s + w * doc_score[self.passages[row].source]) for row, s in fused]
        return sorted(boosted, key=lambda item: (-item[1], item[0]))

    def features(
        self,
        text: str,
        qvec: np.ndarray,
        candidates: Sequence[tuple[int, float]],
        keyword: Sequence[tuple[int, float]],
    ) -> np.ndarray:
        """One row of FEATURES per candidate (row, fused score)."""
        rows = np.array([row for row, _ in candidates], dtype=np.int64)
        out = np.zeros((len(rows), len(FEATURES)), dtype=np.float32)
        if rows.size == 0:
            return out
        if self._passage_hub is None:
            self._hubness(self.passages)
        out[:, 0] = [score for _, score in candidates]
        if self.passage_vectors is not None:
            out[:, 1] = similarities(self.passage_vectors[rows], qvec)
        best = self.sentences.best(rows, qvec)
        out[:, 2] = np.where(np.isfinite(best), best, out[:, 1])
        bm25 = dict(keyword)
        top = max(bm25.values(), default=0.0)
        out[:, 3] = [bm25.get(int(r), 0.0) / top if top > 0 else 0.0 for r in rows]
        words = set(self._plain.terms(text))
        asks = intent(text)
        for i, row in enumerate(rows.tolist()):
            p = self.passages[row]
            heading = set(self._plain.terms(" ".join(p.section)))
            out[i, 4] = len(words & heading) / len(words) if words else 0.0
            out[i, 5] = 1.0 if p.kind == "footnote" else 0.0
            out[i, 6] = self._position[row]
            a, b = int(self.sentences.offsets[row]), int(self.sentences.offsets[row + 1])
            out[i, 8] = float(asks in self._states and bool(self._states[asks][a:b].any()))
            out[i, 9] = np.log1p(len(p.text.split()))
        if self._passage_hub is not None:
            out[:, 7] = self._passage_hub[rows]
        return out

    def dense_with_sentences(
        self,
        qvec: np.ndarray,
        depth: int,
        mask: np.ndarray | None,
        asks: str | None = None,
        scan: bool = True,
    ) -> list[tuple[int, float]]:
        """Dense ranking where a passage's best sentence counts too (see Ranking).

        Up to SENTENCE_SCAN_LIMIT passages every passage is scored (a few
        thousand dot products); above it (or with `scan` off) only the passage
        index's top candidates are rescored, so large corpora stay fast.
        """
        w = self.ranking.sentence_weight
        if self.dense_eligible is not None:
            mask = self.dense_eligible if mask is None else mask & self.dense_eligible
        if w <= 0 and self._passage_hub is None:
            return self.dense.search(qvec, depth, mask)
        if self.passage_vectors is not None and scan:
            rows = np.arange(self._size) if mask is None else np.flatnonzero(mask)
            own = similarities(self.passage_vectors[rows], qvec)
        else:
            found = self.dense.search(qvec, depth * 3, mask)
            rows = np.array([r for r, _ in found], dtype=np.int64)
            own = np.array([s for _, s in found], dtype=np.float32)
        if rows.size == 0:
            return []
        beta = self.ranking.hubness
        if self._passage_hub is not None:
            own = own - beta * self._passage_hub[rows]
        penalty = None if self._sentence_hub is None else beta * self._sentence_hub
        if asks in self._states:
            bonus = np.where(self._states[asks], -self.ranking.intent_weight, 0.0)
            penalty = bonus if penalty is None else penalty + bonus
        score = own
        if w > 0:
            best = self.sentences.best(rows, qvec, penalty)
            score = np.where(np.isfinite(best), (1 - w) * own + w * best, own)
        top = np.argsort(-score, kind="stable")[:depth]
        return [(int(rows[i]), float(score[i])) for i in top]


class Reranker:
    """A linear model over standardised FEATURES: explainable, one dot product per candidate."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, weights: np.ndarray) -> None:
        self.mean, self.scale, self.weights = mean, scale, weights

    @classmethod
    def load(cls, path: Path) -> Reranker:
        data = json.loads(path.read_text("utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path} was trained on other features; retrain it.")
        return cls(
            np.array(data["mean"], dtype=np.float32),
            np.array(data["scale"], dtype=np.float32),
            np.array(data["weights"], dtype=np.float32),
        )

    def score(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights
