"""Filters: match the user's values to the corpus's spelling, then mask rows.

An unknown value gets a notice listing the valid ones; a field whose values
are all unknown matches nothing (never silently everything).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from index.results import Filters
from ingest.document import Document, Passage

_NOTHING = "\x00"  # a filter value no document has


class FilterResolver:
    def __init__(
        self, documents: Mapping[str, Document], sources: Sequence[str], passages: Sequence[Passage]
    ) -> None:
        self._documents = documents
        self._sources = sources
        doc_index = {s: i for i, s in enumerate(sources)}
        self._row_doc = np.array([doc_index[p.source] for p in passages], dtype=np.int64)

    def facets(self) -> dict[str, list]:
        docs = [self._documents[s] for s in self._sources]
        return {
            "sources": [d.source for d in docs],
            "authors": sorted({d.author for d in docs if d.author}),
            "kinds": sorted({d.kind for d in docs if d.kind}),
            "years": sorted({d.year for d in docs if d.year is not None}),
        }

    def resolve(self, filters: Filters | None) -> tuple[Filters | None, tuple[str, ...]]:
        """Match filter values to the corpus's own spelling (case-insensitive, paths allowed)."""
        if filters is None or filters.empty:
            return None, ()
        facets = self.facets()
        notices: list[str] = []

        def known(values: tuple, choices: list, label: str, key: Callable[[object], str]) -> tuple:
            by_key = {key(c): c for c in choices}
            out = []
            for value in values:
                if key(value) in by_key:
                    out.append(by_key[key(value)])
                else:
                    listed = ", ".join(str(c) for c in choices) or "geen"
                    notices.append(f"{label} “{value}” in de filter; kies uit: {listed}.")
            return tuple(out) if out or not values else (_NOTHING,)

        def lower(value: object) -> str:
            return str(value).strip().lower()

        resolved = Filters(
            sources=known(
                filters.sources,
                facets["sources"],
                "Onbekend document",
                lambda v: Path(str(v).strip()).name.lower(),
            ),
            authors=known(filters.authors, facets["authors"], "Onbekende auteur", lower),
            kinds=known(filters.kinds, facets["kinds"], "Onbekende soort", lower),
            years=known(filters.years, facets["years"], "Onbekend jaar", lower),
        )
        return resolved, tuple(notices)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Rows whose document the (resolved) filters admit; None for no filter."""
        if filters is None:
            return None
        admitted = np.array([filters.admits(self._documents[s]) for s in self._sources], dtype=bool)
        return admitted[self._row_doc]
