"""The web app: a Gradio page for searching and quoting, mounted in FastAPI.

The page holds no search logic: every search goes to `index.Searcher`, opened
once at start and shared. FastAPI serves the document view (`/doc/{id}`) next
to the Gradio page, and Gradio exposes the search as the named API endpoint
`search`, returning the same JSON as `advieszoeker search --json`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from fastapi import FastAPI

from app.access_log import AccessLog
from app.docview import document_router
from app.health import IndexInfo, ServiceStatus, health_router
from app.lifecycle import InFlight
from app.memory import Trimmer, bound_gradio_analytics
from app.page_shell import PageShell
from app.render import (
    CardExtras,
    render_overview,
    render_query_error,
    render_response,
    render_welcome,
)
from app.state import MAX_K, FilterChoices, SearchState, clamp_k
from index.results import Filters, Hit, QueryError, SearchResponse
from ingest.document import Document, Passage
from ingest.settings import Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
# Searches Gradio runs at once by default: the query embeddings of concurrent
# searches are batched (index/batching.py), keyword scoring and rendering run
# side by side. 1 answers them one by one, as versions before issue 16 did.
SEARCH_CONCURRENCY = 8
# Browser sessions whose page state Gradio keeps (its default: 10,000). Each
# holds a copy of the page's component config; the page keeps no gr.State, so
# a session that is dropped simply starts afresh on its next search.
SESSION_CAPACITY = 500
# How long a stop waits for searches in flight (SIGTERM must end within 10 s).
DRAIN_SECONDS = 7.0

# Example questions per kind of user: what each comes to the corpus for.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "Beleidsadviseur": (
        "Wat vraagt de SERV over duaal leren?",
        "Welke maatregelen stelt de SERV voor tegen schooluitval?",
    ),
    "Journalist": (
        "Hoeveel jongeren verlaten het onderwijs zonder kwalificatie?",
        '"Vlaams Regeerakkoord"',
    ),
    "Leerkracht / schoolleider": (
        "Hoe kunnen scholen en bedrijven samenwerken bij werkplekleren?",
        "Wat betekent dubbele finaliteit?",
    ),
}

# Runs in the browser before each search: the search goes into the page URL
# (so the link can be shared), and the inputs pass on unchanged.
URL_JS = """
(q, k, exact, docs, authors, kinds, years) => {
  if (window.advieszoeker) window.advieszoeker.beforeSearch();
  const params = new URLSearchParams();
  if (q && q.trim()) params.set('q', q);
  if (k) params.set('k', String(k));
  if (exact) params.set('exact', '1');
  for (const d of docs || []) params.append('doc', d);
  for (const a of authors || []) params.append('author', a);
  for (const t of kinds || []) params.append('kind', t);
  for (const y of years || []) params.append('year', y);
  const query = params.toString();
  window.history.replaceState(null, '', window.location.pathname + (query ? '?' + query : ''));
  return [q, k, exact, docs, authors, kinds, years];
}
"""

# Copy buttons of the result cards, by event delegation on the results
# element (it survives re-renders). The clipboard API needs a secure context
# (https or localhost); elsewhere the citation is shown selected to copy by hand.
COPY_JS = """
element.addEventListener('click', async (event) => {
  const button = event.target.closest('button.az-copy');
  if (!button) return;
  const box = button.closest('.az-cite');
  const area = box.querySelector('textarea');
  const status = box.querySelector('.az-copy-status');
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
    await navigator.clipboard.writeText(area.value);
    status.textContent = 'Gekopieerd';
    area.hidden = false;
  } catch (err) {
    area.hidden = false;
    area.focus();
    area.select();
    status.textContent = 'Selecteer de tekst en kopieer met Ctrl+C';
  }
});
"""


# After each search: focus and announce the new result (app/static/app.js).
AFTER_SEARCH_JS = "() => { if (window.advieszoeker) window.advieszoeker.afterSearch(); }"


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
                    response, extras, seconds, exact=state.exact, filtered=state.filtered
                )
            except QueryError as err:
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
                filters = Filters(
                    sources=tuple(self.choices.source_of(d) or d for d in documents or ()),
                    authors=tuple(authors or ()),
                    kinds=tuple(kinds or ()),
                    years=tuple(int(y) for y in years or ()),
                )
                response = self.searcher.search(query, k=max(1, int(k)), filters=filters, mode=mode)
                status, mode, results = 200, response.mode, len(response.hits)
                return response.to_json()
            except (QueryError, ValueError, TypeError) as err:  # the message says what to try
                status = 400
                raise gr.Error(str(err)) from None
            finally:
                self._log("api", str(mode), results, started, status, str(query))


def build_demo(service: SearchService) -> gr.Blocks:
    """The page: search box, examples, filters, answer and result cards, overview."""
    choices = service.choices
    default_k = service.settings.default_k

    with gr.Blocks(
        title="Advieszoeker — zoek en citeer SERV-adviezen", analytics_enabled=False
    ) as demo:
        gr.HTML(
            "<header class='az-header'><h1>Advieszoeker</h1>"
            "<p>Zoek en citeer in de adviezen en studies van de SERV over onderwijs en werk. "
            "Elk antwoord komt letterlijk uit de documenten, met de bron erbij.</p></header>"
            # Screen readers hear what a search found here (app/static/app.js fills it).
            "<p id='az-live' class='az-sr' role='status' aria-live='polite'></p>",
            js_on_load=None,
        )
        with gr.Row(elem_classes="az-searchrow"):
            query = gr.Textbox(
                label="Uw vraag of citaat",
                placeholder="Bijvoorbeeld: Wat vraagt de SERV over duaal leren?",
                info='Tip: zet een letterlijk citaat tussen "aanhalingstekens" om precies '
                "die woorden te vinden.",
                scale=6,
                lines=1,
                max_lines=4,
                autofocus=True,
                elem_id="az-query",
            )
            button = gr.Button(
                "Zoeken", variant="primary", scale=1, min_width=120, elem_id="az-search"
            )
        with gr.Row(elem_classes="az-options"):
            exact = gr.Checkbox(
                label="Exact citaat: zoek de letterlijke tekst",
                value=False,
                elem_id="az-exact",
            )
            k = gr.Slider(
                1, MAX_K, value=default_k, step=1, label="Aantal resultaten", elem_id="az-k"
            )
        with gr.Accordion(
            "Filters: document, auteur, soort, jaar", open=False, elem_id="az-filters"
        ):
            with gr.Row():
                docs = gr.Dropdown(
                    list(choices.documents), multiselect=True, label="Document", elem_id="az-doc"
                )
                authors = gr.Dropdown(
                    list(choices.authors), multiselect=True, label="Auteur", elem_id="az-author"
                )
            with gr.Row():
                kinds = gr.Dropdown(
                    list(choices.kinds), multiselect=True, label="Soort", elem_id="az-kind"
                )
                years = gr.Dropdown(
                    list(choices.years), multiselect=True, label="Jaar", elem_id="az-year"
                )
        # Open until the first search, then folded away so the answer comes first.
        example_buttons: list[tuple[gr.Button, str]] = []
        with (
            gr.Accordion("Voorbeeldvragen", open=True, elem_id="az-examples") as examples,
            gr.Row(elem_classes="az-examples", equal_height=False),
        ):
            for audience, questions in EXAMPLES.items():
                with gr.Column(elem_classes="az-example-col", min_width=220):
                    gr.HTML(f"<span class='az-audience'>{audience}</span>", js_on_load=None)
                    for q in questions:
                        button_ = gr.Button(
                            q, size="sm", variant="secondary", elem_classes="az-example"
                        )
                        example_buttons.append((button_, q))
        results = gr.HTML(render_welcome(), js_on_load=COPY_JS, elem_id="az-results", padding=False)
        with gr.Accordion("Over de documenten", open=False, elem_id="az-overview"):
            gr.HTML(service.overview_html, js_on_load=None)

        inputs = [query, k, exact, docs, authors, kinds, years]

        def run(
            q: str,
            k_value: float,
            exact_value: bool,
            doc_ids: list[str] | None,
            author_values: list[str] | None,
            kind_values: list[str] | None,
            year_values: list[str] | None,
        ) -> tuple[str, Any]:
            state = SearchState(
                query=q or "",
                k=clamp_k(k_value, default_k),
                exact=bool(exact_value),
                doc_ids=tuple(doc_ids or ()),
                authors=tuple(author_values or ()),
                kinds=tuple(kind_values or ()),
                years=tuple(str(y) for y in year_values or ()),
            )
            return service.results_html(state), gr.Accordion(open=False)

        search_event = dict(
            fn=run,
            inputs=inputs,
            outputs=[results, examples],
            js=URL_JS,
            api_visibility="private",
            concurrency_id="search",
            show_progress="minimal",
        )
        after_search = dict(fn=None, js=AFTER_SEARCH_JS, api_visibility="private", queue=False)
        button.click(**search_event).then(**after_search)
        query.submit(**search_event).then(**after_search)
        for example_button, text in example_buttons:
            example_button.click(
                lambda text=text: (text, False),
                outputs=[query, exact],
                api_visibility="private",
                queue=False,
            ).then(**search_event).then(**after_search)

        def on_load(request: gr.Request) -> tuple[Any, ...]:
            # Without a shared link, change nothing: whatever the user already
            # typed while the page was loading stays.
            if not request.query_params.get("q"):
                return tuple(gr.skip() for _ in range(len(inputs) + 2))
            state = SearchState.from_params(request.query_params, choices, default_k)
            return (
                state.query,
                state.k,
                state.exact,
                list(state.doc_ids),
                list(state.authors),
                list(state.kinds),
                list(state.years),
                service.results_html(state),
                gr.Accordion(open=False),
            )

        demo.load(
            on_load,
            outputs=[*inputs, results, examples],
            api_visibility="private",
            concurrency_id="search",
        )
        gr.api(
            service.search_json,
            api_name="search",
            api_description=(
                "Search the documents. Returns {query, results: [...]}, the objects of "
                "`advieszoeker search --json`. documents: file names or ids; years: "
                'integers; mode: auto (exact for "quoted" phrases, else hybrid), exact, '
                "hybrid, keyword or dense."
            ),
            concurrency_id="search",
        )
    return demo


def _theme() -> gr.themes.Base:
    # Local system fonts only: the app must work without network access.
    theme = gr.themes.Soft(
        primary_hue="blue",
        neutral_hue="slate",
        font=[
            "system-ui",
            "-apple-system",
            "Segoe UI",
            "Roboto",
            "Helvetica Neue",
            "Arial",
            "sans-serif",
        ],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )
    # One deep blue for the search button, links and rank badges. Every text
    # colour is set here at WCAG AA contrast (4.5:1) on its background: the Soft
    # theme's light blue labels (3.0:1) and grey hints (2.6:1) are too faint.
    return theme.set(
        button_primary_background_fill="#1d4e89",
        button_primary_background_fill_hover="#163d6b",
        button_primary_text_color="#ffffff",
        button_primary_border_color="#1d4e89",
        block_label_text_color="#1d4e89",
        block_title_text_color="#1d4e89",
        block_info_text_color="*neutral_600",
        body_text_color_subdued="*neutral_600",
        input_placeholder_color="*neutral_500",
        slider_color="#1d4e89",
        link_text_color="#1d4e89",
        # Field and checkbox borders at 3:1 (WCAG 1.4.11), so the controls can be seen.
        input_border_color="#7b8794",
        input_border_width="1px",
        checkbox_border_color="#7b8794",
    )


def create_app(
    searcher: SearcherLike,
    settings: Settings,
    *,
    status: ServiceStatus | None = None,
    access: AccessLog | None = None,
    inflight: InFlight | None = None,
    concurrency: int = SEARCH_CONCURRENCY,
) -> FastAPI:
    """FastAPI app with `/healthz`, the document view and the Gradio page at `/`.

    Without a `status`, the health check describes the index published in
    the settings' data folder (503 if the searcher has none).
    """
    service = SearchService(searcher, settings, access, inflight)
    if status is None:
        status = ServiceStatus(
            IndexInfo.of(
                searcher, settings.index_dir, service.document_count, service.passage_count
            )
        )
    app = FastAPI(title="Advieszoeker", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service_status = status
    app.include_router(health_router(status))
    app.include_router(document_router(service.document, service.passages))
    demo = build_demo(service)
    demo.queue(default_concurrency_limit=max(1, concurrency))
    bound_gradio_analytics(demo._queue)
    demo.state_session_capacity = SESSION_CAPACITY
    app.state.demo = demo
    app.add_middleware(PageShell)
    return gr.mount_gradio_app(
        app,
        demo,
        path="",
        theme=_theme(),
        css=(STATIC / "app.css").read_text(encoding="utf-8"),
        head=f"<script>{(STATIC / 'app.js').read_text(encoding='utf-8')}</script>",
        footer_links=["api"],
        ssr_mode=False,
    )


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
    import click

    from app.access_log import configure_access_log
    from app.lifecycle import DataFolderBusy, DataLock
    from app.memory import limit_allocator_arenas
    from index.results import IndexNotReady
    from index.search import Searcher

    _check_port_free(host, port)
    limit_allocator_arenas()
    lock = DataLock(settings.data_dir)
    try:
        lock.acquire()
    except DataFolderBusy as err:
        raise click.ClickException(str(err)) from None
    try:
        announce(f"Loading the index from {settings.data_dir} ...")
        try:
            searcher = Searcher.open(settings)
        except IndexNotReady as err:
            raise click.ClickException(str(err)) from None
        if concurrency > 1:
            from index.batching import BatchingEmbedder

            searcher.embedder = BatchingEmbedder(searcher.embedder)
        configure_access_log()
        inflight = InFlight()
        app = create_app(
            searcher,
            settings,
            access=AccessLog(log_queries=log_queries),
            inflight=inflight,
            concurrency=concurrency,
        )
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        announce(f"Advieszoeker runs on http://{shown}:{port}  (Ctrl+C to stop)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            announce(f"Listening on {host}: anyone who can reach this machine can search.")
        run_until_stopped(app, host, port, app.state.service_status, inflight)
        searcher.close()
    finally:
        lock.release()


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
