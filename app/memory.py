"""Keep the server's resident memory flat over weeks of searches.

glibc gives every thread that allocates its own malloc arena (up to 8 per
core) and rarely returns their free pages to the system. A web server whose
searches hop across thread-pool threads therefore grows by a few MB per
thousand requests even though nothing in Python is kept. Two arenas and an
occasional `malloc_trim` keep it flat; on other C libraries this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # glibc's mallopt parameter number
ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_allocator_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (like MALLOC_ARENA_MAX); True if it took effect."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


class Trimmer:
    """Calls `trim` once every `every` searches (a few ms each time)."""

    def __init__(self, every: int = 500) -> None:
        self.every = every
        self._count = 0
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self._count += 1
            due = self._count % self.every == 0
        if due:
            trim()


def trim() -> bool:
    """Hand freed heap pages back to the system; True if glibc released any."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


# Events Gradio keeps for its monitoring summary, and how often it recomputes it.
GRADIO_ANALYTICS_EVENTS = 100


def bound_gradio_analytics(queue: object, events: int = GRADIO_ANALYTICS_EVENTS) -> None:
    """Keep Gradio's per-event analytics small and cheap.

    Gradio 6's queue records every event (up to GRADIO_ANALYTICS_MAX_EVENTS,
    10,000 by default) and, after each one, builds a pandas DataFrame of all
    of them for a monitoring summary this app never shows: memory that grows
    for the first 10,000 searches and a cost per search that grows with it.
    Here it keeps `events` records and recomputes the summary once per
    `events` searches. The attributes are Gradio's own (read from those
    environment variables at start); a Gradio without them is left alone.
    """
    if hasattr(queue, "ANALYTICS_MAX_EVENTS"):
        queue.ANALYTICS_MAX_EVENTS = events  # type: ignore[attr-defined]
    if hasattr(queue, "ANAYLTICS_CACHE_FREQUENCY"):  # sic: Gradio's spelling
        queue.ANAYLTICS_CACHE_FREQUENCY = events  # type: ignore[attr-defined]
