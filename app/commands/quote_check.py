"""What `advieszoeker check-quote` does: one verdict per quote, as text or JSON lines."""

from __future__ import annotations

import json
import textwrap

import click

from app.commands.common import open_searcher, read_lines
from app.quote_view import VERDICT_LABELS, change_sentence
from index.quote_check import QuoteCheck
from index.results import Filters
from ingest.settings import Settings


def run_check_quote(settings: Settings, quote: str | None, filters: Filters, as_json: bool) -> None:
    quotes = read_lines(
        quote,
        'Give a quote, e.g. advieszoeker check-quote "elke geïnvesteerde euro verdient zich '
        'terug", or pipe one quote per line on standard input.',
    )
    searcher = open_searcher(settings)
    for text in quotes:
        result = searcher.check_quote(text, filters=filters)
        if as_json:
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            click.echo(render_check(result))


def render_check(result: QuoteCheck) -> str:
    """Human output: the verdict, where the quote comes from, the source text, the changes."""
    lines = [click.style(f"Citaat: {' '.join(result.quote.split())}", bold=True)]
    lines.append(f"Oordeel: {VERDICT_LABELS[result.verdict]}")
    if result.verdict == "not_found":
        lines.extend(f"  {n}" for n in result.notices)
        return "\n".join(lines) + "\n"
    lines.append(f"Bron: {result.citation}")
    body = " ".join(result.source_text.split())
    lines.append(textwrap.fill(body, width=96, initial_indent="  “", subsequent_indent="   ") + "”")
    lines.extend(f"  {change_sentence(c)}" for c in result.changes)
    return "\n".join(lines) + "\n"
