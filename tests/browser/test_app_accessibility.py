"""Accessibility of every page and state: axe-core at phone and desktop width, reflow,
and the whole search done with the keyboard only.

The standard is WCAG 2.1 AA (EU Directive 2016/2102 for public-sector sites):
axe-core must find no serious or critical violation, the page must never
scroll sideways at 360 px (nor 320 px, WCAG 1.4.10), and a keyboard user must
reach everything with a visible focus.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from axe_runner import describe, violations
from page_actions import (
    QUESTION,
    card_titles,
    check_quotes,
    open_app,
    open_asks,
    search,
    wait_for_new_results,
    wait_until_settled,
)
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WIDTHS = [360, 1280]


def open_document_view(page: Page, url: str) -> Page:
    """The document view of the first result, in this tab."""
    open_app(page, url)
    search(page, QUESTION)
    href = page.locator(".az-card .az-doclink").first.get_attribute("href")
    page.goto(f"{url}/{href}")
    page.wait_for_selector(".az-target")
    return page


def _results(page: Page, url: str) -> None:
    open_app(page, url)
    search(page, QUESTION)


def _no_results(page: Page, url: str) -> None:
    # A search always finds its nearest passages; filters that exclude each other do not.
    page.goto(f"{url}/?q=duaal+leren&kind=studie&year=2022")
    expect(page.locator("#az-results")).to_contain_text("Geen passages gevonden")
    wait_until_settled(page)


def _error(page: Page, url: str) -> None:
    open_app(page, url)
    search(page, "   ")
    expect(page.locator("#az-results .az-warn")).to_be_visible()


def _exact_quote(page: Page, url: str) -> None:
    open_app(page, url)
    search(page, "Vlaams Regeerakkoord", exact=True)
    expect(page.locator(".az-summary")).to_contain_text("exact citaat")


def _filters_open(page: Page, url: str) -> None:
    open_app(page, url)
    page.get_by_role("button", name=re.compile("^Filters")).click()
    page.click("#az-doc input")
    expect(page.get_by_role("option").first).to_be_visible()


def _card_actions_open(page: Page, url: str) -> None:
    # Context shown and the citation box open (as without a clipboard).
    _results(page, url)
    card = page.locator(".az-card").first
    card.get_by_text("Toon context").click()
    page.evaluate("document.querySelector('.az-card textarea.az-cite-text').hidden = false")
    expect(card.locator(".az-ctx").first).to_be_visible()


def _overview_open(page: Page, url: str) -> None:
    open_app(page, url)
    page.get_by_role("button", name=re.compile("^Over de documenten")).click()
    expect(page.locator(".az-overview tbody tr").first).to_be_visible()


def _meer_hierover_open(page: Page, url: str) -> None:
    _results(page, url)
    page.locator(".az-card details.az-more summary").first.click()
    expect(page.locator(".az-more-item").first).to_be_visible()


STATES: dict[str, Callable[[Page, str], object]] = {
    "start": open_app,
    "results": _results,
    "no-results": _no_results,
    "error": _error,
    "exact-quote": _exact_quote,
    "filters-open": _filters_open,
    "card-actions-open": _card_actions_open,
    "overview-open": _overview_open,
    "document-view": open_document_view,
    # The tools next to the search (test_app_tools_browser.py).
    "meer-hierover-open": _meer_hierover_open,
    "quote-check": check_quotes,
    "asks": open_asks,
}


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scroll)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


@pytest.mark.parametrize("page", WIDTHS, indirect=True, ids=[f"{w}px" for w in WIDTHS])
@pytest.mark.parametrize("state", list(STATES))
def test_no_serious_wcag_violation(page: Page, app_url: str, shot, state: str) -> None:
    STATES[state](page, app_url)
    page.wait_for_timeout(300)  # let Gradio's fades and transitions settle
    found = violations(page)
    assert not found, f"axe-core, state {state}:\n{describe(found)}"
    width = page.viewport_size["width"]  # type: ignore[index]
    if width < 400:
        assert horizontal_overflow(page) == 0, f"the page scrolls sideways at {width} px"
    shot()


# 320 px: the narrowest phone, and a 1280 px window at 400% zoom (WCAG 1.4.10);
# 640 px: a 1280 px window at 200% zoom, where the phone layout starts.
@pytest.mark.parametrize("page", [320, 640], indirect=True, ids=["320px", "640px"])
@pytest.mark.parametrize("state", ["start", "results", "overview-open", "document-view"])
def test_no_sideways_scroll_when_narrow_or_zoomed(page: Page, app_url: str, state: str) -> None:
    STATES[state](page, app_url)
    assert horizontal_overflow(page) == 0
    # The search button stays on the screen, not cut off.
    if state != "document-view":
        width = page.viewport_size["width"]  # type: ignore[index]
        box = page.locator("#az-search").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("page", [640], indirect=True, ids=["1280px-at-200pct"])
def test_document_view_reads_at_200_percent_zoom(page: Page, app_url: str, shot) -> None:
    # A 1280 px window at 200% zoom lays the page out in 640 CSS pixels.
    doc = open_document_view(page, app_url)
    assert horizontal_overflow(doc) == 0
    text = doc.locator(".az-doc-text")
    assert float(text.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 16
    expect(doc.locator(".az-target")).to_be_in_viewport()
    # Reading starts at the found passage: it has the focus.
    assert doc.evaluate("document.activeElement.classList.contains('az-target')")
    assert not violations(doc), describe(violations(doc))
    shot()


def test_page_is_dutch_for_an_english_browser(make_tab, app_url: str) -> None:
    page = make_tab(locale="en-US")
    open_app(page, app_url)
    assert page.evaluate("document.documentElement.lang") == "nl"
    # Gradio's own texts follow: its footer link is Dutch, not "Use via API".
    footer = page.locator("footer").inner_text()
    assert "Use via API" not in footer and footer.strip()


def test_dark_system_setting_keeps_readable_colours(make_tab, app_url: str) -> None:
    page = make_tab(width=360, color_scheme="dark")
    _results(page, app_url)
    found = violations(page)
    assert not found, describe(found)


def test_results_are_headed_and_the_relevance_bar_is_said_in_words(
    page: Page, app_url: str
) -> None:
    _results(page, app_url)
    assert page.evaluate("document.documentElement.lang") == "nl"
    summary = page.get_by_role("heading", level=2, name=re.compile(r"^10 resultaten voor"))
    expect(summary).to_be_visible()
    cards = page.get_by_role("heading", level=3, name=re.compile(r"^Resultaat \d+: "))
    assert cards.count() == 10
    titles = card_titles(page)
    assert cards.first.text_content() == f"Resultaat 1: {titles[0]}"
    first = page.get_by_role("article", name=re.compile("^Resultaat 1: "))
    assert re.fullmatch(
        r"Relevantie: 100% van het beste resultaat", first.locator(".az-score .az-sr").inner_text()
    )
    assert first.locator(".az-score-bar").get_attribute("aria-hidden") == "true"


FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const style = getComputedStyle(el);
  return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
}"""


def tab_to(page: Page, matches: str, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the focused element satisfies `matches` (JS).

    Every element passed on the way must show a focus ring.
    """
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        # Gradio's buttons fade their ring in (0.2 s): wait for it, fail without one.
        try:
            page.wait_for_function(FOCUS_VISIBLE, timeout=2_000)
        except PlaywrightTimeout:
            raise AssertionError(f"no visible focus on {describe_focus(page)}") from None
        if page.evaluate(f"() => {{ const el = document.activeElement; return {matches}; }}"):
            return
    raise AssertionError(f"{limit} presses of {key} did not reach {matches}")


def describe_focus(page: Page) -> str:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return el.outerHTML.slice(0, 160) + ' outline: ' + getComputedStyle(el).outline; }"
    )


def test_keyboard_only_journey(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    # The question box has the focus when the page opens.
    page.wait_for_function("() => document.activeElement.matches('#az-query textarea')")
    page.keyboard.type("duaal leren en de arbeidsmarkt")
    page.keyboard.press("Enter")
    wait_for_new_results(page)
    # Focus moves to the heading of the results; the live region says what was found.
    page.wait_for_function("() => document.activeElement.matches('#az-results h2.az-summary')")
    expect(page.locator("#az-live")).to_have_text(re.compile(r"^10 resultaten voor"))
    chosen = card_titles(page)[-1]

    # Open the filters and choose a document, all by keyboard.
    tab_to(page, "el.matches('button.label-wrap') && el.textContent.startsWith('Filters')",
           backwards=True)  # fmt: skip
    assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "false"
    page.keyboard.press("Enter")
    expect(page.locator("#az-filters button.label-wrap")).to_have_attribute("aria-expanded", "true")
    # Gradio mounts the fields when the section opens; a Tab within those few
    # milliseconds can land on a field being replaced (no person types that fast).
    expect(page.locator("#az-doc input")).to_be_visible()
    page.wait_for_timeout(200)
    tab_to(page, "el.matches('#az-doc input')")
    page.keyboard.type(chosen[:30])
    expect(page.get_by_role("option", name=re.compile(re.escape(chosen[:30])))).to_be_visible()
    page.keyboard.press("Enter")  # the first matching option is the active one
    page.keyboard.press("Escape")
    expect(page.locator("#az-doc")).to_contain_text(chosen)

    # Apply it: back to the search button, press Enter.
    page.eval_on_selector_all(
        "#az-results .az-results", "els => els.forEach(e => e.setAttribute('data-stale', '1'))"
    )
    tab_to(page, "el.matches('#az-search')", backwards=True)
    page.keyboard.press("Enter")
    wait_for_new_results(page)
    page.wait_for_function("() => document.activeElement.matches('#az-results h2.az-summary')")
    assert set(card_titles(page)) == {chosen}

    # The first card: its context, its citation, its document.
    card = page.locator(".az-card").first
    tab_to(page, "el.matches('.az-card summary')")
    page.keyboard.press("Enter")
    expect(card.locator(".az-ctx").first).to_be_visible()
    tab_to(page, "el.matches('button.az-copy')", backwards=True)
    page.keyboard.press("Enter")
    expect(card.locator(".az-copy-status")).to_have_text("Gekopieerd")
    citation = card.locator("textarea.az-cite-text").input_value()
    assert page.evaluate("navigator.clipboard.readText()") == citation and chosen in citation
    shot("card")
    tab_to(page, "el.matches('a.az-doclink')", backwards=True)
    with page.expect_popup() as popup:
        page.keyboard.press("Enter")
    doc = popup.value
    doc.wait_for_load_state()
    expect(doc.locator(".az-target")).to_be_in_viewport()
    assert doc.evaluate("document.activeElement.classList.contains('az-target')")
    expect(doc.locator("h1")).to_have_text(chosen)
