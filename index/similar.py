"""Meer hierover: passages of other documents that make the same point, ordered by year.

An advisor reading a result wants to see how a position developed ("In 2022
… ; in 2025 …"). The passage's own embedding is searched in the dense index
with its own document masked out (its neighbouring passages are the context
view's job, and always look alike), keeping the best passage per document
above a similarity floor, and the result is ordered by year, then similarity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.citation import cite
from ingest.document import Document, Passage

# Passages shorter than this (a title, a footnote that is a link) say too little to match.
MIN_WORDS = 12


@dataclass(frozen=True)
class Related:
    passage: Passage
    document: Document
    score: float  # cosine similarity to the passage asked about

    def to_json(self) -> dict[str, Any]:
        p = self.passage
        return {
            "passage_id": p.id,
            "source": p.source,
            "title": self.document.title,
            "year": self.document.year,
            "section": p.section_label,
            "page": p.page,
            "lines": [p.line_start, p.line_end] if p.line_start is not None else None,
            "text": p.text,
            "score": round(float(self.score), 4),
            "citation": cite(self.document, p),
        }


def eligible_rows(passages: Sequence[Passage], dense_eligible: np.ndarray | None) -> np.ndarray:
    """Body rows long enough to be shown as making a point (and in the dense ranking at
    all): a footnote is mostly a reference, not a point."""
    long_enough = np.array(
        [p.kind == "body" and len(p.text.split()) >= MIN_WORDS for p in passages], dtype=bool
    )
    return long_enough if dense_eligible is None else long_enough & dense_eligible


def related_passages(
    row: int,
    passages: Sequence[Passage],
    documents: Mapping[str, Document],
    vector: np.ndarray,
    search: Callable[[np.ndarray, int, np.ndarray], list[tuple[int, float]]],
    allowed: np.ndarray,
    *,
    k: int = 5,
    min_score: float = 0.0,
) -> list[Related]:
    """Up to `k` passages like passage `row` among the `allowed` rows (the caller masks
    out its document), one per document, ordered by year (unknown last), then similarity."""
    best: dict[str, Related] = {}
    for other, score in search(vector, max(4 * k, 20), allowed):
        p = passages[other]
        if score < min_score or p.source in best or p.source == passages[row].source:
            continue
        best[p.source] = Related(p, documents[p.source], score)
        if len(best) == k:
            break
    return sorted(
        best.values(),
        key=lambda r: (r.document.year is None, r.document.year or 0, -r.score),
    )
