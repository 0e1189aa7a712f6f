"""Index and search the passages of the ingest store.

Public API: `Searcher` (open once per process, then `search`), `Filters`,
`SearchResponse`, `Hit`, `QueryError`, `IndexNotReady`, `build_index`.
"""

from index.results import Filters, Highlight, Hit, IndexNotReady, QueryError, SearchResponse

__all__ = ["Filters", "Highlight", "Hit", "IndexNotReady", "QueryError", "SearchResponse"]
