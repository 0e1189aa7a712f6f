"""HTML for the "Aanbevelingen" page: the asks of each document, with their place.

Everything from a document or the user goes through `html.escape` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from app.render import doc_url, document_meta, render_message
from index.asks import Ask, group_by_document


def _place(ask: Ask) -> str:
    data = ask.to_json()
    parts = [data["section"]]
    if data["page"] is not None:
        parts.append(f"p. {data['page']}")
    if data["lines"]:
        first, last = data["lines"]
        parts.append(f"regel {first}" if first == last else f"regels {first}–{last}")
    return " · ".join(escape(p) for p in parts if p)


def render_ask(ask: Ask) -> str:
    link = doc_url(ask.document, ask.passage.id if ask.passage else None)
    kind = " az-ask-heading" if ask.rule == "heading" else ""
    return (
        f"<li class='az-ask{kind}' data-rule='{escape(ask.rule)}'>"
        f"<div class='az-ask-text'>{escape(' '.join(ask.text.split()))}</div>"
        f"<div class='az-where'>{_place(ask)} · <a class='az-doclink' href='{escape(link)}' "
        "target='_blank' rel='noopener'>in het document<span class='az-sr'> (opent in een "
        "nieuw tabblad)</span></a></div>"
        f"<div class='az-ask-cite'>{escape(ask.citation)}</div></li>"
    )


def render_asks(asks: Sequence[Ask], query: str = "") -> str:
    """The result area: a summary, then per document its asks in reading order."""
    if not asks:
        about = f" over ‘{query}’" if query.strip() else ""
        return render_message(
            "Geen aanbevelingen gevonden",
            f"Er zijn geen aanbevelingen gevonden{about} met deze filters.",
            ("Gebruik andere of minder woorden.", "Zet een of meer filters uit."),
            kind="empty",
        )
    groups = group_by_document(asks)
    sections = []
    for i, group in enumerate(groups.values(), start=1):
        doc = group[0].document
        meta = " · ".join(escape(m) for m in document_meta(doc))
        noun = "aanbeveling" if len(group) == 1 else "aanbevelingen"
        sections.append(
            f"<section class='az-card az-asks-doc' aria-labelledby='az-asks-{i}'>"
            f"<h3 id='az-asks-{i}'><span class='az-title'>{escape(doc.title)}</span></h3>"
            f"<div class='az-meta'>{meta} · {len(group)} {noun}</div>"
            f"<ol class='az-asks'>{''.join(render_ask(a) for a in group)}</ol></section>"
        )
    n = len(asks)
    about = f" over <q>{escape(query)}</q>" if query.strip() else ""
    noun = "aanbeveling" if n == 1 else "aanbevelingen"
    return (
        f"<div class='az-results az-asks-results' data-count='{n}'>"
        f"<h2 class='az-summary' data-az-focus tabindex='-1'>{n} {noun}{about} in "
        f"{len(groups)} {'document' if len(groups) == 1 else 'documenten'}</h2>"
        f"{''.join(sections)}</div>"
    )
