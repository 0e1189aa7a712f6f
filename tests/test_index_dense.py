"""Dense search must equal brute force: exactly for flat, nearly for HNSW."""

from __future__ import annotations

import numpy as np
import pytest

from index.dense import DenseIndex, choose_kind


def _unit(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute(vectors: np.ndarray, q: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
    scores = vectors @ q
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]


def test_flat_equals_numpy_brute_force() -> None:
    vectors, queries = _unit(2000, 48, 1), _unit(25, 48, 2)
    index = DenseIndex.build(vectors, "flat")
    for q in queries:
        got = index.search(q, 10)
        assert [i for i, _ in got] == _brute(vectors, q, 10)
        np.testing.assert_allclose([s for _, s in got], np.sort(vectors @ q)[::-1][:10], rtol=1e-5)


def test_hnsw_recall_is_high() -> None:
    vectors, queries = _unit(3000, 32, 3), _unit(50, 32, 4)
    index = DenseIndex.build(vectors, "hnsw")
    found = sum(
        len({i for i, _ in index.search(q, 10)} & set(_brute(vectors, q, 10))) for q in queries
    )
    assert found / (10 * len(queries)) >= 0.95


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_mask_returns_best_allowed_rows(kind: str) -> None:
    vectors, q = _unit(500, 16, 5), _unit(1, 16, 6)[0]
    mask = np.zeros(500, dtype=bool)
    mask[::7] = True
    got = [i for i, _ in DenseIndex.build(vectors, kind).search(q, 5, mask)]
    assert all(mask[i] for i in got)
    assert got == _brute(vectors, q, 5, mask)


def test_empty_mask_and_small_index() -> None:
    vectors = _unit(3, 8, 7)
    index = DenseIndex.build(vectors, "flat")
    assert index.search(vectors[0], 10, np.zeros(3, dtype=bool)) == []
    assert len(index.search(vectors[0], 10)) == 3


def test_save_and_load_round_trip(tmp_path) -> None:
    vectors = _unit(100, 8, 8)
    DenseIndex.build(vectors, "flat").save(tmp_path)
    loaded = DenseIndex.load(tmp_path, "flat")
    assert loaded.size == 100 and loaded.dimension == 8
    assert loaded.search(vectors[3], 1)[0][0] == 3


def test_choose_kind_uses_threshold_and_names_choices() -> None:
    assert choose_kind("auto", 10, 100) == "flat"
    assert choose_kind("auto", 101, 100) == "hnsw"
    assert choose_kind("flat", 10**7, 100) == "flat"
    with pytest.raises(ValueError, match="auto, flat, hnsw"):
        choose_kind("ivf", 10, 100)
