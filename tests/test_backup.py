"""`advieszoeker backup` and `restore`: a consistent copy, checked before it replaces anything."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from index_fixtures import FakeEmbedder, fill_store

from app.backup import BACKUP_FILE, BackupError, backup, verify
from app.cli import cli
from app.lifecycle import DataLock
from index import build_index
from index.search import Searcher
from ingest.settings import Settings


def indexed(data_dir: Path) -> Settings:
    settings = Settings(data_dir=data_dir)
    with fill_store(settings) as store:
        build_index(settings, store, FakeEmbedder(), progress=False)
    return settings


def hits(settings: Settings, query: str) -> list[str]:
    searcher = Searcher.open(settings, embedder=FakeEmbedder())
    try:
        return [h.passage.id for h in searcher.search(query, k=5).hits]
    finally:
        searcher.close()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_backup_restore_round_trip_searches_the_same(tmp_path: Path) -> None:
    live = indexed(tmp_path / "live")
    expected = hits(live, "begeleiding van leerlingen")
    # The live server holds its lock and keeps its searcher open during the backup.
    serving = Searcher.open(live, embedder=FakeEmbedder())
    with DataLock(live.data_dir):
        code, out = run("--data-dir", str(live.data_dir), "backup", str(tmp_path / "copy"))
    serving.close()
    assert code == 0, out
    assert "Backup written" in out
    meta = json.loads((tmp_path / "copy" / BACKUP_FILE).read_text())
    assert meta["index_version"] == (live.index_dir / "CURRENT").read_text().strip()
    assert "advieszoeker.db" in meta["files"]
    assert not any(name.startswith("models/") for name in meta["files"])

    target = tmp_path / "restored"
    code, out = run("--data-dir", str(target), "restore", str(tmp_path / "copy"))
    assert code == 0, out
    assert hits(Settings(data_dir=target), "begeleiding van leerlingen") == expected


def test_restore_refuses_while_a_server_holds_the_folder(tmp_path: Path) -> None:
    live = indexed(tmp_path / "live")
    backup(live, tmp_path / "copy")
    before = (live.data_dir / "advieszoeker.db").read_bytes()
    with DataLock(live.data_dir):
        code, out = run("--data-dir", str(live.data_dir), "restore", str(tmp_path / "copy"))
    assert code != 0
    assert "Stop it before restoring" in out and "Traceback" not in out
    assert (live.data_dir / "advieszoeker.db").read_bytes() == before
    assert not list(live.data_dir.glob("replaced-*"))


def test_restore_moves_the_replaced_data_aside(tmp_path: Path) -> None:
    live = indexed(tmp_path / "live")
    backup(live, tmp_path / "copy")
    code, out = run("--data-dir", str(live.data_dir), "restore", str(tmp_path / "copy"))
    assert code == 0, out
    (aside,) = live.data_dir.glob("replaced-*")
    assert (aside / "advieszoeker.db").exists() and (aside / "index").is_dir()
    assert hits(live, "leerlingen")


def test_a_damaged_backup_is_refused_before_anything_changes(tmp_path: Path) -> None:
    live = indexed(tmp_path / "live")
    backup(live, tmp_path / "copy")
    meta = json.loads((tmp_path / "copy" / BACKUP_FILE).read_text())
    vectors = next(n for n in meta["files"] if n.startswith("index/v-") and "manifest" not in n)
    with (tmp_path / "copy" / vectors).open("r+b") as f:
        f.write(b"\0garbage")
    target = tmp_path / "other"
    code, out = run("--data-dir", str(target), "restore", str(tmp_path / "copy"))
    assert code != 0 and "damaged" in out and "Traceback" not in out
    assert not (target / "advieszoeker.db").exists()


def test_a_manifest_that_does_not_fit_its_store_is_refused(tmp_path: Path) -> None:
    live = indexed(tmp_path / "live")
    backup(live, tmp_path / "copy")
    copy = tmp_path / "copy"
    meta = json.loads((copy / BACKUP_FILE).read_text())
    snapshot = copy / "index" / meta["index_version"] / "store.db"
    with sqlite3.connect(snapshot) as db:
        db.execute("DELETE FROM passages WHERE rowid IN (SELECT rowid FROM passages LIMIT 1)")
    # Re-sign the file list, as if the copy had been made of an inconsistent folder.
    from app.backup import _checksums

    meta["files"] = _checksums(copy)
    meta["files"].pop(BACKUP_FILE, None)
    (copy / BACKUP_FILE).write_text(json.dumps(meta))
    with pytest.raises(BackupError, match="documents changed"):
        verify(copy, live)


def test_backup_says_what_is_wrong(tmp_path: Path) -> None:
    code, out = run("--data-dir", str(tmp_path / "empty"), "backup", str(tmp_path / "copy"))
    assert code != 0 and "nothing to back up" in out
    live = indexed(tmp_path / "live")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    code, out = run("--data-dir", str(live.data_dir), "backup", str(tmp_path / "full"))
    assert code != 0 and "not empty" in out
    code, out = run("--data-dir", str(live.data_dir), "restore", str(tmp_path / "nowhere"))
    assert code != 0 and "not an Advieszoeker backup" in out
