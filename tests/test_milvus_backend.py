"""The milvus backend on Milvus Lite: publishing by alias, crashes and kills, clear errors.

The search behaviour itself is tested on both backends by test_index_search.py;
this module tests what only Milvus has: versions as collections, the alias
switch, and a missing or unreachable Milvus.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from index_fixtures import FakeEmbedder, fill_store, fixture_settings, on_backend

from app.cli import cli
from index import Filters, IndexNotReady, Searcher, build_index
from index.backends import BackendUnavailable, RowFilter
from index.backends.milvus_client import connect, expression
from index.backends.milvus_publish import Aliases, MilvusWriter, alias_names
from index.manifest import MANIFEST, current_version
from ingest.settings import Settings

pytestmark = pytest.mark.milvus
ROOT = Path(__file__).resolve().parents[1]


def _settings(tmp_path: Path, lite: Path, name: str) -> Settings:
    return on_backend(fixture_settings(tmp_path), "milvus", lite, name)


def _published(settings: Settings) -> dict[str, str]:
    folder = current_version(settings.index_dir)
    assert folder is not None
    return json.loads((folder / MANIFEST).read_text("utf-8"))["collections"]


def _versions(settings: Settings) -> set[str]:
    client = connect(settings)
    try:
        prefix = settings.milvus_collection + "_v"
        return {n for n in client.list_collections() if n.startswith(prefix)}
    finally:
        client.close()


def _alias_targets(settings: Settings) -> dict[str, str | None]:
    client = connect(settings)
    try:
        prefix = settings.milvus_collection
        book = Aliases(client, settings.milvus_address, prefix)
        return {part: book.get(alias) for part, alias in alias_names(prefix).items()}
    finally:
        client.close()


def test_rebuild_switches_the_alias_and_drops_the_old_version(tmp_path, milvus_lite) -> None:
    settings = _settings(tmp_path, milvus_lite, "publish")
    embedder = FakeEmbedder()
    with fill_store(settings) as store:
        build_index(settings, store, embedder, progress=False)
        first = _published(settings)
        assert _alias_targets(settings) == first
        build_index(settings, store, embedder, progress=False)
    second = _published(settings)
    assert set(second.values()).isdisjoint(first.values())
    assert _alias_targets(settings) == second
    assert _versions(settings) == set(second.values())
    searcher = Searcher.open(settings, embedder=embedder)
    try:
        assert searcher.search("werkdruk leraren", k=1).hits[0].passage.source == "001_studie.txt"
    finally:
        searcher.close()


def test_failed_write_keeps_the_previous_version_and_is_cleaned_up(
    tmp_path, milvus_lite, monkeypatch
) -> None:
    settings = _settings(tmp_path, milvus_lite, "crash")
    embedder = FakeEmbedder()
    with fill_store(settings) as store:
        build_index(settings, store, embedder, progress=False)
        before = _published(settings)

        def crash(self, name: str, count: int) -> None:
            raise RuntimeError("simulated crash while Milvus loads")

        with monkeypatch.context() as patch:
            patch.setattr(MilvusWriter, "_finish", crash)
            with pytest.raises(RuntimeError, match="simulated crash"):
                build_index(settings, store, embedder, progress=False)
        # The half-written version is there, but nothing points at it.
        assert len(_versions(settings)) > 2
        assert _published(settings) == before and _alias_targets(settings) == before
        searcher = Searcher.open(settings, embedder=embedder)
        assert searcher.search("werkdruk").hits
        searcher.close()
        build_index(settings, store, embedder, progress=False)
    assert _versions(settings) == set(_published(settings).values())


def test_sigkill_while_writing_milvus_leaves_the_previous_index(tmp_path) -> None:
    # Its own Lite file: the child process must hold it alone while it runs.
    lite = tmp_path / "kill.db"
    data_dir = tmp_path / "data"
    child = [sys.executable, str(ROOT / "tests" / "milvus_build_child.py"), str(data_dir),
             str(lite)]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([*child, "title+section"], env=env, capture_output=True, text=True)
    assert "built" in done.stdout, done.stdout + done.stderr
    settings = Settings(data_dir=data_dir, backend="milvus", milvus_uri=str(lite))
    before = _published(settings)

    # A re-index with another embed_context, killed while it writes to Milvus.
    proc = subprocess.Popen([*child, "none"], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Milvus: writing"):
            proc.send_signal(signal.SIGKILL)
            break
    assert proc.wait(timeout=30) == -signal.SIGKILL
    # Milvus Lite stops when its parent dies; give it a moment to release the file.
    deadline = time.monotonic() + 20
    while True:
        try:
            searcher = Searcher.open(settings, embedder=FakeEmbedder())
            break
        except BackendUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        assert _published(settings) == before
        assert searcher.search("werkdruk leraren", k=1).hits[0].passage.source == "001_studie.txt"
    finally:
        searcher.close()
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(lite))


def test_unreachable_milvus_is_one_clear_message(tmp_path, milvus_lite) -> None:
    unreachable = {"milvus_uri": "http://127.0.0.1:9", "milvus_token": "root:Milvus"}
    settings = _settings(tmp_path, milvus_lite, "unreachable")
    with fill_store(settings) as store:
        with pytest.raises(BackendUnavailable) as caught:
            build_index(settings.with_(**unreachable), store, FakeEmbedder(), progress=False)
        build_index(settings, store, FakeEmbedder(), progress=False)
    message = str(caught.value)
    assert "http://127.0.0.1:9" in message and "ADVIESZOEKER_MILVUS_URI" in message
    # The CLI says it in one line, without a traceback, before loading the model.
    env = {
        "ADVIESZOEKER_BACKEND": "milvus",
        "ADVIESZOEKER_MILVUS_URI": "http://127.0.0.1:9",
        "ADVIESZOEKER_MILVUS_COLLECTION": "unreachable",
    }
    args = ["--data-dir", str(settings.data_dir), "search", "werkdruk"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1, result.output
    assert "Milvus at http://127.0.0.1:9 could not be reached" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_lite_engine_that_does_not_answer_is_started_once_more(tmp_path, monkeypatch) -> None:
    from pymilvus.exceptions import MilvusException

    import index.backends.milvus_client as milvus_client

    calls: list[str] = []

    def connecting(failures: int):  # a client that fails its first `failures` connections
        def client(uri: str, token: str) -> str:
            calls.append("connect")
            if calls.count("connect") <= failures:
                raise MilvusException(message="Fail connecting to server on unix:/tmp/x.sock")
            return "client"

        return client

    monkeypatch.setattr(milvus_client, "_release_lite", lambda path: calls.append("release"))
    lite = Settings(milvus_uri=str(tmp_path / "milvus.db"))
    monkeypatch.setattr(milvus_client, "_client", connecting(failures=1))
    assert connect(lite) == "client"
    assert calls == ["connect", "release", "connect"]
    calls.clear()
    monkeypatch.setattr(milvus_client, "_client", connecting(failures=2))
    with pytest.raises(BackendUnavailable, match="could not be reached"):
        connect(lite)
    assert calls == ["connect", "release", "connect"]
    calls.clear()  # a Milvus server, not Lite: said unreachable at once
    with pytest.raises(BackendUnavailable, match="could not be reached"):
        connect(Settings(milvus_uri="http://127.0.0.1:9"))
    assert calls == ["connect"]


def test_missing_pymilvus_says_how_to_install(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    settings = fixture_settings(tmp_path).with_(backend="milvus")
    with pytest.raises(BackendUnavailable, match="make setup"):
        connect(settings)


def test_lite_file_in_use_says_so(tmp_path, milvus_lite) -> None:
    # This process holds the module's Lite file; another process cannot open it.
    connect(Settings(milvus_uri=str(milvus_lite))).close()
    probe = (
        "import sys; from index.backends.milvus_client import connect; from ingest.settings import "
        f"Settings\ntry: connect(Settings(milvus_uri={str(milvus_lite)!r}))\n"
        "except Exception as e: print(e)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert "in use by another program" in out.stdout, out.stdout + out.stderr


def test_dropped_collection_and_other_backend_ask_for_a_rebuild(tmp_path, milvus_lite) -> None:
    settings = _settings(tmp_path, milvus_lite, "gone")
    with fill_store(settings) as store:
        build_index(settings, store, FakeEmbedder(), progress=False)
    with pytest.raises(IndexNotReady, match="built for the milvus backend"):
        Searcher.open(settings.with_(backend="local"), embedder=FakeEmbedder())
    client = connect(settings)
    client.drop_collection(_published(settings)["sentences"])
    client.close()
    with pytest.raises(IndexNotReady, match=r"is gone.*advieszoeker index"):
        Searcher.open(settings, embedder=FakeEmbedder())


def test_filter_values_are_quoted_safely() -> None:
    mask = np.array([True, False])
    where = RowFilter(mask, Filters(sources=('a "b" \\ c.txt',), years=(2024,)))
    assert expression(where) == 'source in ["a \\"b\\" \\\\ c.txt"] and year in [2024]'
    assert expression(RowFilter(mask)) == "row in [0]"
    assert expression(RowFilter(np.ones(2, dtype=bool), min_prose_words=1)) == "prose_words >= 1"
