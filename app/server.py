"""Running the web app: binding the port, serving, and stopping gracefully."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI

from app.access_log import AccessLog
from app.health import ServiceStatus
from app.lifecycle import InFlight
from app.web import DRAIN_SECONDS, SEARCH_CONCURRENCY, create_app
from ingest.settings import Settings

if TYPE_CHECKING:
    from index import Searcher
    from index.build import EmbedderLike

log = logging.getLogger(__name__)


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 7860,
    announce: Callable[[str], None] = print,
    log_queries: bool = False,
    concurrency: int = SEARCH_CONCURRENCY,
) -> None:
    """Open the Searcher once and serve until SIGTERM or Ctrl+C.

    A missing or stale index, a port in use, or another server on the same
    data folder ends with one line that says what to do (click.ClickException),
    never a traceback. The data folder stays locked while serving, so
    `advieszoeker restore` cannot pull it away from under the server.
    """

    from app.access_log import configure_access_log
    from app.lifecycle import DataLock
    from app.memory import limit_allocator_arenas

    _check_port_free(host, port)
    limit_allocator_arenas()
    lock = DataLock(settings.data_dir)
    lock.acquire()  # DataFolderBusy is a message cli.py shows
    try:
        announce(f"Loading the index from {settings.data_dir} ...")
        searcher = open_searcher(settings, concurrency)  # IndexNotReady: a message cli.py shows
        configure_access_log()
        inflight = InFlight()
        app = create_app(
            searcher,
            settings,
            access=AccessLog(log_queries=log_queries),
            inflight=inflight,
            concurrency=concurrency,
            reopen=lambda old: open_searcher(settings, concurrency, old.embedder),
        )
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        announce(f"Advieszoeker runs on http://{shown}:{port}  (Ctrl+C to stop)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            announce(f"Listening on {host}: anyone who can reach this machine can search.")
        if settings.upload_token:
            announce("Adding documents in the app is on, for whoever has the upload token.")
        run_until_stopped(app, host, port, app.state.service_status, inflight)
        searcher.close()
    finally:
        lock.release()


def open_searcher(
    settings: Settings, concurrency: int, embedder: EmbedderLike | None = None
) -> Searcher:
    """The published index, searched with `embedder` (the model already loaded)
    when the index was built with it; with the model it names otherwise, as
    after `advieszoeker index` adapted the model to a new corpus."""
    from index import IndexNotReady, Searcher

    if embedder is not None:
        try:
            return Searcher.open(settings, embedder=embedder)
        except IndexNotReady:
            pass
    searcher = Searcher.open(settings)
    if concurrency > 1:
        from index.batching import BatchingEmbedder

        searcher.embedder = BatchingEmbedder(searcher.embedder)
    return searcher


def run_until_stopped(
    app: FastAPI, host: str, port: int, status: ServiceStatus, inflight: InFlight
) -> None:
    """Serve until a stop signal; then finish the searches in flight (at most
    DRAIN_SECONDS) and return. A second signal exits at once."""
    import uvicorn

    from app.lifecycle import GracefulServer

    def on_stop() -> None:
        status.stopping = True  # /healthz says 503: proxies send no more searches

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=int(DRAIN_SECONDS),
    )
    GracefulServer(config, on_stop=on_stop).run()
    # uvicorn waited for open connections; a search whose client left still runs.
    if not inflight.wait_idle(timeout_s=1.0):
        log.warning("%d search(es) still running at exit", inflight.active)


def _check_port_free(host: str, port: int) -> None:
    import socket

    import click

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as err:
            raise click.ClickException(
                f"Cannot listen on {host}:{port} ({err.strerror}). "
                "Is the app already running? Choose another port with --port."
            ) from None
