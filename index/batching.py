"""Embed the queries of concurrent searches together, in one model call.

A served app answers several searches at once. Each alone would call the model
with one short query, one after another on the same cores; together in one
batch they cost little more than one. `BatchingEmbedder` wraps an embedder:
the first caller to find the model free becomes the leader, waits a few
milliseconds for others to arrive, embeds everything pending in one call and
hands each caller its rows; callers arriving meanwhile wait for the next
batch. Only the model call is serialised: the keyword ranking, fusion and
rendering of each search run outside it, in their own threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

# How long the leader waits for queries arriving together, and the most it embeds at once.
GATHER_SECONDS = 0.003
MAX_BATCH = 32


class _Request:
    __slots__ = ("error", "texts", "vectors")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.vectors is not None or self.error is not None


class BatchingEmbedder:
    """An embedder whose `encode_queries` batches concurrent callers; all else is delegated."""

    def __init__(
        self, embedder: Any, gather_s: float = GATHER_SECONDS, max_batch: int = MAX_BATCH
    ) -> None:
        self.inner = embedder
        self.gather_s = gather_s
        self.max_batch = max_batch
        self.batches = 0  # model calls made, for tests and benchmarks
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._leading = False

    def __getattr__(self, name: str) -> Any:
        # name, fingerprint, dimension, encode_passages ...: the wrapped embedder's.
        return getattr(self.inner, name)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        request = _Request(list(texts))
        with self._cond:
            self._pending.append(request)
            while self._leading and not request.done:
                self._cond.wait()
            lead = not request.done
            if lead:
                self._leading = True
        if lead:
            self._lead(request)
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def _lead(self, own: _Request) -> None:
        try:
            time.sleep(self.gather_s)
            while not own.done:
                with self._cond:
                    batch, taken = [], 0
                    while self._pending and (not batch or taken < self.max_batch):
                        batch.append(self._pending.pop(0))
                        taken += len(batch[-1].texts)
                self._encode(batch)
                with self._cond:
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()

    def _encode(self, batch: list[_Request]) -> None:
        texts = [t for r in batch for t in r.texts]
        try:
            vectors = np.asarray(self.inner.encode_queries(texts), dtype=np.float32)
        except BaseException as exc:  # every caller of the batch hears of it
            for r in batch:
                r.error = exc
            return
        finally:
            self.batches += 1
        at = 0
        for r in batch:
            r.vectors = vectors[at : at + len(r.texts)]
            at += len(r.texts)
