"""What `advieszoeker asks` does: the recommendations per document, as text or JSON."""

from __future__ import annotations

import json
import textwrap

import click

from app.commands.common import open_searcher
from app.state import FilterChoices
from index.asks import Ask, group_by_document
from ingest.settings import Settings


def run_asks(
    settings: Settings,
    query: str,
    documents: tuple[str, ...],
    authors: tuple[str, ...],
    kinds: tuple[str, ...],
    years: tuple[int, ...],
    as_json: bool,
) -> None:
    searcher = open_searcher(settings)
    # Unknown filter values are a message naming the valid ones, as in the API.
    choices = FilterChoices.from_corpus(searcher.documents(), searcher.facets())
    filters = choices.api_filters(documents, authors, kinds, years)
    asks = searcher.asks(query, filters=filters)
    if as_json:
        click.echo(json.dumps([a.to_json() for a in asks], ensure_ascii=False, indent=2))
        return
    click.echo(render_asks(asks, query))


def render_asks(asks: list[Ask], query: str = "") -> str:
    """Human output: per document its title and count, then each ask with its place."""
    if not asks:
        about = f" over ‘{query}’" if query.strip() else ""
        return f"Geen aanbevelingen gevonden{about}.\n"
    lines: list[str] = []
    for group in group_by_document(asks).values():
        doc = group[0].document
        head = f"{doc.title} ({', '.join(str(x) for x in (doc.author, doc.year) if x)})"
        noun = "aanbeveling" if len(group) == 1 else "aanbevelingen"
        lines += ["", click.style(head, bold=True) + f" — {len(group)} {noun}"]
        for ask in group:
            data = ask.to_json()
            place = [data["section"] or "", f"p. {data['page']}" if data["page"] else ""]
            if data["lines"]:
                place.append(f"r. {data['lines'][0]}–{data['lines'][1]}")
            lines.append(textwrap.fill(data["text"], 96, initial_indent="  • ",
                                       subsequent_indent="    "))  # fmt: skip
            lines.append("    " + " · ".join(p for p in place if p))
    return "\n".join(lines).lstrip("\n") + "\n"
