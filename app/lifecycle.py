"""What keeps a long-running server honest: one server per data folder, searches
in flight counted, and a stop that lets them finish.

`DataLock` is an advisory lock (`flock`) on `<data>/serve.lock`, held for as
long as `advieszoeker serve` runs. The kernel drops it when the process dies,
so a crashed server never leaves a stale lock behind; `restore` asks it
whether a live server still uses the folder before touching anything.

`GracefulServer` is uvicorn's server with its own SIGTERM/SIGINT handling:
the first signal stops accepting, lets the searches in flight finish and
exits with status 0; a second one exits at once. (uvicorn's own handler
re-raises the signal after shutting down, which would end the process with
a signal status that systemd and container engines count as a failure.)
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import uvicorn

from ingest.errors import AdvieszoekerError

LOCK_FILE = "serve.lock"
# Status of a second signal that cuts the stop short: 128 + SIGTERM, as a shell reports it.
FORCED_EXIT_STATUS = 143


class DataFolderBusy(AdvieszoekerError, RuntimeError):
    """Another live process holds this data folder; the message says which."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        self.folder = folder
        self.pid = pid
        super().__init__(
            f"Another Advieszoeker process (pid {pid or '?'}) already uses {folder}. "
            "Stop it first, or give this one another --data-dir."
        )


class DataLock:
    """The running server's claim on its data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataFolderBusy(self.path.parent, holder(self.path.parent)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> DataLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(data_dir: Path) -> int | None:
    """The pid of the live server holding `data_dir`'s lock, or None when none does."""
    path = Path(data_dir) / LOCK_FILE
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = path.read_text("utf-8").strip()
            return int(text) if text.isdigit() else 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class InFlight:
    """Counts the searches being answered, so a stop can wait for them."""

    def __init__(self) -> None:
        self._active = 0
        self._idle = threading.Condition()

    @contextmanager
    def track(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    @property
    def active(self) -> int:
        return self._active

    def wait_idle(self, timeout_s: float) -> bool:
        """True once no search runs; False if some still do after `timeout_s`."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout=timeout_s)


class GracefulServer(uvicorn.Server):
    """uvicorn's server: first SIGTERM/SIGINT drains, a second one exits at once."""

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None] = lambda: None) -> None:
        super().__init__(config)
        self._on_stop = on_stop

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            sys.stderr.write("Second stop signal: exiting now, searches in flight are dropped.\n")
            sys.stderr.flush()
            os._exit(FORCED_EXIT_STATUS)
        name = signal.Signals(sig).name
        sys.stderr.write(f"{name}: finishing the searches in flight, then stopping.\n")
        sys.stderr.flush()
        self._on_stop()
        self.should_exit = True
