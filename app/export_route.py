"""Exporteer: the `/export` route behind the page's download links.

The links carry the search as the page URL does (`q`, `k`, `exact`, `doc`,
`author`, `kind`, `year`; app/state.py reads them back, dropping unknown
values) plus `format`: csv, ris or txt. The route searches again and returns
the file (app/export.py) as a download.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from app.export import DOWNLOADS
from app.state import SearchState
from ingest.errors import AdvieszoekerError

if TYPE_CHECKING:
    from app.search_service import SearchService


def _filename(query: str, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")[:40] or "resultaten"
    return f"advieszoeker-{slug}-{time.strftime('%Y%m%d')}.{extension}"


def export_router(service: SearchService) -> APIRouter:
    router = APIRouter()

    @router.get("/export")
    def export(request: Request) -> Response:
        fmt = request.query_params.get("format", "csv")
        if fmt not in DOWNLOADS:
            return PlainTextResponse(
                f"Onbekend formaat {fmt!r}; kies uit {', '.join(DOWNLOADS)}.", status_code=400
            )
        state = SearchState.from_params(
            request.query_params, service.choices, service.settings.default_k
        )
        _label, media, extension, write = DOWNLOADS[fmt]
        try:
            with service.inflight.track():
                response = service.searcher.search(
                    state.query, k=state.k, filters=state.filters(service.choices), mode=state.mode
                )
        except AdvieszoekerError as err:
            return PlainTextResponse(str(err), status_code=400)
        name = _filename(state.query, extension)
        return Response(
            write([response]).encode("utf-8"),
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router
