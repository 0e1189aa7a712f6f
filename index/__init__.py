"""Index and search the passages of the ingest store.

Public API: `Searcher` (open once per process, then `search`), `Filters`,
`SearchResponse`, `Hit`, `QueryError`, `IndexNotReady`, `build_index`.
"""

from index.results import AnswerSentence, Filters, Highlight, Hit, IndexNotReady, QueryError, SearchResponse

__all__ = ["AnswerSentence", "Filters", "Highlight", "Hit", "IndexNotReady", "QueryError", "SearchResponse"]
