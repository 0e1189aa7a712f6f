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


def trim() -> bool:
    """Hand freed heap pages back to the system; True if glibc released any."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
