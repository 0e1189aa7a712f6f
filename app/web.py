"""The web app: a Gradio page for searching and quoting, mounted in FastAPI.

The page holds no search logic: every search goes through `SearchService`
(app/search_service.py) to `index.Searcher`, opened at start and shared, and
swapped for a newly published index version by `LiveService` (app/reloader.py);
`app/server.py` runs it. FastAPI serves the document view (`/doc/{id}`) next
to the Gradio page, and Gradio exposes the search as the named API endpoint
`search`, returning the same JSON as `advieszoeker search --json`. The upload
panel and the `add_documents` endpoint live in app/upload_panel.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from app.access_log import AccessLog
from app.asks_page import asks_page
from app.docview import document_router
from app.export_route import export_router
from app.health import IndexInfo, ServiceStatus, health_router
from app.lifecycle import InFlight
from app.memory import bound_gradio_analytics
from app.page_shell import PageShell
from app.quote_page import quote_check_page
from app.reloader import LiveService
from app.render import (
    render_welcome,
)
from app.search_service import SearcherLike, SearchService
from app.similar_view import similar_api
from app.state import MAX_K, SearchState, clamp_k
from app.upload_panel import PanelTargets, mount_upload_panel
from app.uploads import Uploads
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


def build_demo(service: LiveService, uploads: Uploads | None = None) -> gr.Blocks:
    """The page: search box, examples, filters, answer and result cards, overview,
    and the upload panel (app/upload_panel.py)."""
    choices = service.choices
    default_k = service.settings.default_k

    with gr.Blocks(
        title="Advieszoeker — zoek en citeer SERV-adviezen", analytics_enabled=False
    ) as demo:
        gr.Navbar(main_page_name="Zoeken", elem_id="az-nav")
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
            overview = gr.HTML(service.overview_html, js_on_load=None)
        # After an upload, and on each page load, the menus list the newest index's documents.
        targets = PanelTargets([docs, authors, kinds, years, overview], lambda: filters(service))
        mount_upload_panel(uploads, targets)

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
            state = SearchState.from_params(request.query_params, service.choices, default_k)
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
            targets.updates,
            outputs=targets.components,
            api_visibility="private",
            queue=False,
            show_progress="hidden",
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
        similar_api(service)
    # The tools next to the search, each a page of its own module.
    with demo.route("Citaat controleren", "citaat"):
        quote_check_page(service)
    with demo.route("Aanbevelingen", "aanbevelingen"):
        asks_page(service)
    return demo


def filters(service: LiveService) -> list[Any]:
    """The filter menus' choices and the overview of the index in use now."""
    c = service.choices
    return [
        gr.Dropdown(choices=list(c.documents)),
        gr.Dropdown(choices=list(c.authors)),
        gr.Dropdown(choices=list(c.kinds)),
        gr.Dropdown(choices=list(c.years)),
        service.overview_html,
    ]


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
    reopen: Callable[[SearcherLike], SearcherLike] | None = None,
) -> FastAPI:
    """FastAPI app with `/healthz`, the document view and the Gradio page at `/`.

    Without a `status`, the health check describes the index published in
    the settings' data folder (503 if the searcher has none). With `reopen`
    (how to open a newly published index, given the Searcher in use) the app
    follows new index versions and takes uploads (app/reloader.py, app/uploads.py).
    """
    service = LiveService(SearchService(searcher, settings, access, inflight), reopen)
    if status is None:
        status = ServiceStatus(
            IndexInfo.of(
                searcher, settings.index_dir, service.document_count, service.passage_count
            )
        )
    service.status = status
    uploads = None
    if reopen is not None:
        uploads = Uploads(settings, lambda: service.searcher.embedder, service.refresh)
    app = FastAPI(title="Advieszoeker", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service_status = status
    app.state.live = service
    app.include_router(health_router(status))
    app.include_router(document_router(service.document, service.passages))
    app.include_router(export_router(service))
    demo = build_demo(service, uploads)
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
        css="\n".join((STATIC / f).read_text(encoding="utf-8") for f in ("app.css", "tools.css")),
        head="".join(
            f"<script>{(STATIC / name).read_text(encoding='utf-8')}</script>"
            for name in ("app.js", "upload.js")
        ),
        footer_links=["api"],
        ssr_mode=False,
        # Far over the upload limit: Gradio refuses before the disk fills; a file
        # just over it reaches app/upload_checks.py, which says so in Dutch.
        max_file_size=f"{int(max(settings.upload_max_mb, 1) * 4)}mb",
    )
