"""The HTML the app renders: escaping, highlights, answer, cards, document view."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from fake_searcher import FakeSearcher

from app.docview import render_document_page
from app.render import (
    CardExtras,
    highlight,
    location_label,
    render_overview,
    render_query_error,
    render_response,
    render_summary,
    render_welcome,
)
from index.results import AnswerSentence, Highlight, Hit, SearchResponse
from ingest.document import Document, Passage

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class TagCollector(HTMLParser):
    """Every start tag of a fragment, to prove no payload became markup."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


def make_hit(text: str, title: str = "Titel", rank: int = 1, **passage: object) -> Hit:
    doc = Document(
        source="a.txt", title=title, cleaned=text, content_hash="h", author="SERV", year=2020
    )
    p = Passage(
        id="abcdef0123456789",
        source="a.txt",
        ordinal=0,
        text=text,
        char_start=0,
        char_end=len(text),
        **passage,  # type: ignore[arg-type]
    )
    return Hit(rank=rank, score=0.5, passage=p, document=doc, citation=f"SERV, {title}")


def test_highlight_escapes_every_segment_and_marks_spans() -> None:
    text = "a <b> & c <i>d</i>"
    html = highlight(text, [Highlight(2, 5, "<b>")])
    assert html == "a <mark>&lt;b&gt;</mark> &amp; c &lt;i&gt;d&lt;/i&gt;"


def test_highlight_clips_and_merges_bad_spans() -> None:
    text = "abcdef"
    html = highlight(text, [Highlight(4, 99, "ef"), Highlight(-3, 2, "ab"), Highlight(1, 3, "bc")])
    assert html == "<mark>abc</mark>d<mark>ef</mark>"
    assert highlight(text, [Highlight(3, 3, "")]) == "abcdef"


def test_payload_in_passage_title_and_query_is_text_not_markup() -> None:
    hit = make_hit(f"Voor {PAYLOAD} na.", title=PAYLOAD, section=(PAYLOAD,))
    hit = Hit(1, 0.5, hit.passage, hit.document, (Highlight(5, 5 + len(PAYLOAD), PAYLOAD),))
    response = SearchResponse(
        query=PAYLOAD, hits=(hit,), answer=(AnswerSentence(1, PAYLOAD),), notices=(PAYLOAD,)
    )
    html = render_response(response, {1: CardExtras((hit.passage,), PAYLOAD)})
    found = {t for t, _ in tags(html)}
    assert "script" not in found and "img" not in found
    assert all("onerror" not in attrs for _, attrs in tags(html))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_no_results_message_says_what_to_try() -> None:
    response = SearchResponse(query="<b>onvindbaar</b>", hits=())
    html = render_response(response, {}, exact=True, filtered=True)
    assert "Geen passages gevonden" in html
    assert "exact" in html.lower() and "filters" in html.lower()
    assert "<b>" not in html


def test_answer_sentences_carry_citation_numbers_and_quote_label() -> None:
    response = FakeSearcher().search("duaal leren werkplekken", k=5)
    html = render_response(response, {})
    assert "Letterlijk uit de documenten — niets is gegenereerd" in html
    refs = re.findall(r"href='#az-hit-(\d+)'[^>]*>\[(\d+)\]", html)
    assert refs and all(a == b for a, b in refs)
    assert {int(a) for a, _ in refs} <= {h.rank for h in response.hits}


def test_card_shows_source_location_context_citation_and_doc_link() -> None:
    searcher = FakeSearcher()
    response = searcher.search("werkplekken duaal leren", k=3)
    hit = response.hits[0]
    extras = {
        hit.rank: CardExtras(tuple(searcher.context(hit.passage.id)), searcher.cite(hit, "Zin."))
    }
    html = render_response(response, extras)
    card = html[html.index("id='az-hit-1'") :]
    assert hit.document.title in card and "SERV" in card and "2019" in card
    assert location_label(hit.passage) in card
    assert "<mark>" in card
    assert "<details class='az-context'><summary>Toon context</summary>" in card
    assert "“Zin.”" in card  # the citation with the quoted sentence, ready to copy
    assert f"doc/{hit.document.doc_id}?p={hit.passage.id}#p-{hit.passage.id}" in card


@pytest.mark.parametrize(
    ("page", "lines", "expected"),
    [(4, (12, 18), "p. 4, regels 12–18"), (None, (3, 3), "regel 3"), (2, (None, None), "p. 2")],
)
def test_location_label(page: int | None, lines: tuple, expected: str) -> None:
    hit = make_hit("x", page=page, line_start=lines[0], line_end=lines[1])
    assert location_label(hit.passage) == expected


def test_overview_lists_documents_with_passage_counts() -> None:
    searcher = FakeSearcher()
    docs = searcher.documents()
    html = render_overview(docs, {d.source: len(searcher.passages(d.source)) for d in docs})
    assert "3 documenten · 7 passages · jaren 2019–2021" in html
    assert "<script>" not in html


def test_document_page_anchors_every_passage_marks_target_and_escapes() -> None:
    searcher = FakeSearcher()
    doc = next(d for d in searcher.documents() if d.source == "payload.txt")
    passages = searcher.passages(doc.source)
    html = render_document_page(doc, passages, target=passages[1].id)
    for p in passages:
        assert f"id='p-{p.id}'" in html
    assert f"class='az-p az-target' id='p-{passages[1].id}'" in html
    body = html[html.index("<body>") :]
    assert [t for t, _ in tags(body)].count("script") == 1  # only the page's own scroll script
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in html
    # No text is lost or duplicated: the page text is the cleaned text.
    text = re.sub(r"<[^>]+>", "", html[html.index("<main") : html.index("</main>")])
    assert unescape(text) == doc.cleaned


@pytest.mark.parametrize(
    ("query", "shown"),
    [("duaal leren", "<q>duaal leren</q>"), ('"elke euro"', "<span>&quot;elke euro&quot;</span>")],
)
def test_summary_quotes_a_query_once(query: str, shown: str) -> None:
    html = render_summary(SearchResponse(query, ()), 0.07)
    assert f"0 resultaten voor {shown}" in html and "0,07 s" in html


def test_cards_are_headed_with_their_rank_and_say_their_relevance_in_words() -> None:
    searcher = FakeSearcher()
    response = searcher.search("werkplekken duaal leren", k=3)
    html = render_response(response, {})
    top = max(h.score for h in response.hits)
    for hit in response.hits:
        card = html[html.index(f"id='az-hit-{hit.rank}'") :]
        # The article is named by its heading, which says the rank in words.
        assert card.startswith(
            f"id='az-hit-{hit.rank}' data-rank='{hit.rank}' "
            f"aria-labelledby='az-hit-{hit.rank}-title'>"
        )
        heading = re.search(r"<h3 id='([^']+)'>(.*?)</h3>", card)
        assert heading and heading.group(1) == f"az-hit-{hit.rank}-title"
        spoken = re.sub(r"<[^>]+>", "", heading.group(2))
        assert spoken == f"Resultaat {hit.rank}: {hit.document.title}"
        assert f"<span class='az-rank' aria-hidden='true'>{hit.rank}</span>" in card
        # The bar is hidden from screen readers; its meaning is said instead.
        percent = round(hit.score / top * 100)
        assert f"Relevantie: {percent}% van het beste resultaat" in card
        assert "<span class='az-score-bar' aria-hidden='true'>" in card
        assert f"<span style='width:{percent}%'>" in card


def test_card_controls_have_names_that_start_with_their_visible_text() -> None:
    searcher = FakeSearcher()
    response = searcher.search("werkplekken duaal leren", k=2)
    hit = response.hits[1]
    extras = {2: CardExtras(tuple(searcher.context(hit.passage.id)), "SERV, “Zin.”")}
    card = render_response(response, extras)
    card = card[card.index("id='az-hit-2'") :]
    assert "aria-label='Kopieer citaat van resultaat 2'>Kopieer citaat</button>" in card
    assert "<textarea class='az-cite-text' readonly rows='3' hidden" in card
    assert "aria-label='Citaat van resultaat 2'" in card
    link = card[card.index("<a class='az-doclink'") : card.index("</a>") + 4]
    assert re.sub(r"<[^>]+>", "", link) == "Open in document (opent in een nieuw tabblad) ↗"
    assert "<span aria-hidden='true'> ↗</span>" in link
    # Reading order is keyboard order: link, copy, context.
    assert card.index("az-doclink") < card.index("az-copy") < card.index("az-context")


def test_result_area_is_headed_by_the_summary_where_focus_lands() -> None:
    response = FakeSearcher().search("werkplekken duaal leren", k=3)
    html = render_response(response, {})
    inner = html[html.index(">") + 1 :]
    assert inner.startswith("<h2 class='az-summary'")
    assert re.match(r"<h2 [^>]*data-az-focus tabindex='-1'>3 resultaten voor", inner)
    assert html.count("data-az-focus") == 1
    # Below it, the short answer and the cards are one level down.
    assert "<h3>Kort antwoord</h3>" in html
    empty = render_response(SearchResponse(query="niets", hits=()), {}, filtered=True)
    assert empty.count("data-az-focus") == 1
    assert re.search(r"<h2 class='az-summary'[^>]*data-az-focus", empty)
    assert "<h3 class='az-message-title'>Geen passages gevonden</h3>" in empty


@pytest.mark.parametrize("message", [render_welcome(), render_query_error("De vraag is leeg.")])
def test_a_message_on_its_own_heads_the_result_area(message: str) -> None:
    assert re.search(r"<h2 class='az-message-title' data-az-focus tabindex='-1'>", message)
