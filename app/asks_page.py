"""The "Aanbevelingen" page (Wat vraagt de SERV?) and the API endpoint `asks`.

The asks of every document (index/asks.py), searchable and filtered by the
same filters as the search, listed per document.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.asks_view import render_asks
from app.errors import api_endpoint
from app.search_service import SearchService
from app.state import SearchState
from app.tool_page import input_row, page_header, rendered


class AsksService:
    """The page's and the API's door to `Searcher.asks`."""

    def __init__(self, service: SearchService) -> None:
        self.service = service

    def asks_json(
        self,
        query: str = "",
        documents: list[str] | None = None,
        authors: list[str] | None = None,
        kinds: list[str] | None = None,
        years: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        """The API: the objects of `advieszoeker asks --json`."""
        filters = self.service.choices.api_filters(documents, authors, kinds, years)
        with self.service.inflight.track():
            return [a.to_json() for a in self.service.searcher.asks(query or "", filters=filters)]

    def asks_html(
        self,
        query: str,
        doc_ids: list[str] | None,
        authors: list[str] | None,
        kinds: list[str] | None,
        years: list[str] | None,
    ) -> str:
        state = SearchState(
            query=query or "",
            doc_ids=tuple(doc_ids or ()),
            authors=tuple(authors or ()),
            kinds=tuple(kinds or ()),
            years=tuple(str(y) for y in years or ()),
        )
        with self.service.inflight.track():
            return rendered(
                lambda: render_asks(
                    self.service.searcher.asks(
                        state.query, filters=state.filters(self.service.choices)
                    ),
                    state.query,
                ),
                "het zoeken in de aanbevelingen",
            )


def asks_page(service: SearchService) -> None:
    """Build the page's components inside the current Blocks route."""
    asks = AsksService(service)
    choices = service.choices
    page_header(
        "Wat vraagt de SERV?",
        "De aanbevelingen uit elk document, letterlijk en met hun plaats: wat de SERV vraagt, "
        "voorstelt of aanbeveelt.",
    )
    query, button = input_row(
        "Zoek in de aanbevelingen",
        "Bijvoorbeeld: werkplekleren",
        "az-asks-query",
        "Toon",
        "az-asks-go",
    )
    with gr.Accordion("Filters: document, auteur, soort, jaar", open=False):
        with gr.Row():
            docs = gr.Dropdown(
                list(choices.documents), multiselect=True, label="Document", elem_id="az-asks-doc"
            )
            authors = gr.Dropdown(list(choices.authors), multiselect=True, label="Auteur")
        with gr.Row():
            kinds = gr.Dropdown(list(choices.kinds), multiselect=True, label="Soort")
            years = gr.Dropdown(list(choices.years), multiselect=True, label="Jaar")
    results = gr.HTML(
        asks.asks_html("", None, None, None, None), elem_id="az-asks-results", padding=False
    )
    inputs = [query, docs, authors, kinds, years]
    event = dict(
        fn=asks.asks_html,
        inputs=inputs,
        outputs=[results],
        api_visibility="private",
        concurrency_id="search",
        show_progress="minimal",
    )
    button.click(**event)
    query.submit(**event)
    for menu in (docs, authors, kinds, years):
        menu.change(**event)
    gr.api(
        api_endpoint(asks.asks_json),
        api_name="asks",
        api_description=(
            "The recommendations (asks) of the documents: a list of {text, source, title, "
            "section, page, lines, citation}, the objects of `advieszoeker asks --json`. "
            "query: only asks about it; documents (file names or ids), authors, kinds, years: "
            "filters as in `search`."
        ),
        concurrency_id="search",
    )
