"""The Searcher's query embeddings: each question embedded once, both ways at once."""

from __future__ import annotations

import numpy as np
import pytest
from index_fixtures import FakeEmbedder

from index.query_vectors import QueryVectors
from index.tokens import Tokens


class CountingEmbedder(FakeEmbedder):
    """Records every model call: ("plain", text) or ("tokens", text)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.extend(("plain", t) for t in texts)
        return super().encode_queries(texts)

    def encode_query_with_tokens(self, text: str) -> tuple[np.ndarray, Tokens]:
        self.calls.append(("tokens", text))
        words = text.split()
        ids = np.arange(len(words), dtype=np.int32)
        return self._vector(text), (ids, np.stack([self._vector(w) for w in words]))


def test_a_repeated_query_is_embedded_once() -> None:
    embedder = CountingEmbedder()
    queries = QueryVectors(embedder, with_tokens=False)
    first = queries.vector("werkdruk bij leraren")
    again = queries.vector("werkdruk bij leraren")
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first, embedder.encode_queries(["werkdruk bij leraren"])[0])
    assert embedder.calls[:1] == [("plain", "werkdruk bij leraren")]
    assert len(embedder.calls) == 2  # the second is this test's own reference call


def test_with_late_interaction_vector_and_tokens_come_from_one_model_run() -> None:
    embedder = CountingEmbedder()
    queries = QueryVectors(embedder, with_tokens=True)
    vector = queries.vector("duaal leren in de klas")
    ids, vectors = queries.tokens("duaal leren in de klas")
    assert embedder.calls == [("tokens", "duaal leren in de klas")]
    np.testing.assert_allclose(vector, embedder._vector("duaal leren in de klas"))
    assert len(ids) == len(vectors) == 5


def test_tokens_without_late_interaction_is_an_error_not_a_second_model() -> None:
    queries = QueryVectors(CountingEmbedder(), with_tokens=False)
    with pytest.raises(ValueError, match="token vectors"):
        queries.tokens("vraag")


def test_the_oldest_query_is_forgotten_first_and_clear_forgets_all() -> None:
    embedder = CountingEmbedder()
    queries = QueryVectors(embedder, with_tokens=False, size=2)
    for text in ("een", "twee", "een", "drie"):  # "een" was used again, so "twee" goes
        queries.vector(text)
    queries.vector("een")
    queries.vector("twee")
    assert [t for _, t in embedder.calls] == ["een", "twee", "drie", "twee"]
    queries.clear()
    queries.vector("drie")
    assert [t for _, t in embedder.calls][-1] == "drie" and len(embedder.calls) == 5


def test_a_swapped_embedder_serves_the_next_new_query() -> None:
    first, second = CountingEmbedder(), CountingEmbedder()
    queries = QueryVectors(first, with_tokens=False)
    queries.vector("een")
    queries.embedder = second  # as the server wraps it in a BatchingEmbedder
    queries.vector("een")
    queries.vector("twee")
    assert [t for _, t in first.calls] == ["een"] and [t for _, t in second.calls] == ["twee"]
