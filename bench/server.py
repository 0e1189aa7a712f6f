"""Start the real app in a child process, and Debian's Chromium, for benchmarks and tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Debian's Chromium: Playwright's own browser download cannot work on this network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env() -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("ADVIESZOEKER_DATA", None)  # the data folder is always given explicitly
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


@contextmanager
def running_app(
    data_dir: Path,
    port: int | None = None,
    timeout_s: float = 300,
    log_path: Path | None = None,
    serve_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """Yield (base URL, server pid) of `advieszoeker serve [serve_args]` on 127.0.0.1,
    with `env` added to its environment.

    The server's output goes to a file, not a pipe: a pipe nobody reads fills
    up and stalls a long-running server.
    """
    port = port or free_port()
    if log_path is None:
        log_path = Path(tempfile.mkdtemp(prefix="advieszoeker-serve-")) / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cli("--data-dir", str(data_dir), "serve", "--port", str(port), *serve_args),
            cwd=ROOT,
            env={**cli_env(), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited early:\n{log_path.read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(url + "/", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the app did not answer on {url}") from None
                    time.sleep(0.5)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
