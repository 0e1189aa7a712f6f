"""What a user does on the search page, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page

QUESTION = "Wat vraagt de SERV over duaal leren?"


# While an event runs, Gradio fades the result area (opacity 0.2) and fades it
# back after: settled is when it and every element above it are opaque again.
SETTLED = """() => {
  let el = document.querySelector('#az-results .az-results, #az-results .az-message');
  if (!el || document.querySelector('#az-results .pending')) return false;
  for (; el; el = el.parentElement) if (getComputedStyle(el).opacity !== '1') return false;
  return true;
}"""


def wait_until_settled(page: Page) -> None:
    page.wait_for_function(SETTLED, timeout=60_000)


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#az-query textarea")
    wait_until_settled(page)


def mark_results_stale(page: Page) -> None:
    """Mark what is shown now, so `wait_for_new_results` can tell it from the next one."""
    page.eval_on_selector_all(
        "#az-results .az-results, #az-results .az-message",
        "els => els.forEach(e => e.setAttribute('data-stale', '1'))",
    )


def wait_for_new_results(page: Page) -> None:
    """Wait until the result area was replaced after the last search."""
    page.wait_for_function(
        "() => { const el = document.querySelector("
        "'#az-results .az-results, #az-results .az-message');"
        " return el && !el.hasAttribute('data-stale'); }",
        timeout=60_000,
    )
    wait_until_settled(page)


def search(page: Page, query: str, *, exact: bool = False) -> None:
    mark_results_stale(page)
    box = page.locator("#az-exact input")
    if box.is_checked() != exact:
        box.click()
    page.fill("#az-query textarea", query)
    page.click("#az-search")
    wait_for_new_results(page)


def card_titles(page: Page) -> list[str]:
    return page.locator(".az-card h3 .az-title").all_inner_texts()


# The tools next to the search: a quote of each verdict, and opening the tool pages.
ALTERED = (
    "Structurele middelen moeten worden voorzien: elke geïnvesteerde euro in het "
    "VSV-beleid verdient zich dubbel terug"
)
SHORTENED = "Er zijn heel veel organisaties bezig met Duaal Leren maar niemand neemt echt de lead"
UNKNOWN = "De SERV wil de btw op fietsen afschaffen voor alle studenten."


def open_tool(page: Page, url: str, path: str, ready: str) -> None:
    page.goto(f"{url}/{path}")
    page.wait_for_selector(ready, timeout=60_000)


def check_quotes(page: Page, url: str) -> None:
    open_tool(page, url, "citaat", "#az-quote textarea")
    page.fill("#az-quote textarea", "\n".join([ALTERED, SHORTENED, UNKNOWN]))
    page.click("#az-check")
    page.wait_for_selector("#az-quote-results .az-checks", timeout=60_000)


def open_asks(page: Page, url: str) -> None:
    open_tool(page, url, "aanbevelingen", "#az-asks-results .az-asks-results")
