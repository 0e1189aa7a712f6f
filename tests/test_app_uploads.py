"""The running app takes uploads and follows new index versions by itself.

A real Searcher over the small fixture corpus with the fake embedder, served
in a thread, called through gradio_client like any API user would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import upload_files as files
from fake_searcher import FakeSearcher, running_app
from fastapi.testclient import TestClient
from gradio_client import Client, handle_file
from index_fixtures import CORPUS, FakeEmbedder, fill_store, fixture_settings

from app.reloader import LiveService
from app.search_service import SearchService
from app.web import create_app
from index.build import build_index
from index.search import Searcher
from ingest.settings import Settings

TOKEN = "geheim-123"
QUOTE = '"volwassenenonderwijs hervormen met modulaire trajecten"'


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = fixture_settings(tmp_path).with_(upload_token=TOKEN)
    with fill_store(settings) as store:
        build_index(settings, store, FakeEmbedder(), progress=False)
    return settings


def open_app(settings: Settings):
    searcher = Searcher.open(settings, FakeEmbedder())
    return create_app(
        searcher, settings, reopen=lambda old: Searcher.open(settings, embedder=old.embedder)
    )


@pytest.fixture
def app_client(settings: Settings) -> Iterator[tuple[Client, object]]:
    app = open_app(settings)
    with running_app(app) as url:
        client = Client(url + "/", verbose=False)
        yield client, app
        client.close()  # its heartbeat stream would hold the server open


def sources(result: dict) -> set[str]:
    return {r["source"] for r in result["results"]}


def test_add_documents_returns_per_file_results_once_searchable(app_client, tmp_path) -> None:
    client, _ = app_client
    nota = files.write(tmp_path / "in", "nota.txt", files.NOTA)
    bad = files.write(tmp_path / "in", "virus.pdf", files.EXECUTABLE)
    results = client.predict(
        [handle_file(str(nota)), handle_file(str(bad))],
        TOKEN,
        [{"title": "Nota volwassenenonderwijs", "year": "2025"}, None],
        api_name="/add_documents",
    )
    assert [(r["name"], r["status"]) for r in results] == [
        ("nota.txt", "added"),
        ("virus.pdf", "rejected"),
    ]
    assert set(results[0]) >= {"name", "status", "message", "passages"}
    assert results[0]["passages"] > 0
    assert "Windows-programma" in results[1]["message"]
    # Searchable at once: the call returned after the app switched index.
    found = client.predict(QUOTE, 3, api_name="/search")
    assert found["results"] and found["results"][0]["title"] == "Nota volwassenenonderwijs"


def test_add_documents_needs_the_token(app_client, tmp_path) -> None:
    client, _ = app_client
    nota = files.write(tmp_path / "in", "nota.txt", files.NOTA)
    with pytest.raises(Exception, match="toegangscode klopt niet"):
        client.predict([handle_file(str(nota))], "fout", None, api_name="/add_documents")
    found = client.predict(QUOTE, 3, api_name="/search")
    assert not any(source.startswith("upload-") for source in sources(found))


def test_the_app_follows_an_index_built_beside_it(app_client, settings) -> None:
    """`advieszoeker index` in another process publishes; the app switches by itself."""
    client, app = app_client
    extra = [("003_nieuw.txt", "Nieuw advies over volwassenenonderwijs", "SERV", "advies",
              2026, [(("1 Inleiding",), 1, files.NOTA)])]  # fmt: skip
    with fill_store(settings, CORPUS + extra) as store:
        build_index(settings, store, FakeEmbedder(), progress=False)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = client.predict(QUOTE, 3, api_name="/search")
        if "003_nieuw.txt" in sources(found):
            break
        time.sleep(0.3)
    assert found["results"][0]["source"] == "003_nieuw.txt"
    assert app.state.live.reloads == 1
    assert app.state.service_status.index.documents == len(CORPUS) + 1


def test_searches_during_an_upload_never_see_a_half_built_index(app_client, tmp_path) -> None:
    """Searches keep running while a PDF and a text are added: no error, and every
    answer comes from either the old or the new index, complete."""
    client, _ = app_client
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[set[str]] = []

    def keep_searching() -> None:
        own = Client(client.src, verbose=False)
        while not stop.is_set():
            try:
                result = own.predict("werkbaar werk voor werknemers", 10, api_name="/search")
                seen.append(sources(result))
                # The top hit is always the same document, in the old and the new index.
                assert result["results"][0]["source"] == "001_studie.txt"
            except BaseException as err:  # collected, asserted below
                errors.append(err)
        own.close()

    workers = [threading.Thread(target=keep_searching) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        nota = files.write(tmp_path / "in", "nota.txt", files.NOTA + " werknemers werkbaar")
        results = client.predict(
            [handle_file(str(nota)), handle_file(str(files.MEMO))], TOKEN, None,
            api_name="/add_documents",
        )  # fmt: skip
        time.sleep(1.0)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
    assert [r["status"] for r in results] == ["added", "added"]
    assert not errors, errors[:3]
    assert len(seen) > 5
    old = {s for s, *_ in CORPUS}
    new_docs = {r["source"] for r in results}
    for answer in seen:
        assert answer <= old | new_docs
    assert any(answer & new_docs for answer in seen[-3:])  # the last ones see the new index


def test_a_search_in_flight_finishes_on_the_old_searcher(settings, tmp_path) -> None:
    searcher = Searcher.open(settings, FakeEmbedder())
    live = LiveService(
        SearchService(searcher, settings),
        reopen=lambda old: Searcher.open(settings, embedder=old.embedder),
    )
    before = live.current
    from app.uploads import Incoming, Uploads

    nota = files.write(tmp_path / "in", "nota.txt", files.NOTA)
    Uploads(settings, lambda: searcher.embedder, live.refresh).add([Incoming(nota, "nota.txt")])
    assert live.current is not before and live.document_count == len(CORPUS) + 1
    # The old version's folder is gone; a search that began on it still completes.
    old = before.searcher.search("werkbaar werk", k=3)
    assert old.hits[0].document.source == "001_studie.txt"
    assert live.current.searcher.search(QUOTE).hits


def test_without_a_token_the_panel_says_uploads_are_off() -> None:
    with TestClient(create_app(FakeSearcher(), Settings())) as client:
        config = client.get("/config").text
    assert "Documenten toevoegen staat uit" in config
    assert "az-upload-token" not in config


def test_with_a_token_the_panel_shows_its_limits(settings) -> None:
    with TestClient(open_app(settings)) as client:
        config = client.get("/config").text
    assert "az-upload-token" in config and "az-upload-files" in config
    assert "hoogstens 10 bestanden tegelijk, 20 MB en 500 pagina" in config
