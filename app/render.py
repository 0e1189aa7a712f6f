"""HTML for the search page: the short answer, result cards, messages, corpus overview.

Every piece of text that comes from a document or from the user goes through
`html.escape` here, and nowhere else builds markup from it: a passage or a
query containing `<script>` shows as text. Functions take plain values (no
Searcher), so they are easy to test and hold no search logic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from index.results import Highlight, Hit, SearchResponse
from ingest.document import Document, Passage

MODE_LABELS = {
    "hybrid": "betekenis + trefwoorden",
    "keyword": "trefwoorden",
    "dense": "betekenis",
    "exact": "exact citaat",
}


@dataclass(frozen=True)
class CardExtras:
    """What a card shows besides the hit itself: neighbours and the citation to copy."""

    context: tuple[Passage, ...] = ()
    quote_citation: str = ""
    more: str = ""  # the "Meer hierover" block, rendered (app/similar_view.py)


def doc_url(document: Document, passage_id: str | None = None) -> str:
    """Link to the document view; ids only, never paths.

    Relative, so it keeps working when the app is served under a sub-path.
    """
    if passage_id is None:
        return f"doc/{document.doc_id}"
    return f"doc/{document.doc_id}?p={passage_id}#p-{passage_id}"


def highlight(text: str, spans: Sequence[Highlight]) -> str:
    """Escape `text` and wrap the highlighted spans in <mark>.

    Spans are clipped to the text and overlapping spans merged, so bad offsets
    can never cut an escape sequence in half or drop text.
    """
    ranges = sorted((max(0, h.start), min(len(text), h.end)) for h in spans if h.end > h.start)
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    out: list[str] = []
    cursor = 0
    for start, end in merged:
        out.append(escape(text[cursor:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def location_label(passage: Passage) -> str | None:
    """'p. 4', 'regels 12–18' or both: where to find the passage in the source."""
    parts = []
    if passage.pages_label is not None:
        parts.append(passage.pages_label)
    if passage.line_start is not None:
        if passage.line_end is not None and passage.line_end != passage.line_start:
            parts.append(f"regels {passage.line_start}–{passage.line_end}")
        else:
            parts.append(f"regel {passage.line_start}")
    return ", ".join(parts) or None


def document_meta(document: Document) -> list[str]:
    """Author, kind and year as short labels (unescaped)."""
    meta = [document.author, document.kind]
    if document.year is not None:
        meta.append(str(document.year))
    return [m for m in meta if m]


def render_message(
    title: str, body: str, tips: Sequence[str] = (), kind: str = "info", level: int = 2
) -> str:
    """A short explanation instead of results (empty query, nothing found, bad query).

    Its title is a heading; on its own (welcome, error) it heads the result
    area and is where focus goes after a search (`data-az-focus`).
    """
    tips_html = "".join(f"<li>{escape(t)}</li>" for t in tips)
    tips_block = f"<ul class='az-tips'>{tips_html}</ul>" if tips else ""
    focus = " data-az-focus tabindex='-1'" if level == 2 else ""
    return (
        f"<div class='az-message az-{escape(kind)}' role='status'>"
        f"<h{level} class='az-message-title'{focus}>{escape(title)}</h{level}>"
        f"<p>{escape(body)}</p>{tips_block}</div>"
    )


def render_welcome() -> str:
    return render_message(
        "Stel een vraag of zoek een citaat",
        "Typ een vraag in gewone taal, bijvoorbeeld ‘Wat vraagt de SERV over duaal leren?’, "
        "of zet een letterlijk citaat tussen aanhalingstekens.",
        (
            "Elk resultaat toont de bron: document, auteur, jaar, hoofdstuk en pagina of regels.",
            "Het korte antwoord bestaat uit letterlijke zinnen uit de documenten; "
            "niets wordt gegenereerd.",
        ),
    )


def render_no_results(query: str, exact: bool, filtered: bool) -> str:
    tips = ["Gebruik andere of minder woorden, of een synoniem."]
    if exact:
        tips.append(
            "Exact zoeken vindt alleen letterlijke tekst: zet de schakelaar uit "
            "om op betekenis te zoeken."
        )
    if filtered:
        tips.append("Zet een of meer filters uit.")
    return render_message(
        "Geen passages gevonden",
        f"Er is niets gevonden voor ‘{query}’.",
        tips,
        kind="empty",
        level=3,  # under the summary's heading
    )


def render_query_error(message: str) -> str:
    return render_message("Deze vraag kan niet gezocht worden", message, kind="warn")


def render_answer(response: SearchResponse) -> str:
    """The short answer: quoted sentences with their citation numbers, never generated."""
    if not response.answer:
        return ""
    items = "".join(
        f"<li><q>{escape(s.text)}</q> "
        f"<a class='az-ref' href='#az-hit-{s.rank}' aria-label='Naar resultaat {s.rank}'>"
        f"[{s.rank}]</a></li>"
        for s in response.answer
    )
    return (
        "<section class='az-answer' aria-label='Kort antwoord'>"
        "<div class='az-answer-head'><h3>Kort antwoord</h3>"
        "<span class='az-badge'>Letterlijk uit de documenten — niets is gegenereerd</span></div>"
        f"<ol class='az-answer-list'>{items}</ol></section>"
    )


def _context_block(hit: Hit, context: Sequence[Passage]) -> str:
    if len(context) <= 1:
        return ""
    parts = []
    for p in context:
        own = p.id == hit.passage.id
        cls = "az-ctx az-ctx-self" if own else "az-ctx"
        label = "deze passage" if own else (location_label(p) or p.section_label or "")
        parts.append(
            f"<div class='{cls}'><div class='az-ctx-label'>{escape(label)}</div>"
            f"<div class='az-text'>{escape(p.text)}</div></div>"
        )
    return (
        "<details class='az-context'><summary>Toon context</summary>"
        f"<div class='az-ctx-list'>{''.join(parts)}</div></details>"
    )


def _cite_block(hit: Hit, citation: str) -> str:
    # The accessible name starts with the visible text (WCAG 2.5.3) and says which card.
    return (
        "<div class='az-cite'>"
        "<button type='button' class='az-copy' "
        f"aria-label='Kopieer citaat van resultaat {hit.rank}'>Kopieer citaat</button>"
        "<span class='az-copy-status' aria-live='polite'></span>"
        f"<textarea class='az-cite-text' readonly rows='3' hidden "
        f"aria-label='Citaat van resultaat {hit.rank}'>{escape(citation)}</textarea>"
        "</div>"
    )


def _score_block(score: float, relative: float) -> str:
    """The relevance bar, with its meaning in words for screen readers."""
    percent = f"{relative * 100:.0f}"
    return (
        f"<div class='az-score' title='score {score:.4f}'>"
        f"<span class='az-sr'>Relevantie: {percent}% van het beste resultaat</span>"
        "<span class='az-score-label' aria-hidden='true'>relevantie</span>"
        "<span class='az-score-bar' aria-hidden='true'>"
        f"<span style='width:{percent}%'></span></span>"
        "</div>"
    )


def render_hit(hit: Hit, extras: CardExtras, top_score: float) -> str:
    """One result card: where it comes from, the passage with its highlights, actions."""
    doc, p = hit.document, hit.passage
    meta = " · ".join(escape(m) for m in document_meta(doc))
    where = [p.section_label, location_label(p)]
    where_html = " · ".join(escape(w) for w in where if w)
    relative = hit.score / top_score if top_score > 0 else 0.0
    relative = min(max(relative, 0.0), 1.0)
    footnote = f"<span class='az-tag'>voetnoot {p.footnote}</span>" if p.kind == "footnote" else ""
    return (
        f"<article class='az-card' id='az-hit-{hit.rank}' data-rank='{hit.rank}' "
        f"aria-labelledby='az-hit-{hit.rank}-title'>"
        "<header class='az-card-head'>"
        f"<span class='az-rank' aria-hidden='true'>{hit.rank}</span>"
        "<div class='az-card-title'>"
        # The heading says the rank in words, so heading navigation tells cards apart.
        f"<h3 id='az-hit-{hit.rank}-title'><span class='az-sr'>Resultaat {hit.rank}: </span>"
        f"<span class='az-title'>{escape(doc.title)}</span></h3>"
        f"<div class='az-meta'>{meta}</div>"
        f"<div class='az-where'>{where_html}{footnote}</div>"
        "</div>"
        f"{_score_block(hit.score, relative)}</header>"
        f"<blockquote class='az-text'>{highlight(p.text, hit.highlights)}</blockquote>"
        "<footer class='az-actions'>"
        # In reading order, which is also the keyboard's order.
        f"<a class='az-doclink' href='{escape(doc_url(doc, p.id))}' target='_blank' "
        "rel='noopener'>Open in document<span class='az-sr'> (opent in een nieuw tabblad)</span>"
        "<span aria-hidden='true'> ↗</span></a>"
        f"{_cite_block(hit, extras.quote_citation or hit.citation)}"
        f"{_context_block(hit, extras.context)}"
        f"{extras.more}"
        "</footer></article>"
    )


def render_summary(response: SearchResponse, seconds: float | None) -> str:
    n = len(response.hits)
    noun = "resultaat" if n == 1 else "resultaten"
    mode = MODE_LABELS.get(response.mode, response.mode)
    took = f" · {seconds:.2f} s".replace(".", ",") if seconds is not None else ""
    query = escape(response.query)
    # <q> adds quotation marks; a quoted query already has its own.
    shown = f"<span>{query}</span>" if response.query[:1] in '"“„«' else f"<q>{query}</q>"
    # The heading of the result area: focus lands here after a search.
    return (
        f"<h2 class='az-summary' data-query='{query}' data-count='{n}' data-az-focus "
        f"tabindex='-1'>{n} {noun} voor {shown} "
        f"<span class='az-mode'>({escape(mode)}){took}</span></h2>"
    )


def render_notices(notices: Sequence[str]) -> str:
    return "".join(f"<p class='az-notice' role='note'>{escape(n)}</p>" for n in notices)


def render_response(
    response: SearchResponse,
    extras: Mapping[int, CardExtras],
    seconds: float | None = None,
    *,
    exact: bool = False,
    filtered: bool = False,
    export: str = "",
) -> str:
    """The whole result area for one search, headed by its summary (and, when given,
    the export links under it)."""
    notices = render_notices(response.notices) + export
    summary = render_summary(response, seconds)
    if not response.hits:
        return (
            f"<div class='az-results' data-count='0'>{summary}{notices}"
            f"{render_no_results(response.query, exact, filtered)}</div>"
        )
    top = max(h.score for h in response.hits)
    cards = "".join(render_hit(h, extras.get(h.rank, CardExtras()), top) for h in response.hits)
    return (
        f"<div class='az-results' data-count='{len(response.hits)}'>{summary}{notices}"
        f"{render_answer(response)}<div class='az-cards'>{cards}</div></div>"
    )


def render_overview(documents: Sequence[Document], passage_counts: Mapping[str, int]) -> str:
    """What is searchable: every document with its kind, year and number of passages."""
    if not documents:
        return render_message(
            "Nog geen documenten",
            "Er zijn nog geen documenten geïndexeerd. Voer `advieszoeker index` uit.",
        )
    years = sorted({d.year for d in documents if d.year is not None})
    kinds = sorted({d.kind for d in documents if d.kind})
    total = sum(passage_counts.get(d.source, 0) for d in documents)
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "—")
    # Page counts only exist for PDFs; the column goes when no document has one.
    with_pages = any(d.pages is not None for d in documents)
    rows = "".join(
        "<tr>"
        f"<td><a href='{escape(doc_url(d))}' target='_blank' rel='noopener'>"
        f"{escape(d.title)}</a></td>"
        f"<td>{escape(d.author or '—')}</td><td>{escape(d.kind or '—')}</td>"
        f"<td>{d.year if d.year is not None else '—'}</td>"
        + (
            f"<td class='az-num'>{d.pages if d.pages is not None else '—'}</td>"
            if with_pages
            else ""
        )
        + f"<td class='az-num'>{passage_counts.get(d.source, 0)}</td></tr>"
        for d in sorted(documents, key=lambda d: (-(d.year or 0), d.title))
    )
    pages_head = "<th class='az-num'>Pagina’s</th>" if with_pages else ""
    return (
        "<div class='az-overview'>"
        f"<p>{len(documents)} documenten · {total} passages · jaren {escape(span)} · "
        f"soorten: {escape(', '.join(kinds) or '—')}</p>"
        # On a phone the table scrolls inside its own box, reachable by keyboard.
        "<div class='az-table-wrap' role='region' aria-label='Documenten' tabindex='0'>"
        "<table><thead><tr><th>Document</th><th>Auteur</th><th>Soort</th><th>Jaar</th>"
        f"{pages_head}<th class='az-num'>Passages</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></div>"
    )
