"""Query embeddings for the Searcher: one model run per new question, then a cache.

Repeated and paged queries are common (the web app asks again for the next
page, the asks list and "meer hierover" repeat a passage's text), so the last
few hundred queries' embeddings are kept. With late interaction (tokens.py)
the ranking needs the query's token vectors as well as its vector, and one run
of the model gives both: then both are computed together and cached as one
entry, so a question is never embedded twice.

The embedder can be swapped after opening (the server wraps it in a
`BatchingEmbedder`); this class asks whichever is current.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from index.tokens import Tokens

if TYPE_CHECKING:
    from index.build import EmbedderLike

CACHED_QUERIES = 512


class QueryVectors:
    def __init__(
        self, embedder: EmbedderLike, with_tokens: bool, size: int = CACHED_QUERIES
    ) -> None:
        self.embedder = embedder
        self.with_tokens = with_tokens  # the ranking uses late interaction
        self.size = size
        self._cache: OrderedDict[str, tuple[np.ndarray, Tokens | None]] = OrderedDict()
        self._lock = threading.Lock()

    def vector(self, text: str) -> np.ndarray:
        """The query's embedding (unit length, float32)."""
        return self._get(text)[0]

    def tokens(self, text: str) -> Tokens:
        """The query's token vectors for late interaction; only when `with_tokens`."""
        tokens = self._get(text)[1]
        if tokens is None:
            raise ValueError("This index has no token vectors: late interaction is off.")
        return tokens

    def clear(self) -> None:
        """Forget every cached query (so timings measure the model, not the cache)."""
        with self._lock:
            self._cache.clear()

    def _get(self, text: str) -> tuple[np.ndarray, Tokens | None]:
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        value = self._compute(text)  # outside the lock: concurrent searches batch (batching.py)
        with self._lock:
            self._cache[text] = value
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return value

    def _compute(self, text: str) -> tuple[np.ndarray, Tokens | None]:
        if self.with_tokens:
            vector, tokens = self.embedder.encode_query_with_tokens(text)  # type: ignore[attr-defined]
            return np.asarray(vector, dtype=np.float32), tokens
        vectors = self.embedder.encode_queries([text])
        return np.asarray(vectors, dtype=np.float32)[0], None
