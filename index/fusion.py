"""Fuse the dense and keyword rankings into one.

Two methods; the tune split of bench/questions.jsonl chose weighted fusion
(see `index.search.Ranking` for the figures):
- reciprocal rank fusion (RRF): sum of weight / (k + rank); robust, ignores
  score scales;
- weighted score fusion: min-max normalised scores, weighted sum; uses how
  much better the best hit is, which RRF throws away.
"""

from __future__ import annotations

from collections.abc import Sequence

METHODS = ("rrf", "weighted")
RRF_K = 60

Ranking = Sequence[tuple[int, float]]  # (row, score), best first


def rrf(
    rankings: Sequence[Ranking], weights: Sequence[float], k: int = RRF_K
) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (row, _) in enumerate(ranking, start=1):
            scores[row] = scores.get(row, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def weighted(rankings: Sequence[Ranking], weights: Sequence[float]) -> list[tuple[int, float]]:
    """Min-max normalise each ranking's scores to [0, 1], then take the weighted sum."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        values = [s for _, s in ranking]
        low, high = min(values), max(values)
        span = high - low
        for row, score in ranking:
            norm = (score - low) / span if span > 0 else 1.0
            scores[row] = scores.get(row, 0.0) + weight * norm
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse(
    rankings: Sequence[Ranking], weights: Sequence[float], method: str = "rrf", rrf_k: int = RRF_K
) -> list[tuple[int, float]]:
    if method == "rrf":
        return rrf(rankings, weights, rrf_k)
    if method == "weighted":
        return weighted(rankings, weights)
    raise ValueError(f"Unknown fusion method {method!r}; choose one of {', '.join(METHODS)}.")
