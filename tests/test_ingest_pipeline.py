"""Readers, bad input, the pipeline's update rules, the CLI, and the real seeds."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from ingest.pipeline import ingest_paths
from ingest.readers import UnreadableFile, read_document
from ingest.settings import Settings
from ingest.store import Store
from tests.conftest import DATA, SEEDS


def _pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def test_pdf_with_page_numbers(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    _pdf(
        folder / "a.pdf",
        [
            "De SERV vraagt meer middelen voor duaal leren.",
            "Het tweede blad gaat over de arbeidsmarkt en de scholen.",
        ],
    )
    small = settings.with_(passage_min_words=2, passage_target_words=5)
    summary = ingest_paths(small, [folder], progress=False)
    assert summary.added == ["a.pdf"]
    with Store.open(settings.db_path) as store:
        passages = store.passages("a.pdf")
        doc = store.document("a.pdf")
    assert doc.pages == 2
    by_page = {p.page: p.text for p in passages}
    assert "duaal leren" in by_page[1] and "tweede blad" in by_page[2]
    for p in passages:
        assert doc.cleaned[p.char_start : p.char_end] == p.text


def test_docx_headings_from_styles(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Aanbevelingen SERV", level=1)
    d.add_paragraph("De SERV vraagt meer aandacht voor het beroepsonderwijs.")
    path = tmp_path / "a.docx"
    d.save(str(path))
    raw = read_document(path)
    from ingest.clean import clean_lines
    from ingest.dehyphenate import Vocabulary

    doc = clean_lines(raw.lines, Vocabulary())
    body = [b for b in doc.blocks if b.kind == "paragraph"]
    assert body[0].section == ("Aanbevelingen SERV",)


def _encrypted_pdf(path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = _pdf(path.with_name("plain.pdf"), ["Geheim advies."])
    writer = PdfWriter()
    for page in PdfReader(str(plain)).pages:
        writer.add_page(page)
    writer.encrypt("wachtwoord")
    with path.open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def _blank_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.output(str(path))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: _blank_pdf(p / "scan.pdf"), "no text layer"),
        (lambda p: _encrypted_pdf(p / "locked.pdf"), "encrypted"),
        (lambda p: _truncated(p / "cut.pdf"), "damaged or truncated"),
        (lambda p: _write(p / "empty.txt", b""), "empty"),
        (lambda p: _write(p / "bin.txt", bytes(range(256)) * 4), "binary"),
        (lambda p: _write(p / "x.rtf", b"{\\rtf1}"), "unsupported"),
    ],
)
def test_bad_input_is_skipped_with_reason(tmp_path: Path, make, reason: str) -> None:
    path = make(tmp_path)
    with pytest.raises(UnreadableFile, match=reason) as info:
        read_document(path)
    assert "\n" not in str(info.value)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(path: Path) -> Path:
    full = _pdf(path.with_name("full.pdf"), ["Een volledig advies over duaal leren."])
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def test_oversize_and_vanished(tmp_path: Path) -> None:
    big = _write(tmp_path / "big.txt", b"tekst " * 300_000)
    with pytest.raises(UnreadableFile, match="over the"):
        read_document(big, max_file_mb=1)
    with pytest.raises(UnreadableFile, match="disappeared"):
        read_document(tmp_path / "gone.txt")


def test_cp1252_is_decoded_and_noted() -> None:
    raw = read_document(DATA / "cp1252.txt")
    assert raw.encoding == "cp1252"
    assert "Café en crèche" in raw.lines[0].text


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(DATA / "serv_letter.txt", folder / "a.txt")
    shutil.copy(SEEDS / "004_165c6d2ad255d495.txt", folder / "b.txt")
    return folder


def test_new_cleaning_or_passage_sizes_reclean_unchanged_files(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from ingest import pipeline

    folder = _corpus(tmp_path)
    assert sorted(ingest_paths(settings, [folder], progress=False).added) == ["a.txt", "b.txt"]
    smaller = dataclasses.replace(settings, passage_min_words=10, passage_target_words=20)
    assert sorted(ingest_paths(smaller, [folder], progress=False).updated) == ["a.txt", "b.txt"]
    assert sorted(ingest_paths(smaller, [folder], progress=False).unchanged) == ["a.txt", "b.txt"]
    monkeypatch.setattr(pipeline, "CLEANING_VERSION", pipeline.CLEANING_VERSION + 1)
    assert sorted(ingest_paths(smaller, [folder], progress=False).updated) == ["a.txt", "b.txt"]


def test_reingest_is_idempotent_then_update_and_remove(tmp_path: Path, settings: Settings) -> None:
    folder = _corpus(tmp_path)
    first = ingest_paths(settings, [folder], progress=False)
    assert sorted(first.added) == ["a.txt", "b.txt"]
    with Store.open(settings.db_path) as store:
        ids = [p.id for p in store.passages()]
    again = ingest_paths(settings, [folder], progress=False)
    assert sorted(again.unchanged) == ["a.txt", "b.txt"] and not again.added
    with Store.open(settings.db_path) as store:
        assert [p.id for p in store.passages()] == ids
    # A changed document has its passages replaced.
    (folder / "a.txt").write_text("Een nieuw advies van de SERV over duaal leren.\n")
    changed = ingest_paths(settings, [folder], progress=False)
    assert changed.updated == ["a.txt"]
    with Store.open(settings.db_path) as store:
        assert [p.text for p in store.passages("a.txt")] == [
            "Een nieuw advies van de SERV over duaal leren."
        ]
    # A duplicate is skipped; a removed file is removed (or kept with keep_missing).
    shutil.copy(folder / "b.txt", folder / "c.txt")
    (folder / "a.txt").unlink()
    kept = ingest_paths(settings, [folder], progress=False, keep_missing=True)
    assert kept.removed == [] and any("same content" in r for _, r in kept.skipped)
    removed = ingest_paths(settings, [folder], progress=False)
    assert removed.removed == ["a.txt"]
    with Store.open(settings.db_path) as store:
        assert store.passages("a.txt") == []


def test_metadata_change_alone_updates_metadata(tmp_path: Path, settings: Settings) -> None:
    folder = _corpus(tmp_path)
    ingest_paths(settings, [folder], progress=False)
    (folder / "metadata.toml").write_text(
        '["b.txt"]\ntitle = "Duaal Leren"\nkind = "briefadvies"\n'
    )
    summary = ingest_paths(settings, [folder], progress=False)
    assert summary.metadata_updated == ["b.txt"]
    with Store.open(settings.db_path) as store:
        assert store.document("b.txt").kind == "briefadvies"
        assert store.document("a.txt").title == "Duaal Leren voor de toekomst"


def test_cli_json_and_exit_status(tmp_path: Path, isolated_data_dir: Path) -> None:
    folder = _corpus(tmp_path)
    _write(folder / "leeg.txt", b"")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert sorted(data["added"]) == ["a.txt", "b.txt"]
    assert data["skipped"][0]["file"] == "leeg.txt"
    empty = tmp_path / "niets"
    empty.mkdir()
    _write(empty / "leeg.txt", b"")
    bad = runner.invoke(cli, ["ingest", str(empty)])
    assert bad.exit_code != 0
    assert "skipped leeg.txt: file is empty" in bad.output
    assert "Traceback" not in bad.output


def test_seed_spans_round_trip(settings: Settings) -> None:
    """Every passage of the real seeds is exactly its span of the cleaned text."""
    summary = ingest_paths(settings, [SEEDS], progress=False)
    assert len(summary.added) == 5 and not summary.skipped
    with Store.open(settings.db_path) as store:
        for doc in store.documents():
            passages = store.passages(doc.source)
            assert passages
            for p in passages:
                assert doc.cleaned[p.char_start : p.char_end] == p.text
                assert p.line_start is not None and p.line_start <= p.line_end
                assert len(p.text.split()) <= settings.passage_max_words
            # Nothing invented: the passage's letters and digits, in order, are in its
            # source lines (cleaning only removes: markers, debris, hyphens).
            raw = (SEEDS / doc.source).read_text(encoding="utf-8").split("\n")
            for p in passages:
                source = _letters(" ".join(raw[p.line_start - 1 : p.line_end]))
                assert _is_subsequence(_letters(p.text), source), (doc.source, p.ordinal)
            # Footnotes are linked both ways.
            notes = {p.footnote for p in passages if p.kind == "footnote"}
            cited = {n for p in passages for n in p.cites}
            assert cited <= notes
            assert len(notes - cited) <= 1
        assert store.document("004_165c6d2ad255d495.txt").kind == "briefadvies"
        assert "Regeerakkoord" in store.document("004_165c6d2ad255d495.txt").cleaned


def _letters(text: str) -> str:
    return re.sub(r"[^\w]", "", text).lower()


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(c in it for c in needle)


_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE documents (
    source TEXT PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    author TEXT, kind TEXT, year INTEGER, addressee TEXT, url TEXT, pages INTEGER,
    content_hash TEXT NOT NULL, cleaned TEXT NOT NULL);
CREATE TABLE passages (
    id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, kind TEXT NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    page INTEGER, line_start INTEGER, line_end INTEGER, footnote INTEGER, cites TEXT NOT NULL);
INSERT INTO documents VALUES ('a.txt', 'x1', 'Advies', NULL, NULL, 2024, NULL, NULL, NULL,
    'h', 'De SERV vraagt meer.');
INSERT INTO passages VALUES ('p1', 'a.txt', 0, 'body', '[]', 'De SERV vraagt meer.', 0, 20,
    NULL, 1, 1, NULL, '[]');
"""


def test_a_database_of_the_previous_schema_is_migrated_and_re_cleaned(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "advieszoeker.db"
    con = sqlite3.connect(db)
    con.executescript(_SCHEMA_V1)
    con.close()
    with Store.open(db) as store:
        # What was indexed before still reads, with the new fields empty.
        (passage,) = store.passages("a.txt")
        assert passage.text == "De SERV vraagt meer." and passage.page_end is None
        assert store.document("a.txt").anchors == ()
    version = sqlite3.connect(db).execute("SELECT value FROM meta").fetchone()[0]
    assert version == "2"
