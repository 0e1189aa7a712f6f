"""What the page asks of the search core, one method a user action.

`SearchService` turns a page's inputs (query, result count, filters, exact
mode) into a rendered answer and the JSON the API returns; it holds no search
logic of its own and reaches `index` only through `SearcherLike`.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from app.access_log import AccessLog
from app.errors import as_api_error
from app.export import render_export_links
from app.lifecycle import InFlight
from app.memory import Trimmer
from app.render import (
    CardExtras,
    render_overview,
    render_query_error,
    render_response,
)
from app.similar_view import render_related
from app.state import FilterChoices, SearchState
from index.asks import Ask
from index.quote_check import QuoteCheck
from index.results import Filters, Hit, SearchResponse
from index.similar import Related
from ingest.document import Document, Passage
from ingest.errors import AdvieszoekerError
from ingest.settings import Settings

log = logging.getLogger(__name__)


class SearcherLike(Protocol):
    """The part of `index.Searcher` the app uses."""

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "auto"
    ) -> SearchResponse: ...
    def documents(self) -> list[Document]: ...
    def document(self, doc_id: str) -> Document | None: ...
    def passages(self, source: str) -> list[Passage]: ...
    def context(self, passage_id: str, radius: int = 1) -> list[Passage]: ...
    def facets(self) -> dict[str, list]: ...
    def cite(self, hit: Hit, sentence: str | None = None) -> str: ...
    # The tools next to the search (issue 13).
    def check_quote(self, quote: str, filters: Filters | None = None) -> QuoteCheck: ...
    def asks(self, query: str = "", filters: Filters | None = None) -> list[Ask]: ...
    def similar(self, passage_id: str, k: int = 5) -> list[Related]: ...


class SearchService:
    """The app's single door to the Searcher, plus what it shows that never changes.

    The Searcher is shared by Gradio's worker threads and FastAPI's document
    route; `index.Searcher` keeps everything it browses in memory and guards
    its model with its own lock, so no lock is needed here.
    """

    def __init__(
        self,
        searcher: SearcherLike,
        settings: Settings,
        access: AccessLog | None = None,
        inflight: InFlight | None = None,
    ) -> None:
        self.searcher = searcher
        self.settings = settings
        self.access = access or AccessLog()
        self.inflight = inflight or InFlight()
        # Freed heap pages go back to the system now and then (app/memory.py).
        self.trimmer = Trimmer()
        documents = searcher.documents()
        self.choices = FilterChoices.from_corpus(documents, searcher.facets())
        counts = {d.source: len(searcher.passages(d.source)) for d in documents}
        self.overview_html = render_overview(documents, counts)
        self.document_count = len(documents)
        self.passage_count = sum(counts.values())

    def document(self, doc_id: str) -> Document | None:
        return self.searcher.document(doc_id)

    def passages(self, source: str) -> list[Passage]:
        return self.searcher.passages(source)

    def extras(self, response: SearchResponse) -> dict[int, CardExtras]:
        """Neighbouring passages and the ready-to-paste citation of every hit."""
        out: dict[int, CardExtras] = {}
        for hit in response.hits:
            sentence = hit.highlights[0].text if hit.highlights else None
            out[hit.rank] = CardExtras(
                context=tuple(self.searcher.context(hit.passage.id, radius=1)),
                quote_citation=self.searcher.cite(hit, sentence),
                more=render_related(hit.rank, self.searcher.similar(hit.passage.id)),
            )
        return out

    def results_html(self, state: SearchState) -> str:
        """Search and render; user errors become a short Dutch explanation, never a trace."""
        started = time.perf_counter()
        status, mode, results = 200, state.mode, 0
        with self.inflight.track():
            try:
                response = self.searcher.search(
                    state.query, k=state.k, filters=state.filters(self.choices), mode=state.mode
                )
                extras = self.extras(response)
                mode, results = response.mode, len(response.hits)
                seconds = time.perf_counter() - started
                return render_response(
                    response,
                    extras,
                    seconds,
                    exact=state.exact,
                    filtered=state.filtered,
                    export=render_export_links(state) if response.hits else "",
                )
            except AdvieszoekerError as err:
                status = 400
                return render_query_error(str(err))
            except Exception:
                status = 500
                log.exception("search failed for a query of %d characters", len(state.query))
                return render_query_error(
                    "Er ging iets mis bij het zoeken. Probeer het opnieuw of met een andere vraag."
                )
            finally:
                self._log("page", mode, results, started, status, state.query)

    def _log(
        self, endpoint: str, mode: str, results: int, started: float, status: int, query: str
    ) -> None:
        self.trimmer.tick()
        self.access.record(
            endpoint=endpoint,
            mode=mode,
            results=results,
            latency_s=time.perf_counter() - started,
            status=status,
            query=query,
        )

    def search_json(
        self,
        query: str,
        k: int = 10,
        documents: list[str] | None = None,
        authors: list[str] | None = None,
        kinds: list[str] | None = None,
        years: list[int] | None = None,
        mode: str = "auto",
    ) -> dict[str, Any]:
        """The API: same objects as `advieszoeker search --json`.

        `documents` takes file names (e.g. "004_165c6d2ad255d495.txt") or
        document ids; `mode` is auto, exact, hybrid, keyword or dense.
        """
        started = time.perf_counter()
        status, results = 500, 0
        with self.inflight.track():
            try:
                filters = self.choices.api_filters(documents, authors, kinds, years)
                response = self.searcher.search(query, k=max(1, int(k)), filters=filters, mode=mode)
                status, mode, results = 200, response.mode, len(response.hits)
                return response.to_json()
            except AdvieszoekerError as err:
                status = 400
                raise as_api_error(err) from None
            finally:
                self._log("api", str(mode), results, started, status, str(query))
