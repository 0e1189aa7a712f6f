"""Embed the queries of concurrent searches together, in one model call.

A served app answers several searches at once. Each alone would call the model
with one short query, the calls competing for the same cores. `BatchingEmbedder`
wraps an embedder: callers put their texts on a queue and wait; one model
thread takes the first, waits a few milliseconds for others to arrive, embeds
everything pending in one call and hands each caller its rows. Only the model
call is serialised: the keyword ranking, fusion and rendering of each search
run outside it, in the callers' own threads. Embedded together, queries of
similar length share runs of the ONNX graph (index/onnx_queries.py): 16 user
questions took 17.5 ms of CPU each that way, 22 ms one by one.

Both ways a search asks for its query go through that queue: `encode_queries`
(the vector alone) and `encode_query_with_tokens` (the vector and the token
vectors late interaction needs, index/tokens.py). A batch that holds any
request for tokens is embedded in one call of `encode_queries_with_tokens`
for all its texts, and the plain requests get just the vectors: one run of
the graph gives both, and one such call for 8 + 8 queries cost what a call
of `encode_queries` for 8 and one with tokens for 8 cost together.

The model runs in that one thread only, so its memory (torch's and the C
allocator's per-thread caches) lives in one place instead of in every web
worker thread that happens to search.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from index.tokens import Tokens

# How long the model thread waits for queries arriving together, and the most it embeds at once.
GATHER_SECONDS = 0.003
MAX_BATCH = 32


class _Request:
    __slots__ = ("done", "error", "texts", "tokens", "vectors", "with_tokens")

    def __init__(self, texts: list[str], tokens: bool) -> None:
        self.texts = texts
        self.tokens = tokens  # the caller wants the token vectors too
        self.vectors: np.ndarray | None = None
        self.with_tokens: list[tuple[np.ndarray, Tokens]] | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class BatchingEmbedder:
    """An embedder whose query calls batch concurrent callers; all else is delegated."""

    def __init__(
        self, embedder: Any, gather_s: float = GATHER_SECONDS, max_batch: int = MAX_BATCH
    ) -> None:
        self.inner = embedder
        self.gather_s = gather_s
        self.max_batch = max_batch
        self.batches = 0  # model calls made, for tests and benchmarks
        self._requests: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="query-embedder", daemon=True)
        self._thread.start()

    def __getattr__(self, name: str) -> Any:
        # name, fingerprint, dimension, encode_passages ...: the wrapped embedder's.
        return getattr(self.inner, name)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._wait(_Request(list(texts), tokens=False)).vectors
        assert vectors is not None
        return vectors

    def encode_query_with_tokens(self, text: str) -> tuple[np.ndarray, Tokens]:
        # Defined here, not left to __getattr__: searches with late interaction
        # ask for their query this way, and they must share the model thread too.
        return self.encode_queries_with_tokens([text])[0]

    def encode_queries_with_tokens(self, texts: Sequence[str]) -> list[tuple[np.ndarray, Tokens]]:
        with_tokens = self._wait(_Request(list(texts), tokens=True)).with_tokens
        assert with_tokens is not None
        return with_tokens

    def _wait(self, request: _Request) -> _Request:
        """Queue the request for the model thread and wait until it is served."""
        self._requests.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request

    def _run(self) -> None:
        while True:
            batch = [self._requests.get()]
            taken = len(batch[0].texts)
            # The first query waits a moment for the ones arriving with it.
            try:
                while taken < self.max_batch:
                    batch.append(self._requests.get(timeout=self.gather_s))
                    taken += len(batch[-1].texts)
            except queue.Empty:
                pass
            self._encode(batch)

    def _encode(self, batch: list[_Request]) -> None:
        texts = [t for r in batch for t in r.texts]
        with_tokens: list[tuple[np.ndarray, Tokens]] = []
        try:
            if any(r.tokens for r in batch):  # one call for all: it gives the vectors too
                with_tokens = self._encode_with_tokens(texts)
                vectors = np.asarray([v for v, _ in with_tokens], dtype=np.float32)
            else:
                vectors = np.asarray(self.inner.encode_queries(texts), dtype=np.float32)
        except BaseException as exc:  # every caller of the batch hears of it
            for r in batch:
                r.error = exc
        else:
            at = 0
            for r in batch:
                if r.tokens:
                    r.with_tokens = with_tokens[at : at + len(r.texts)]
                else:
                    r.vectors = vectors[at : at + len(r.texts)]
                at += len(r.texts)
        finally:
            self.batches += 1
            for r in batch:
                r.done.set()

    def _encode_with_tokens(self, texts: list[str]) -> list[tuple[np.ndarray, Tokens]]:
        batched = getattr(self.inner, "encode_queries_with_tokens", None)
        if batched is not None:
            return list(batched(texts))
        # An embedder with only the one-query call (as index/build.py's protocol allows).
        return [self.inner.encode_query_with_tokens(t) for t in texts]
