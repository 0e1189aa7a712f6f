"""Start the real app in a child process for benchmarks and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(
    data_dir: Path, port: int | None = None, timeout_s: float = 180
) -> Iterator[tuple[str, int]]:
    """Yield (base URL, server pid) of `advieszoeker serve` on 127.0.0.1."""
    port = port or free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable,
        "-m",
        "app.cli",
        "--data-dir",
        str(data_dir),
        "serve",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the app exited early:\n{proc.stdout.read() if proc.stdout else ''}"
                )
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the app did not answer on {url} within {timeout_s} s"
                    ) from None
                time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
