"""`GET /healthz`: what a load balancer, a container engine or a monitor asks.

200 with the index in use (version folder and build time), its documents and
passages, the model and the uptime; 503 while no index is loaded or while the
server is stopping, so a proxy stops sending it searches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from index.manifest import Manifest, current_version


@dataclass(frozen=True)
class IndexInfo:
    version: str
    built: str
    documents: int
    passages: int
    model: str

    @classmethod
    def of(
        cls, searcher: object, index_dir: Path, documents: int, passages: int
    ) -> IndexInfo | None:
        """The served index's identity, or None for a searcher without a published index."""
        manifest = getattr(searcher, "manifest", None)
        folder = current_version(index_dir)
        if not isinstance(manifest, Manifest) or folder is None:
            return None
        return cls(folder.name, manifest.created, documents, passages, manifest.model_name)


@dataclass
class ServiceStatus:
    index: IndexInfo | None
    started: float = field(default_factory=time.monotonic)
    stopping: bool = False

    def report(self) -> tuple[int, dict[str, Any]]:
        uptime = round(time.monotonic() - self.started, 1)
        if self.index is None:
            return 503, {"status": "no index", "uptime_s": uptime}
        body: dict[str, Any] = {
            "status": "stopping" if self.stopping else "ok",
            "index_version": self.index.version,
            "index_built": self.index.built,
            "documents": self.index.documents,
            "passages": self.index.passages,
            "model": self.index.model,
            "uptime_s": uptime,
        }
        return (503 if self.stopping else 200), body


def health_router(status: ServiceStatus) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        code, body = status.report()
        return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    return router
