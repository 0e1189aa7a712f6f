"""Serve the app over `FakeSearcher` in this process, the way `advieszoeker serve` does.

Run as a child process by tests/test_service.py to stop it with real signals:
    python tests/serve_fake.py PORT SECONDS_PER_SEARCH
It prints "searching" when a search starts, so a test can signal mid-search.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_searcher import FakeSearcher

from app.lifecycle import InFlight
from app.server import run_until_stopped
from app.web import create_app
from index.results import Filters, SearchResponse
from ingest.settings import Settings


class SlowSearcher(FakeSearcher):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "auto"
    ) -> SearchResponse:
        print("searching", flush=True)
        time.sleep(self.seconds)
        return super().search(query, k, filters, mode)


def main() -> None:
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    inflight = InFlight()
    app = create_app(SlowSearcher(seconds), Settings(), inflight=inflight)
    print("ready", flush=True)
    run_until_stopped(app, "127.0.0.1", port, app.state.service_status, inflight)
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
