"""Reliability: interrupted indexing, damaged indexes, odd queries, bad files in a batch.

The rule everywhere: the tool answers with results that agree with the store,
or says in one sentence what is wrong and how to rebuild; never a traceback,
never wrong passages. The SIGKILL test runs the real CLI with the real model
(e2e); the rest uses the fake embedder of index_fixtures.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from index_fixtures import FakeEmbedder, fill_store

from app.cli import cli
from index import build_index
from index.manifest import MANIFEST, POINTER, SNAPSHOT, current_version
from index.results import IndexNotReady, QueryError, SearchResponse
from index.search import Searcher
from ingest import ingest_paths
from ingest.settings import Settings
from ingest.store import Store, StoreError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = Path(__file__).parent / "data"
REBUILD_HINT = "advieszoeker index"


def assert_consistent(response: SearchResponse, store: Store) -> None:
    """Every hit is a stored passage, quoted exactly from its stored document."""
    for hit in response.hits:
        stored = store.passage(hit.passage.id)
        assert stored is not None, f"hit {hit.passage.id} is not in the store"
        document = store.document(stored.source)
        assert document is not None
        assert hit.passage.text == stored.text
        assert document.cleaned[stored.char_start : stored.char_end] == stored.text
        for h in hit.highlights:
            assert hit.passage.text[h.start : h.end] == h.text


# --------------------------------------------------------------- SIGKILL (e2e)


def _cli_env() -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("ADVIESZOEKER_DATA", None)  # the data folder is always given explicitly
    return env


class IndexRun:
    """`advieszoeker -v index` in a child process, its output collected as it comes."""

    def __init__(self, data_dir: Path, corpus: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "-v", "--data-dir", str(data_dir), "index",
             str(corpus)],
            cwd=ROOT, env=_cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := os.read(self.proc.stdout.fileno(), 4096):
            self.output += chunk.decode("utf-8", "replace")

    def kill_when(self, marker: str | None, after: float = 0.0, timeout: float = 180) -> bool:
        """SIGKILL once `marker` is in the output (+ `after` s); False if it finished first."""
        deadline = time.monotonic() + timeout
        while marker is not None and marker not in self.output:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        time.sleep(after)
        finished = self.proc.poll() is not None
        if not finished:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        return not finished

    def finish(self, timeout: float = 600) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code


@pytest.fixture(scope="module")
def real_model(request: pytest.FixtureRequest) -> tuple[Path, object]:
    """test_model.py's model folder (built there once, or here if it is missing)."""
    from index.model import Embedder

    model_settings = Settings(data_dir=Path(request.config.cache.mkdir("advieszoeker-model")))
    embedder = Embedder.load(model_settings, progress=False)  # builds it only if missing
    return model_settings.models_dir, embedder


def _check_after_kill(settings: Settings, embedder: object, query: str) -> str:
    """The live store is intact, and the published index still answers, consistently.

    The index answers from the snapshot of the store it was built from, so a
    kill at any point of a re-index leaves the previous index fully usable.
    """
    with Store.open(settings.db_path, create=False) as store:
        for document in store.documents():
            for p in store.passages(document.source):
                assert document.cleaned[p.char_start : p.char_end] == p.text
    folder = current_version(settings.index_dir)
    assert folder is not None, "the previous index is gone"
    manifest_hash = json.loads((folder / MANIFEST).read_text("utf-8"))["corpus_hash"]
    searcher = Searcher.open(settings, embedder=embedder)  # type: ignore[arg-type]
    try:
        assert manifest_hash == searcher.store.corpus_hash()
        response = searcher.search(query, k=5)
        assert response.hits
        assert_consistent(response, searcher.store)
    finally:
        searcher.close()
    return "previous index answers"


@pytest.mark.e2e
def test_sigkill_during_reindex_never_breaks_the_index(
    tmp_path: Path, real_model: tuple[Path, object], request: pytest.FixtureRequest
) -> None:
    models_dir, embedder = real_model
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "models").symlink_to(models_dir, target_is_directory=True)
    # A copy of the seeds' embedding cache (when the e2e search tests left one) saves time;
    # a copy, so that a killed writer can never damage the shared one.
    shared_cache = Path(request.config.cache.mkdir("advieszoeker-search-e2e")) / "cache"
    if (shared_cache / "embeddings.sqlite").is_file():
        shutil.copytree(shared_cache, data_dir / "cache")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    doc = corpus / "004_165c6d2ad255d495.txt"
    shutil.copy(SEEDS / doc.name, doc)
    settings = Settings(data_dir=data_dir, corpus_dir=corpus)
    query = "Wie moet de regie nemen over het duaal leren?"

    first = IndexRun(data_dir, corpus)
    assert first.finish() == 0, first.output[-3000:]
    assert _check_after_kill(settings, embedder, query) == "previous index answers"

    outcomes: dict[str, str] = {}
    original = doc.read_text("utf-8")
    # Kill points: during start-up, once the store holds the change, while embedding.
    for round_, (marker, after) in enumerate(
        [(None, 0.5), ("Ingested:", 0.0), ("Embedding", 0.0), ("sentences", 0.5)], start=1
    ):
        doc.write_text(
            original + f"\n\nRonde {round_}: de sociale partners vragen een nieuw actieplan "
            f"voor duaal leren met {round_} extra werkplekken per sector.\n",
            "utf-8",
        )
        pointer = (data_dir / "index" / POINTER).read_text("utf-8")
        run = IndexRun(data_dir, corpus)
        killed = run.kill_when(marker, after)
        outcome = _check_after_kill(settings, embedder, query) if killed else "finished first"
        if (data_dir / "index" / POINTER).read_text("utf-8") != pointer:
            outcome = outcome.replace("previous", "new")  # published just before the kill
        outcomes[f"kill at {marker or ''} +{after} s"] = outcome
    # No temporary or half-written pointer is left as the index in use.
    assert (data_dir / "index" / POINTER).read_text("utf-8").strip().startswith("v-")

    last = IndexRun(data_dir, corpus)
    assert last.finish() == 0, last.output[-3000:]
    assert _check_after_kill(settings, embedder, query) == "previous index answers"
    searcher = Searcher.open(settings, embedder=embedder)  # type: ignore[arg-type]
    try:
        found = searcher.search(f'"{round_} extra werkplekken per sector"')
        assert found.mode == "exact" and found.hits
        assert_consistent(found, searcher.store)
    finally:
        searcher.close()
    # Only the published version folder is left after a completed run.
    assert [p.name for p in (data_dir / "index").glob("v-*")] == [
        current_version(data_dir / "index").name  # type: ignore[union-attr]
    ]
    # Shown with -s; the report's table of kill points comes from here.
    print(outcomes)


# --------------------------------------------------------- damaged or missing index


@pytest.fixture
def fake_index(settings: Settings) -> Iterator[tuple[Settings, FakeEmbedder]]:
    """The small Dutch corpus indexed with the fake embedder."""
    embedder = FakeEmbedder()
    store = fill_store(settings)
    build_index(settings, store, embedder, progress=False)
    store.close()
    yield settings, embedder


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGES = {
    "truncated dense.faiss": lambda f: _truncate(f / "dense.faiss"),
    "missing dense.faiss": lambda f: (f / "dense.faiss").unlink(),
    "empty dense.faiss": lambda f: (f / "dense.faiss").write_bytes(b""),
    "truncated manifest": lambda f: _truncate(f / MANIFEST),
    "missing manifest": lambda f: (f / MANIFEST).unlink(),
    "truncated keyword.npz": lambda f: _truncate(f / "keyword.npz"),
    "missing keyword.json": lambda f: (f / "keyword.json").unlink(),
    "truncated sentences.npz": lambda f: _truncate(f / "sentences.npz"),
    "truncated rows.json": lambda f: _truncate(f / "rows.json"),
    "missing CURRENT pointer": lambda f: (f.parent / POINTER).unlink(),
    "CURRENT points nowhere": lambda f: (f.parent / POINTER).write_text("v-gone\n"),
    "CURRENT is ../../etc": lambda f: (f.parent / POINTER).write_text("../../etc\n"),
    "missing version folder": lambda f: shutil.rmtree(f),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_index_is_refused_with_a_rebuild_hint(
    fake_index: tuple[Settings, FakeEmbedder], damage: str
) -> None:
    settings, embedder = fake_index
    folder = current_version(settings.index_dir)
    assert folder is not None
    DAMAGES[damage](folder)
    with pytest.raises(IndexNotReady) as info:
        Searcher.open(settings, embedder=embedder)
    message = str(info.value)
    assert REBUILD_HINT in message and "\n" not in message
    # The rebuild the message asks for brings the index back.
    with Store.open(settings.db_path) as store:
        build_index(settings, store, embedder, progress=False)
    searcher = Searcher.open(settings, embedder=embedder)
    try:
        response = searcher.search("lerarentekort")
        assert response.hits
        assert_consistent(response, searcher.store)
    finally:
        searcher.close()


def test_damaged_index_through_the_cli_is_one_line(
    fake_index: tuple[Settings, FakeEmbedder], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, embedder = fake_index
    _fake_model(monkeypatch, embedder)
    _truncate(current_version(settings.index_dir) / "dense.faiss")  # type: ignore[operator]
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), "search", "leraar"])
    assert result.exit_code == 1
    assert REBUILD_HINT in result.output and "Traceback" not in result.output


def _set_schema_version(db_path: Path, version: str) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))


def test_database_of_an_older_version_gives_a_clear_message(
    fake_index: tuple[Settings, FakeEmbedder],
) -> None:
    settings, embedder = fake_index
    # A whole data folder from an older version: the live store and the index's snapshot.
    _set_schema_version(settings.db_path, "0")
    _set_schema_version(current_version(settings.index_dir) / SNAPSHOT, "0")
    with pytest.raises(StoreError, match=r"schema version 0.*needs 2.*advieszoeker index"):
        Store.open(settings.db_path)
    with pytest.raises(IndexNotReady, match="schema version 0") as info:
        Searcher.open(settings, embedder=embedder)
    assert "\n" not in str(info.value)
    for command in (["search", "leraar"], ["ingest", str(DATA / "serv_letter.txt")]):
        result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *command])
        assert result.exit_code == 1, command
        assert "schema version 0" in result.output and "Traceback" not in result.output


def test_garbage_database_gives_a_clear_message(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    settings.db_path.write_bytes(b"dit is geen database " * 100)
    with pytest.raises(StoreError, match=r"damaged.*advieszoeker index"):
        Store.open(settings.db_path)
    with pytest.raises(IndexNotReady, match="advieszoeker index"):
        Searcher.open(settings, embedder=FakeEmbedder())


# ------------------------------------------------------------------ bad queries


def _fake_model(monkeypatch: pytest.MonkeyPatch, embedder: FakeEmbedder) -> None:
    """Let the CLI's Searcher.open load the fake embedder instead of the real model."""
    import index.model

    monkeypatch.setattr(index.model.Embedder, "load", classmethod(lambda cls, *a, **k: embedder))


BAD_QUERIES = {
    "empty": "",
    "whitespace": " \t\n  ",
    "10000 characters": "leerlingen begeleiding " * 435,
    "only punctuation": "?!.,;:-— …",
    "emoji": "🎓📚🤔",
    "emoji with words": "🎓 leraren 📚",
    "arabic": "ما هو رأي المجلس في التعليم المزدوج؟",
    "hebrew": "מה דעת המועצה על חינוך",
    "control characters": "\x00\x01\x1b[31mleraar\x07\x7f",
    "only control characters": "\x00\x01\x02\x1b",
    "script payload": "<script>alert(1)</script>",
    "sql": "'; DROP TABLE passages; --",
    "regex metacharacters": ".*+?[](){}|\\^$",
    "regex around a word": "(leraar|.*)+$",
    "unbalanced quote": '"elke geïnvesteerde',
    "quoted metacharacters": '"(.*)"',
    "zero-width and bidi marks": "\u200b\u202eleraar\u202c\ufeff",
    "lone surrogate": "leraar \ud800",
}
# Nothing to search for in these: a QueryError saying so. All others give results.
REJECTED = {"empty", "whitespace", "only punctuation", "emoji", "only control characters",
            "regex metacharacters", "quoted metacharacters"}  # fmt: skip
# An operating-system argument cannot hold NUL or a lone surrogate.
CLI_QUERIES = [n for n, q in BAD_QUERIES.items() if "\x00" not in q and "\ud800" not in q]


def _outcome(searcher: Searcher, query: str, mode: str) -> str:
    try:
        response = searcher.search(query, k=5, mode=mode)
    except QueryError as exc:
        message = str(exc)
        assert "zoekvraag" in message and "\n" not in message, message
        return f"QueryError: {message}"
    assert_consistent(response, searcher.store)
    return f"{len(response.hits)} hits ({response.mode})"


@pytest.mark.parametrize("mode", ["auto", "hybrid", "keyword", "dense", "exact"])
@pytest.mark.parametrize("name", list(BAD_QUERIES))
def test_bad_query_gives_results_or_a_dutch_message(
    fake_index: tuple[Settings, FakeEmbedder], name: str, mode: str
) -> None:
    settings, embedder = fake_index
    searcher = Searcher.open(settings, embedder=embedder)
    try:
        before = (searcher.store.passage_count(), searcher.store.corpus_hash())
        outcome = _outcome(searcher, BAD_QUERIES[name], mode)
        after = (searcher.store.passage_count(), searcher.store.corpus_hash())
    finally:
        searcher.close()
    assert after == before
    assert outcome.startswith("QueryError") == (name in REJECTED), outcome


@pytest.mark.parametrize("name", CLI_QUERIES)
def test_bad_query_through_the_cli(
    fake_index: tuple[Settings, FakeEmbedder], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    settings, embedder = fake_index
    _fake_model(monkeypatch, embedder)
    query = BAD_QUERIES[name]
    result = CliRunner().invoke(
        cli, ["--data-dir", str(settings.data_dir), "search", "--json", query]
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert "zoekvraag" in result.output
    else:
        for line in result.stdout.splitlines():
            json.loads(line)
    with Store.open(settings.db_path) as store:
        assert store.passage_count() == 6


# ----------------------------------------------------------- bad files in a batch


def test_bad_files_in_a_batch_keep_what_was_indexed_searchable(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", max_file_mb=0.01
    )
    embedder = FakeEmbedder()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "serv_letter.txt", corpus / "brief.txt")
    with Store.open(settings.db_path) as store:
        assert ingest_paths(settings, [corpus], store=store, progress=False).ok
        build_index(settings, store, embedder, progress=False)
    quote = '"De SERV wil Duaal Leren verder uitbouwen"'
    searcher = Searcher.open(settings, embedder=embedder)
    before = searcher.search(quote, k=3)
    searcher.close()
    assert before.mode == "exact" and before.hits

    (corpus / "leeg.txt").write_bytes(b"")
    (corpus / "binair.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "nep.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    (corpus / "groot.txt").write_bytes(b"tekst " * 5000)
    shutil.copy(corpus / "brief.txt", corpus / "kopie van brief.txt")
    shutil.copy(DATA / "cp1252.txt", corpus / "cafe.txt")
    with Store.open(settings.db_path) as store:
        summary = ingest_paths(settings, [corpus], store=store, progress=False)
        build_index(settings, store, embedder, progress=False)
    skipped = dict(summary.skipped)
    assert set(skipped) >= {"leeg.txt", "binair.txt", "nep.pdf", "groot.txt"}, skipped
    assert any("same content" in r for r in skipped.values()), skipped
    assert all("\n" not in r and r for r in skipped.values())

    searcher = Searcher.open(settings, embedder=embedder)
    try:
        after = searcher.search(quote, k=3)
        assert [h.passage.id for h in after.hits] == [h.passage.id for h in before.hits]
        assert_consistent(after, searcher.store)
        assert "cafe.txt" in {d.source for d in searcher.documents()}
    finally:
        searcher.close()
