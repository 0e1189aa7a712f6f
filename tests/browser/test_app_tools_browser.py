"""The tools next to the search in a real browser, on the real index of the seeds:
Citaat controleren, Aanbevelingen, "Meer hierover" and the export downloads.

Screenshots go to tests/artifacts/; look at them after a change to these pages.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import rispy
from page_actions import QUESTION, check_quotes, open_app, open_asks, search
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_quote_check_names_verdicts_and_changed_words(page: Page, app_url: str, shot) -> None:
    check_quotes(page, app_url)
    cards = page.locator(".az-check")
    assert [c.get_attribute("data-verdict") for c in cards.all()] == [
        "altered", "shortened", "not_found",
    ]  # fmt: skip
    expect(cards.nth(0).locator(".az-changes")).to_contain_text(
        "Veranderd: “dubbel” staat er als “meermaals”"
    )
    expect(cards.nth(1).locator(".az-changes")).to_contain_text("Weggelaten: “en structuren”")
    # The source text is shown verbatim, its left-out words marked, with its citation.
    expect(cards.nth(1).locator("mark.az-diff-delete")).to_have_text("en structuren")
    expect(cards.nth(1)).to_contain_text("Duaal Leren voor de toekomst")
    expect(cards.nth(2)).to_contain_text("Niet gevonden")
    assert cards.nth(2).locator(".az-source-text").count() == 0  # never a forced match
    assert page.external == []  # type: ignore[attr-defined]
    shot(full_page=True)


def test_asks_page_lists_per_document_searchable_and_filtered(
    page: Page, app_url: str, shot
) -> None:
    open_asks(page, app_url)
    documents = page.locator(".az-asks-doc")
    assert documents.count() == 5
    first_total = int(page.locator(".az-asks-results").get_attribute("data-count") or 0)
    assert first_total > 100
    expect(page.locator(".az-ask").first).to_contain_text(re.compile(r"\w"))
    page.fill("#az-asks-query textarea", "werkplekleren")
    page.click("#az-asks-go")
    expect(page.locator(".az-asks-results")).not_to_have_attribute(
        "data-count", str(first_total), timeout=60_000
    )
    found = page.locator(".az-ask-text").all_inner_texts()
    assert found and all("werkplek" in t.lower() for t in found[:5])
    # The document filter, as on the search page.
    page.fill("#az-asks-query textarea", "")
    page.get_by_role("button", name=re.compile("^Filters")).click()
    page.click("#az-asks-doc input")
    page.get_by_role("option", name=re.compile("^Duaal Leren voor de toekomst")).click()
    page.keyboard.press("Escape")
    expect(page.locator(".az-asks-doc")).to_have_count(1, timeout=60_000)
    expect(page.locator(".az-asks-doc h3")).to_have_text("Duaal Leren voor de toekomst")
    shot()


def test_meer_hierover_shows_other_documents_by_year(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    search(page, QUESTION)
    card = page.locator(".az-card").first
    own = card.locator("h3 .az-title").inner_text()
    more = card.locator("details.az-more")
    expect(more).to_have_count(1)
    more.locator("summary").click()
    items = more.locator(".az-more-item")
    expect(items.first).to_be_visible()
    titles = items.locator("a").all_inner_texts()
    assert own not in [t.replace(" (opent in een nieuw tabblad)", "") for t in titles]
    years = [y for y in items.locator(".az-year").all_inner_texts() if y.isdigit()]
    assert years == sorted(years)
    more.scroll_into_view_if_needed()
    shot()


def test_export_downloads_open_as_csv_and_ris(page: Page, app_url: str, shot) -> None:
    open_app(page, app_url)
    search(page, QUESTION)
    titles = page.locator(".az-card h3 .az-title").all_inner_texts()
    with page.expect_download() as csv_download:
        page.locator("a.az-export-link[data-format='csv']").click()
    path = Path(csv_download.value.path())
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    assert [r["title"] for r in rows] == titles
    assert all(r["citation"] and r["text"] for r in rows)
    with page.expect_download() as ris_download:
        page.locator("a.az-export-link[data-format='ris']").click()
    assert ris_download.value.suggested_filename.endswith(".ris")
    records = rispy.loads(Path(ris_download.value.path()).read_text("utf-8"))
    assert {r["title"] for r in records} == set(titles)
    assert sum(len(r["notes"]) for r in records) == len(titles)
    page.locator(".az-export").scroll_into_view_if_needed()
    shot()


def test_navbar_reaches_the_tools(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    page.get_by_role("link", name="Citaat controleren").click()
    page.wait_for_selector("#az-quote textarea", timeout=60_000)
    page.get_by_role("link", name="Aanbevelingen").click()
    page.wait_for_selector("#az-asks-results .az-asks-results", timeout=60_000)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
