"""The web app as a user meets it: real index of the seeds, headless Chromium.

Each test saves a screenshot to tests/artifacts/; look at them after a change
to the page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from page_actions import (
    QUESTION,
    card_titles,
    mark_results_stale,
    open_app,
    search,
    wait_for_new_results,
)
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HYPHEN_DOC = "Duaal Leren voor de toekomst"  # seeds/004: "Vlaams Regeerak-\n\nkoord"
PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script>"><b id=injected>x</b>'


def test_question_shows_short_answer_and_ranked_cards(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    shot("start")
    search(page, QUESTION)
    cards = page.locator(".az-card")
    assert cards.count() == 10
    ranks = [int(r) for r in page.locator(".az-card .az-rank").all_inner_texts()]
    assert ranks == list(range(1, 11))
    first = cards.first
    assert first.locator("h3 .az-title").inner_text().strip()
    assert "SERV" in first.locator(".az-meta").inner_text()
    assert re.search(r"regels? \d+|p\. \d+", first.locator(".az-where").inner_text())
    assert page.locator(".az-card blockquote mark").count() >= 3  # answer sentences marked
    # The short answer: quoted sentences, each with the number of a card that exists.
    answer = page.locator(".az-answer")
    expect(answer).to_contain_text("Letterlijk uit de documenten — niets is gegenereerd")
    refs = answer.locator("a.az-ref").all_inner_texts()
    assert 2 <= len(refs) <= 3
    for ref in refs:
        n = int(ref.strip("[]"))
        assert page.locator(f"#az-hit-{n}").count() == 1
    # Each answer sentence is quoted from the card its number points to.
    for item in answer.locator("li").all():
        n = int(item.locator("a.az-ref").inner_text().strip("[]"))
        quoted = " ".join(item.locator("q").inner_text().split())
        card_text = " ".join(page.locator(f"#az-hit-{n} blockquote").inner_text().split())
        assert quoted[:40] in card_text
    # The search is in the URL, ready to share.
    assert parse_qs(urlsplit(page.url).query)["q"] == [QUESTION]
    # After a search the example questions fold away, so the answer comes first.
    expect(page.locator("#az-examples button.az-example").first).to_be_hidden()
    assert page.external == []  # type: ignore[attr-defined]  # nothing loaded from the internet
    page.wait_for_timeout(600)  # let Gradio's progress fade settle for the screenshot
    shot("results")
    shot("results-full", full_page=True)


@pytest.mark.parametrize(
    ("query", "exact"),
    [("Vlaams Regeerakkoord", True), ('"Vlaams Regeerakkoord"', False)],
    ids=["switch", "quotes"],
)
def test_exact_quote_found_across_line_break_hyphen(
    page: Page, app_url: str, shot, query: str, exact: bool
) -> None:
    open_app(page, app_url)
    search(page, query, exact=exact)
    expect(page.locator(".az-summary")).to_contain_text("exact citaat")
    first = page.locator(".az-card").first
    assert first.locator("h3 .az-title").inner_text() == HYPHEN_DOC
    marks = [m.lower() for m in first.locator("blockquote mark").all_inner_texts()]
    assert "vlaams regeerakkoord" in marks
    shot()


def test_filter_narrows_results(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    search(page, "duaal leren en de arbeidsmarkt")
    before = card_titles(page)
    assert len(set(before)) > 1
    chosen = before[-1]
    page.get_by_text("Filters: document, auteur, soort, jaar").click()
    page.click("#az-doc input")
    page.get_by_role("option", name=re.compile("^" + re.escape(chosen))).click()
    page.keyboard.press("Escape")
    search(page, "duaal leren en de arbeidsmarkt")
    after = card_titles(page)
    assert after and set(after) == {chosen}
    assert "doc" in parse_qs(urlsplit(page.url).query)
    shot()


def test_context_and_document_link(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    search(page, "Hoeveel jongeren verlaten het secundair onderwijs zonder diploma?")
    card = page.locator(".az-card").nth(1)
    passage = card.locator("blockquote").inner_text()
    card.get_by_text("Toon context").click()
    context = card.locator(".az-ctx")
    expect(context.first).to_be_visible()
    assert context.count() >= 2
    assert card.locator(".az-ctx-self").count() == 1
    shot("context")
    with page.expect_popup() as popup_info:
        card.get_by_text("Open in document").click()
    doc = popup_info.value
    doc.wait_for_load_state()
    assert re.search(r"/doc/[0-9a-f]{12}\?p=[0-9a-f]+#p-[0-9a-f]+$", doc.url)
    target = doc.locator(".az-target")
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()
    assert " ".join(target.inner_text().split()) == " ".join(passage.split())
    assert doc.locator("mark").count() == 1
    shot("doc", of=doc)
    bad = page.request.get(app_url + "/doc/..%2F..%2Fetc%2Fpasswd")
    assert bad.status == 404 and "root:" not in bad.text()


def test_copy_citation(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    search(page, QUESTION)
    card = page.locator(".az-card").first
    card.get_by_role("button", name="Kopieer citaat").click()
    expect(card.locator(".az-copy-status")).to_have_text("Gekopieerd")
    citation = card.locator("textarea.az-cite-text").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == citation
    title = card.locator("h3 .az-title").inner_text()
    assert title in citation and "“" in citation
    shot()


def test_shared_link_repeats_the_search(page: Page, app_url: str, shot) -> None:
    page.goto(f"{app_url}/?q=schooluitval&k=3&exact=1")
    page.wait_for_selector(".az-card")
    assert page.locator(".az-card").count() == 3
    assert page.locator("#az-query textarea").input_value() == "schooluitval"
    assert page.locator("#az-exact input").is_checked()
    marks = page.locator(".az-card blockquote mark").all_inner_texts()
    assert marks and {m.lower() for m in marks} == {"schooluitval"}
    shot()


@pytest.mark.parametrize("via", ["typed", "link"])
def test_script_payload_in_query_shows_as_text(page: Page, app_url: str, shot, via: str) -> None:
    if via == "typed":
        open_app(page, app_url)
        search(page, PAYLOAD)
    else:
        page.goto(f"{app_url}/?q={quote(PAYLOAD)}")
        page.wait_for_selector("#az-results .az-results, #az-results .az-warn")
    page.wait_for_timeout(500)  # give an injected handler the chance to fire
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator("#injected").count() == 0
    assert page.locator("#az-results img").count() == 0
    assert page.locator("#az-results script").count() == 0
    assert "<b id=injected>x</b>" in page.locator("#az-results").inner_text()
    shot()


def test_empty_query_explains_what_to_do(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    search(page, "   ")
    message = page.locator("#az-results .az-warn")
    expect(message).to_contain_text("leeg")
    assert "Traceback" not in page.locator("#az-results").inner_text()
    shot()


def test_corpus_overview_lists_the_documents(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    page.get_by_text("Over de documenten").click()
    rows = page.locator(".az-overview tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == 5
    expect(page.locator(".az-overview")).to_contain_text("5 documenten")
    page.locator(".az-overview").scroll_into_view_if_needed()
    shot()


def test_example_question_runs_a_search(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    mark_results_stale(page)
    example = "Welke maatregelen stelt de SERV voor tegen schooluitval?"
    page.get_by_role("button", name=example).click()
    wait_for_new_results(page)
    assert page.locator(".az-card").count() == 10
    assert page.locator("#az-query textarea").input_value() == example
    assert parse_qs(urlsplit(page.url).query)["q"] == [example]
    shot()


def test_copy_citation_without_clipboard_shows_the_text_to_copy(
    page: Page, app_url: str, shot
) -> None:
    # As on a plain-http office network address, where the clipboard API is absent.
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    open_app(page, app_url)
    search(page, QUESTION)
    card = page.locator(".az-card").first
    card.get_by_role("button", name="Kopieer citaat").click()
    area = card.locator("textarea.az-cite-text")
    expect(area).to_be_visible()
    expect(card.locator(".az-copy-status")).to_contain_text("Ctrl+C")
    selected = page.evaluate(
        "() => { const a = document.activeElement;"
        " return a.value.substring(a.selectionStart, a.selectionEnd); }"
    )
    assert selected == area.input_value() and selected
    shot()


def test_too_long_query_is_cut_with_a_notice(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    search(page, "duaal leren op de werkplek " * 400)  # 10,800 characters
    expect(page.locator(".az-notice").first).to_contain_text("ingekort")
    assert page.locator(".az-card").count() > 0
    shot()
