"""Adding a real PDF in the browser, then finding one of its sentences by exact quote.

The server is `advieszoeker serve --upload-token …` on a copy of the seeds
index (the other browser tests keep theirs unchanged); model and embedding
cache are shared through symlinks.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_server import ROOT, running_app
from axe_runner import describe, violations
from page_actions import card_titles, open_app, search
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TOKEN = "browser-test-token"
PDF = ROOT / "tests" / "data" / "realdocs" / "Memo-Governance-Logius-Standaarden.pdf"
SENTENCE = "De governance van de standaarden volgt formeel nog de oude governance"


@pytest.fixture(scope="module")
def upload_url(seeds_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("upload-data")
    shutil.copy2(seeds_data_dir / "advieszoeker.db", data / "advieszoeker.db")
    shutil.copytree(seeds_data_dir / "index", data / "index")
    for name in ("models", "cache"):
        (data / name).symlink_to((seeds_data_dir / name).resolve(), target_is_directory=True)
    log = tmp_path_factory.mktemp("upload-serve") / "serve.log"
    with running_app(data, log_path=log, serve_args=["--upload-token", TOKEN]) as (url, _pid):
        yield url


def open_panel(page: Page, url: str) -> None:
    open_app(page, url)
    page.get_by_role("button", name="Documenten toevoegen").click()
    expect(page.locator("#az-upload-limits")).to_contain_text("20 MB")


def test_upload_a_real_pdf_then_find_its_sentence_by_exact_quote(
    page: Page, upload_url: str, shot
) -> None:
    open_panel(page, upload_url)
    page.fill("#az-upload-token input", TOKEN)
    page.locator("#az-upload-files input[type=file]").set_input_files(str(PDF))
    # The file is checked and its details are prefilled, editable.
    expect(page.locator("#az-upload-meta")).to_contain_text("In orde", timeout=60_000)
    expect(page.locator("#az-upload-meta")).to_contain_text("3 pagina's")
    found = violations(page)
    assert not found, describe(found)
    shot("chosen", full_page=True)
    page.click("#az-upload-add")
    result = page.locator("#az-upload-result")
    expect(result).to_contain_text("1 van 1 bestanden toegevoegd", timeout=300_000)
    expect(result).to_contain_text("Toegevoegd")
    shot("added", full_page=True)
    found = violations(page)
    assert not found, describe(found)
    # The filter menu lists it, and an exact quote finds it.
    search(page, f'"{SENTENCE}"')
    titles = card_titles(page)
    assert titles and "Governance Logius" in titles[0], titles
    expect(page.locator(".az-card mark").first).to_contain_text("governance")
    shot("found", full_page=True)


def test_removing_the_uploaded_pdf_asks_for_confirmation(page: Page, upload_url: str) -> None:
    open_panel(page, upload_url)
    page.click("#az-upload-remove-doc input")
    page.get_by_role("option", name=re.compile("Memo-Governance")).click()
    page.click("#az-upload-remove")
    result = page.locator("#az-upload-result")
    expect(result).to_contain_text("Vink eerst aan", timeout=60_000)
    page.fill("#az-upload-token input", TOKEN)
    page.check("#az-upload-sure input")
    page.click("#az-upload-remove")
    expect(result).to_contain_text("is verwijderd", timeout=300_000)
    search(page, f'"{SENTENCE}"')
    assert not any("Governance Logius" in t for t in card_titles(page))


def test_a_file_that_is_no_pdf_is_refused_with_the_reason(
    page: Page, upload_url: str, tmp_path: Path
) -> None:
    fake = tmp_path / "rapport.pdf"
    fake.write_text("<!DOCTYPE html><html><body>Geen PDF</body></html>", "utf-8")
    open_panel(page, upload_url)
    page.fill("#az-upload-token input", TOKEN)
    page.locator("#az-upload-files input[type=file]").set_input_files(str(fake))
    expect(page.locator("#az-upload-meta")).to_contain_text("webpagina (HTML)", timeout=60_000)
    page.click("#az-upload-add")
    result = page.locator("#az-upload-result")
    expect(result).to_contain_text("0 van 1 bestanden toegevoegd", timeout=60_000)
    expect(result).to_contain_text("webpagina (HTML)")


def test_without_the_token_nothing_is_added(page: Page, upload_url: str) -> None:
    open_panel(page, upload_url)
    page.fill("#az-upload-token input", "fout")
    page.locator("#az-upload-files input[type=file]").set_input_files(str(PDF))
    expect(page.locator("#az-upload-meta")).to_contain_text("In orde", timeout=60_000)
    page.click("#az-upload-add")
    expect(page.locator("#az-upload-result")).to_contain_text("klopt niet", timeout=60_000)


def test_an_editor_logged_in_by_the_proxy_needs_no_token(
    browser: Browser, upload_url: str, tmp_path: Path
) -> None:
    """The reverse proxy sends the token in a header (README): the field stays empty."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="nl-BE",
        extra_http_headers={"X-Advieszoeker-Upload-Token": TOKEN},
    )
    try:
        page = context.new_page()
        note = tmp_path / "notitie.md"
        note.write_text(
            "# Notitie over leerwerkplekken\n\n"
            + "De redactie verzamelt voorbeelden van leerwerkplekken bij kleine bedrijven. " * 12,
            "utf-8",
        )
        open_panel(page, upload_url)
        page.locator("#az-upload-files input[type=file]").set_input_files(str(note))
        expect(page.locator("#az-upload-meta")).to_contain_text("In orde", timeout=60_000)
        page.click("#az-upload-add")
        expect(page.locator("#az-upload-result")).to_contain_text(
            "1 van 1 bestanden toegevoegd", timeout=300_000
        )
    finally:
        context.close()
