"""Index and search the passages of the ingest store.

Public API: `Searcher` (open once per process, then `search`), `Filters`,
`SearchResponse`, `Hit`, `Highlight`, `AnswerSentence`, `QueryError`,
`IndexNotReady`, `build_index` / `BuildReport`, `evaluate` / `load_questions`.
"""

from index.build import BuildReport, build_index
from index.evaluate import Evaluation, evaluate, load_questions
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
    "Evaluation",
    "Filters",
    "Highlight",
    "Hit",
    "IndexNotReady",
    "QueryError",
    "Ranking",
    "SearchResponse",
    "Searcher",
    "build_index",
    "evaluate",
    "load_questions",
]
