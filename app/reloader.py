"""The running app follows the published index, without a restart.

`LiveService` stands where the page, the API and the document view used to
hold their `SearchService`: each call takes the service of the newest
published index version. A new version (published by an upload in this app
or by `advieszoeker index` beside it) is noticed by reading the one-line
pointer `index/CURRENT`, at most once every `check_every_s` per request, and
opened in a background thread; until it is ready, and for every search that
started before the swap, the previous Searcher keeps answering. An upload
calls `refresh()` itself, so it returns only once its documents are searchable.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from app.health import IndexInfo, ServiceStatus
from app.lifecycle import InFlight
from app.search_service import SearcherLike, SearchService
from app.state import FilterChoices, SearchState
from index.manifest import POINTER
from ingest.document import Document, Passage
from ingest.settings import Settings

log = logging.getLogger(__name__)

# How long a replaced Searcher stays open for the searches still running on it.
RETIRE_AFTER_S = 60.0


class LiveService:
    """The SearchService of the newest published index, swapped in when one appears."""

    def __init__(
        self,
        service: SearchService,
        reopen: Callable[[SearcherLike], SearcherLike] | None = None,
        status: ServiceStatus | None = None,
        check_every_s: float = 1.0,
    ) -> None:
        self._service = service
        self._reopen = reopen
        self.status = status
        self.check_every_s = check_every_s
        self._pointer = self._read_pointer()
        self._checked = time.monotonic()
        self._swap = threading.Lock()  # one reload at a time
        self._loading = False
        self.reloads = 0

    @property
    def current(self) -> SearchService:
        """The service to answer this request with (a due check may start a reload)."""
        if self._reopen is not None and time.monotonic() - self._checked >= self.check_every_s:
            self._checked = time.monotonic()
            if self._read_pointer() != self._pointer and not self._loading:
                self._loading = True
                threading.Thread(target=self._background, name="index-reload", daemon=True).start()
        return self._service

    def refresh(self) -> bool:
        """Switch to the published version now, if it is newer; True if switched."""
        if self._reopen is None:
            return False
        with self._swap:
            pointer = self._read_pointer()
            if pointer == self._pointer:
                return False
            old = self._service
            searcher = self._reopen(old.searcher)
            fresh = SearchService(searcher, old.settings, old.access, old.inflight)
            self._service, self._pointer = fresh, pointer
            self.reloads += 1
            if self.status is not None:
                self.status.index = IndexInfo.of(
                    searcher, old.settings.index_dir, fresh.document_count, fresh.passage_count
                )
        log.info("switched to index %s (%d documents)", pointer, fresh.document_count)
        close = getattr(old.searcher, "close", None)
        if close is not None:
            timer = threading.Timer(RETIRE_AFTER_S, close)
            timer.daemon = True
            timer.start()
        return True

    def _background(self) -> None:
        try:
            self.refresh()
        except Exception:
            # A version dropped by a newer publish meanwhile, or damaged: keep
            # answering from the current one and try again at the next check.
            log.exception("could not open the newly published index; still serving the old one")
        finally:
            self._loading = False

    def _read_pointer(self) -> str:
        try:
            return (self.settings.index_dir / POINTER).read_text("utf-8").strip()
        except OSError:
            return ""

    # What the page, the API and the document view ask, from the current service.

    @property
    def settings(self) -> Settings:
        return self._service.settings

    @property
    def searcher(self) -> SearcherLike:
        return self.current.searcher

    @property
    def inflight(self) -> InFlight:
        return self._service.inflight  # shared by every service this one swaps in

    @property
    def choices(self) -> FilterChoices:
        return self.current.choices

    @property
    def overview_html(self) -> str:
        return self.current.overview_html

    @property
    def document_count(self) -> int:
        return self.current.document_count

    @property
    def passage_count(self) -> int:
        return self.current.passage_count

    def results_html(self, state: SearchState) -> str:
        return self.current.results_html(state)

    def document(self, doc_id: str) -> Document | None:
        return self.current.document(doc_id)

    def passages(self, source: str) -> list[Passage]:
        return self.current.passages(source)

    @functools.wraps(SearchService.search_json)
    def search_json(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.current.search_json(*args, **kwargs)
