"""Meer hierover: on each result card, passages of other documents making the same point.

Shown oldest first, so an advisor reads how a position developed. The API
endpoint `similar` returns the same passages as `advieszoeker similar --json`.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import gradio as gr

from app.errors import api_endpoint
from app.render import doc_url, location_label
from index.similar import Related

# Characters of a related passage shown on the card; the link opens all of it.
EXCERPT = 320


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= EXCERPT:
        return flat
    cut = flat.rfind(" ", 0, EXCERPT)
    return flat[: cut if cut > 0 else EXCERPT] + " …"


def render_related(rank: int, related: Sequence[Related]) -> str:
    """The card's "Meer hierover" block, or "" when no other document makes the point."""
    if not related:
        return ""
    items = []
    for r in related:
        year = str(r.document.year) if r.document.year is not None else "jaar onbekend"
        where = " · ".join(w for w in (r.passage.section_label, location_label(r.passage)) if w)
        link = doc_url(r.document, r.passage.id)
        items.append(
            "<li class='az-more-item'>"
            f"<span class='az-tag az-year'>{escape(year)}</span> "
            f"<a href='{escape(link)}' target='_blank' rel='noopener'>{escape(r.document.title)}"
            "<span class='az-sr'> (opent in een nieuw tabblad)</span></a>"
            # Not the card's own classes (az-where, blockquote): those name the hit itself.
            f"<div class='az-more-where'>{escape(where)}</div>"
            f"<div class='az-more-text'>{escape(_excerpt(r.passage.text))}</div></li>"
        )
    noun = "passage" if len(related) == 1 else "passages"
    return (
        f"<details class='az-more' data-count='{len(related)}'>"
        f"<summary>Meer hierover<span class='az-sr'> bij resultaat {rank}</span>: "
        f"{len(related)} {noun} uit andere documenten</summary>"
        f"<ol class='az-more-list'>{''.join(items)}</ol></details>"
    )


def similar_api(service: Any) -> None:  # service: app.search_service.SearchService
    """Register the API endpoint `similar` in the current Blocks."""

    def similar(passage_id: str, k: int = 5) -> list[dict[str, Any]]:
        """Passages of other documents making the same point as `passage_id` (a search
        result's `passage_id`), ordered by year."""
        with service.inflight.track():
            related = service.searcher.similar(passage_id, k=max(1, min(int(k), 20)))
        return [r.to_json() for r in related]

    gr.api(
        api_endpoint(similar),
        api_name="similar",
        api_description=(
            "Meer hierover: passages of other documents making the same point as a search "
            "result's passage_id, ordered by year; the objects of `advieszoeker similar --json`."
        ),
        concurrency_id="search",
    )
