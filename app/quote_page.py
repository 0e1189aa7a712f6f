"""The "Citaat controleren" page and the API endpoint `check_quote`.

A journalist pastes one quote a line; each gets its verdict (exact,
shortened, altered, not_found), the source text it comes from and the words
that differ. Both go through `Searcher.check_quote` (index/quote_check.py).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.errors import api_endpoint
from app.quote_view import render_checks, render_welcome
from app.search_service import SearchService
from app.tool_page import input_row, page_header, rendered
from index.results import QueryError

# Quotes checked per request: a pasted article, not a whole corpus.
MAX_QUOTES = 50


def split_quotes(text: str) -> list[str]:
    """One quote a non-empty line; a QueryError in Dutch when there is none or too many."""
    quotes = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not quotes:
        raise QueryError("Plak een citaat om te controleren; het veld is leeg.")
    if len(quotes) > MAX_QUOTES:
        raise QueryError(
            f"Er kunnen hoogstens {MAX_QUOTES} citaten tegelijk gecontroleerd worden; "
            f"u gaf er {len(quotes)}. Verdeel ze over meer keren."
        )
    return quotes


class QuoteCheckService:
    """The page's and the API's door to `Searcher.check_quote`."""

    def __init__(self, service: SearchService) -> None:
        self.service = service

    def check_json(
        self,
        quote: str,
        documents: list[str] | None = None,
        authors: list[str] | None = None,
        kinds: list[str] | None = None,
        years: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        """The API: one object per quote (one quote a line), as `check-quote --json`."""
        filters = self.service.choices.api_filters(documents, authors, kinds, years)
        with self.service.inflight.track():
            return [
                self.service.searcher.check_quote(q, filters=filters).to_json()
                for q in split_quotes(quote)
            ]

    def check_html(self, quote: str) -> str:
        with self.service.inflight.track():
            return rendered(
                lambda: render_checks(
                    [self.service.searcher.check_quote(q) for q in split_quotes(quote)]
                ),
                "het controleren",
            )


def quote_check_page(service: SearchService) -> None:
    """Build the page's components inside the current Blocks route."""
    checks = QuoteCheckService(service)
    page_header(
        "Citaat controleren",
        "Komt een citaat echt uit een SERV-document, en staat het er zo? Advieszoeker zoekt "
        "de bron en zegt woord voor woord wat er anders is.",
    )
    quote, button = input_row(
        "Citaat (één per regel)",
        "Bijvoorbeeld: elke geïnvesteerde euro verdient zich meermaals terug",
        "az-quote",
        "Controleer",
        "az-check",
        lines=3,
    )
    results = gr.HTML(render_welcome(), elem_id="az-quote-results", padding=False)
    button.click(
        checks.check_html,
        inputs=[quote],
        outputs=[results],
        api_visibility="private",
        concurrency_id="search",
        show_progress="minimal",
    )
    gr.api(
        api_endpoint(checks.check_json),
        api_name="check_quote",
        api_description=(
            "Check quotes (one a line): a list with per quote {quote, verdict (exact, "
            "shortened, altered, not_found), source, title, page, lines, citation, "
            "source_text, changes: [{op: replace|delete|insert, quote, source}]}, the objects "
            "of `advieszoeker check-quote --json`."
        ),
        concurrency_id="search",
    )
