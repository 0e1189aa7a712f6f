"""What `advieszoeker similar` does: passages of other documents making the same point."""

from __future__ import annotations

import json
import textwrap

import click

from app.commands.common import open_searcher
from index.similar import Related
from ingest.settings import Settings


def run_similar(settings: Settings, passage_id: str, k: int, as_json: bool) -> None:
    searcher = open_searcher(settings)
    related = searcher.similar(passage_id, k=k)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in related], ensure_ascii=False, indent=2))
        return
    passage = searcher.passage(passage_id)
    document = next(d for d in searcher.documents() if d.source == passage.source)
    click.echo(render_similar(related, f"{document.title}, {passage.section_label or '—'}"))


def render_similar(related: list[Related], about: str) -> str:
    """Human output: per related passage its year, document and place, text and citation."""
    lines = [click.style(f"Meer hierover: {about}", bold=True)]
    if not related:
        lines.append("Geen passages in andere documenten die hetzelfde punt maken.")
    for r in related:
        data = r.to_json()
        year = str(data["year"]) if data["year"] is not None else "jaar onbekend"
        lines += ["", click.style(f"{year} · {data['title']}", bold=True)
                  + f"  [{data['score']:.3f}]"]  # fmt: skip
        body = " ".join(data["text"].split())
        lines.append(textwrap.fill(body, 96, initial_indent="   ", subsequent_indent="   "))
        lines.append(f"   Citeer: {data['citation']}")
    return "\n".join(lines) + "\n"
