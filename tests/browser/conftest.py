"""The real app in headless Chromium: one index of the seeds and one server per session.

The index is built with the command line (`advieszoeker index seeds`) into a
pytest cache folder; the model (test_model.py's) and the embedding cache (the
search end-to-end tests') are shared, so the model is built once and unchanged
passages are not embedded again. The server is `advieszoeker serve` in a
child process on a free port of 127.0.0.1. Chromium is Debian's (`make
browser` installs it), driven by Playwright.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, SEEDS, cli, cli_env, running_app
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright


@pytest.fixture(scope="session")
def seeds_data_dir(pytestconfig: pytest.Config) -> Path:
    """A data folder with the seeds indexed by the real model, via the CLI.

    Its database and index are its own (other tests may rebuild theirs while
    the server runs); the model and the embedding cache are shared through
    symlinks, so nothing is built or embedded twice.
    """
    model_cache = Path(pytestconfig.cache.mkdir("advieszoeker-model"))
    search_e2e = Path(pytestconfig.cache.mkdir("advieszoeker-search-e2e"))
    data_dir = Path(pytestconfig.cache.mkdir("advieszoeker-app-e2e"))
    for name, shared in (("models", model_cache / "models"), ("cache", search_e2e / "cache")):
        shared.mkdir(exist_ok=True)
        link = data_dir / name
        if not link.exists():
            link.symlink_to(shared, target_is_directory=True)
    result = subprocess.run(
        cli("--data-dir", str(data_dir), "index", str(SEEDS)),
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, f"indexing the seeds failed:\n{result.stderr[-3000:]}"
    return data_dir


@pytest.fixture(scope="session")
def app_url(seeds_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`advieszoeker serve` on a free port; yields its base URL once it answers."""
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with running_app(seeds_data_dir, log_path=log_path) as (url, _pid):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (apt-get install chromium).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_tab(context: BrowserContext, app_url: str) -> Page:
    """A tab recording JavaScript dialogs and requests that leave the machine."""
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    tab = context.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog: object) -> None:
        tab.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    tab.on("dialog", on_dialog)
    # The app must work offline: record any request that leaves the machine.
    tab.external = []  # type: ignore[attr-defined]
    tab.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((app_url, "data:", "blob:", "about:"))
            else tab.external.append(r.url)
        ),  # type: ignore[attr-defined]
    )
    return tab


@pytest.fixture
def page(browser: Browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh tab, 1280 px wide unless parametrized (indirect) with another width."""
    width = getattr(request, "param", 1280)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="nl-BE")
    yield new_tab(context, app_url)
    context.close()


@pytest.fixture
def make_tab(browser: Browser, app_url: str) -> Iterator[Callable[..., Page]]:
    """Open tabs with other browser settings (locale, colour scheme); closed afterwards."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, **options: object) -> Page:
        options = {"locale": "nl-BE", **options}
        context = browser.new_context(viewport={"width": width, "height": 900}, **options)
        contexts.append(context)
        return new_tab(context, app_url)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest):
    """Save a screenshot to tests/artifacts/<test name>[-<label>].png (look at them)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(label: str = "", full_page: bool = False, of: Page | None = None) -> Path:
        name = request.node.name.replace("[", "-").replace("]", "").replace("/", "_")
        path = ARTIFACTS / f"{name}{'-' + label if label else ''}.png"
        (of or page).screenshot(path=str(path), full_page=full_page)
        return path

    return save
