"""One indexing job at a time per data folder, across the app and the CLI.

Every job that changes the live store and publishes an index version
(`advieszoeker index`, an upload or a removal in the web app) holds an
advisory `flock` on `<data>/index.lock`. A second job waits in line and says
so once (`on_wait`); the kernel drops the lock when its holder dies, so a
process killed mid-indexing never blocks the next job. `flock` locks belong
to an open file, so two threads of one server exclude each other as well.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import AdvieszoekerError

JOB_LOCK = "index.lock"
# How often a waiting job tries the lock again.
_POLL_S = 0.25


class IndexJobTimeout(AdvieszoekerError, TimeoutError):
    """Another indexing job kept the data folder longer than this one would wait."""


def job_holder(data_dir: Path) -> int | None:
    """The pid written by the job holding the lock (None when it cannot be read)."""
    try:
        text = (Path(data_dir) / JOB_LOCK).read_text("utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@contextmanager
def index_job(
    data_dir: Path,
    on_wait: Callable[[int | None], None] = lambda pid: None,
    timeout_s: float | None = None,
) -> Iterator[None]:
    """Hold the data folder's indexing lock for the `with` block.

    When another job holds it, `on_wait(pid)` is called once and this one
    waits its turn (at most `timeout_s`, then IndexJobTimeout).
    """
    path = Path(data_dir) / JOB_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    on_wait(job_holder(path.parent))
                    told = True
                if deadline is not None and time.monotonic() > deadline:
                    raise IndexJobTimeout(
                        "Er loopt al lang een andere indexering in deze gegevensmap. "
                        "Probeer het later opnieuw."
                    ) from None
                time.sleep(_POLL_S)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass  # a full disk: the pid is only for the waiting job's message
        yield
    finally:
        os.close(fd)  # closing drops the flock
