"""Late interaction (index/tokens.py): MaxSim scores, idf weights, the rerank, the cache."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
from index_fixtures import FakeEmbedder, fill_store, fixture_settings

from index import Searcher
from index.build import build_index
from index.cache import EmbeddingCache
from index.ranking import HybridRanker, Ranking
from index.tokens import PassageTokens, Tokens, TokenVectors
from ingest.document import Passage


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def tokens(*pairs: tuple[int, np.ndarray]) -> Tokens:
    return np.array([i for i, _ in pairs], dtype=np.int32), np.stack([v for _, v in pairs])


def passage(*pairs: tuple[int, np.ndarray]) -> PassageTokens:
    """Tokens of a passage whose every token is 3 characters and a space."""
    spans = np.array([(4 * i, 4 * i + 3) for i in range(len(pairs))], dtype=np.int32)
    return (*tokens(*pairs), spans)


# Token 1 ("de") is in every passage; 2, 3 and 4 each in one.
DE, SCHOOL, WERK, GELD = unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(0, 0, 1, 0), unit(0, 0, 0, 1)
PASSAGES = [
    passage((1, DE), (2, SCHOOL)),
    passage((1, DE), (3, WERK)),
    passage((1, DE), (4, GELD), (3, WERK)),
]


@pytest.fixture
def vectors() -> TokenVectors:
    return TokenVectors.build(PASSAGES)


def test_maxsim_scores_the_passage_holding_the_query_tokens_first(vectors: TokenVectors) -> None:
    scores = vectors.maxsim([0, 1, 2], tokens((1, DE), (3, WERK)))
    assert scores[1] == pytest.approx(1.0) and scores[2] == pytest.approx(1.0)
    assert scores[0] < 0.5  # only "de" matches, and "de" weighs little


def test_rare_tokens_weigh_more_than_common_ones(vectors: TokenVectors) -> None:
    de, school, werk, unseen = vectors.weights(np.array([1, 2, 3, 99]))
    assert de < werk < school < unseen
    # A query of "de" plus a rare word: the passage with the rare word wins
    # although every passage matches "de" perfectly.
    scores = vectors.maxsim([0, 1, 2], tokens((1, DE), (4, GELD)))
    assert int(np.argmax(scores)) == 2


def test_saved_vectors_load_alike_and_an_old_index_has_none(
    vectors: TokenVectors, tmp_path: Path
) -> None:
    assert TokenVectors.load(tmp_path) is None
    vectors.save(tmp_path)
    loaded = TokenVectors.load(tmp_path)
    assert loaded is not None and loaded.passages == 3
    query = tokens((2, SCHOOL), (4, GELD))
    np.testing.assert_allclose(loaded.maxsim([0, 1, 2], query), vectors.maxsim([0, 1, 2], query))


def test_the_sentence_holding_the_question_s_words_scores_highest(
    vectors: TokenVectors,
) -> None:
    """Passage 2 is "de  geld werk": its first two tokens (0–7) one sentence, the last another."""
    sentences = np.array([(0, 7), (8, 11)])
    werk, geld = (vectors.in_spans(2, sentences, tokens((t, v))) for t, v in ((3, WERK), (4, GELD)))
    assert werk[1] > werk[0] and geld[0] > geld[1]
    # A span with no whole token in it scores nothing.
    assert vectors.in_spans(2, np.array([(1, 2)]), tokens((3, WERK)))[0] == 0


class _Backend:
    def all_passage_vectors(self, limit: int) -> None:
        return None


def ranker(ranking: Ranking, rows: int, vectors: TokenVectors) -> HybridRanker:
    passages = [Passage(f"p{i}", "x.txt", i, "een passage", 0, 11) for i in range(rows)]
    return HybridRanker(ranking, passages, _Backend(), lambda text: [], vectors)  # type: ignore[arg-type]


def test_rerank_reorders_the_head_and_keeps_the_tail_below(vectors: TokenVectors) -> None:
    ranking = Ranking(token_weight=2.0, token_depth=2)
    fused = [(0, 0.9), (1, 0.8), (2, 0.1)]
    reranked = ranker(ranking, 3, vectors).rerank_by_tokens(fused, tokens((3, WERK)))
    # Row 1 holds "werk" and row 0 does not: it moves up; row 2 stays outside the head.
    assert [row for row, _ in reranked] == [1, 0, 2]
    scores = [s for _, s in reranked]
    assert scores == sorted(scores, reverse=True)
    # Off, or without token vectors: the fused ranking as it was.
    off = ranker(Ranking(token_weight=0), 3, vectors)
    assert off.rerank_by_tokens(fused, tokens((3, WERK))) == fused
    # Vectors of another corpus (another passage count) are not used.
    assert ranker(ranking, 4, vectors).tokens is None


class TokenFakeEmbedder(FakeEmbedder):
    """The fake embedder with token vectors: one hashed vector per word."""

    def __init__(self) -> None:
        super().__init__()
        self.token_texts: list[str] = []

    def _tokens(self, text: str) -> PassageTokens:
        words = [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", text.lower())]
        ids = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 10_000 for w, _, _ in words]
        return (
            np.array(ids, dtype=np.int32),
            np.stack([self._vector(w) for w, _, _ in words]),
            np.array([(a, b) for _, a, b in words], dtype=np.int32),
        )

    def encode_passage_tokens(
        self, texts: list[str], progress: bool = False
    ) -> list[PassageTokens]:
        self.token_texts.extend(texts)
        return [self._tokens(t) for t in texts]

    def encode_query_with_tokens(self, text: str) -> tuple[np.ndarray, Tokens]:
        ids, vectors, _ = self._tokens(text)
        return self._vector(text), (ids, vectors)


def test_the_cache_keeps_token_vectors(tmp_path: Path) -> None:
    embedder = TokenFakeEmbedder()
    cache = EmbeddingCache(tmp_path / "cache.sqlite", embedder.fingerprint)
    first, new = cache.embed_tokens(["een twee", "drie"], embedder.encode_passage_tokens)
    again, new_again = cache.embed_tokens(["drie", "een twee"], embedder.encode_passage_tokens)
    cache.close()
    assert (new, new_again) == (2, 0) and embedder.token_texts == ["een twee", "drie"]
    np.testing.assert_array_equal(again[1][0], first[0][0])
    np.testing.assert_allclose(again[1][1], first[0][1], atol=1e-3)  # stored as float16
    np.testing.assert_array_equal(again[1][2], [(0, 3), (4, 8)])


def test_an_index_built_with_token_vectors_reranks_with_them(tmp_path: Path) -> None:
    settings = fixture_settings(tmp_path)
    embedder = TokenFakeEmbedder()
    with fill_store(settings) as store:
        report = build_index(settings, store, embedder, progress=False)
        passages = store.passages()
    assert (report.index_dir / TokenVectors.FILE).exists()
    searcher = Searcher.open(settings, embedder=embedder)
    try:
        assert searcher.ranker.tokens is not None
        assert searcher.ranker.tokens.passages == len(passages)
        response = searcher.search("Hoe worden leerlingen in het beroepsonderwijs begeleid?", k=3)
        assert response.hits and response.hits[0].passage.source == "000_advies.txt"
        top = response.hits[0]
        assert "begeleid" in top.highlights[0].text and response.answer
    finally:
        searcher.close()
    # A rebuild takes every passage's token vectors from the cache.
    embedder.token_texts.clear()
    with fill_store(settings) as store:
        build_index(settings, store, embedder, progress=False)
    assert embedder.token_texts == []
