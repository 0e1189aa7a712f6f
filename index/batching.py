"""Embed the queries of concurrent searches together, in one model call.

A served app answers several searches at once. Each alone would call the model
with one short query, one after another on the same cores; together in one
batch they cost little more than one. `BatchingEmbedder` wraps an embedder:
callers put their texts on a queue and wait; one model thread takes the
first, waits a few milliseconds for others to arrive, embeds everything
pending in one call and hands each caller its rows. Only the model call is
serialised: the keyword ranking, fusion and rendering of each search run
outside it, in the callers' own threads.

The model runs in that one thread only, so its memory (torch's and the C
allocator's per-thread caches) lives in one place instead of in every web
worker thread that happens to search.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

# How long the model thread waits for queries arriving together, and the most it embeds at once.
GATHER_SECONDS = 0.003
MAX_BATCH = 32


class _Request:
    __slots__ = ("done", "error", "texts", "vectors")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class BatchingEmbedder:
    """An embedder whose `encode_queries` batches concurrent callers; all else is delegated."""

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
        request = _Request(list(texts))
        self._requests.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

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
        try:
            vectors = np.asarray(self.inner.encode_queries(texts), dtype=np.float32)
        except BaseException as exc:  # every caller of the batch hears of it
            for r in batch:
                r.error = exc
        else:
            at = 0
            for r in batch:
                r.vectors = vectors[at : at + len(r.texts)]
                at += len(r.texts)
        finally:
            self.batches += 1
            for r in batch:
                r.done.set()
