"""One access-log line per search, as a JSON object, on the logger `advieszoeker.access`.

JSON lines are what log shippers (journald, Loki, Elastic, `jq`) read without
a parser of their own. Each line has the time (UTC, ISO 8601), the endpoint
(`page` or `api`), the mode that answered, the number of results, the latency
and the HTTP-style status of the outcome: 200 answered, 400 a query the user
can fix, 500 a failure. The query text itself is left out unless the server
was started with `--log-queries`: journalists' searches are confidential.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

ACCESS_LOGGER = "advieszoeker.access"


class AccessLog:
    def __init__(self, log_queries: bool = False, logger: logging.Logger | None = None) -> None:
        self.log_queries = log_queries
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    def record(
        self,
        *,
        endpoint: str,
        mode: str,
        results: int,
        latency_s: float,
        status: int,
        query: str,
    ) -> None:
        entry: dict[str, object] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event": "search",
            "endpoint": endpoint,
            "mode": mode,
            "results": results,
            "latency_ms": round(latency_s * 1000, 1),
            "status": status,
        }
        if self.log_queries:
            entry["query"] = query
        self.logger.info(json.dumps(entry, ensure_ascii=False))


def configure_access_log() -> None:
    """Send access lines, bare, to stderr (journald and container logs pick them up)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if any(getattr(h, "_advieszoeker", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._advieszoeker = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
