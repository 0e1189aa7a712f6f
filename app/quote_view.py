"""How a quote check is shown: its verdict and its changes in Dutch, and as HTML.

Everything from the user or a document goes through `html.escape` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from app.render import doc_url, document_meta, render_message
from index.quote_check import Change, QuoteCheck

VERDICT_LABELS = {
    "exact": "Letterlijk: het citaat staat zo in de bron",
    "shortened": "Ingekort: er zijn woorden weggelaten, de rest is letterlijk",
    "altered": "Gewijzigd: er zijn woorden veranderd of toegevoegd",
    "not_found": "Niet gevonden: niets in de documenten komt dicht genoeg in de buurt",
}
SHORT_LABELS = {
    "exact": "Letterlijk",
    "shortened": "Ingekort",
    "altered": "Gewijzigd",
    "not_found": "Niet gevonden",
}
CHANGE_LABELS = {
    "replace": "Veranderd",
    "delete": "Weggelaten",
    "insert": "Toegevoegd",
}


def change_sentence(change: Change) -> str:
    """One change in words, e.g. Veranderd: “dubbel” staat er als “meervoudig” (unescaped)."""
    label = CHANGE_LABELS[change.op]
    if change.op == "replace":
        return f"{label}: “{change.quote}” staat er als “{change.source}”"
    if change.op == "delete":
        return f"{label}: “{change.source}”"
    return f"{label}: “{change.quote}”"


def render_welcome() -> str:
    return render_message(
        "Controleer een citaat",
        "Plak een citaat zoals het in een artikel staat of zoals u het zich herinnert. "
        "Advieszoeker zoekt waar het vandaan komt en zegt precies wat er anders is.",
        (
            "Eén citaat per regel; u kunt er meerdere tegelijk controleren.",
            "Hoofdletters, accenten, aanhalingstekens en afbrekingen tellen niet mee.",
        ),
    )


def _marked_source(result: QuoteCheck) -> str:
    """The source span, with what the quote left out or changed marked."""
    text, base = result.source_text, result.start
    out: list[str] = []
    at = 0
    for change in sorted(result.changes, key=lambda c: c.start):
        a, b = change.start - base, change.end - base
        if a < at:
            continue
        out.append(escape(text[at:a]))
        if change.op == "insert":
            out.append(
                f"<ins class='az-diff-ins' title='{escape(change_sentence(change))}'>"
                f"{escape(change.quote)}</ins>"
            )
        else:
            out.append(
                f"<mark class='az-diff-{change.op}' title='{escape(change_sentence(change))}'>"
                f"{escape(text[a:b])}</mark>"
            )
        at = b
    out.append(escape(text[at:]))
    return "".join(out)


def render_check(result: QuoteCheck, number: int) -> str:
    """One checked quote as a card: verdict, the quote, the source text, the changes."""
    verdict = result.verdict
    head = (
        f"<header class='az-card-head'><div class='az-card-title'>"
        f"<h3 id='az-check-{number}-title'><span class='az-sr'>Citaat {number}: </span>"
        f"<span class='az-verdict az-verdict-{verdict}'>{escape(SHORT_LABELS[verdict])}</span>"
        f"</h3><div class='az-meta'>{escape(VERDICT_LABELS[verdict])}</div></div></header>"
    )
    given = f"<p class='az-check-label'>Uw citaat</p><blockquote class='az-text'>" \
        f"{escape(' '.join(result.quote.split()))}</blockquote>"  # fmt: skip
    body = [head, given]
    if verdict == "not_found" or result.document is None:
        tips = result.notices or (
            "Controleer de spelling, of zoek met minder woorden via de zoekpagina.",
        )
        body.append("".join(f"<p class='az-notice' role='note'>{escape(t)}</p>" for t in tips))
    else:
        doc = result.document
        meta = " · ".join(escape(m) for m in document_meta(doc))
        body.append(
            f"<p class='az-check-label'>Zo staat het in de bron</p>"
            f"<div class='az-where'><span class='az-title'>{escape(doc.title)}</span>"
            f"{' · ' + meta if meta else ''}</div>"
            f"<blockquote class='az-text az-source-text'>{_marked_source(result)}</blockquote>"
        )
        if result.changes:
            items = "".join(f"<li>{escape(change_sentence(c))}</li>" for c in result.changes)
            body.append(f"<ul class='az-changes' aria-label='Verschillen'>{items}</ul>")
        link = doc_url(doc, result.passage.id if result.passage else None)
        body.append(
            f"<p class='az-check-cite'>Bron: {escape(result.citation)}</p>"
            f"<footer class='az-actions'><a class='az-doclink' href='{escape(link)}' "
            "target='_blank' rel='noopener'>Open in document<span class='az-sr'> (opent in een "
            "nieuw tabblad)</span><span aria-hidden='true'> ↗</span></a></footer>"
        )
    return (
        f"<article class='az-card az-check' data-verdict='{verdict}' "
        f"aria-labelledby='az-check-{number}-title'>{''.join(body)}</article>"
    )


def render_checks(results: Sequence[QuoteCheck]) -> str:
    """The result area of the quote-check page, headed by a summary."""
    n = len(results)
    counts = {v: sum(r.verdict == v for r in results) for v in SHORT_LABELS}
    summary = ", ".join(f"{c} {SHORT_LABELS[v].lower()}" for v, c in counts.items() if c)
    noun = "citaat" if n == 1 else "citaten"
    cards = "".join(render_check(r, i) for i, r in enumerate(results, start=1))
    return (
        f"<div class='az-results az-checks' data-count='{n}'>"
        f"<h2 class='az-summary' data-az-focus tabindex='-1'>{n} {noun} gecontroleerd: "
        f"{escape(summary)}</h2><div class='az-cards'>{cards}</div></div>"
    )
