"""Index and search the passages of the ingest store.

Public API: `Searcher` (open once per process, then `search`), `Filters`,
`SearchResponse`, `Hit`, `Highlight`, `AnswerSentence`, `QueryError`,
`IndexNotReady`, `build_index` / `BuildReport`, `evaluate`.
"""

from index.build import BuildReport, build_index
from index.results import (
    AnswerSentence,
    Filters,
    Highlight,
    Hit,
    IndexNotReady,
    QueryError,
    SearchResponse,
)
from index.search import MODES, Ranking, Searcher

__all__ = [
    "MODES",
    "AnswerSentence",
    "BuildReport",
    "Filters",
    "Highlight",
    "Hit",
    "IndexNotReady",
    "QueryError",
    "Ranking",
    "SearchResponse",
    "Searcher",
    "build_index",
]
