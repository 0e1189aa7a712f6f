"""Adding documents from the app: every hostile file gets a Dutch message and
changes nothing, and search keeps answering from the published index."""

from __future__ import annotations

import errno
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest
import upload_files as files
from index_fixtures import FakeEmbedder, fill_store, fixture_settings

from app.upload_checks import UploadRejected, detect_type
from app.uploads import FileMeta, Incoming, UploadFailed, Uploads, UploadsDisabled
from index.build import build_index
from index.jobs import index_job
from index.manifest import current_version
from index.search import Searcher
from ingest.settings import Settings

BASE_DOCS = {"000_advies.txt", "001_studie.txt", "002_brief.txt"}


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Settings, FakeEmbedder]:
    """The fixture corpus, indexed and published, with uploads on."""
    settings = fixture_settings(tmp_path).with_(upload_token="geheim", upload_max_pages=200)
    embedder = FakeEmbedder()
    with fill_store(settings) as store:
        build_index(settings, store, embedder, progress=False)
    return settings, embedder


def still_answers(settings: Settings, embedder: FakeEmbedder) -> set[str]:
    """Open the published index as a restarted app would; it answers; its documents."""
    searcher = Searcher.open(settings, embedder)
    try:
        hits = searcher.search("werkbaar werk voor werknemers", k=3).hits
        assert hits and hits[0].document.source == "001_studie.txt"
        return {d.source for d in searcher.documents()}
    finally:
        searcher.close()


def upload(settings: Settings, embedder: FakeEmbedder, *named: tuple[str, bytes | str], **kw):
    incoming = []
    for name, data in named:
        # Like Gradio's cache: a folder of its own per file.
        folder = Path(tempfile.mkdtemp(dir=settings.data_dir.parent))
        incoming.append(Incoming(files.write(folder, "f", data), name))
    return Uploads(settings, lambda: embedder).add(incoming, **kw)


def test_a_text_and_a_pdf_become_searchable_with_their_passage_counts(indexed) -> None:
    settings, embedder = indexed
    results = upload(
        settings, embedder, ("nota.txt", files.NOTA), ("memo.pdf", files.MEMO.read_bytes())
    )
    assert [r.status for r in results] == ["added", "added"]
    assert all(r.passages > 0 and str(r.passages) in r.message for r in results)
    searcher = Searcher.open(settings, embedder)
    found = searcher.search('"volwassenenonderwijs hervormen met modulaire trajecten"').hits
    assert found and found[0].document.doc_id == results[0].doc_id
    assert searcher.search('"Logius"').hits[0].document.doc_id == results[1].doc_id
    assert len(searcher.documents()) == len(BASE_DOCS) + 2


def test_metadata_given_by_the_user_wins(indexed) -> None:
    settings, embedder = indexed
    meta = [{"title": "Mijn nota", "author": "Departement Onderwijs", "kind": "nota",
             "year": "2024"}]  # fmt: skip
    [result] = upload(settings, embedder, ("nota.txt", files.NOTA), metadata=meta)
    document = Searcher.open(settings, embedder).document(result.doc_id)
    assert (document.title, document.author, document.kind, document.year) == (
        "Mijn nota", "Departement Onderwijs", "nota", 2024,
    )  # fmt: skip


def test_a_bad_year_is_refused_in_dutch(indexed) -> None:
    settings, embedder = indexed
    [result] = upload(settings, embedder, ("nota.txt", files.NOTA), metadata=[{"year": "ooit"}])
    assert result.status == "rejected" and "jaartal" in result.message
    assert still_answers(settings, embedder) == BASE_DOCS


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("bom.docx", files.zip_bomb_docx, "zip-bom"),
        ("dik.pdf", lambda: files.blank_pages_pdf(3000), "3.000 pagina's"),
        ("groot.pdf", files.huge_page_pdf, "geen leesbaar document"),
        ("programma.pdf", lambda: files.EXECUTABLE, "Windows-programma"),
        ("pagina.pdf", lambda: files.HTML, "webpagina (HTML)"),
        ("geheim.pdf", files.encrypted_pdf, "wachtwoord"),
        ("half.pdf", files.truncated_pdf, "afgebroken"),
        ("half.docx", lambda: files.truncated_docx(files.small_docx()), "beschadigd"),
        ("leeg.txt", lambda: b"  \n", "leeg"),
        ("wit.pdf", files.blank_pages_pdf, "geen tekst en ook OCR"),
        ("nota.pdf", lambda: files.NOTA, "de naam eindigt op .pdf"),
    ],
)
def test_hostile_files_are_refused_and_change_nothing(indexed, name, make, expected) -> None:
    settings, embedder = indexed
    before = current_version(settings.index_dir)
    [result] = upload(settings, embedder, (name, make()))
    assert result.status == "rejected"
    assert expected.lower() in result.message.lower(), result.message
    assert result.passages == 0
    assert current_version(settings.index_dir) == before  # nothing was published
    assert still_answers(settings, embedder) == BASE_DOCS
    stored = [p for p in settings.uploads_dir.glob("upload-*")] if settings.uploads_dir.exists() \
        else []  # fmt: skip
    assert stored == []


def test_one_bad_file_does_not_stop_the_good_ones(indexed) -> None:
    settings, embedder = indexed
    results = upload(settings, embedder, ("x.pdf", files.EXECUTABLE), ("nota.txt", files.NOTA))
    assert [r.status for r in results] == ["rejected", "added"]
    assert len(still_answers(settings, embedder)) == len(BASE_DOCS) + 1


def test_names_with_paths_never_reach_the_file_system(indexed) -> None:
    settings, embedder = indexed
    results = upload(
        settings, embedder,
        ("../../../etc/cron.d/nota.txt", files.NOTA),
        ("/etc/passwd.md", files.NOTA.replace("minister", "regering")),
    )  # fmt: skip
    assert [r.status for r in results] == ["added", "added"]
    assert [r.name for r in results] == ["nota.txt", "passwd.md"]
    stored = sorted(p.name for p in settings.uploads_dir.iterdir())
    assert all(n.startswith("upload-") for n in stored if n.endswith((".txt", ".md")))
    assert not (settings.data_dir.parent / "etc").exists()
    assert all("etc" not in r.source and "/" not in r.source for r in results)


def test_the_same_file_twice_is_refused_the_second_time(indexed) -> None:
    settings, embedder = indexed
    upload(settings, embedder, ("nota.txt", files.NOTA))
    [again] = upload(settings, embedder, ("kopie.txt", files.NOTA))
    assert again.status == "rejected" and "staat er al in" in again.message


def test_limits_on_count_and_size(indexed) -> None:
    settings, embedder = indexed
    small = settings.with_(upload_max_files=1, upload_max_mb=0.001)
    with pytest.raises(UploadRejected, match="hoogstens 1"):
        upload(small, embedder, ("a.txt", files.NOTA), ("b.txt", files.NOTA + "x"))
    [big] = upload(small, embedder, ("a.txt", files.NOTA * 3))
    assert big.status == "rejected" and "de grens is 0.001 MB" in big.message


def test_types_not_allowed_by_the_settings_are_refused(indexed) -> None:
    settings, embedder = indexed
    [result] = upload(settings.with_(upload_types=".pdf"), embedder, ("nota.txt", files.NOTA))
    assert result.status == "rejected" and "toegestaan zijn .pdf" in result.message


def test_type_comes_from_the_content_not_the_name() -> None:
    assert detect_type(files.MEMO.read_bytes(), ".txt") == ".pdf"
    assert detect_type(files.small_docx(), "") == ".docx"
    assert detect_type(b"# Kop\n\ntekst", ".md") == ".md"
    with pytest.raises(UploadRejected, match="Linux-programma"):
        detect_type(b"\x7fELF\x02\x01\x01" + b"\0" * 100, ".txt")


def test_token_is_required(indexed) -> None:
    settings, embedder = indexed
    with pytest.raises(UploadsDisabled, match="staat uit"):
        Uploads(settings.with_(upload_token=""), lambda: embedder).check_token("x")
    with pytest.raises(UploadsDisabled, match="klopt niet"):
        Uploads(settings, lambda: embedder).check_token("fout")
    Uploads(settings, lambda: embedder).check_token("geheim")


def test_unknown_metadata_fields_are_refused() -> None:
    with pytest.raises(UploadRejected, match="Onbekend metadataveld"):
        FileMeta.of({"titel": "x"})


def test_removing_an_uploaded_document(indexed) -> None:
    settings, embedder = indexed
    [added] = upload(settings, embedder, ("nota.txt", files.NOTA))
    uploads = Uploads(settings, lambda: embedder)
    message = uploads.remove(added.source)
    assert "nota.txt" in message and "verwijderd" in message
    assert still_answers(settings, embedder) == BASE_DOCS
    assert not (settings.uploads_dir / added.source).exists()
    with pytest.raises(UploadRejected, match="Alleen documenten die in de app"):
        uploads.remove("000_advies.txt")


def test_two_uploads_at_once_both_land_and_the_second_waits(indexed) -> None:
    settings, embedder = indexed
    texts = [files.NOTA.replace("minister", word) for word in ("raad", "SERV", "regering")]
    stages: list[list[str]] = [[] for _ in texts]
    results: list[list] = [[] for _ in texts]

    def run(i: int) -> None:
        def progress(index: int | None, stage: str) -> None:
            stages[i].append(stage)

        results[i] = upload(settings, embedder, (f"n{i}.txt", texts[i]), progress=progress)

    # A job (the CLI, another browser) holds the lock when this upload arrives.
    with index_job(settings.data_dir):
        waiting = threading.Thread(target=run, args=(0,))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive()  # it waits in line...
    waiting.join(timeout=60)
    assert "wacht tot een andere indexering klaar is" in stages[0]  # ...and says so
    # Two browsers at once: both land, one after the other.
    both = [threading.Thread(target=run, args=(i,)) for i in (1, 2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(timeout=60)
    assert [r.status for rs in results for r in rs] == ["added", "added", "added"]
    assert len(still_answers(settings, embedder)) == len(BASE_DOCS) + 3


def test_the_index_command_waits_for_an_upload_and_says_so(indexed, monkeypatch) -> None:
    """`advieszoeker index` started while the app indexes an upload waits its turn."""
    from click.testing import CliRunner

    import index.model
    from app.cli import cli

    settings, embedder = indexed
    monkeypatch.setattr(index.model.Embedder, "load", classmethod(lambda cls, *a, **k: embedder))
    corpus = files.write(settings.corpus_dir, "100_nieuw.txt", files.NOTA)
    outcome: list = []

    def run_cli() -> None:
        runner = CliRunner()
        args = ["--data-dir", str(settings.data_dir), "index", str(corpus.parent)]
        outcome.append(runner.invoke(cli, args, catch_exceptions=False))

    with index_job(settings.data_dir):  # the app's upload job
        command = threading.Thread(target=run_cli)
        command.start()
        command.join(timeout=1.5)
        assert command.is_alive()  # waiting
    command.join(timeout=60)
    [result] = outcome
    assert result.exit_code == 0, result.output
    assert "Another indexing job" in result.output and "waiting" in result.output
    assert "100_nieuw.txt" in still_answers_sources(settings, embedder)


def still_answers_sources(settings: Settings, embedder: FakeEmbedder) -> set[str]:
    searcher = Searcher.open(settings, embedder)
    try:
        return {d.source for d in searcher.documents()}
    finally:
        searcher.close()


def test_a_full_disk_changes_nothing_and_the_upload_can_be_retried(indexed, monkeypatch) -> None:
    settings, embedder = indexed
    import index.build

    real = index.build.DenseIndex.save

    def full(self, folder: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index.build.DenseIndex, "save", full)
    with pytest.raises(UploadFailed, match="schijf van de server is vol"):
        upload(settings, embedder, ("nota.txt", files.NOTA))
    assert still_answers(settings, embedder) == BASE_DOCS
    assert [p.name for p in settings.index_dir.glob("v-*")] == [
        current_version(settings.index_dir).name
    ]  # no half-written version left behind
    monkeypatch.setattr(index.build.DenseIndex, "save", real)
    [retry] = upload(settings, embedder, ("nota.txt", files.NOTA))
    assert retry.status == "added"


def test_a_full_disk_on_a_small_file_system(tmp_path: Path) -> None:
    """The data folder on a 2 MB tmpfs, filled up: the upload fails in Dutch, search
    still answers, and after space is freed the same upload succeeds."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"this test needs root to mount a tmpfs: {done.stderr.decode()}")
    try:
        settings = Settings(data_dir=mount / "data", upload_token="geheim")
        embedder = FakeEmbedder()
        with fill_store(settings) as store:
            build_index(settings, store, embedder, progress=False)
        serving = Searcher.open(settings, embedder)  # the running app
        before = current_version(settings.index_dir)
        filler = mount / "filler"
        with filler.open("wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\0" * 4096)
            except OSError as err:
                assert err.errno == errno.ENOSPC
        incoming = files.write(tmp_path / "in", "nota.txt", files.NOTA * 20)
        uploads = Uploads(settings, lambda: embedder)
        with pytest.raises(UploadFailed, match="schijf van de server is vol"):
            uploads.add([Incoming(incoming, "nota.txt")])
        assert serving.search("werkbaar werk").hits[0].document.source == "001_studie.txt"
        assert current_version(settings.index_dir) == before
        filler.unlink()
        assert still_answers(settings, embedder) == BASE_DOCS  # and after a restart
        [retry] = uploads.add([Incoming(incoming, "nota.txt")])
        assert retry.status == "added"
        assert len(still_answers(settings, embedder)) == len(BASE_DOCS) + 1
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, "tests")
    from index_fixtures import FakeEmbedder
    from app.uploads import Incoming, Uploads
    from ingest.settings import Settings

    class Dying(FakeEmbedder):
        def encode_passages(self, texts, progress=False):
            os.kill(os.getpid(), signal.SIGKILL)  # killed mid-indexing

    settings = Settings(data_dir=Path(sys.argv[1]), upload_token="geheim")
    Uploads(settings, lambda: Dying()).add([Incoming(Path(sys.argv[2]), "nota.txt")])
    """
)


def test_a_process_killed_mid_indexing_leaves_the_index_and_allows_a_retry(indexed) -> None:
    settings, embedder = indexed
    incoming = files.write(settings.data_dir.parent / "in", "nota.txt", files.NOTA)
    root = Path(__file__).parent.parent
    child = subprocess.run(
        [sys.executable, "-c", KILLED, str(settings.data_dir), str(incoming)],
        cwd=root, capture_output=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    # After the "restart": the previous index answers, the lock is free, the retry works.
    assert still_answers(settings, embedder) == BASE_DOCS
    [retry] = Uploads(settings, lambda: embedder).add([Incoming(incoming, "nota.txt")])
    assert retry.status == "added" and retry.passages > 0
    assert len(still_answers(settings, embedder)) == len(BASE_DOCS) + 1


def test_indexing_a_corpus_folder_keeps_the_uploaded_documents(indexed) -> None:
    """`advieszoeker index <folder>` drops documents whose file left the folder,
    but not those added in the app: their files live in the uploads folder."""
    from ingest.pipeline import ingest_paths
    from ingest.store import Store

    settings, embedder = indexed
    [added] = upload(settings, embedder, ("nota.txt", files.NOTA))
    corpus = files.write(
        settings.corpus_dir, "100_nieuw.txt", files.NOTA.replace("minister", "raad")
    )
    with Store.open(settings.db_path) as store:
        summary = ingest_paths(settings, [corpus.parent], store=store, progress=False)
        assert set(summary.removed) == BASE_DOCS
        assert {d.source for d in store.documents()} == {"100_nieuw.txt", added.source}
