"""What one search on the page consists of, and how it lives in a shareable URL.

A search is the query, the number of results, exact-quote mode and the four
filters. The page writes it into the URL (`?q=…&k=…&exact=1&doc=…&author=…&
kind=…&year=…`, filters repeatable) so a link repeats the search; this module
reads such a URL back, keeping only values the corpus actually has, so a
hand-edited link can never smuggle anything into the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from index.results import Filters, QueryError
from ingest.document import Document

MAX_K = 50


class QueryParams(Protocol):
    def get(self, key: str, default: str | None = None) -> str | None: ...
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class FilterChoices:
    """The values the filter menus offer, from the corpus (Searcher.facets/documents)."""

    documents: tuple[tuple[str, str], ...] = ()  # (title, doc_id)
    authors: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    source_by_doc_id: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_corpus(cls, documents: Sequence[Document], facets: dict[str, list]) -> FilterChoices:
        by_source = {d.source: d for d in documents}
        sources = facets.get("sources") or sorted(by_source)
        docs = [by_source[s] for s in sources if s in by_source]
        docs.sort(key=lambda d: d.title.lower())
        return cls(
            documents=tuple((_doc_label(d), d.doc_id) for d in docs),
            authors=tuple(str(a) for a in facets.get("authors", []) if a),
            kinds=tuple(str(k) for k in facets.get("kinds", []) if k),
            years=tuple(str(y) for y in sorted(facets.get("years", []) or [], reverse=True) if y),
            source_by_doc_id=tuple((d.doc_id, d.source) for d in docs),
        )

    def source_of(self, doc_id: str) -> str | None:
        return dict(self.source_by_doc_id).get(doc_id)

    def api_filters(
        self,
        documents: Sequence[str] | None = None,
        authors: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        years: Sequence[int | str] | None = None,
    ) -> Filters:
        """Filters from API values, or a QueryError in Dutch that names the valid values.

        `documents` takes file names or document ids. An unknown value is an
        error rather than an empty answer: a caller who typed a year wrong
        should learn that, not conclude the corpus is silent.
        """
        by_id = dict(self.source_by_doc_id)
        sources = sorted(set(by_id.values()))
        return Filters(
            sources=tuple(
                _pick(by_id.get(d, d), sources, f"Onbekend document {d!r}", "(of hun document-id)")
                for d in documents or ()
            ),
            authors=tuple(_pick(a, self.authors, f"Onbekende auteur {a!r}") for a in authors or ()),
            kinds=tuple(_pick(k, self.kinds, f"Onbekende soort {k!r}") for k in kinds or ()),
            years=tuple(int(_pick(y, self.years, f"Ongeldig jaar {y!r}")) for y in years or ()),
        )


def _pick(value: object, valid: Sequence[str], problem: str, hint: str = "") -> str:
    """The valid value `value` names (case and spaces aside), or a QueryError listing them.

    Matched as `index.filters.FilterResolver` matches, so whatever the API lets
    through, the search understands."""
    wanted = str(value).strip().lower()
    for choice in valid:
        if choice.strip().lower() == wanted:
            return choice
    raise QueryError(f"{problem}. Geldige waarden: {_listing(valid)}{' ' + hint if hint else ''}.")


def _listing(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(geen)"


@dataclass(frozen=True)
class SearchState:
    query: str = ""
    k: int = 10
    exact: bool = False
    doc_ids: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    years: tuple[str, ...] = ()

    @classmethod
    def from_params(
        cls, params: QueryParams, choices: FilterChoices, default_k: int
    ) -> SearchState:
        """Read a shared link; unknown filter values and bad numbers are dropped."""
        try:
            k = int(params.get("k") or default_k)
        except ValueError:
            k = default_k
        return cls(
            query=params.get("q") or "",
            k=clamp_k(k),
            exact=(params.get("exact") or "").lower() in ("1", "true", "ja", "on"),
            doc_ids=_known(params.getlist("doc"), (d for _, d in choices.documents)),
            authors=_known(params.getlist("author"), choices.authors),
            kinds=_known(params.getlist("kind"), choices.kinds),
            years=_known(params.getlist("year"), choices.years),
        )

    @property
    def mode(self) -> str:
        return "exact" if self.exact else "auto"

    @property
    def filtered(self) -> bool:
        return bool(self.doc_ids or self.authors or self.kinds or self.years)

    def filters(self, choices: FilterChoices) -> Filters:
        sources = tuple(s for d in self.doc_ids if (s := choices.source_of(d)))
        return Filters(
            sources=sources,
            authors=self.authors,
            kinds=self.kinds,
            years=tuple(int(y) for y in self.years if y.isdigit()),
        )


def clamp_k(k: int | float | None, default: int = 10) -> int:
    try:
        value = int(k) if k is not None else default
    except (TypeError, ValueError):
        value = default
    return min(max(value, 1), MAX_K)


def _known(values: Iterable[str], allowed: Iterable[str]) -> tuple[str, ...]:
    allowed_set = set(allowed)
    seen: list[str] = []
    for v in values:
        if v in allowed_set and v not in seen:
            seen.append(v)
    return tuple(seen)


def _doc_label(document: Document) -> str:
    year = f" ({document.year})" if document.year is not None else ""
    return f"{document.title}{year}"
