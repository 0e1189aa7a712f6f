"""Talking to Milvus: connecting, one clear message when it fails, filter expressions.

Versions: `milvus-lite==2.5.1` is pinned on purpose. It runs the real Milvus
2.5 engine; the 3.x releases are a pure-Python rewrite that silently ignores
analyzer settings, scores BM25 per segment and scans every row per query, so
they would rank differently from a server. Milvus Lite allows one process per
file, which `connect` checks before pymilvus can take the file from its holder.
"""

from __future__ import annotations

import fcntl
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from index.backends import BackendUnavailable, RowFilter
from index.results import Filters
from ingest.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds to wait for a connection.
CONNECT_TIMEOUT = 10.0
PASSAGES, SENTENCES = "passages", "sentences"


def is_lite(uri: str) -> bool:
    """A local file (Milvus Lite) rather than a server URL."""
    return "://" not in uri


@contextmanager
def milvus_errors(uri: str, what: str) -> Iterator[None]:
    """A connection or server failure inside becomes one clear message."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except MilvusException as exc:
        raise unavailable(uri, what, exc) from exc


def milvus_call(uri: str, what: str, call: Callable[[], T]) -> T:
    """Run one Milvus call under `milvus_errors`."""
    with milvus_errors(uri, what):
        return call()


def unavailable(uri: str, what: str, exc: Exception) -> BackendUnavailable:
    detail = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    if is_lite(uri) and lite_in_use(Path(uri)):
        return BackendUnavailable(
            f"The Milvus Lite file {uri} is in use by another program (Milvus Lite serves one "
            "process per file): stop `advieszoeker serve` or the other indexing run first, or "
            "point ADVIESZOEKER_MILVUS_URI at a Milvus server."
        )
    if "collection not found" in detail.lower():
        return BackendUnavailable(
            f"The index this program opened is no longer in Milvus at {uri}: a newer one was "
            "published. Restart `advieszoeker serve` (or search again from a new process)."
        )
    if is_lite(uri):
        return BackendUnavailable(
            f"Milvus Lite could not {what} in {uri} ({detail}). Install it with "
            "`pip install milvus-lite==2.5.1`, or set ADVIESZOEKER_BACKEND=local."
        )
    return BackendUnavailable(
        f"Milvus at {uri} could not {what} ({detail}). Check that the server runs and that "
        "ADVIESZOEKER_MILVUS_URI and ADVIESZOEKER_MILVUS_TOKEN are right, or set "
        "ADVIESZOEKER_BACKEND=local."
    )


def lite_in_use(path: Path) -> bool:
    """Whether another process holds this Milvus Lite file (milvus-lite's own lock)."""
    lock = path.parent / f".{path.name}.lock"
    if not lock.exists():
        return False
    if server_manager_holds(path):
        return False
    with lock.open("a") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN)
    return False


def server_manager_holds(path: Path) -> bool:
    """Whether this process already runs the Milvus Lite engine of this file (then the
    lock must not be probed: POSIX locks are per process, and closing a probe would
    release the engine's own lock and stop it)."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            from milvus_lite.server_manager import server_manager_instance
    except ImportError:
        return False
    return str(path.absolute().resolve()) in server_manager_instance._servers


def connect(settings: Settings) -> Any:
    """A MilvusClient for the configured URI (Milvus Lite starts its engine here)."""
    uri = settings.milvus_address
    try:
        import pymilvus  # noqa: F401
        from pymilvus.exceptions import MilvusException
    except ImportError as exc:
        raise BackendUnavailable(
            "The milvus backend needs pymilvus and milvus-lite: run `make setup`, or "
            "`pip install pymilvus milvus-lite==2.5.1`, or set ADVIESZOEKER_BACKEND=local."
        ) from exc
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # Checked before trying: a failed milvus-lite start deletes the lock file
        # of the process that holds the file.
        if lite_in_use(Path(uri)):
            raise unavailable(uri, "open the file", RuntimeError("in use"))
    try:
        return _client(uri, settings.milvus_token)
    except MilvusException as exc:
        if not is_lite(uri):
            raise unavailable(uri, "be reached", exc) from exc
        # An engine that died after starting (its socket never appeared) is
        # stopped and started once more before the backend is said unreachable.
        logger.warning("Milvus Lite did not answer for %s; starting it again", uri)
        _release_lite(Path(uri))
    try:
        return _client(uri, settings.milvus_token)
    except MilvusException as exc:
        raise unavailable(uri, "be reached", exc) from exc


def _client(uri: str, token: str) -> Any:
    from pymilvus import MilvusClient

    with warnings.catch_warnings():
        # milvus-lite 2.5.1 imports pkg_resources, which warns on every start.
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        return MilvusClient(uri=uri, token=token, timeout=CONNECT_TIMEOUT)


def _release_lite(path: Path) -> None:
    """Stop this process's Milvus Lite engine for the file, if it started one."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        from milvus_lite.server_manager import server_manager_instance
    server_manager_instance.release_server(str(path))


def quote(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def expression(where: RowFilter | None) -> str:
    """The Milvus filter expression equal to a RowFilter's parts ("" for every row)."""
    if where is None:
        return ""
    parts: list[str] = []
    f: Filters | None = where.filters
    if f is not None:
        for field, values in (("source", f.sources), ("author", f.authors), ("kind", f.kinds)):
            if values:
                parts.append(f"{field} in [{', '.join(quote(str(v)) for v in values)}]")
        if f.years:
            parts.append(f"year in [{', '.join(str(int(y)) for y in f.years)}]")
    if where.rows is not None:
        parts.append(f"row in [{', '.join(str(int(r)) for r in where.rows)}]")
    if where.min_prose_words > 0:
        parts.append(f"prose_words >= {int(where.min_prose_words)}")
    if f is None and where.rows is None and where.min_prose_words == 0 and not where.mask.all():
        # A mask with no parts to say it by: name its rows.
        parts.append(f"row in [{', '.join(str(int(r)) for r in np.flatnonzero(where.mask))}]")
    return " and ".join(parts)
