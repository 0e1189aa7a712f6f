"""The embedding cache: vectors by (model fingerprint, text hash), in SQLite.

Embedding is the expensive part of a build, so every vector is kept by the
content hash of the text it embeds and the model's fingerprint: re-indexing
after one document changed embeds only that document's new passages and
sentences. SQLite makes each write atomic. The token vectors of late
interaction (index/tokens.py) are kept alike, in their own table.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.tokens import TOKEN_FORMAT, PassageTokens

if TYPE_CHECKING:
    from index.build import EmbedderLike


class EmbeddingCache:
    """Vectors by (model fingerprint, text hash), in SQLite so writes are atomic."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (fingerprint TEXT, key TEXT, vector BLOB, "
            "PRIMARY KEY (fingerprint, key))"
        )

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE fingerprint = ? AND key IN ({marks})",
                [self.fingerprint, *chunk],
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(self.fingerprint, k, v.astype(np.float32).tobytes()) for k, v in items.items()],
            )

    def embed(
        self, texts: Sequence[str], embedder: EmbedderLike, *, progress: bool
    ) -> tuple[np.ndarray, int]:
        """Vectors for `texts` (cached ones reused) and how many were newly embedded."""
        keys = [self.key(t) for t in texts]
        found = self.get(sorted(set(keys)))
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            vectors = embedder.encode_passages(list(missing.values()), progress=progress)
            new = dict(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
            self.put(new)
            found.update(new)
        dim = embedder.dimension
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out, len(missing)

    @property
    def _token_fingerprint(self) -> str:
        return f"{self.fingerprint}|tokens-{TOKEN_FORMAT}"

    def embed_tokens(
        self, texts: Sequence[str], embed: Callable[[list[str]], list[PassageTokens]]
    ) -> tuple[list[PassageTokens], int]:
        """Token vectors for `texts` (cached ones reused) and how many were newly computed."""
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS token_vectors (fingerprint TEXT, key TEXT, ids BLOB, "
            "vectors BLOB, spans BLOB, PRIMARY KEY (fingerprint, key))"
        )
        keys = [self.key(t) for t in texts]
        found: dict[str, PassageTokens] = {}
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, ids, vectors, spans FROM token_vectors "
                f"WHERE fingerprint = ? AND key IN ({marks})",
                [self._token_fingerprint, *chunk],
            )
            for key, *blobs in rows:
                found[key] = _tokens_from_blobs(*blobs)
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            new = dict(zip(missing, embed(list(missing.values())), strict=True))
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO token_vectors VALUES (?, ?, ?, ?, ?)",
                    [(self._token_fingerprint, k, *_tokens_to_blobs(t)) for k, t in new.items()],
                )
            found.update(new)
        return [found[k] for k in keys], len(missing)


def _tokens_to_blobs(tokens: PassageTokens) -> tuple[bytes, bytes, bytes]:
    ids, vectors, spans = tokens
    return (
        ids.astype(np.int32).tobytes(),
        vectors.astype(np.float16).tobytes(),
        spans.astype(np.int32).tobytes(),
    )


def _tokens_from_blobs(ids: bytes, vectors: bytes, spans: bytes) -> PassageTokens:
    token_ids = np.frombuffer(ids, dtype=np.int32)
    flat = np.frombuffer(vectors, dtype=np.float16)
    n = len(token_ids)
    return (
        token_ids,
        flat.reshape(n, -1) if n else flat.reshape(0, 0),
        np.frombuffer(spans, dtype=np.int32).reshape(n, 2),
    )
